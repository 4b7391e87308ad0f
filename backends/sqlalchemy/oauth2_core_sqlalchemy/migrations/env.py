"""Alembic environment for the oauth2-core tables.

Run through ``oauth2_core_sqlalchemy.schema.upgrade`` (or the ``oauth2-core-sqlalchemy upgrade``
command), which hands over an open connection. The version table has its own name, so an
application's Alembic history in the same database is left alone.
"""

from __future__ import annotations

from alembic import context

from oauth2_core_sqlalchemy.tables import metadata

VERSION_TABLE = "oauth2_core_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run these migrations with `oauth2-core-sqlalchemy upgrade URL`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
