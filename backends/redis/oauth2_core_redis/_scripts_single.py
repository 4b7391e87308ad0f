"""Single-node scripts: one ``EVALSHA`` per operation.

Each script receives the key the engine's digest names (a pointer) and derives the record
key from the pointer's value, inside the server. A lone Redis runs that; Redis Cluster does
not (a derived key may live in another slot, on another node), so these scripts are used
only when the storage talks to one server (``RedisStorage(single_node=True)``, the default
for a plain ``Redis`` client). Key names derived here must match ``_keys.KeyLayout``.
"""

from __future__ import annotations

from oauth2_core_redis._scripts import (
    ALIVE,
    CONSUME,
    HONOUR_MARK,
    RECORD,
    REVOKE_GRANT_BODY,
    ROTATABLE,
)

# Pointer values: "<expires_ms> <grant_id>" (code, access), "<expires_ms> <access> <grant_id>"
# (refresh). `now` nil skips the expiry test (revocation marks expired tokens too).
_FOLLOW = """
local function record_key(prefix, grant, kind, digest)
  return '{' .. prefix .. ':g:' .. grant .. '}:' .. kind .. ':' .. digest
end
local function follow(key, now)
  local v = redis.call('GET', key)
  if not v then return nil end
  local e, grant = string.match(v, '^(%-?%d+) ([^\\n]*)')
  if not e or (now and tonumber(e) <= now) then return nil end
  return grant
end
-- Empty the record copy an access pointer carries (``_keys``): the digest stays claimed and
-- reads see a retired token. Only the pointer of `grant` (a digest reclaimed since is not ours).
local function retire_pointer(key, grant)
  local v = redis.call('GET', key)
  if not v then return end
  local head = string.match(v, '^[^\\n]*')
  if v ~= head .. '\\n' and string.match(head, '^%-?%d+ (.*)$') == grant then
    redis.call('SET', key, head .. '\\n', 'KEEPTTL')
  end
end
local function follow_refresh(key, now)
  local v = redis.call('GET', key)
  if not v then return nil end
  local e, access, grant = string.match(v, '^(%-?%d+) (%S+) (.*)$')
  if not e or (now and tonumber(e) <= now) then return nil end
  return access, grant
end
"""

# Claims the token's pointers and stores its record, revoked if the grant is marked (`grant_mark`
# nil: a new grant, which nothing can have marked); ARGV[b..]: access pointer head
# "<expires_ms> <grant_id>", ttl_ms, access digest, refresh pointer value, record JSON, "1" when
# the access pointer carries the record's copy (an active token, ``_keys``) else "". The record
# arrives once, as its JSON, which is both the record key's value and the pointer's copy.
# -> 1 saved | 0 access taken | 2 refresh taken (nothing written).
_SAVE_TOKEN = (
    ALIVE
    + RECORD
    + HONOUR_MARK
    + """
local function save_token(access_key, key, index, grant_mark, refresh_key, now, b)
  if alive(access_key, now) then return 0 end
  if refresh_key and alive(refresh_key, now) then return 2 end
  store(key, index, ARGV[b + 1], ARGV[b + 2], ARGV[b + 4], not grant_mark)
  local pointer = ARGV[b] .. '\\n'
  -- stored revoked under the grant's mark: no active copy
  local marked = grant_mark and honour_mark(grant_mark, key, now, ARGV[1])
  if ARGV[b + 5] ~= '' and not marked then pointer = pointer .. ARGV[b + 4] end
  redis.call('SET', access_key, pointer, 'PX', ARGV[b + 1])
  if refresh_key then redis.call('SET', refresh_key, ARGV[b + 3], 'PX', ARGV[b + 1]) end
  return 1
end
"""
)

# KEYS: code pointer, code record, grant code index.
# ARGV: now_ms, pointer value, ttl_ms, code digest, record JSON -> 1 saved | 0 taken.
SAVE_CODE = (
    ALIVE
    + RECORD
    + """
if alive(KEYS[1], tonumber(ARGV[1])) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
store(KEYS[2], KEYS[3], ARGV[3], ARGV[4], ARGV[5], false)
return 1
"""
)

