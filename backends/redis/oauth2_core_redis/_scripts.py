"""Lua scripts. Cluster mode: each script touches the keys of ONE slot (declared in KEYS), so
it runs on Redis Cluster. Single-node mode (``_scripts_single``): a script also follows a
pointer to the record it names, a key it derives itself, which only a lone server allows.

Instants are integer milliseconds (see ``_codec``); ``now`` always comes from the engine,
never from the server's clock, and is passed as a string so that writes store it verbatim.
TTLs are durations computed by the caller as ``expires_at - now``.
"""

from __future__ import annotations

# Is the pointer (or record pointer "<expires_ms> ...") at `key` alive at `now`?
ALIVE = """
local function alive(key, now)
  local v = redis.call('GET', key)
  if not v then return false end
  local e = tonumber(string.match(v, '^(%-?%d+)'))
  return e ~= nil and e > now
end
"""

# Replace the record at `key` by the hash fields ARGV[first..] and index it in its grant.
STORE = """
local function store(key, index, ttl, member, first)
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(ARGV, first))
  redis.call('PEXPIRE', key, ttl)
  redis.call('SADD', index, member)
  -- the index lives as long as its longest-lived member
  if redis.call('PTTL', index) < tonumber(ttl) then redis.call('PEXPIRE', index, ttl) end
end
"""

# revoke_grant's mark (a key in the grant's slot holding "<until_ms>"): a token record stored
# while the engine's `now` is before `until` is stored revoked at `now`, so a save that loses
# the race with revoke_grant still yields an inactive token. Lua has no `until` identifier.
HONOUR_MARK = """
local function honour_mark(mark, record, now, now_text)
  local mark_until = tonumber(redis.call('GET', mark))
  if mark_until and now < mark_until then
    redis.call('HSETNX', record, 'revoked_at', now_text)
    return true
  end
  return false
end
"""

# -> false unknown/expired | {0, fields} already consumed | {1, fields} consumed now
CONSUME = """
local function consume(key, now, now_text)
  local exp = redis.call('HGET', key, 'expires_at')
  if not exp or tonumber(exp) <= now then return false end
  if redis.call('HEXISTS', key, 'consumed_at') == 1 then
    return {0, redis.call('HGETALL', key)}
  end
  redis.call('HSET', key, 'consumed_at', now_text)
  return {1, redis.call('HGETALL', key)}
end
"""

# The compare part of rotation: nil when `old` may be rotated, else the reply
# {0} not found | {1, fields} reused (already rotated or revoked).
ROTATABLE = """
local function refusal(old, refresh_hash, now)
  local rexp = redis.call('HGET', old, 'refresh_expires_at')
  if redis.call('HGET', old, 'refresh_token_hash') ~= refresh_hash or not rexp
     or tonumber(rexp) <= now then
    return {0}
  end
  if redis.call('HEXISTS', old, 'revoked_at') == 1
     or redis.call('HEXISTS', old, 'rotated_at') == 1 then
    return {1, redis.call('HGETALL', old)}
  end
  return nil
end
"""

# KEYS: pointer. ARGV: now_ms, value, ttl_ms. Refuses a digest that is still alive at `now`.
CLAIM_POINTER = (
    ALIVE
    + """
if alive(KEYS[1], tonumber(ARGV[1])) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
)

# KEYS: record, grant index [, grant's revoked mark: tokens only]. ARGV: now_ms, expiry field,
# ttl_ms, member digest, field, value... Refuses to replace a record still alive at `now`:
# 1 stored (revoked if the grant is marked), 0 refused.
STORE_NEW = (
    STORE
    + HONOUR_MARK
    + """
local now = tonumber(ARGV[1])
local exp = redis.call('HGET', KEYS[1], ARGV[2])
if exp and tonumber(exp) > now then return 0 end
store(KEYS[1], KEYS[2], ARGV[3], ARGV[4], 5)
if KEYS[3] then honour_mark(KEYS[3], KEYS[1], now, ARGV[1]) end
return 1
"""
)

# KEYS: code record. ARGV: now_ms.
CONSUME_CODE = (
    CONSUME
    + """
return consume(KEYS[1], tonumber(ARGV[1]), ARGV[1])
"""
)

# KEYS: old token record. ARGV: now_ms, old refresh digest.
# -> {0} not found | {1, old} reused | {2, old} rotated (old now carries rotated_at).
ROTATE_REFRESH = (
    ROTATABLE
    + """
local refused = refusal(KEYS[1], ARGV[2], tonumber(ARGV[1]))
if refused then return refused end
redis.call('HSET', KEYS[1], 'rotated_at', ARGV[1])
return {2, redis.call('HGETALL', KEYS[1])}
"""
)

# KEYS: token record. ARGV: now_ms. Idempotent: the first retirement's instant is kept.
REVOKE_TOKEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSETNX', KEYS[1], 'revoked_at', ARGV[1]) end
return 1
"""

# KEYS: grant token index, grant code index, grant's revoked mark. ARGV: now_ms, grant key
# base, mark_until_ms. Marks the grant (keeping a later mark), retires every token and consumes
# every code of the grant in one step; drops index members whose record Redis already expired.
# Every key is in the grant's slot (cluster-safe), so a concurrent save of the grant either
# lands before (indexed, retired here) or after (sees the mark). ``token_retired(digest)`` is
# the single-node variant's hook (``_scripts_single``); here it does nothing.
REVOKE_GRANT_BODY = """
local marked = tonumber(redis.call('GET', KEYS[3]))
if not marked or marked < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[3]) - tonumber(ARGV[1]))
end
local function retire(index, kind, field)
  for _, member in ipairs(redis.call('SMEMBERS', index)) do
    local key = ARGV[2] .. kind .. member
    if redis.call('EXISTS', key) == 1 then
      redis.call('HSETNX', key, field, ARGV[1])
      if kind == 't:' then token_retired(member) end
    else
      redis.call('SREM', index, member)
    end
  end
end
retire(KEYS[1], 't:', 'revoked_at')
retire(KEYS[2], 'c:', 'consumed_at')
return 1
"""

REVOKE_GRANT = "local function token_retired(digest) end\n" + REVOKE_GRANT_BODY

# KEYS: record, grant index. ARGV: now_ms, member digest, expiry field.
# Deletes the record only if it expired by `now`: -> 1 deleted, 0 already gone, -1 alive.
PURGE_RECORD = """
local exp = redis.call('HGET', KEYS[1], ARGV[3])
if exp and tonumber(exp) > tonumber(ARGV[1]) then return -1 end
redis.call('SREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])
"""
