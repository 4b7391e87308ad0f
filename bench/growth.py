"""Growth: bearer validation latency with 10^3 and 10^6 stored tokens; purge time for 10^5
expired tokens; bytes per stored token in Redis (INFO memory, MEMORY USAGE) and MongoDB.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import timedelta
from typing import Any

from bench.bulk import bulk_save, drop_loaded
from bench.contenders import contenders_for, driver_handle
from bench.plan import Plan
from bench.rawlookup import raw_lookup
from bench.records import Record, ResultLog
from bench.services import Backend
from bench.timing import Contender, Operation, measure
from bench.workload import WORKLOAD
from oauth2_core.clock import SystemClock
from oauth2_core.models import Token
from oauth2_core.storage import Maintenance
from oauth2_core.tokens import hash_token

__all__ = ["run_growth"]

CHUNK = 10_000
MONGO_CHUNK = 500  # SecantusDB can take over 10 s (the socket timeout) per 2,000 documents
SAMPLE = 512


class _Tokens:
    """Bulk token records whose bearer values the bench can recompute."""

    def __init__(self) -> None:
        self.salt = secrets.token_hex(4)
        self.count = 0

    def bearer(self, index: int) -> str:
        return f"growth-{self.salt}-{index:08d}"

    def make(self, start: int, stop: int, *, issued: Any, lifetime: timedelta,
             salt: str | None = None) -> list[Token]:
        prefix = salt or self.salt
        return [
            Token(
                access_token_hash=hash_token(f"growth-{prefix}-{i:08d}"),
                client_id=WORKLOAD.client_id, scope="read", grant_id=f"{prefix}{i:024x}",
                grant_type="client_credentials", issued_at=issued,
                access_expires_at=issued + lifetime,
            )
            for i in range(start, stop)
        ]


class _Validate(Operation):
    def __init__(self, driver: Any, bearers: list[str]) -> None:
        self.driver, self.bearers, self.index = driver, bearers, 0

    def __call__(self) -> None:
        self.index = (self.index + 1) % len(self.bearers)
        self.driver.validate(self.bearers[self.index])


def _chunk(backend: Backend) -> int:
    return MONGO_CHUNK if backend.name == "mongodb" else CHUNK


def _load(
    backend: Backend, storage: Any, tokens: _Tokens, target: int, deadline: float
) -> tuple[str, str]:
    """Load up to ``target`` tokens; (the path used, why loading stopped short or "")."""
    now = SystemClock().now()
    path = ""
    while tokens.count < target:
        if time.monotonic() > deadline:
            return path, f"stopped at {tokens.count} (time budget)"
        stop = min(target, tokens.count + _chunk(backend))
        batch = tokens.make(tokens.count, stop, issued=now, lifetime=timedelta(days=1))
        try:
            path = bulk_save(backend.name, storage, batch, now)
        except Exception as exc:
            # SecantusDB answered InternalError near 870,000 documents. Part of the failed
            # batch may be stored; the figure is taken over the tokens known to be.
            print(f"[bench] growth {backend.name}: loading failed at {tokens.count}: {exc!r:.200}")
            return path, f"stopped at {tokens.count} (the store failed: {type(exc).__name__})"
        tokens.count = stop
    return path, ""


def _measure_validation(plan: Plan, drivers: dict[str, Any], tokens: _Tokens) -> dict[str, float]:
    picks = random.sample(range(tokens.count), min(SAMPLE, tokens.count))
    bearers = [tokens.bearer(i) for i in picks]
    contenders = [Contender(name, _Validate(d, bearers)) for name, d in drivers.items()]
    timings = measure(contenders, rounds=plan.rounds, round_seconds=plan.round_seconds)
    return {t.contender: t.seconds_per_op for t in timings}


def run_growth(plan: Plan, backend: Backend, log: ResultLog) -> None:
    with contenders_for(backend.for_growth(), ("oauth2-core",)) as found:
        driver = found.drivers.get("oauth2-core")
        if driver is None:
            print(f"[bench] growth {backend.name}: oauth2-core unavailable")
            return
        storage = found.storage
        _purge(plan, backend, storage, log)  # before growth: SCAN-based purges see the keyspace
        raw = raw_lookup(backend, storage)
        drivers = {"oauth2-core": driver, **({"raw lookup": raw} if raw is not None else {})}
        tokens = _Tokens()
        size_before = _store_bytes(backend, driver_handle(backend, storage), storage)
        for target in plan.growth_sizes:
            started = time.monotonic()
            budget = plan.growth_budget_seconds
            path, note = _load(backend, storage, tokens, target, started + budget)
            load_seconds = time.monotonic() - started
            seconds = _measure_validation(plan, drivers, tokens)
            for name, value in seconds.items():
                log.add(Record("growth", backend.name, "bearer_validation", name,
                               value * 1e6, "us/op",
                               {"stored": tokens.count, "target": target, "load_path": path,
                                "load_seconds": load_seconds, "note": note}))
            extra = f" (raw lookup {seconds['raw lookup'] * 1e6:.1f})" if raw is not None else ""
            print(f"[bench] {backend.name:<10} growth {tokens.count:>9,} tokens: "
                  f"{seconds['oauth2-core'] * 1e6:8.1f} us/validation{extra} "
                  f"(loaded in {load_seconds:.0f} s {path})")
            if backend.name == "mongodb" and target == plan.growth_sizes[0]:
                # collStats times out on SecantusDB once the collection is large.
                _record_size(backend, storage, tokens.count, size_before, log)
        if backend.name == "redis":
            _record_size(backend, storage, tokens.count, size_before, log)
        if raw is not None:
            raw.close()
        drop_loaded(backend.name, storage)


def _store_bytes(backend: Backend, handle: Any, storage: Any) -> dict[str, float]:
    if backend.name == "redis":
        return {"used_memory": float(handle.info("memory")["used_memory"])}
    return {}


def _record_size(backend: Backend, storage: Any, count: int, before: dict[str, float],
                 log: ResultLog) -> None:
    handle = driver_handle(backend, storage)
    try:
        if backend.name == "redis":
            used = float(handle.info("memory")["used_memory"])
            per_token = (used - before["used_memory"]) / count
            log.add(Record("size", backend.name, "stored_token", "oauth2-core", per_token,
                           "bytes/token", {"method": "INFO memory used_memory delta",
                                           "tokens": count, **_redis_key_usage(storage)}))
        elif backend.name == "mongodb":
            stats = handle.command("collStats", storage._tokens.name, maxTimeMS=5000)
            per_doc = stats["size"] / stats["count"]
            indexes = stats.get("totalIndexSize", 0) / stats["count"]
            log.add(Record("size", backend.name, "stored_token", "oauth2-core", per_doc,
                           "bytes/token", {"method": "collStats size/count",
                                           "index_bytes_per_token": indexes,
                                           "documents": stats["count"]}))
        else:
            return
        print(f"[bench] {backend.name:<10} size: {log.records[-1].value:.0f} bytes/token")
    except Exception as exc:  # a figure we cannot read is reported, not fatal
        print(f"[bench] size {backend.name}: {exc!r}")


def _redis_key_usage(storage: Any) -> dict[str, float]:
    """MEMORY USAGE of the keys one stored token occupies (pointer, record, grant index)."""
    keys = storage.keys
    sample = []
    for raw in storage.redis.scan_iter(match=f"{keys.prefix}:at:*", count=1000):
        sample.append(raw if isinstance(raw, str) else raw.decode())
        if len(sample) >= 50:
            break
    totals = []
    for pointer in sample:
        value = storage.redis.get(pointer)
        text = value if isinstance(value, str) else value.decode()
        grant_id = text.split(":", 1)[1] if ":" in text else ""
        access = pointer.rsplit(":", 1)[1]
        total = 0
        for key in (pointer, keys.token(grant_id, access), keys.grant_tokens(grant_id)):
            total += storage.redis.memory_usage(key) or 0
        totals.append(total)
    return {"memory_usage_keys_mean": sum(totals) / len(totals)} if totals else {}


def _purge(plan: Plan, backend: Backend, storage: Any, log: ResultLog) -> None:
    """Purge 10^5 expired tokens; where 10^4 already takes too long, report 10^4 and say so."""
    if not isinstance(storage, Maintenance):
        return
    sizes = (plan.purge_size // 10, plan.purge_size)
    for size in sizes:
        try:
            seconds, purged = _purge_once(backend, storage, size)
        except Exception as exc:  # the purge figure is lost, not the growth figures after it
            message = f"purge of {size:,} expired: {type(exc).__name__}: {exc}"
            print(f"[bench] {backend.name:<10} {message}")
            log.add(Record("error", backend.name, "purge_expired", "purge", 0.0, "",
                           {"error": message}))
            return
        log.add(Record("purge", backend.name, "purge_expired", "oauth2-core", seconds, "s",
                       {"expired_tokens": size, "purged": purged, "batch_size": 1000}))
        print(f"[bench] {backend.name:<10} purge {size:,} expired: {seconds:.2f} s "
              f"({purged} records)")
        if size != sizes[-1] and seconds * 10 > plan.purge_budget_seconds:
            print(f"[bench] {backend.name:<10} purge of {sizes[-1]:,} skipped: "
                  f"{size:,} took {seconds:.1f} s")
            break


def _purge_once(backend: Backend, storage: Any, size: int) -> tuple[float, int]:
    now = SystemClock().now()
    tokens = _Tokens()
    for start in range(0, size, _chunk(backend)):
        batch = tokens.make(start, min(size, start + _chunk(backend)), issued=now,
                            lifetime=timedelta(seconds=600), salt="purge" + tokens.salt)
        bulk_save(backend.name, storage, batch, now)
    started = time.monotonic()
    purged = storage.purge_expired(now=now + timedelta(seconds=601), batch_size=1000)
    return time.monotonic() - started, purged
