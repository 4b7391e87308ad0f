"""``MongoStorage``: the storage contract on MongoDB, one document per record.

Atomicity comes from single-document conditional updates (``find_one_and_update`` whose
filter names the state it leaves), never from transactions; ``revoke_grant``'s mark is honoured
by write-then-check ordering (see ``_grant_marks``). Reads re-check expiry against the
engine's ``now`` because the TTL monitor reclaims records only about once a minute.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pymongo import MongoClient, ReadPreference, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from oauth2_core.errors import ConfigurationError, DuplicateKey
from oauth2_core.models import (
    AlreadyConsumed,
    AuthorizationCode,
    Client,
    Consumed,
    ConsumeResult,
    NotFound,
    Reused,
    Rotated,
    RotateResult,
    Token,
)
from oauth2_core.storage.protocols import Capability
from oauth2_core_mongo._connection import CODEC_OPTIONS, client_from_url
from oauth2_core_mongo._documents import (
    Document,
    bson_time,
    client_from_doc,
    client_to_doc,
    code_from_doc,
    code_to_doc,
    token_from_doc,
    token_to_doc,
)
from oauth2_core_mongo._errors import translate_errors
from oauth2_core_mongo._grant_marks import grant_is_marked, mark_grant
from oauth2_core_mongo._indexes import (
    CLIENTS,
    CODES,
    RECLAIM_FIELD,
    REVOKED_GRANTS,
    TOKENS,
    create_indexes,
    replace_earlier_index,
)

__all__ = ["MongoStorage"]

_MAJORITY = WriteConcern(w="majority")
# IndexOptionsConflict, IndexKeySpecsConflict: mongod versions differ on which one a
# same-name-other-options index gets.
_INDEX_CONFLICT_CODES = frozenset({85, 86})


class MongoStorage:
    """The whole storage contract on one MongoDB database.

    Open it with ``MongoStorage.from_url(url)`` or wrap an existing client with
    ``MongoStorage(client, "dbname")``. Indexes are created on first use (or explicitly by
    ``ensure_indexes()`` / ``upgrade_schema()``).
    """

    capabilities: frozenset[Capability] = frozenset(Capability) - {Capability.TRANSACTIONS}

    def __init__(
        self,
        client: MongoClient[Any],
        database: str,
        *,
        write_concern: WriteConcern | None = None,
        owns_client: bool = False,
    ) -> None:
        """``write_concern`` defaults to the client's own if it sets one, else majority."""
        if write_concern is None:
            write_concern = client.write_concern if client.write_concern.document else _MAJORITY
        self._client: MongoClient[Any] = client
        self._owns_client = owns_client
        self._db: Database[Document] = client.get_database(
            database, codec_options=CODEC_OPTIONS, write_concern=write_concern
        )
        self._clients: Collection[Document] = self._db[CLIENTS]
        self._codes: Collection[Document] = self._db[CODES]
        self._tokens: Collection[Document] = self._db[TOKENS]
        # The mark's read must see every acknowledged mark whatever the URL says about reads
        # (a lagging secondary could miss one: see _grant_marks).
        self._revoked_grants: Collection[Document] = self._db.get_collection(
            REVOKED_GRANTS,
            read_preference=ReadPreference.PRIMARY,
            read_concern=ReadConcern("local"),
        )
        self._indexes_ready = False
        self._indexes_lock = threading.Lock()

    @classmethod
    def from_url(
        cls, url: str, *, database: str | None = None, **client_options: Any
    ) -> MongoStorage:
        """Open ``mongodb://`` or ``mongodb+srv://``. The database is ``database``, else the
        URL's path, else ``oauth2``; ``client_options`` override the URL and the defaults."""
        client, named = client_from_url(url, **client_options)
        return cls(client, database or named, write_concern=client.write_concern, owns_client=True)

    @property
    def database(self) -> Database[Document]:
        return self._db

    # -- schema ----------------------------------------------------------------------------
    def ensure_indexes(self) -> None:
        """Create the unique, grant-id and TTL indexes; idempotent.

        ``ConfigurationError`` if an index of the same name or keys exists with other options
        (say, another TTL): the operator decides which one is right, we never drop it. The one
        exception is the refresh index as earlier versions of this backend built it, which is
        replaced by its equivalent (``_indexes.replace_earlier_index``).
        """
        with translate_errors("create indexes"):
            try:
                self._create_indexes()
            except OperationFailure as exc:
                if exc.code not in _INDEX_CONFLICT_CODES:
                    raise
                raise ConfigurationError(
                    f"MongoDB database {self._db.name!r} has a conflicting index: "
                    f"{exc.details.get('errmsg') if exc.details else exc}"
                ) from exc
        self._indexes_ready = True

    def _create_indexes(self) -> None:
        try:
            create_indexes(self._db)
        except OperationFailure as exc:
            if exc.code not in _INDEX_CONFLICT_CODES or not replace_earlier_index(self._db):
                raise
            create_indexes(self._db)

    def upgrade_schema(self) -> None:
        """``SchemaManagement``: for MongoDB the schema is its indexes."""
        self.ensure_indexes()

    def _ready(self) -> None:
        if self._indexes_ready:
            return
        with self._indexes_lock:
            if not self._indexes_ready:
                self.ensure_indexes()

    def deployment_warnings(self) -> list[str]:
        """``DeploymentChecks``: settings under which an acknowledged write can be lost."""
        warnings = []
        if self._db.write_concern.document.get("w") != "majority":
            warnings.append(
                f"MongoDB write concern is {self._db.write_concern.document or 'the default'}, "
                "not w='majority': a failover can roll back consumed codes and rotations"
            )
        with translate_errors("hello"):
            hello = self._client.admin.command("hello")
        if "setName" not in hello and hello.get("msg") != "isdbgrid":
            warnings.append(
                "MongoDB is a standalone server: no replication, and retryable writes are "
                "not available"
            )
        return warnings

    # -- clients ---------------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        self._ready()
        with translate_errors("query client"):
            doc = self._clients.find_one({"_id": client_id})
        return None if doc is None else client_from_doc(doc)

    def save_client(self, client: Client) -> None:
        self._ready()
        with translate_errors("save client"):
            self._clients.insert_one(client_to_doc(client))

    def delete_client(self, client_id: str) -> None:
        self._ready()
        with translate_errors("delete client"):
            self._clients.delete_one({"_id": client_id})

    def list_clients(self) -> list[Client]:
        """``ClientLister``: administration only, never on a request path."""
        self._ready()
        with translate_errors("list clients"):
            return [client_from_doc(doc) for doc in self._clients.find({})]

    # -- authorization codes ---------------------------------------------------------------
    def save_authorization_code(self, code: AuthorizationCode, *, now: datetime) -> None:
        self._ready()
        self._insert_replacing_expired(self._codes, code_to_doc(code), now, "code")

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        """RFC 6749 section 4.1.2: single use. The filter on ``consumed_at: None`` makes the
        update a compare-and-swap, so exactly one caller's update matches."""
        self._ready()
        now = bson_time(now)
        live = {"_id": code_hash, "expires_at": {"$gt": now}}
        with translate_errors("consume code"):
            doc = self._codes.find_one_and_update(
                {**live, "consumed_at": None},
                {"$set": {"consumed_at": now}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return Consumed(code_from_doc(doc))
            doc = self._codes.find_one(live)
        if doc is None or doc.get("consumed_at") is None:
            return NotFound()
        return AlreadyConsumed(code_from_doc(doc))

    # -- tokens ----------------------------------------------------------------------------
    def save_token(self, token: Token, *, now: datetime) -> None:
        """Insert, then read ``revoke_grant``'s mark and, if the grant is marked, retire the
        record just inserted (the order that makes a concurrent revocation catch it)."""
        now = self._insert_token(token, now)
        if token.revoked_at is not None:
            return  # already retired: a mark would keep this revoked_at (Token.retired)
        with translate_errors("save token"):
            if grant_is_marked(self._revoked_grants, token.grant_id, now):
                self._tokens.update_one(
                    {
                        "_id": token.access_token_hash,
                        "grant_id": token.grant_id,
                        "revoked_at": None,
                    },
                    {"$set": {"revoked_at": now}},
                )

    def save_new_grant_token(self, token: Token, *, now: datetime) -> None:
        """``NewGrantTokenStore``: the insert alone, one round trip instead of two."""
        self._insert_token(token, now)

    def _insert_token(self, token: Token, now: datetime) -> datetime:
        self._ready()
        now = bson_time(now)
        self._insert_replacing_expired(self._tokens, token_to_doc(token), now, "token")
        return now

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        self._ready()
        # A lookup by _id alone, the state checked here: a filter on revoked_at, rotated_at
        # and expiry besides _id cost SecantusDB three times the plain lookup (issue 9).
        with translate_errors("query token"):
            doc = self._tokens.find_one({"_id": access_token_hash})
        if doc is None:
            return None
        token = token_from_doc(doc)
        return token if token.is_access_active(bson_time(now)) else None

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        self._ready()
        with translate_errors("query refresh token"):
            doc = self._tokens.find_one(self._live_refresh(refresh_token_hash, bson_time(now)))
        return None if doc is None else token_from_doc(doc)

    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        """RFC 9700 section 4.14.2: rotation as a compare-and-swap on the old refresh token.

        Order: (1) read the old record, answering Reused/NotFound without writing; (2) insert
        the new record; (3) retire the old one with a conditional update on "still active";
        (4) if that update matched nothing, another caller or a revocation won: delete our new
        record and report what the old record now is.

        Inserting first means a crash at any point leaves either the old refresh token still
        active (crash before 3: the client retries with it; the orphan new record's bearer
        value was never handed out and it expires) or both records written (after 3). Retiring
        first would let a crash lose the family silently, and would let a ``revoke_grant``
        that runs between the two steps miss the new, still-active record.
        """
        self._ready()
        now = bson_time(now)
        live = self._live_refresh(refresh_token_hash, now)
        with translate_errors("read refresh token"):
            current = self._tokens.find_one(live)
        if current is None:
            return NotFound()
        if current.get("revoked_at") is not None or current.get("rotated_at") is not None:
            return Reused(token_from_doc(current))
        new_doc = token_to_doc(new_token)
        self._insert_replacing_expired(self._tokens, new_doc, now, "token")
        with translate_errors("rotate refresh token"):
            # A plain conditional update, not findAndModify: the filter names the record read
            # and pins every field a token record ever changes, so what it matched is
            # ``current`` plus the mark.
            retired = self._tokens.update_one(
                {"_id": current["_id"], **live, "revoked_at": None, "rotated_at": None},
                {"$set": {"rotated_at": now}},
            )
            if retired.matched_count:
                return Rotated(replace(token_from_doc(current), rotated_at=now), new_token)
            self._tokens.delete_one({"_id": new_doc["_id"], "grant_id": new_doc["grant_id"]})
            current = self._tokens.find_one(live)
        return NotFound() if current is None else Reused(token_from_doc(current))

    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        """RFC 7009 section 2.1: access or refresh digest; idempotent; unknown is fine.

        By access digest (``_id``) first, and by refresh digest only when that matched no
        unrevoked record: the engine revokes through here the access tokens it found, so its
        revocations take one ``update`` by ``_id``, which every server plans on the primary
        key (SecantusDB did not plan the former single ``$or`` update on its indexes)."""
        self._ready()
        revoked = {"$set": {"revoked_at": bson_time(now)}}
        with translate_errors("revoke token"):
            by_access = self._tokens.update_one({"_id": token_hash, "revoked_at": None}, revoked)
            if by_access.matched_count == 0:
                self._tokens.update_one(
                    {"refresh_token_hash": token_hash, "revoked_at": None}, revoked
                )

    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        """The grant's mark first (so a save the ``update_many`` misses sees it), then one
        ``update_many`` per collection through the ``grant_id`` indexes."""
        self._ready()
        now = bson_time(now)
        with translate_errors("revoke grant"):
            mark_grant(self._revoked_grants, grant_id, now)
            self._tokens.update_many(
                {"grant_id": grant_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
            )
            self._codes.update_many(
                {"grant_id": grant_id, "consumed_at": None}, {"$set": {"consumed_at": now}}
            )

    # -- maintenance -----------------------------------------------------------------------
    def purge_expired(self, *, now: datetime, batch_size: int = 1000) -> int:
        """Delete what the TTL monitor has not reclaimed yet; never a live tombstone, since
        ``expires_at`` is the tombstone's own end of life. Lapsed grant marks go too, but are
        not counted: they are not records (as in the reference storage)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._ready()
        now = bson_time(now)
        expired = {"expires_at": {"$lte": now}}
        with translate_errors("purge expired"):
            _purge(self._revoked_grants, {"until": {"$lte": now}}, batch_size)
            return sum(_purge(c, expired, batch_size) for c in (self._codes, self._tokens))

    def close(self) -> None:
        """Close the client if this handle opened it; a borrowed client stays open."""
        if self._owns_client:
            self._client.close()

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _live_refresh(refresh_token_hash: str, now: datetime) -> dict[str, Any]:
        return {"refresh_token_hash": refresh_token_hash, "refresh_expires_at": {"$gt": now}}

    def _insert_replacing_expired(
        self, collection: Collection[Document], doc: Document, now: datetime, what: str
    ) -> None:
        """Insert ``doc`` in one round trip; a unique key held only by an expired record (one
        the TTL monitor has not reclaimed yet) does not count, as if the monitor had run.

        The write is an upsert whose filter matches only an expired record under the same
        ``_id``: no match and a live record present means a duplicate-key error, as for an
        insert. The pipeline sets ``reclaim_at`` on the server's clock (see ``_indexes``).
        """
        now = bson_time(now)
        lifetime_ms = int((doc["expires_at"] - now) / timedelta(milliseconds=1))
        pipeline = [
            {"$replaceWith": {"$literal": doc}},
            {"$set": {RECLAIM_FIELD: {"$add": ["$$NOW", lifetime_ms]}}},
        ]
        expired_here = {"_id": doc["_id"], "expires_at": {"$lte": now}}
        with translate_errors(f"save {what}"):
            try:
                collection.update_one(expired_here, pipeline, upsert=True)
                return
            except DuplicateKeyError as exc:
                # A live record holds the ``_id``, or any record holds the refresh digest.
                refresh = doc.get("refresh_token_hash")
                removed = 0
                if refresh is not None:
                    removed = collection.delete_one(
                        {"refresh_token_hash": refresh, "expires_at": {"$lte": now}}
                    ).deleted_count
                if not removed:
                    raise DuplicateKey(f"mongodb save {what}: digest already exists") from exc
            collection.update_one(expired_here, pipeline, upsert=True)


def _purge(collection: Collection[Document], expired: dict[str, Any], batch_size: int) -> int:
    """Delete the documents matching ``expired`` in batches through its index; how many."""
    purged = 0
    while True:
        ids = [d["_id"] for d in collection.find(expired, {"_id": 1}, limit=batch_size)]
        if not ids:
            return purged
        purged += collection.delete_many({"_id": {"$in": ids}, **expired}).deleted_count
        if len(ids) < batch_size:
            return purged
