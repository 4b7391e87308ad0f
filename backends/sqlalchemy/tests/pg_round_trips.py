"""Count the statements PostgreSQL itself logs for each storage operation.

Run: ``uv run python backends/sqlalchemy/tests/pg_round_trips.py [URL] [LOGFILE] [--pre-ping]``
(``--pre-ping``: the explicit ping on every checkout instead of the default stale checks).
``log_statement=all`` is switched on for the measuring connections only (libpq startup
``options``), so the server configuration is never changed. Every logged line of those
sessions counts, pings (logged as ``;``) and pool resets included: what the network sees.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from oauth2_core_sqlalchemy._engine import EngineSettings, build_engine
from oauth2_core_sqlalchemy.storage import SQLStorage
from oauth2_core_sqlalchemy.testing import SQLHarness

from oauth2_core.clock import SystemClock
from oauth2_core.models import AuthorizationCode, Token
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_LOG = "/var/log/postgresql/postgresql-15-main.log"
_STATEMENT = re.compile(r"LOG:  (?:statement|execute [^:]*): (.*)")


def _logged(log: Path, start: int) -> list[str]:
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode("utf-8", "replace")
    return [m.group(1).strip() for m in map(_STATEMENT.search, text.splitlines()) if m]


def _token(now, *, refresh: bool = True, grant_id: str | None = None) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="rt-client",
        scope="read",
        grant_id=grant_id or new_grant_id(),
        grant_type="authorization_code",
        issued_at=now,
        access_expires_at=now + timedelta(hours=1),
        user_id="alice",
        refresh_token_hash=hash_token(generate_token()) if refresh else None,
        refresh_expires_at=now + timedelta(days=14) if refresh else None,
    )


def measure(url: str, log_path: str, *, pre_ping: bool = False) -> list[tuple[str, list[str]]]:
    log = Path(log_path)
    harness = SQLHarness(url)
    harness.make_storage("round-trips").close()
    ns_url = harness.namespace_url("round-trips")
    options = ns_url.query["options"] + " -clog_statement=all"
    measured_url = ns_url.update_query_dict({"options": options})
    storage = SQLStorage(build_engine(measured_url, EngineSettings(pre_ping=pre_ping)))
    now = SystemClock().now()
    first = _token(now)
    code = AuthorizationCode(
        code_hash=hash_code("rt-client", generate_token()),
        client_id="rt-client",
        user_id="alice",
        redirect_uri=None,
        scope="read",
        grant_id=first.grant_id,
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
    )
    successor = _token(now, grant_id=first.grant_id)
    storage.query_client("warm-up")  # first connect: dialect initialisation, not an operation
    operations: list[tuple[str, Callable[[], object]]] = [
        ("save_authorization_code", lambda: storage.save_authorization_code(code, now=now)),
        (
            "consume_authorization_code (winner)",
            lambda: storage.consume_authorization_code(code.code_hash, now=now),
        ),
        (
            "consume_authorization_code (replay)",
            lambda: storage.consume_authorization_code(code.code_hash, now=now),
        ),
        ("save_token (issue token)", lambda: storage.save_token(first, now=now)),
        (
            "query_token (validate token)",
            lambda: storage.query_token(first.access_token_hash, now=now),
        ),
        (
            "rotate_refresh_token (winner)",
            lambda: storage.rotate_refresh_token(
                first.refresh_token_hash or "", successor, now=now
            ),
        ),
        (
            "rotate_refresh_token (reuse)",
            lambda: storage.rotate_refresh_token(
                first.refresh_token_hash or "", successor, now=now
            ),
        ),
        ("revoke_token", lambda: storage.revoke_token(successor.access_token_hash, now=now)),
        ("revoke_grant", lambda: storage.revoke_grant(first.grant_id, now=now)),
        ("purge_expired (nothing due)", lambda: storage.purge_expired(now=now)),
    ]
    results = []
    for name, operation in operations:
        start = log.stat().st_size
        operation()
        results.append((name, _logged(log, start)))
    storage.close()
    harness.close()
    return results


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    url = args[0] if args else DEFAULT_URL
    log = args[1] if len(args) > 1 else DEFAULT_LOG
    for name, statements in measure(url, log, pre_ping="--pre-ping" in sys.argv):
        print(f"{name}: {len(statements)} statement(s)")
        for statement in statements:
            print(f"    {statement[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
