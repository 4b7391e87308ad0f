"""The management commands and their error cases, on SQLite (and memory where it makes sense)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_serving import backend_url, cli

from oauth2_core.storage.registry import open_storage
from oauth2_core.tokens import verify_client_secret


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli("migrate", "--storage", url).returncode == 0
    yield url


def ok(*args: str, **kwargs: object) -> str:
    result = cli(*args, **kwargs)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_create_show_delete_confidential_client(sqlite_url: str) -> None:
    created = json.loads(ok(
        "client", "create", "--storage", sqlite_url, "--json", "--client-id", "svc",
        "--grant-type", "client_credentials", "--scope", "read write", "--name", "Service",
    ))
    secret = created["client_secret"]
    assert len(secret) >= 43  # 256 bits, shown once
    assert created["client"]["grant_types"] == ["client_credentials"]
    storage = open_storage(sqlite_url)
    try:
        client = storage.query_client("svc")
        assert client is not None and client.client_secret_hash is not None
        assert secret not in client.client_secret_hash
        assert verify_client_secret(secret, client.client_secret_hash)
    finally:
        storage.close()
    shown = json.loads(ok("client", "show", "svc", "--storage", sqlite_url, "--json"))
    assert shown["client_name"] == "Service"
    assert "client_secret_hash" not in shown
    assert secret not in json.dumps(shown)
    text = ok("client", "show", "svc", "--storage", sqlite_url)
    assert "client_credentials" in text
    assert "deleted client svc" in ok("client", "delete", "svc", "--storage", sqlite_url)
    missing = cli("client", "show", "svc", "--storage", sqlite_url)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "oauth2-core: error: no client with id 'svc'"


def test_create_public_client_and_human_output(sqlite_url: str) -> None:
    out = ok(
        "client", "create", "--storage", sqlite_url, "--client-id", "spa", "--public",
        "--redirect-uri", "http://127.0.0.1/cb", "--redirect-uri", "https://app.example/cb",
        "--scope", "profile",
    )
    assert "created client" in out
    assert "client_secret" not in out
    shown = json.loads(ok("client", "show", "spa", "--storage", sqlite_url, "--json"))
    assert shown["public"] is True
    assert shown["token_endpoint_auth_method"] == "none"
    assert shown["redirect_uris"] == ["http://127.0.0.1/cb", "https://app.example/cb"]


def test_client_create_errors_write_nothing(sqlite_url: str) -> None:
    ok("client", "create", "--storage", sqlite_url, "--client-id", "dup",
       "--grant-type", "client_credentials")
    duplicate = cli("client", "create", "--storage", sqlite_url, "--client-id", "dup",
                    "--grant-type", "client_credentials")
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    for bad_uri in ("http://app.example/cb", "https://app.example/cb#frag", "javascript:x"):
        refused = cli("client", "create", "--storage", sqlite_url, "--client-id", "bad",
                      "--redirect-uri", bad_uri)
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert cli("client", "show", "bad", "--storage", sqlite_url).returncode == 1
    both = cli("client", "create", "--storage", sqlite_url, "--public", "--secret", "x" * 40)
    assert both.returncode == 2
    unknown_grant = cli("client", "create", "--storage", sqlite_url, "--grant-type", "magic")
    assert unknown_grant.returncode == 2


def test_client_list(sqlite_url: str) -> None:
    ok("client", "create", "--storage", sqlite_url, "--client-id", "a1",
       "--grant-type", "client_credentials")
    result = cli("client", "list", "--storage", sqlite_url, "--json")
    assert result.returncode == 0, result.stderr
    assert [c["client_id"] for c in json.loads(result.stdout)] == ["a1"]
    memory = cli("client", "list", "--storage", "memory://", "--json")
    assert memory.returncode == 0, memory.stderr
    assert json.loads(memory.stdout) == []


def test_storage_url_errors_are_one_line(tmp_path: Path) -> None:
    unknown = cli("check", "--storage", "bogus://x")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("oauth2-core: error: unknown storage scheme 'bogus'")
    assert len(unknown.stderr.strip().splitlines()) == 1
    not_url = cli("client", "show", "x", "--storage", "nonsense")
    assert not_url.returncode == 2
    assert "not a storage URL" in not_url.stderr
    nothing = cli("client", "show", "x")
    assert nothing.returncode == 2
    assert "no storage given" in nothing.stderr


def test_storage_from_environment(sqlite_url: str) -> None:
    env = {"OAUTH2_STORAGE": sqlite_url}
    ok("client", "create", "--client-id", "envy", "--grant-type", "client_credentials", env=env)
    assert "envy" in ok("client", "show", "envy", env=env)


def test_check_migrate_purge(sqlite_url: str) -> None:
    report = json.loads(ok("check", "--storage", sqlite_url, "--json"))
    assert report["reachable"] is True
    assert "atomic_code_consume" in report["capabilities"]
    assert report["warnings"] == []
    assert "schema is up to date" in ok("migrate", "--storage", sqlite_url)
    purged = json.loads(ok("purge", "--storage", sqlite_url, "--json"))
    assert purged["purged"] == 0
    assert "nothing to migrate" in ok("migrate", "--storage", "memory://")


def test_check_redis_reports_deployment_warnings(tmp_path: Path) -> None:
    with backend_url("redis", tmp_path, "check") as url:
        result = cli("check", "--storage", url, "--json")
    assert result.returncode in {0, 1}, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is (result.returncode == 0)
    assert report["ok"] is (not report["warnings"])


def test_check_unreachable_store_fails_cleanly() -> None:
    result = cli("check", "--storage", "redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert result.stderr.startswith("oauth2-core: error: ")
    assert "Traceback" not in result.stderr


def test_user_add_and_list(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    ok("user", "add", "bob", "--users", str(users), "--password-stdin", "--name", "Bob",
       stdin="correct horse\n")
    stored = users.read_text()
    assert "correct horse" not in stored
    assert "pbkdf2_sha256$" in stored
    assert json.loads(ok("user", "list", "--users", str(users), "--json")) == ["bob"]
    short = cli("user", "add", "eve", "--users", str(users), "--password-stdin", stdin="x\n")
    assert short.returncode == 2


def test_serve_refuses_unsafe_configurations(tmp_path: Path) -> None:
    public_bind = cli("serve", "--storage", "memory://", "--host", "0.0.0.0",
                      "--auto-approve-as", "alice")
    assert public_bind.returncode == 2
    assert "loopback" in public_bind.stderr
    for host in ("::", "[::]", "auth.example.com", "127.0.0.1.nip.io"):
        refused = cli("serve", "--storage", "memory://", "--host", host,
                      "--auto-approve-as", "alice")
        assert refused.returncode == 2, host
        assert "loopback" in refused.stderr
    # Bound to loopback behind a reverse proxy that publishes it: the issuer gives it away.
    proxied = cli("serve", "--storage", "memory://", "--issuer", "https://auth.example.com",
                  "--auto-approve-as", "alice")
    assert proxied.returncode == 2
    assert "loopback" in proxied.stderr
    proxied_env = cli("serve", "--storage", "memory://", "--auto-approve-as", "alice",
                      env={"OAUTH2_ISSUER": "https://auth.example.com"})
    assert proxied_env.returncode == 2
    workers = cli("serve", "--storage", "memory://", "--workers", "2")
    assert workers.returncode == 2
    assert "memory://" in workers.stderr
    bad_setting = cli("serve", "--storage", "memory://", env={"OAUTH2_NO_SUCH": "1"})
    assert bad_setting.returncode == 2
    assert "OAUTH2_NO_SUCH" in bad_setting.stderr
    config = tmp_path / "bad.toml"
    config.write_text('storage = "memory://"\nportt = 1\n')
    typo = cli("serve", "--config", str(config))
    assert typo.returncode == 2
    assert "portt" in typo.stderr
    demo_in_memory = cli("demo", "--storage", "memory://", cwd=tmp_path)
    assert demo_in_memory.returncode == 2
    assert "persistent" in demo_in_memory.stderr
