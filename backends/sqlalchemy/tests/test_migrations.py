"""Migrations: up from an empty database, idempotent, identical to the package's metadata;
a database without the schema fails with an error naming the command that fixes it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from oauth2_core_sqlalchemy import SchemaMissing, SQLStorage, schema
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy.schema import current_revision, head_revision
from oauth2_core_sqlalchemy.tables import metadata
from oauth2_core_sqlalchemy.testing import SQLHarness

from oauth2_core.errors import StorageUnavailable

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_upgrade_from_empty_is_idempotent(harness: SQLHarness) -> None:
    storage = SQLStorage(build_engine(harness.empty_namespace_url("migrate-up")))
    try:
        assert current_revision(storage.engine) is None
        storage.upgrade_schema()
        assert current_revision(storage.engine) == head_revision()
        storage.upgrade_schema()
        assert current_revision(storage.engine) == head_revision()
        storage.check_schema()
        assert storage.query_client("nobody") is None
    finally:
        storage.close()
        harness.drop_namespace("migrate-up")


def test_migrated_schema_matches_metadata(harness: SQLHarness) -> None:
    storage = harness.make_storage("migrate-compare")
    try:
        assert isinstance(storage, SQLStorage)
        with storage.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": "oauth2_core_alembic_version"}
            )
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        harness.drop_namespace("migrate-compare")


def test_missing_schema_names_the_upgrade_command(harness: SQLHarness) -> None:
    storage = SQLStorage(build_engine(harness.empty_namespace_url("migrate-missing")))
    try:
        with pytest.raises(SchemaMissing, match="oauth2-core-sqlalchemy upgrade") as raised:
            storage.query_token("0" * 64, now=NOW)
        assert isinstance(raised.value, StorageUnavailable)
        assert raised.value.__cause__ is not None
        with pytest.raises(SchemaMissing, match="oauth2-core-sqlalchemy upgrade"):
            storage.check_schema()
    finally:
        storage.close()
        harness.drop_namespace("migrate-missing")


def test_concurrent_upgrades_wait_for_each_other(harness: SQLHarness) -> None:
    """Servers starting together: three processes run the upgrade command at once."""
    url = harness.empty_namespace_url("migrate-together")
    command = [sys.executable, "-m", "oauth2_core_sqlalchemy.cli", "upgrade"]
    target = url.render_as_string(hide_password=False)
    runs = [subprocess.Popen([*command, target], stderr=subprocess.PIPE) for _ in range(3)]
    try:
        outcomes = [
            (run.wait(timeout=60), run.stderr.read() if run.stderr else b"") for run in runs
        ]
        assert outcomes == [(0, b"")] * 3
        storage = SQLStorage(build_engine(url))
        assert current_revision(storage.engine) == head_revision()
        storage.close()
    finally:
        harness.drop_namespace("migrate-together")


def test_a_hung_lock_holder_gives_a_clear_error(
    harness: SQLHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that holds the migration lock and never lets go: the upgrade gives up with
    StorageUnavailable after the lock wait instead of hanging (here shortened to 0.5 s)."""
    url = harness.empty_namespace_url("migrate-locked")
    storage = SQLStorage(build_engine(url))
    hold, _ = schema._LOCKS.get(storage.engine.dialect.name, (None, None))
    if hold is None:
        storage.close()
        pytest.skip("SQLite serialises upgrades with BEGIN IMMEDIATE, not a session lock")
    monkeypatch.setattr(schema, "LOCK_WAIT_SECONDS", 0.5)
    # The holder's engine is disposed at the end, not just its connection closed: a closed
    # pooled connection goes back to the pool still holding its session-level lock.
    holder_engine = build_engine(url)
    holder = holder_engine.connect()
    try:
        assert holder.exec_driver_sql(hold).scalar()
        with pytest.raises(StorageUnavailable, match="migration lock"):
            storage.upgrade_schema()
        assert current_revision(storage.engine) is None
        # The lock is the namespace's own: another schema/database on the same server
        # migrates while this one is stuck.
        neighbour = SQLStorage(build_engine(harness.empty_namespace_url("migrate-neighbour")))
        try:
            neighbour.upgrade_schema()
            assert current_revision(neighbour.engine) == head_revision()
        finally:
            neighbour.close()
    finally:
        holder.close()
        holder_engine.dispose()
        storage.close()
        harness.drop_namespace("migrate-locked")
        harness.drop_namespace("migrate-neighbour")
