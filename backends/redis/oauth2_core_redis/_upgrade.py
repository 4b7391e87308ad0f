"""``upgrade_schema`` on Redis: code and token records that earlier builds wrote as hashes
become the string records of ``_scripts.RECORD``.

Pointers, client records, grant indexes and marks kept their format, so only the records
change. Each record converts in one script (type check, ``HGETALL``, ``SET ... KEEPTTL``), so a
conversion racing a request sees either the hash or the string, never a half-written record.
Until a record converts, a script that reads it fails with Redis's ``WRONGTYPE`` part-way
(Redis keeps a script's earlier writes): a revocation then answers 503 and may not take effect,
so ``oauth2-core migrate`` must run before this build serves, and builds of the two formats
must not serve one store together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oauth2_core_redis._pipeline import Step, pipelined
from oauth2_core_redis._purge import scan_pages

if TYPE_CHECKING:
    from oauth2_core_redis.storage import RedisStorage

__all__ = ["upgrade_records"]

# KEYS: record. -> 1 converted | 0 not a hash (already a string, or gone). SET replaces a key
# of any type, and KEEPTTL keeps the hash's expiry even in its last millisecond (PTTL says 0
# there, and a SET without PX would make the record permanent).
_CONVERT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
local flat = redis.call('HGETALL', KEYS[1])
local fields = {}
for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
redis.call('SET', KEYS[1], cjson.encode(fields), 'KEEPTTL')
return 1
"""

_PAGE = 500


def upgrade_records(storage: RedisStorage) -> int:
    """Convert every hash record of the storage's prefix; returns how many were converted."""
    convert = storage.redis.register_script(_CONVERT)
    pattern = f"{storage.keys.grant_base('*')}[ct]:*"
    return sum(
        sum(pipelined(storage.redis, [Step(convert, [key]) for key in page]))
        for page in scan_pages(storage, pattern, _PAGE)
    )
