"""The app's user file: slow digests, no password oracle, owner-only file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from oauth2_core.app import users as users_module
from oauth2_core.app.users import UserStore


def test_unknown_users_cost_the_same_kdf_as_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing oracle on user names: a wrong name spends one verification against a
    digest with the same KDF and iteration count as a real user's."""
    store = UserStore(str(tmp_path / "users.json"))
    store.add("alice", "wonderland")
    checked: list[str] = []
    real_verify = users_module.verify_client_secret

    def spy(secret: str, digest: str) -> bool:
        checked.append(digest.rsplit("$", 2)[0])  # algorithm and iterations, not the salt
        return real_verify(secret, digest)

    monkeypatch.setattr(users_module, "verify_client_secret", spy)
    assert store.authenticate("nobody", "wonderland") is None
    assert store.authenticate("alice", "wrong") is None
    user = store.authenticate("alice", "wonderland")
    assert user is not None and user.username == "alice"
    assert len(checked) == 3 and len(set(checked)) == 1
    assert checked[0].startswith("pbkdf2_sha256$")


def test_user_file_is_owner_only_and_holds_no_password(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"users": {}}')
    path.chmod(0o644)
    UserStore(str(path)).add("alice", "wonderland", name="Alice")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "wonderland" not in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["users.json"]  # no temp file left
