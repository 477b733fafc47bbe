package redisdriver

import (
	"fmt"
	"strings"
)

// keys names the Redis keys of one prefix. See the package documentation
// for the layout.
type keys struct {
	prefix string
	// Index keys. They share the hash tag {prefix}, so they live in one
	// Redis Cluster slot and one script can update them all atomically.
	lru, lfu, age, exp, size, bytes string
}

func newKeys(prefix string) keys {
	idx := prefix + "idx:{" + prefix + "}:"
	return keys{
		prefix: prefix,
		lru:    idx + "lru",
		lfu:    idx + "lfu",
		age:    idx + "age",
		exp:    idx + "exp",
		size:   idx + "size",
		bytes:  idx + "bytes",
	}
}

// frame is the key of a frame's compressed document.
func (k keys) frame(id string) string { return k.prefix + "frame:{" + id + "}" }

// meta is the key of a frame's metadata hash.
func (k keys) meta(id string) string { return k.prefix + "meta:{" + id + "}" }

// index lists the index keys in the order the index scripts expect them.
func (k keys) index() []string {
	return []string{k.lru, k.lfu, k.age, k.exp, k.size, k.bytes}
}

// metaPattern is a SCAN MATCH pattern for every meta key of the prefix.
func (k keys) metaPattern() string { return globEscape(k.prefix) + "meta:{*}" }

// idFromMeta returns the frame ID inside a meta key, or "" if key is not one.
func (k keys) idFromMeta(key string) string {
	rest, ok := strings.CutPrefix(key, k.prefix+"meta:{")
	if !ok {
		return ""
	}
	id, ok := strings.CutSuffix(rest, "}")
	if !ok || checkID(id) != nil {
		return ""
	}
	return id
}

// checkID refuses IDs that would break the key layout: empty, too long, or
// holding a brace that would move the hash tag.
func checkID(id string) error {
	if id == "" || len(id) > 200 || strings.ContainsAny(id, "{}") {
		return fmt.Errorf("redisdriver: frame ID %q cannot name a Redis key", id)
	}
	return nil
}

// globEscape quotes the characters SCAN MATCH treats as wildcards.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
