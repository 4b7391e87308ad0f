"""``RedisStorage``: the storage contract on Redis or Redis Cluster, with native TTL.

Every code and token key expires on its own, ``expires_at - now`` after it is written, ``now``
being the engine's instant (never the server's clock), so replay tombstones live exactly as
long as the records they protect. Reads still compare expiry with ``now`` themselves: a fake
or skewed engine clock may run ahead of Redis's. Key layout and crash ordering: ``_keys``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redis import Redis, RedisCluster
from redis.commands.core import Script

from oauth2_core.clock import to_epoch_ms
from oauth2_core.errors import DuplicateKey
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
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS, Capability
from oauth2_core_redis import _scripts, _scripts_single
from oauth2_core_redis._cluster import ClusterPaths, ttl_ms
from oauth2_core_redis._codec import (
    decode_client,
    decode_code,
    decode_token,
    encode_client,
    encode_code,
    encode_token,
    text,
)
from oauth2_core_redis._connect import (
    DRIVER_ERRORS,
    RedisClient,
    client_from_url,
    driver_errors,
    split_prefix,
    unavailable,
)
from oauth2_core_redis._deployment import deployment_warnings, log_once
from oauth2_core_redis._keys import (
    DEFAULT_PREFIX,
    KeyLayout,
    access_pointer_head,
    code_pointer_value,
    refresh_pointer_value,
)
from oauth2_core_redis._purge import purge_expired
from oauth2_core_redis._thread_clients import ThreadClients
from oauth2_core_redis._upgrade import upgrade_records

__all__ = ["RedisStorage", "open_storage"]

class RedisStorage:
    """Storage on one ``Redis`` or ``RedisCluster`` client; thread-safe like the client.

    ``single_node`` (default: True unless ``client`` is a ``RedisCluster``) runs each operation
    as one script that follows the digest's pointer to the record inside the server: one
    round trip, but only a lone server (or a Sentinel-managed primary) may run such scripts.
    Set it False behind a proxy that shards by key; cluster mode takes up to two round trips.
    """

    capabilities: frozenset[Capability] = frozenset(Capability) - {Capability.TRANSACTIONS}

    def __init__(
        self,
        client: RedisClient,
        *,
        prefix: str = DEFAULT_PREFIX,
        check_deployment: bool = True,
        owns_client: bool = False,
        single_node: bool | None = None,
    ) -> None:
        self.redis = client
        self.keys = KeyLayout(prefix)
        self.single_node = (
            not isinstance(client, RedisCluster) if single_node is None else single_node
        )
        self._owns_client = owns_client
        # The hot helpers' commands go over a connection per thread (_thread_clients).
        self._threads = (
            ThreadClients(client) if self.single_node and isinstance(client, Redis) else None
        )
        self._purge = self._script(_scripts.PURGE_RECORD)
        self._cluster: ClusterPaths | None = None
        if self.single_node:
            self._save_code = self._script(_scripts_single.SAVE_CODE)
            self._save_token = self._script(_scripts_single.SAVE_TOKEN)
            self._save_new_grant_token = self._script(_scripts_single.SAVE_NEW_GRANT_TOKEN)
            self._consume = self._script(_scripts_single.CONSUME_CODE)
            self._token_record = self._script(_scripts_single.TOKEN_RECORD)
            self._refresh_record = self._script(_scripts_single.REFRESH_RECORD)
            self._rotate = self._script(_scripts_single.ROTATE_REFRESH)
            self._revoke = self._script(_scripts_single.REVOKE_TOKEN)
            self._revoke_grant = self._script(_scripts_single.REVOKE_GRANT)
        else:
            self._revoke_grant = self._script(_scripts.REVOKE_GRANT)
            self._cluster = ClusterPaths(self)
        if check_deployment:
            log_once(self.deployment_warnings())

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str | None = None,
        check_deployment: bool = True,
        single_node: bool | None = None,
    ) -> RedisStorage:
        """Open ``redis://``, ``rediss://``, ``redis+cluster://`` or ``rediss+cluster://``;
        ``?prefix=P`` in the URL sets the key prefix unless ``prefix`` is given."""
        clean_url, url_prefix = split_prefix(url)
        return cls(
            client_from_url(clean_url),
            prefix=prefix or url_prefix or DEFAULT_PREFIX,
            check_deployment=check_deployment,
            owns_client=True,
            single_node=single_node,
        )

    def _script(self, source: str) -> Script:
        # Registered once; redis-py calls EVALSHA and reloads the script on NOSCRIPT.
        return self.redis.register_script(source)

    # The two hot helpers catch driver errors inline: a context manager costs a generator
    # per call on paths measured in tens of microseconds.
    def _call(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        threads = self._threads
        try:
            reply = script(keys=keys, args=args) if threads is None else threads.run_script(
                script, keys, args
            )
        except DRIVER_ERRORS as exc:
            raise unavailable(exc) from exc
        return text(reply)

    def _get(self, key: str) -> str | None:
        threads = self._threads
        try:
            reply = self.redis.get(key) if threads is None else threads.fetch(key)
        except DRIVER_ERRORS as exc:
            raise unavailable(exc) from exc
        return text(reply)  # type: ignore[no-any-return]

    def deployment_warnings(self) -> list[str]:
        """Eviction and persistence settings that put codes and tokens at risk."""
        return deployment_warnings(self.redis)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.close_all()
        if self._owns_client:
            with driver_errors():
                self.redis.close()

    # -- clients (no TTL) ------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        value = self._get(self.keys.client(client_id))
        return decode_client(value) if value is not None else None

    def save_client(self, client: Client) -> None:
        with driver_errors():
            key = self.keys.client(client.client_id)
            created = self.redis.set(key, encode_client(client), nx=True)
        if not created:
            raise DuplicateKey(f"client {client.client_id!r} already exists")

    def delete_client(self, client_id: str) -> None:
        with driver_errors():
            self.redis.delete(self.keys.client(client_id))

    def list_clients(self) -> list[Client]:
        """``ClientLister``: SCAN over the client keys (every master on a cluster). An
        administration command, never a request path, like ``purge_expired``."""
        with driver_errors():
            names = list(text(list(self.redis.scan_iter(match=self.keys.client("*")))))
        clients = [self.query_client(name[len(self.keys.client("")) :]) for name in names]
        return [client for client in clients if client is not None]

    # -- authorization codes ---------------------------------------------------------------
    def save_authorization_code(self, code: AuthorizationCode, *, now: datetime) -> None:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            saved = self._cluster.save_code(code, now_ms)
        else:
            expires_ms = to_epoch_ms(code.expires_at)
            keys = [
                self.keys.code_pointer(code.code_hash),
                self.keys.code(code.grant_id, code.code_hash),
                self.keys.grant_codes(code.grant_id),
            ]
            args = [
                now_ms,
                code_pointer_value(expires_ms, code.grant_id),
                ttl_ms(expires_ms, now_ms),
                code.code_hash,
                encode_code(code),
            ]
            saved = self._call(self._save_code, keys, args)
        if saved != 1:
            raise DuplicateKey("authorization code digest already exists")

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            reply = self._cluster.consume(code_hash, now_ms)
        else:
            pointer = self.keys.code_pointer(code_hash)
            reply = self._call(self._consume, [pointer], [now_ms, self.keys.prefix, code_hash])
        if reply is None:
            return NotFound()
        code = decode_code(reply[1])
        return Consumed(code) if reply[0] == 1 else AlreadyConsumed(code)

    # -- tokens ----------------------------------------------------------------------------
    def _token_save_arguments(
        self, token: Token, now_ms: int, *, honour_mark: bool = True
    ) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of the single-node ``save_token`` step (see ``_scripts_single``);
        without the grant's mark key when ``honour_mark`` is False (a new grant's save)."""
        keys = self.keys
        access_hash, grant_id = token.access_token_hash, token.grant_id
        expires_ms = to_epoch_ms(token.expires_at)
        script_keys = [
            keys.access_pointer(access_hash),
            keys.token(grant_id, access_hash),
            keys.grant_tokens(grant_id),
        ]
        if honour_mark:
            script_keys.append(keys.grant_revoked(grant_id))
        refresh_value = ""
        if token.refresh_token_hash is not None:
            script_keys.append(keys.refresh_pointer(token.refresh_token_hash))
            refresh_value = refresh_pointer_value(expires_ms, access_hash, grant_id)
        active = token.revoked_at is None and token.rotated_at is None
        args = [
            access_pointer_head(expires_ms, grant_id),
            ttl_ms(expires_ms, now_ms),
            access_hash,
            refresh_value,
            encode_token(token),
            "1" if active else "",  # only an active token's pointer carries the copy
        ]
        return script_keys, args

    def save_token(self, token: Token, *, now: datetime) -> None:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            saved = self._cluster.save_token(token, now_ms)
        else:
            keys, args = self._token_save_arguments(token, now_ms)
            saved = self._call(self._save_token, keys, [now_ms, *args])
        _raise_if_taken(saved)

    def save_new_grant_token(self, token: Token, *, now: datetime) -> None:
        """``NewGrantTokenStore``: the engine generated ``token.grant_id`` for this save, so no
        ``revoke_grant`` mark, record or index of the grant exists; the script neither reads
        the mark nor clears a record (``SAVE_NEW_GRANT_TOKEN``). Live digests are refused
        with ``DuplicateKey`` as by ``save_token``."""
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            saved = self._cluster.save_token(token, now_ms, honour_mark=False)
        else:
            keys, args = self._token_save_arguments(token, now_ms, honour_mark=False)
            saved = self._call(self._save_new_grant_token, keys, [now_ms, *args])
        _raise_if_taken(saved)

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            raw = self._cluster.token_record(access_token_hash, now_ms)
        else:
            pointer = self.keys.access_pointer(access_token_hash)
            value = self._get(pointer)
            if value is None:
                return None
            _, copied, raw = value.partition("\n")
            if not copied:  # a pointer without a copy: read the record itself
                args = [now_ms, self.keys.prefix, access_token_hash]
                raw = self._call(self._token_record, [pointer], args)
        if not raw:
            return None
        token = decode_token(raw)
        if token.access_token_hash != access_token_hash or not token.is_access_active(now):
            return None
        return token

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            raw = self._cluster.refresh_record(refresh_token_hash, now_ms)
        else:
            pointer = self.keys.refresh_pointer(refresh_token_hash)
            raw = self._call(self._refresh_record, [pointer], [now_ms, self.keys.prefix])
        if not raw:
            return None
        token = decode_token(raw)
        if token.refresh_token_hash != refresh_token_hash or not token.is_refresh_unexpired(now):
            return None
        return token

    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            reply = self._cluster.rotate(refresh_token_hash, new_token, now_ms)
        else:
            keys, args = self._token_save_arguments(new_token, now_ms)
            keys.insert(0, self.keys.refresh_pointer(refresh_token_hash))
            args[:0] = [now_ms, refresh_token_hash, self.keys.prefix]
            reply = self._call(self._rotate, keys, args)
        status = reply[0]
        if status == 0:
            return NotFound()
        if status == 1:
            return Reused(decode_token(reply[1]))
        if status == 3:
            raise DuplicateKey("access token digest already exists")
        if status == 4:
            raise DuplicateKey("refresh token digest already exists")
        return Rotated(decode_token(reply[1]), new_token)

    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        now_ms = to_epoch_ms(now)
        if self._cluster is not None:
            self._cluster.revoke_token(token_hash, now_ms)
            return
        keys = [self.keys.access_pointer(token_hash), self.keys.refresh_pointer(token_hash)]
        self._call(self._revoke, keys, [now_ms, self.keys.prefix, token_hash])

    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        now_ms = to_epoch_ms(now)
        keys = [
            self.keys.grant_tokens(grant_id),
            self.keys.grant_codes(grant_id),
            self.keys.grant_revoked(grant_id),
        ]
        mark_until_ms = now_ms + REVOKED_GRANT_MARK_SECONDS * 1000
        args = [now_ms, self.keys.grant_base(grant_id), mark_until_ms]
        if self._cluster is None:
            args += [self.keys.access_pointer(""), grant_id]
        self._call(self._revoke_grant, keys, args)

    # -- maintenance -----------------------------------------------------------------------
    def upgrade_schema(self) -> None:
        """``SchemaManagement`` (``oauth2-core migrate``): convert the code and token records
        that earlier builds stored as hashes into string records (``_upgrade``); idempotent,
        and a no-op on a store written by this build."""
        upgrade_records(self)

    def purge_expired(self, *, now: datetime, batch_size: int = 1000) -> int:
        """Delete what is expired at ``now`` but not yet reclaimed by Redis (the engine's
        clock may run ahead of the server's): SCAN pages of ``batch_size`` keys, three
        pipelined round trips each (``_purge``). Returns how many code and token records
        were deleted."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        return purge_expired(self, self._purge, to_epoch_ms(now), batch_size)


def _raise_if_taken(saved: int) -> None:
    """A token save script's reply: 1 saved, 0 access digest taken, 2 refresh digest taken."""
    if saved == 0:
        raise DuplicateKey("access token digest already exists")
    if saved == 2:
        raise DuplicateKey("refresh token digest already exists")


def open_storage(url: str) -> RedisStorage:
    """Entry point of the ``oauth2_core.storage`` group for the four Redis URL schemes."""
    return RedisStorage.from_url(url)
