// Package redisdriver is the warm tier of the StackMemory storage spec:
// frames kept in Redis (or a Redis Cluster), compressed with brotli, with a
// time to live renewed on access. It is built on github.com/redis/rueidis.
//
// A host enables it with a blank import and a URL:
//
//	import _ "github.com/stackmemoryai/tier/redisdriver"
//
//	t, err := tier.OpenTier(ctx, "redis://user:password@host:6379/0?prefix=sm:&ttl=24h")
//
// or, skipping the registry, with [ParseURL] and [Open].
//
// # URL
//
//	redis://[user[:password]@]host[:port][/db][?param=value&...]
//	rediss://...   the same over TLS
//
// Parameters of this package, all optional, with their defaults (the
// Default* constants):
//
//	prefix=sm:          key prefix (namespace); no '{' or '}'
//	ttl=24h             time to live of a frame, renewed by Put, Touch and
//	                    Get (when under 90 % is left)
//	durable=false       true: a Redis with persistence and noeviction; no TTL
//	compression=5       brotli quality, 1 (fastest) to 11 (smallest)
//	timeout=50ms        bound of a call on one frame (the spec's 50 ms)
//	batch_timeout=1s    bound of a call on many frames (see below)
//	max_frame_size=67108864
//	                    largest document in bytes (64 MiB) that Put accepts
//	                    and Get inflates ([Store.MaxFrameSize]), at most 500 MiB
//
// Parameters passed to rueidis: db, addr (more seed addresses, for a
// cluster), dial_timeout, write_timeout, skip_verify, protocol,
// client_name, max_retries, client_cache, master_set. Any other parameter,
// or a bad value, is an error wrapping driver.ErrBadDSN.
//
// # Keys
//
// With prefix P (default "sm:") and frame ID id, as the spec says:
//
//	P frame:{id}   string: the brotli-compressed JSON document
//	P meta:{id}    hash: tier_level (2), accessed_at, access_count,
//	               version, checksum (CRC-32C), size, session_id,
//	               project_id, parent_id, created_at, lfu_key
//
// Both keys carry the TTL (86400 s by default) unless the store is durable.
// accessed_at and created_at are Unix milliseconds, with microseconds as a
// decimal fraction ("1764132000123.456"). The indexes, under one hash tag
// per prefix:
//
//	P idx:{P}:lru   sorted set, score accessed_at    (LRU order)
//	P idx:{P}:lfu   sorted set, score lfu_key        (LFU order)
//	P idx:{P}:age   sorted set, score created_at     (AGE order)
//	P idx:{P}:exp   sorted set, score expiry time    (finds expired frames)
//	P idx:{P}:size  hash id -> size                  (frames, for Usage)
//	P idx:{P}:bytes integer, sum of sizes            (bytes, for Usage)
//
// Redis expires a frame's keys by itself; its index entries are dropped
// lazily: Usage and Candidates first sweep the exp index for frames whose
// recorded expiry has passed (a bounded amount per call), Candidates checks
// each frame it returns, and [Store.Compact] checks everything. So Usage
// and Candidates never count or return an expired frame that the sweep
// reached, and the indexes do not grow without bound.
//
// # Writes and versions
//
// A Put is conditional on version: a Lua script compares the stored
// version and writes the document, the meta hash and the TTL together. On
// a single Redis the same script updates the indexes, so a write is one
// atomic round trip. [Store.PutMany], [Store.GetMany], [Store.GetMetas]
// and [Store.DeleteMany] handle many frames in one round trip. Get reads
// both keys and renews their TTL in one round trip, and verifies the
// document's size and checksum: a damaged copy is reported with
// driver.ErrCorrupt, never returned; in a batch, the sound copies come
// back with a *driver.CorruptError naming the damaged ones. Records that
// cannot be stored (an ID with a brace, a Size or Checksum that does not
// describe Data, a document over MaxFrameSize) are refused with
// driver.ErrInvalidRecord before anything is written.
//
// # Durability and eviction
//
// By default the store is not durable ([Store.Durable] is false): keys
// expire and a Redis under memory pressure may evict them, so the manager
// never leaves a frame's only copy here. durable=true declares a Redis run
// with persistence (appendonly) and maxmemory-policy noeviction; frames
// then get no TTL and the manager may keep sole copies here. Every store
// sharing a prefix must use the same setting.
//
// A Redis with maxmemory-policy allkeys-lru (or any allkeys or volatile
// policy) evicts a frame's document and meta hash independently. A frame
// of which one key is gone is missing, never corrupt: Get reports it not
// found, GetMany, GetMetas and Candidates leave it out, Usage stops
// counting it (each call checks a bounded page of frames, least recently
// written first), and [Store.Compact] deletes the lone key left and the
// stale index entries, without an error.
//
// # Time limits
//
// The store bounds every call itself, whatever the caller's context:
// Options.Timeout (50 ms) for a call on one frame (Get, Put, Delete,
// Ping), Options.BatchTimeout (1 s) for a call on many (GetMany, PutMany,
// DeleteMany, GetMetas, Touch, Candidates, Usage, Subscribe's set-up), for
// a Put of a document over [BigFrame] bytes, and for each round trip of
// Compact. A call that runs out of its time fails with an error wrapping
// driver.ErrUnavailable; a caller's context that ends first gives its own
// error (context.Canceled or context.DeadlineExceeded) and not
// ErrUnavailable.
//
// # Change notification
//
// [Store.Subscribe] reports changes to frames under the prefix made by any
// client, through Redis server-assisted client tracking (RESP3, BCAST on
// the meta keys), with a Reset when the tracking connection is lost and
// again when it is back.
//
// # Redis Cluster
//
// rueidis detects a cluster by itself; give one node, or several with
// addr=. The braces in the key names are hash tags: both keys of a frame
// share a slot, and all index keys of a prefix share another. Since a
// script may only touch one slot, on a cluster a write runs the frame's
// script and then the index script: two round trips, and a process that
// dies between them leaves a frame missing from the indexes until
// [Store.Compact] finds it. Compact also scans every node, and Subscribe
// tracks every node.
//
// # Failures
//
// Failures to reach Redis, time-outs, and a server loading or failing over
// are returned wrapping driver.ErrUnavailable; every error keeps the
// rueidis error in its chain for errors.As. rueidis reconnects by itself
// when Redis comes back, and scripts the restarted server does not know
// are sent again, so a Store needs nothing from the host to recover. After
// Close every method returns an error wrapping driver.ErrClosed. No error
// shows the password.
package redisdriver
