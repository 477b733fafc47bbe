package redisdriver

import (
	"context"
	"crypto/sha1"
	"encoding/hex"

	"github.com/redis/rueidis"
)

// The Lua scripts. Versions are compared as decimal strings (longer is
// greater, then lexical order), which is exact for every uint64, where Lua
// numbers are not. Floats (scores, LFU keys) pass through as the strings Go
// formatted, never through Lua numbers, so they round-trip exactly.
//
// On Redis Cluster a script may only touch keys of one slot, so the frame
// scripts (frame and meta keys, hash tag {id}) and the index script (index
// keys, hash tag {prefix}) run as separate calls. On a single Redis they
// are concatenated into one script, so a write and its index update are
// one atomic round trip.

const luaNewer = `
local function newer(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
local function version_of(fk, mk)
  local v = redis.pcall('HGET', mk, 'version')
  if type(v) == 'table' then return nil end
  if v and string.match(v, '^%d+$') and redis.call('EXISTS', fk) == 1 then return v end
  return nil
end
`

// luaFramePut writes a frame unless a newer version is stored.
// a: version, data, ttl_ms ("0": none), checksum, size, session, project,
// parent, created_at, accessed_at, access_count, lfu_key.
// Returns {applied, existed, accessed_at, lfu_key} with the access
// statistics now stored (kept from the old copy when it existed).
const luaFramePut = `
local function frame_put(fk, mk, a)
  local old = redis.pcall('HMGET', mk, 'version', 'accessed_at', 'access_count', 'lfu_key')
  if old['err'] then
    redis.call('DEL', mk)
    old = {}
  end
  local acc, cnt, lfu = a[10], a[11], a[12]
  local existed = 0
  local cur = old[1]
  if cur and string.match(cur, '^%d+$') and redis.call('EXISTS', fk) == 1 then
    if newer(cur, a[1]) then return {0, 1, '', ''} end
    existed = 1
    if tonumber(old[2]) and tonumber(old[3]) and tonumber(old[4]) then
      acc, cnt, lfu = old[2], old[3], old[4]
    end
  end
  redis.call('HSET', mk, 'tier_level', '2', 'version', a[1], 'checksum', a[4], 'size', a[5],
    'session_id', a[6], 'project_id', a[7], 'parent_id', a[8], 'created_at', a[9],
    'accessed_at', acc, 'access_count', cnt, 'lfu_key', lfu)
  if a[3] ~= '0' then
    redis.call('SET', fk, a[2], 'PX', a[3])
    redis.call('PEXPIRE', mk, a[3])
  else
    redis.call('SET', fk, a[2])
    redis.call('PERSIST', mk)
  end
  return {1, existed, acc, lfu}
end
`

// luaFrameDelete deletes a frame whose version is at most a[1].
// Returns 1 when nothing newer is kept, 0 when a newer copy stays.
const luaFrameDelete = `
local function frame_delete(fk, mk, upto)
  local cur = version_of(fk, mk)
  if cur and newer(cur, upto) then return 0 end
  redis.call('DEL', fk, mk)
  return 1
end
`

// luaIndex updates the indexes. k: lru, lfu, age, exp, size. The size
// hash also holds the sum of the sizes, in the field "{bytes}" (no frame
// ID has a brace), so that Redis evicts the count and the sum together.
const luaIndex = `
local function index_put(k, id, fresh, lru, lfu, age, exp, size)
  local old = redis.call('HGET', k[5], id)
  local delta = tonumber(size) - (tonumber(old) or 0)
  redis.call('HSET', k[5], id, size)
  if fresh == '1' then
    redis.call('ZADD', k[1], lru, id)
    redis.call('ZADD', k[2], lfu, id)
  else
    redis.call('ZADD', k[1], 'GT', lru, id)
    redis.call('ZADD', k[2], 'GT', lfu, id)
  end
  redis.call('ZADD', k[3], age, id)
  if exp ~= '' then redis.call('ZADD', k[4], exp, id) else redis.call('ZREM', k[4], id) end
  if delta ~= 0 then redis.call('HINCRBY', k[5], '{bytes}', delta) end
end
local function index_remove(k, id, upto)
  if upto ~= '' then
    local s = redis.call('ZSCORE', k[4], id)
    if s and tonumber(s) > tonumber(upto) then return 0 end
  end
  local old = redis.call('HGET', k[5], id)
  if old then
    redis.call('HDEL', k[5], id)
    local d = tonumber(old)
    if d and d ~= 0 then redis.call('HINCRBY', k[5], '{bytes}', -d) end
  end
  redis.call('ZREM', k[1], id)
  redis.call('ZREM', k[2], id)
  redis.call('ZREM', k[3], id)
  redis.call('ZREM', k[4], id)
  return 1
end
`

