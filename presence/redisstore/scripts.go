package redisstore

import "github.com/redis/go-redis/v9"

// The keys of a topic share the prefix base = <prefix>{<tag>}: so that they
// hash to one slot and a script may touch any of them in Redis Cluster:
//
//	base..'c'        hash  connection → node \n seen (ms) \n user
//	base..'x'        zset  connection by lease expiry (ms): the expiry index
//	base..'u'        hash  user → live connection count
//	base..'j'        hash  user → joined at (ms)
//	base..'m'        hash  user → metadata (JSON)
//	base..'v'        string version
//	base..'n:'..node set   the node's connections on the topic (for reaping)
//
// Scripts receive base as KEYS[1] and build the other names from it; every
// key they touch shares base's hash tag, so the slot is KEYS[1]'s.

// prelude is shared by the topic scripts: removal of one connection, and
// the reply tail with the users who left.
const prelude = `
local b = KEYS[1]
-- parse splits a connection record: node \n seen \n user (the user last,
-- so that it may hold any byte).
local function parse(rec)
  local node, seen, user = string.match(rec, '^(.-)\n(.-)\n(.*)$')
  return node, user, seen
end
-- drop removes connection conn (record rec) and appends its user to left
-- when it was their last connection on the topic.
local function drop(conn, rec, left)
  local node, user, seen = parse(rec)
  redis.call('HDEL', b..'c', conn)
  redis.call('ZREM', b..'x', conn)
  redis.call('SREM', b..'n:'..node, conn)
  if redis.call('HINCRBY', b..'u', user, -1) > 0 then
    return
  end
  -- lastSeen: the latest seen of the user's connections, which are all gone
  -- now but this one.
  left[#left+1] = user
  left[#left+1] = redis.call('HGET', b..'m', user) or ''
  left[#left+1] = redis.call('HGET', b..'j', user) or '0'
  left[#left+1] = seen
  redis.call('HDEL', b..'u', user)
  redis.call('HDEL', b..'j', user)
  redis.call('HDEL', b..'m', user)
  redis.call('INCR', b..'v')
end
-- reply is {version, members, joined..., '|', left...}.
local function reply(joined, left)
  local out = {tonumber(redis.call('GET', b..'v') or '0'), redis.call('HLEN', b..'u')}
  for _, x in ipairs(joined) do out[#out+1] = x end
  out[#out+1] = '|'
  for _, x in ipairs(left) do out[#out+1] = x end
  return out
end
`

// joinScript: ARGV conn, user, node, seen, lease, meta.
var joinScript = redis.NewScript(prelude + `
local conn, user, node, seen, lease, meta = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local joined, left = {}, {}
local rec = redis.call('HGET', b..'c', conn)
if rec then
  local onode, ouser = parse(rec)
  if ouser ~= user then
    drop(conn, rec, left)
    rec = nil
  elseif onode ~= node then
    redis.call('SREM', b..'n:'..onode, conn)
  end
end
redis.call('HSET', b..'c', conn, node..'\n'..seen..'\n'..user)
redis.call('ZADD', b..'x', lease, conn)
redis.call('SADD', b..'n:'..node, conn)
local first = false
if not rec then
  first = redis.call('HINCRBY', b..'u', user, 1) == 1
end
if first then
  redis.call('HSET', b..'j', user, seen)
  redis.call('HSET', b..'m', user, meta)
  redis.call('INCR', b..'v')
  joined = {user, meta, seen, seen}
elseif redis.call('HGET', b..'m', user) ~= meta then
  redis.call('HSET', b..'m', user, meta)
  redis.call('INCR', b..'v')
end
return reply(joined, left)
`)

// leaveScript: ARGV node, conn....
var leaveScript = redis.NewScript(prelude + `
local node = ARGV[1]
local left = {}
for i = 2, #ARGV do
  local rec = redis.call('HGET', b..'c', ARGV[i])
  if rec then
    local onode = parse(rec)
    if onode == node then drop(ARGV[i], rec, left) end
  end
end
return reply({}, left)
`)

