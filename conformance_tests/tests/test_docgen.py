"""checks.md is generated from the registry and the staleness check bites."""

from __future__ import annotations

from pathlib import Path

from oauth2_conformance import all_checks
from oauth2_conformance.docgen import main, render

REPO_PAGE = Path(__file__).resolve().parents[2] / "docs" / "conformance" / "checks.md"


def test_every_check_is_documented() -> None:
    text = render()
    assert all(f"`{chk.id}`" in text and chk.hint.split()[0] in text for chk in all_checks())


def test_check_mode_detects_a_stale_page(tmp_path: Path) -> None:
    page = tmp_path / "checks.md"
    assert main(["--check", "--output", str(page)]) == 1
    assert main(["--output", str(page)]) == 0
    assert main(["--check", "--output", str(page)]) == 0
    page.write_text(page.read_text().replace("CODE-001", "CODE-999"))
    assert main(["--check", "--output", str(page)]) == 1


def test_the_committed_page_is_current() -> None:
    assert REPO_PAGE.read_text() == render()
