"""The engine imports no third-party module at runtime (issue 2, "done when")."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import oauth2_core

EXCLUDED = ("oauth2_core.integrations", "oauth2_core.cli", "oauth2_core.app")

SCRIPT = """
import importlib, json, sys
before = set(sys.modules)
for name in {modules!r}:
    importlib.import_module(name)
loaded = sorted(m.split(".")[0] for m in set(sys.modules) - before)
print(json.dumps(loaded))
"""


def _core_modules() -> list[str]:
    root = Path(oauth2_core.__file__).parent
    names = ["oauth2_core"]
    for info in pkgutil.walk_packages([str(root)], prefix="oauth2_core."):
        if not info.name.startswith(EXCLUDED):
            names.append(info.name)
    return names


def test_core_modules_load_only_the_standard_library() -> None:
    modules = _core_modules()
    assert "oauth2_core.server" in modules and "oauth2_core.grants.refresh_token" in modules
    output = subprocess.run(
        [sys.executable, "-I", "-c", SCRIPT.format(modules=modules)],
        capture_output=True, text=True, check=True,
        cwd=str(Path(oauth2_core.__file__).parent.parent),
    ).stdout
    top_level = set(json.loads(output))
    third_party = {
        name for name in top_level
        if name not in sys.stdlib_module_names and name != "oauth2_core"
        and not name.startswith("_")
    }
    assert third_party == set(), third_party
