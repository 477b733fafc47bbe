package redisdriver

import (
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// Decoders exposed to the fuzz tests of package redisdriver_test.

// MetaFields lists the meta hash fields in the order ParseMeta expects.
var MetaFields = metaFields

// ParseMeta decodes the HMGET reply of a meta hash.
func ParseMeta(id string, vals []rueidis.RedisMessage) (driver.Meta, bool, error) {
	return parseMeta(id, vals)
}

// DecodeFrame decodes the replies for a frame's document and meta hash as
// a store with the given size limit does.
func DecodeFrame(id string, maxFrameSize int64, doc, meta *rueidis.RedisMessage) (driver.Record, bool, error) {
	s := &Store{opts: Options{MaxFrameSize: maxFrameSize}}
	return s.decodeFrame(id, doc, meta)
}

// EncodeMeta returns the values written to the meta hash for m, in
// MetaFields order.
func EncodeMeta(m driver.Meta) ([]string, error) {
	a, err := encodeMeta(m)
	if err != nil {
		return nil, err
	}
	return []string{a.version, a.checksum, a.size, a.session, a.project, a.parent, a.createdAt, a.accessedAt, a.count, a.lfu}, nil
}

// FormatMillis and ParseMillis are the timestamp codec of the meta hash
// and index scores.
func FormatMillis(t time.Time) string         { return formatMillis(t) }
func ParseMillis(s string) (time.Time, error) { return parseMillis(s) }
