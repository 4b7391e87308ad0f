"""The README's engine example runs as printed (docs stay true)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_engine_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.read_text().split("## Using the engine", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README lost its engine example"
    monkeypatch.chdir(tmp_path)
    exec(compile(match.group(1), str(README), "exec"), {})  # noqa: S102
    printed = capsys.readouterr().out
    assert printed.startswith("200 {'access_token': ")
    assert "'token_type': 'Bearer'" in printed
    assert (tmp_path / "oauth2.db").exists()
