"""The collections and their indexes, created idempotently.

- ``clients``: keyed by client id (``_id``), nothing else.
- ``codes``: keyed by the code digest; ``grant_id`` for the revocation cascade; ``expires_at``
  (the record's expiry on the engine's clock) for ``purge_expired``; and the TTL index on
  ``reclaim_at`` with ``expireAfterSeconds=0``.
- ``tokens``: keyed by the access token digest; a unique partial index on the refresh digest
  (only documents that have one); ``grant_id``; ``expires_at``; the same TTL index.
- ``revoked_grants``: ``revoke_grant``'s marks, keyed by grant id; ``until`` (the mark's end on
  the engine's clock) for ``purge_expired``; the same TTL index.

Why two expiry fields: the TTL monitor compares a date with the *server's* wall clock, while
``expires_at`` is on the *engine's* clock (which may be faked or skewed). ``reclaim_at`` is the
same instant on the server's clock, written as ``$$NOW + (expires_at - now)`` by the server
itself, so a skewed engine clock can neither make MongoDB delete live records nor keep dead
ones for years.

``createIndexes`` with identical specifications is a no-op on the server, so running this on
every start is safe; an index of the same name with other options is an error the operator
must resolve (it raises rather than silently keeping the wrong TTL).
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

__all__ = [
    "CLIENTS",
    "CODES",
    "INDEXES",
    "RECLAIM_FIELD",
    "REVOKED_GRANTS",
    "TOKENS",
    "create_indexes",
]

CLIENTS = "clients"
CODES = "codes"
TOKENS = "tokens"
REVOKED_GRANTS = "revoked_grants"
RECLAIM_FIELD = "reclaim_at"

INDEXES: dict[str, list[IndexModel]] = {
    CODES: [
        IndexModel([("grant_id", ASCENDING)], name="grant_id"),
        IndexModel([("expires_at", ASCENDING)], name="expires_at"),
        IndexModel([(RECLAIM_FIELD, ASCENDING)], name="reclaim_at_ttl", expireAfterSeconds=0),
    ],
    TOKENS: [
        IndexModel(
            [("refresh_token_hash", ASCENDING)],
            name="refresh_token_hash_unique",
            unique=True,
            partialFilterExpression={"refresh_token_hash": {"$type": "string"}},
        ),
        IndexModel([("grant_id", ASCENDING)], name="grant_id"),
        IndexModel([("expires_at", ASCENDING)], name="expires_at"),
        IndexModel([(RECLAIM_FIELD, ASCENDING)], name="reclaim_at_ttl", expireAfterSeconds=0),
    ],
    REVOKED_GRANTS: [
        IndexModel([("until", ASCENDING)], name="until"),
        IndexModel([(RECLAIM_FIELD, ASCENDING)], name="reclaim_at_ttl", expireAfterSeconds=0),
    ],
}


def create_indexes(database: Database[dict[str, object]]) -> None:
    """Create every index this backend relies on (one ``createIndexes`` per collection)."""
    for name, models in INDEXES.items():
        database[name].create_indexes(models)