// Frame scripts, for Redis Cluster. KEYS: frame, meta.
var (
	scriptFramePut = newScript(luaNewer + luaFramePut + `
return frame_put(KEYS[1], KEYS[2], ARGV)`)
	scriptFrameDelete = newScript(luaNewer + luaFrameDelete + `
return frame_delete(KEYS[1], KEYS[2], ARGV[1])`)
)

// Index scripts. KEYS: the five index keys.
var (
	// ARGV: groups of id, fresh, lru, lfu, age, exp, size.
	scriptIndexPut = newScript(luaIndex + `
for i = 1, #ARGV, 7 do
  index_put(KEYS, ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6])
end
return 1`)
	// ARGV: upto (remove only members whose exp score is at most upto;
	// "" removes unconditionally), then ids. Returns how many were removed.
	scriptIndexRemove = newScript(luaIndex + `
local n = 0
for i = 2, #ARGV do n = n + index_remove(KEYS, ARGV[i], ARGV[1]) end
return n`)
)

// Combined scripts, for a single Redis: frame and index in one atomic call.
// KEYS: frame, meta, then the five index keys.
var (
	// ARGV: the frame_put arguments, then id, age score, exp score.
	// The index takes the stored statistics frame_put returns.
	scriptPut = newScript(luaNewer + luaFramePut + luaIndex + `
local a = ARGV
local r = frame_put(KEYS[1], KEYS[2], a)
if r[1] == 1 then
  local k = {KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]}
  local fresh = '0'
  if r[2] == 0 then fresh = '1' end
  index_put(k, a[13], fresh, r[3], r[4], a[14], a[15], a[5])
end
return r`)
	// KEYS: the five index keys, then the frame and meta keys of each
	// frame. ARGV: upto and id of each frame, in the same order. Deletes
	// each frame whose version is at most its upto (a lone key too), then
	// drops the frames gone from the indexes with one command per index.
	// Returns how many frames are gone (deleted now, or missing already).
	scriptDeleteMany = newScript(luaNewer + `
local gone = {}
for i = 1, #ARGV, 2 do
  local fk, mk = KEYS[5 + i], KEYS[6 + i]
  local v = redis.pcall('HGET', mk, 'version')
  if type(v) == 'string' and string.match(v, '^%d+$') and newer(v, ARGV[i])
      and redis.call('EXISTS', fk) == 1 then
    -- a newer copy stays
  else
    redis.call('DEL', fk, mk)
    gone[#gone + 1] = ARGV[i + 1]
  end
end
if #gone > 0 then
  local sizes = redis.call('HMGET', KEYS[5], unpack(gone))
  local d = 0
  for _, sz in ipairs(sizes) do d = d + (tonumber(sz) or 0) end
  redis.call('HDEL', KEYS[5], unpack(gone))
  if d ~= 0 then redis.call('HINCRBY', KEYS[5], '{bytes}', -d) end
  for z = 1, 4 do redis.call('ZREM', KEYS[z], unpack(gone)) end
end
return #gone`)
)