# KEYS: access pointer, record, grant token index, grant's revoked mark [, refresh pointer].
# ARGV: now_ms, then as ``save_token`` from ARGV[2].
SAVE_TOKEN = (
    _SAVE_TOKEN
    + """
return save_token(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], tonumber(ARGV[1]), 2)
"""
)

# KEYS: access pointer, record, grant token index [, refresh pointer]. ARGV: as ``SAVE_TOKEN``.
# ``save_new_grant_token``: the grant was created for this save, so no mark to read and no
# index TTL to compare; the digests are still refused while alive.
SAVE_NEW_GRANT_TOKEN = (
    _SAVE_TOKEN
    + """
return save_token(KEYS[1], KEYS[2], KEYS[3], nil, KEYS[4], tonumber(ARGV[1]), 2)
"""
)

# KEYS: code pointer. ARGV: now_ms, prefix, code digest. -> as ``consume``.
CONSUME_CODE = (
    _FOLLOW
    + RECORD
    + CONSUME
    + """
local now = tonumber(ARGV[1])
local grant = follow(KEYS[1], now)
if not grant then return false end
return consume(record_key(ARGV[2], grant, 'c', ARGV[3]), now, ARGV[1])
"""
)

# KEYS: access pointer. ARGV: now_ms, prefix, access digest. -> record JSON | false
# Only for pointers without a record copy (``_keys``); the others are read with one GET.
TOKEN_RECORD = (
    _FOLLOW
    + """
local grant = follow(KEYS[1], tonumber(ARGV[1]))
if not grant then return false end
return redis.call('GET', record_key(ARGV[2], grant, 't', ARGV[3]))
"""
)

# KEYS: refresh pointer. ARGV: now_ms, prefix. -> record JSON | false
REFRESH_RECORD = (
    _FOLLOW
    + """
local access, grant = follow_refresh(KEYS[1], tonumber(ARGV[1]))
if not access then return false end
return redis.call('GET', record_key(ARGV[2], grant, 't', access))
"""
)

# KEYS: old refresh pointer, new access pointer, new record, new grant token index, new
# grant's revoked mark [, new refresh pointer]. ARGV: now_ms, old refresh digest, prefix, then
# as ``save_token`` from ARGV[4]. -> {0} not found | {1, old} reused | {2, old} rotated | {3} new
# access digest taken | {4} new refresh digest taken, records as JSON. Compare, store the new
# token, retire the old: one step.
ROTATE_REFRESH = (
    _FOLLOW
    + _SAVE_TOKEN
    + ROTATABLE
    + """
local now = tonumber(ARGV[1])
local access, grant = follow_refresh(KEYS[1], now)
if not access then return {0} end
local old = record_key(ARGV[3], grant, 't', access)
local refused, old_json = refusal(old, ARGV[2], now)
if refused then return refused end
local saved = save_token(KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], now, 4)
if saved == 0 then return {3} end
if saved == 2 then return {4} end
local json = add_field(old, old_json, 'rotated_at', ARGV[1])
retire_pointer(ARGV[3] .. ':at:' .. access, grant)
return {2, json}
"""
)

# KEYS: access pointer, refresh pointer of the same digest. ARGV: now_ms, prefix, digest.
# Retires whichever record the digest names; the first retirement's instant is kept.
REVOKE_TOKEN = (
    _FOLLOW
    + RECORD
    + """
local grant = follow(KEYS[1], nil)
if grant then
  mark(record_key(ARGV[2], grant, 't', ARGV[3]), 'revoked_at', ARGV[1])
  retire_pointer(KEYS[1], grant)
end
local access, refresh_grant = follow_refresh(KEYS[2], nil)
if access then
  mark(record_key(ARGV[2], refresh_grant, 't', access), 'revoked_at', ARGV[1])
  retire_pointer(ARGV[2] .. ':at:' .. access, refresh_grant)
end
return 1
"""
)

# As ``_scripts.REVOKE_GRANT``, plus ARGV[4]: the access pointer prefix ("<prefix>:at:"), so
# that every retired token's pointer loses its record copy in the same step.
REVOKE_GRANT = (
    _FOLLOW
    + """
local function token_retired(digest) retire_pointer(ARGV[4] .. digest, ARGV[5]) end
"""
    + REVOKE_GRANT_BODY
)
