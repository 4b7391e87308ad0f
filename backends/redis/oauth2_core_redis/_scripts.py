"""Lua scripts. Cluster mode: each script touches the keys of ONE slot (declared in KEYS), so
it runs on Redis Cluster. Single-node mode (``_scripts_single``): a script also follows a
pointer to the record it names, a key it derives itself, which only a lone server allows.

A code or token record is one string key holding the record's JSON (``_codec``: every value
a string), written with its TTL by one ``SET ... PX``; a script that sets a field decodes the
record to check it and appends the field (``add_field``), keeping the TTL. A hash per record
took a ``cjson`` decode, an ``HSET`` of every field and a ``PEXPIRE`` on every save (about
14 us more server time for a token, ``INFO commandstats``).

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

# Records. `record(key)` -> the decoded record and its JSON, or nil. `add_field` writes the
# record back with a field it lacks, keeping its TTL, and returns the new JSON: the field is
# appended before the closing brace (a name that is an identifier, a value that is an
# instant's digits), which leaves every other byte as it was and costs no `cjson.encode`.
# `mark(key, field, value)` adds `field` unless the record has it (the first retirement's
# instant is kept) and returns the record's JSON afterwards, or nil without a record. `store`
# writes the record's JSON and indexes it in its grant; `fresh`: the grant was created for
# this save, so the index holds nothing yet and its TTL is this member's.
RECORD = """
local function record(key)
  local json = redis.call('GET', key)
  if not json then return nil end
  return cjson.decode(json), json
end
local function add_field(key, json, field, value)
  json = string.sub(json, 1, -2) .. ',"' .. field .. '":"' .. value .. '"}'
  redis.call('SET', key, json, 'KEEPTTL')
  return json
end
local function mark(key, field, value)
  local fields, json = record(key)
  if not fields then return nil end
  if fields[field] ~= nil then return json end
  return add_field(key, json, field, value)
end
local function store(key, index, ttl, member, json, fresh)
  redis.call('SET', key, json, 'PX', ttl)
  redis.call('SADD', index, member)
  -- the index lives as long as its longest-lived member
  if fresh or redis.call('PTTL', index) < tonumber(ttl) then redis.call('PEXPIRE', index, ttl) end
end
"""

# revoke_grant's mark (a key in the grant's slot holding "<until_ms>"): a token record stored
# while the engine's `now` is before `until` is stored revoked at `now`, so a save that loses
# the race with revoke_grant still yields an inactive token. Lua has no `until` identifier.
# HONOUR_MARK, CONSUME and ROTATABLE call RECORD's functions: a script includes RECORD first.
HONOUR_MARK = """
local function honour_mark(grant_mark, key, now, now_text)
  local mark_until = tonumber(redis.call('GET', grant_mark))
  if mark_until and now < mark_until then
    mark(key, 'revoked_at', now_text)
    return true
  end
  return false
end
"""

# -> false unknown/expired | {0, json} already consumed | {1, json} consumed now
CONSUME = """
local function consume(key, now, now_text)
  local code, json = record(key)
  if not code or not code.expires_at or tonumber(code.expires_at) <= now then return false end
  if code.consumed_at then return {0, json} end
  return {1, add_field(key, json, 'consumed_at', now_text)}
end
"""

# The compare part of rotation: (nil, the old record's JSON) when `old` may be rotated, else the
# reply {0} not found | {1, json} reused (already rotated or revoked).
ROTATABLE = """
local function refusal(old, refresh_hash, now)
  local token, json = record(old)
  if not token or token.refresh_token_hash ~= refresh_hash or not token.refresh_expires_at
     or tonumber(token.refresh_expires_at) <= now then
    return {0}
  end
  if token.revoked_at or token.rotated_at then return {1, json} end
  return nil, json
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
# ttl_ms, member digest, record JSON. Refuses to replace a record still alive at `now`:
# 1 stored (revoked if the grant is marked), 0 refused.
STORE_NEW = (
    RECORD
    + HONOUR_MARK
    + """
local now = tonumber(ARGV[1])
local old = record(KEYS[1])
if old and old[ARGV[2]] and tonumber(old[ARGV[2]]) > now then return 0 end
store(KEYS[1], KEYS[2], ARGV[3], ARGV[4], ARGV[5], false)
if KEYS[3] then honour_mark(KEYS[3], KEYS[1], now, ARGV[1]) end
return 1
"""
)

# KEYS: code record. ARGV: now_ms.
CONSUME_CODE = (
    RECORD
    + CONSUME
    + """
return consume(KEYS[1], tonumber(ARGV[1]), ARGV[1])
"""
)

# KEYS: old token record. ARGV: now_ms, old refresh digest.
# -> {0} not found | {1, old} reused | {2, old} rotated (old now carries rotated_at), each
# record as its JSON.
ROTATE_REFRESH = (
    RECORD
    + ROTATABLE
    + """
local refused, old = refusal(KEYS[1], ARGV[2], tonumber(ARGV[1]))
if refused then return refused end
return {2, add_field(KEYS[1], old, 'rotated_at', ARGV[1])}
"""
)

# KEYS: token record. ARGV: now_ms. Idempotent: the first retirement's instant is kept.
REVOKE_TOKEN = (
    RECORD
    + """
mark(KEYS[1], 'revoked_at', ARGV[1])
return 1
"""
)

# KEYS: grant token index, grant code index, grant's revoked mark. ARGV: now_ms, grant key
# base, mark_until_ms. Marks the grant (keeping a later mark), retires every token and consumes
# every code of the grant in one step; drops index members whose record Redis already expired.
# Every key is in the grant's slot (cluster-safe), so a concurrent save of the grant either
# lands before (indexed, retired here) or after (sees the mark). ``token_retired(digest)`` is
# the single-node variant's hook (``_scripts_single``); here it does nothing.
REVOKE_GRANT_BODY = (
    RECORD
    + """
local marked = tonumber(redis.call('GET', KEYS[3]))
if not marked or marked < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[3]) - tonumber(ARGV[1]))
end
local function retire(index, kind, field)
  for _, member in ipairs(redis.call('SMEMBERS', index)) do
    if mark(ARGV[2] .. kind .. member, field, ARGV[1]) then
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
)

REVOKE_GRANT = "local function token_retired(digest) end\n" + REVOKE_GRANT_BODY

# KEYS: record, grant index. ARGV: now_ms, member digest, expiry field.
# Deletes the record only if it expired by `now`: -> 1 deleted, 0 already gone, -1 alive.
PURGE_RECORD = (
    RECORD
    + """
local fields = record(KEYS[1])
local exp = fields and fields[ARGV[3]]
if exp and tonumber(exp) > tonumber(ARGV[1]) then return -1 end
redis.call('SREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])
"""
)