// scriptTouch records reads of a frame if its statistics are still the ones
// the caller read (compare and set), and renews the TTL.
// KEYS: frame, meta. ARGV: old access_count, old lfu_key, accessed_at,
// access_count, lfu_key, ttl_ms ("0": none).
// Returns 1 when written, 0 when the statistics changed meanwhile, -1 when
// the frame is gone.
var scriptTouch = newScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local old = redis.call('HMGET', KEYS[2], 'access_count', 'lfu_key')
if old[1] ~= ARGV[1] or old[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'accessed_at', ARGV[3], 'access_count', ARGV[4], 'lfu_key', ARGV[5])
if ARGV[6] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return 1`)

// script is a Lua script run with EVALSHA, falling back to EVAL when the
// server does not know it (after a restart, on a new cluster node).
type script struct {
	body, sha string
}

func newScript(body string) *script {
	sum := sha1.Sum([]byte(body))
	return &script{body: body, sha: hex.EncodeToString(sum[:])}
}

// call is one execution of a script.
type call struct {
	keys, args []string
}

// run executes the calls in one pipeline and returns their results in
// order. Calls the server answers with NOSCRIPT are sent again with EVAL in
// a second pipeline. Every script is idempotent, so rueidis may retry it.
func (s *script) run(ctx context.Context, c rueidis.Client, calls ...call) []rueidis.RedisResult {
	cmds := make(rueidis.Commands, len(calls))
	for i, cl := range calls {
		cmds[i] = c.B().Evalsha().Sha1(s.sha).Numkeys(int64(len(cl.keys))).Key(cl.keys...).Arg(cl.args...).Build().ToRetryable()
	}
	res := c.DoMulti(ctx, cmds...)
	var again []int
	for i := range res {
		if e, ok := rueidis.IsRedisErr(res[i].Error()); ok && e.IsNoScript() {
			again = append(again, i)
		}
	}
	if len(again) == 0 {
		return res
	}
	cmds = cmds[:0]
	for _, i := range again {
		cl := calls[i]
		cmds = append(cmds, c.B().Eval().Script(s.body).Numkeys(int64(len(cl.keys))).Key(cl.keys...).Arg(cl.args...).Build().ToRetryable())
	}
	for j, r := range c.DoMulti(ctx, cmds...) {
		res[again[j]] = r
	}
	return res
}

// scriptGet reads a frame for Get and GetMany: the document and the meta
// fields, atomically, renewing the TTL of both keys when less than
// renew_below_ms is left. Renewing only then keeps reads from writing (and
// from notifying every subscriber, see Subscribe) on every access. A
// script rather than a MULTI/EXEC transaction, since on a cluster a
// pipeline of transactions over several slots is refused.
// KEYS: frame, meta. ARGV: ttl_ms ("0": none), renew_below_ms, then the
// meta fields. Returns {document or nil, {field values}}.
var scriptGet = newScript(`
local d = redis.call('GET', KEYS[1])
local m = redis.call('HMGET', KEYS[2], unpack(ARGV, 3))
if d and ARGV[1] ~= '0' then
  -- Every write and renewal sets both keys' TTL together: the meta
  -- hash's tells for both.
  local left = redis.call('PTTL', KEYS[2])
  if left ~= -2 and left < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    redis.call('PEXPIRE', KEYS[2], ARGV[1])
  end
end
return {d, m}`)

// scriptSumBytes sets the "{bytes}" field of the size hash to the sum of
// the sizes it lists, repairing any drift. KEYS: size. Returns the sum.
var scriptSumBytes = newScript(`
local vals = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #vals, 2 do
  if vals[i] ~= '{bytes}' then sum = sum + (tonumber(vals[i+1]) or 0) end
end
if #vals > 0 then redis.call('HSET', KEYS[1], '{bytes}', sum) end
return sum`)

// scriptReap deletes the lone key of a frame that has only one (Redis
// expired or evicted the other).
// KEYS: frame, meta. Returns how many of the two existed: 2, 1 (deleted
// now) or 0.
var scriptReap = newScript(`
local n = redis.call('EXISTS', KEYS[1]) + redis.call('EXISTS', KEYS[2])
if n == 1 then redis.call('DEL', KEYS[1], KEYS[2]) end
return n`)

// scriptPeek reads a frame's meta fields and whether its document exists,
// atomically, without renewing anything.
// KEYS: frame, meta. ARGV: the meta fields. Returns {exists, {field values}}.
var scriptPeek = newScript(`
return {redis.call('EXISTS', KEYS[1]), redis.call('HMGET', KEYS[2], unpack(ARGV))}`)
