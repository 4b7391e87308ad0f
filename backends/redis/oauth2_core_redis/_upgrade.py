"""``upgrade_schema`` on Redis: code and token records that earlier builds wrote as hashes
become the string records of ``_scripts.RECORD``.

Pointers, client records, grant indexes and marks kept their format, so only the records
change. Each record converts in one script (type check, ``HGETALL``, ``SET`` with the record's
remaining TTL), so a conversion racing a request sees either the hash or the string, never a
half-written record; until a record converts, scripts that read it fail with Redis's
``WRONGTYPE`` (the engine answers 503), so run ``oauth2-core migrate`` before serving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oauth2_core_redis._pipeline import Step, pipelined
from oauth2_core_redis._purge import scan_pages

if TYPE_CHECKING:
    from oauth2_core_redis.storage import RedisStorage

__all__ = ["upgrade_records"]

# KEYS: record. -> 1 converted | 0 not a hash (already a string, or gone).
_CONVERT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
local flat = redis.call('HGETALL', KEYS[1])
local fields = {}
for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('SET', KEYS[1], cjson.encode(fields), 'PX', ttl)
else
  redis.call('SET', KEYS[1], cjson.encode(fields))
end
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
