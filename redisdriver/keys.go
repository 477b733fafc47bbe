package redisdriver

import "strings"

// keys names the Redis keys of one prefix. See the package documentation
// for the layout.
type keys struct {
	prefix string
	// Index keys. They share the hash tag {prefix}, so they live in one
	// Redis Cluster slot and one script can update them all atomically.
	lru, lfu, age, exp, size string
	// legacyBytes is where earlier versions kept the sum of sizes, now
	// the field bytesField of the size hash; Compact deletes it.
	legacyBytes string
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

		legacyBytes: idx + "bytes",
	}
}

// bytesField is the field of the size hash holding the sum of the sizes.
// No frame ID contains a brace, so it names no frame.
const bytesField = "{bytes}"

// frame is the key of a frame's compressed document.
func (k keys) frame(id string) string { return k.prefix + "frame:{" + id + "}" }

// meta is the key of a frame's metadata hash.
func (k keys) meta(id string) string { return k.prefix + "meta:{" + id + "}" }

// index lists the index keys in the order the index scripts expect them.
func (k keys) index() []string {
	return []string{k.lru, k.lfu, k.age, k.exp, k.size}
}

// framePattern is a SCAN MATCH pattern for every frame and meta key of
// the prefix (and nothing else this package writes: index keys do not end
// with a brace).
func (k keys) framePattern() string { return globEscape(k.prefix) + "*{*}" }

// idOf returns the frame ID inside a frame or meta key, or "" if key is
// neither.
func (k keys) idOf(key string) string {
	rest, ok := strings.CutPrefix(key, k.prefix)
	if !ok {
		return ""
	}
	if r, ok := strings.CutPrefix(rest, "frame:{"); ok {
		rest = r
	} else if r, ok := strings.CutPrefix(rest, "meta:{"); ok {
		rest = r
	} else {
		return ""
	}
	id, ok := strings.CutSuffix(rest, "}")
	if !ok || !validID(id) {
		return ""
	}
	return id
}

// checkID refuses, for op, IDs that would break the key layout: empty,
// too long, or holding a brace that would move the hash tag. The error
// wraps driver.ErrInvalidRecord.
func checkID(op, id string) error {
	if !validID(id) {
		return invalid(op, id, "a frame ID must be 1 to 200 bytes without '{' or '}' to name a Redis key")
	}
	return nil
}

// validID reports whether id can name a frame's keys.
func validID(id string) bool {
	return id != "" && len(id) <= 200 && !strings.ContainsAny(id, "{}")
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