// refreshScript: ARGV node, now, then conn, seen, lease triples. It sweeps at
// most 1,000 expired connections, so a script never runs long; the next
// refresh takes the rest.
var refreshScript = redis.NewScript(prelude + `
local node, now = ARGV[1], ARGV[2]
for i = 3, #ARGV, 3 do
  local conn = ARGV[i]
  local rec = redis.call('HGET', b..'c', conn)
  if rec then
    local onode, user = parse(rec)
    if onode == node then
      redis.call('HSET', b..'c', conn, node..'\n'..ARGV[i+1]..'\n'..user)
      redis.call('ZADD', b..'x', ARGV[i+2], conn)
    end
  end
end
local left = {}
for _, conn in ipairs(redis.call('ZRANGEBYSCORE', b..'x', '-inf', now, 'LIMIT', 0, 1000)) do
  local rec = redis.call('HGET', b..'c', conn)
  if rec then drop(conn, rec, left) else redis.call('ZREM', b..'x', conn) end
end
return reply({}, left)
`)

// purgeScript removes a dead node's connections from a topic: ARGV node.
var purgeScript = redis.NewScript(prelude + `
local node = ARGV[1]
local left = {}
for _, conn in ipairs(redis.call('SMEMBERS', b..'n:'..node)) do
  local rec = redis.call('HGET', b..'c', conn)
  if rec then
    local onode = parse(rec)
    if onode == node then drop(conn, rec, left) end
  end
end
redis.call('DEL', b..'n:'..node)
return reply({}, left)
`)

// snapshotScript returns {version, joined (hash pairs), meta (hash pairs),
// connection records}.
var snapshotScript = redis.NewScript(`
local b = KEYS[1]
return {
  tonumber(redis.call('GET', b..'v') or '0'),
  redis.call('HGETALL', b..'j'),
  redis.call('HGETALL', b..'m'),
  redis.call('HVALS', b..'c'),
}
`)

// Node liveness lives under one hash tag too:
//
//	n..'live'     zset  node → last beat (ms)
//	n..'dead'     set   nodes found dead and not fully reaped yet
//	n..'closing'  set   nodes that shut down gracefully
//	n..'t:'..node set   topics where the node has had connections

// beatScript: KEYS[1] = node prefix; ARGV node, now, register.
var beatScript = redis.NewScript(`
local n, node = KEYS[1], ARGV[1]
if ARGV[3] == '1' then
  redis.call('ZADD', n..'live', ARGV[2], node)
  redis.call('SREM', n..'closing', node)
  return 1
end
if not redis.call('ZSCORE', n..'live', node) then return 0 end
if redis.call('SISMEMBER', n..'closing', node) == 0 then
  redis.call('ZADD', n..'live', ARGV[2], node)
end
return 1
`)

// closeScript: ARGV node, last beat.
var closeScript = redis.NewScript(`
local n, node = KEYS[1], ARGV[1]
if redis.call('ZSCORE', n..'live', node) then
  redis.call('ZADD', n..'live', ARGV[2], node)
  redis.call('SADD', n..'closing', node)
end
return 1
`)

// claimScript moves the nodes whose last beat is not after ARGV[1] from live
// to dead, and returns every dead node with its closing flag, including
// those another node claimed and has not finished reaping (it may have died
// in the middle).
var claimScript = redis.NewScript(`
local n = KEYS[1]
for _, node in ipairs(redis.call('ZRANGEBYSCORE', n..'live', '-inf', ARGV[1])) do
  redis.call('ZREM', n..'live', node)
  redis.call('SADD', n..'dead', node)
end
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', n..'dead')) do
  out[#out+1] = node
  out[#out+1] = redis.call('SISMEMBER', n..'closing', node)
end
return out
`)

// finishScript forgets a reaped node: ARGV node.
var finishScript = redis.NewScript(`
local n, node = KEYS[1], ARGV[1]
redis.call('SREM', n..'dead', node)
redis.call('SREM', n..'closing', node)
redis.call('DEL', n..'t:'..node)
return 1
`)
