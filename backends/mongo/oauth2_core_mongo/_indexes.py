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

The refresh index's filter is ``{"$gt": ""}``: every non-empty string, which every digest
is, and nothing of another type (range operators are type-bracketed), so exactly the
documents that hold a refresh digest. A planner can prove that an equality on a string implies
it, which is how lookups by refresh digest find the index; SecantusDB cannot prove that an
equality implies ``{"$type": "string"}``, the filter of earlier versions, and scanned the
collection instead (46.5 ms against 1.25 ms per lookup over 5,000 documents).
``replace_earlier_index`` swaps that earlier index for this one.

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
    "replace_earlier_index",
]

CLIENTS = "clients"
CODES = "codes"
TOKENS = "tokens"
REVOKED_GRANTS = "revoked_grants"
RECLAIM_FIELD = "reclaim_at"
_REFRESH_INDEX = "refresh_token_hash_unique"
_EARLIER_REFRESH_FILTER = {"refresh_token_hash": {"$type": "string"}}

_REFRESH_MODEL = IndexModel(
    [("refresh_token_hash", ASCENDING)],
    name=_REFRESH_INDEX,
    unique=True,
    partialFilterExpression={"refresh_token_hash": {"$gt": ""}},
)

INDEXES: dict[str, list[IndexModel]] = {
    CODES: [
        IndexModel([("grant_id", ASCENDING)], name="grant_id"),
        IndexModel([("expires_at", ASCENDING)], name="expires_at"),
        IndexModel([(RECLAIM_FIELD, ASCENDING)], name="reclaim_at_ttl", expireAfterSeconds=0),
    ],
    TOKENS: [
        _REFRESH_MODEL,
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


def replace_earlier_index(database: Database[dict[str, object]]) -> bool:
    """Replace the refresh index as earlier versions built it, if that is what is there.

    Only that exact index (same name, key, uniqueness and ``$type`` filter) is dropped: it
    holds the same documents as its successor, so nothing the operator chose is lost, and
    the successor is built at once, before any other index is touched. True when replaced.
    """
    tokens = database[TOKENS]
    for index in tokens.list_indexes():
        if (
            index.get("name") == _REFRESH_INDEX
            and dict(index.get("key", {})) == {"refresh_token_hash": ASCENDING}
            and index.get("unique") is True
            and index.get("partialFilterExpression") == _EARLIER_REFRESH_FILTER
        ):
            tokens.drop_index(_REFRESH_INDEX)
            tokens.create_indexes([_REFRESH_MODEL])
            return True
    return False
