"""``revoke_grant``'s marks: one ``revoked_grants`` document per revoked grant.

A mark is ``{_id: grant_id, until, reclaim_at}``: ``until`` is ``now + REVOKED_GRANT_MARK_SECONDS``
on the engine's clock (what ``save_token`` compares with its own ``now``), ``reclaim_at`` the
same instant on the server's clock for the TTL index, as for codes and tokens (see
``_indexes``).

MongoDB cannot make an insert into ``tokens`` conditional on a document of another collection
(update pipelines cannot ``$lookup``), so the mark is honoured by ordering instead:
``revoke_grant`` writes the mark before retiring the grant's records, ``save_token`` inserts
its record before reading the mark. Whatever the interleaving, either the save's read sees the
mark, or the mark (and so the revocation's ``updateMany`` after it) came after the insert and
the ``updateMany`` retires the record. That needs the read to see every acknowledged mark:
``MongoStorage`` reads marks from the primary with read concern ``local`` whatever the URL
says (a lagging secondary, or ``available``, could miss one).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.collection import Collection

from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS
from oauth2_core_mongo._documents import Document
from oauth2_core_mongo._indexes import RECLAIM_FIELD

__all__ = ["grant_is_marked", "mark_grant"]

_MARK_LIFETIME = timedelta(seconds=REVOKED_GRANT_MARK_SECONDS)


def mark_grant(marks: Collection[Document], grant_id: str, now: datetime) -> None:
    """Upsert the mark, keeping the later ``until`` of this and any earlier revocation.

    The TTL instant is ``$$NOW + (until - now)`` computed by the server, never ``until``
    itself, so a skewed engine clock cannot drop a mark early or keep it for years. Two
    concurrent first marks of one grant do not fail: since MongoDB 4.2 (already required for
    update pipelines) the server retries an upsert that loses a race on ``_id``.
    """
    until = now + _MARK_LIFETIME
    reclaim_at = {"$add": ["$$NOW", {"$subtract": ["$until", now]}]}  # after until's $max
    pipeline: list[Document] = [
        {"$set": {"until": {"$max": ["$until", until]}}},
        {"$set": {RECLAIM_FIELD: {"$max": [f"${RECLAIM_FIELD}", reclaim_at]}}},
    ]
    marks.update_one({"_id": grant_id}, pipeline, upsert=True)


def grant_is_marked(marks: Collection[Document], grant_id: str, now: datetime) -> bool:
    """Whether a revocation of ``grant_id`` still marks it at the engine's ``now``."""
    mark = marks.find_one({"_id": grant_id}, {"until": 1})  # by _id alone, compared here
    return mark is not None and mark["until"] > now
