package redisdriver

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// metaFields are the fields of the meta hash read back, in the order
// parseMeta expects them from HMGET.
var metaFields = []string{
	"version", "checksum", "size", "session_id", "project_id", "parent_id",
	"created_at", "accessed_at", "access_count", "lfu_key",
}

// metaArgs is a frame's metadata encoded as the strings written to the
// meta hash and the index scores.
type metaArgs struct {
	version, checksum, size           string
	session, project, parent          string
	createdAt, accessedAt, count, lfu string
}

func encodeMeta(m driver.Meta) (metaArgs, error) {
	if math.IsNaN(m.LFUKey) || math.IsInf(m.LFUKey, 0) {
		return metaArgs{}, fmt.Errorf("LFU key %v is not a finite number", m.LFUKey)
	}
	return metaArgs{
		version:    strconv.FormatUint(m.Version, 10),
		checksum:   strconv.FormatUint(uint64(m.Checksum), 10),
		size:       strconv.FormatInt(m.Size, 10),
		session:    m.SessionID,
		project:    m.ProjectID,
		parent:     m.ParentID,
		createdAt:  formatMillis(m.CreatedAt),
		accessedAt: formatMillis(m.LastAccess),
		count:      strconv.FormatInt(m.AccessCount, 10),
		lfu:        strconv.FormatFloat(m.LFUKey, 'g', -1, 64),
	}, nil
}

// errCorruptMeta reports a meta hash this package cannot have written.
func errCorruptMeta(id, field, val string) error {
	if len(val) > 40 {
		val = val[:40] + "..."
	}
	return fmt.Errorf("%w: frame %s: meta field %s=%q", driver.ErrCorrupt, id, field, val)
}

// parseMeta decodes the values of metaFields as returned by HMGET. It
// reports ok == false when the hash does not exist (every value nil), and
// an error wrapping driver.ErrCorrupt when a field is missing or unparsable.
func parseMeta(id string, vals []rueidis.RedisMessage) (m driver.Meta, ok bool, err error) {
	if len(vals) != len(metaFields) {
		return m, false, fmt.Errorf("%w: frame %s: meta reply has %d fields", driver.ErrCorrupt, id, len(vals))
	}
	var s [10]string
	missing := -1
	for i := range vals {
		if vals[i].IsNil() {
			if missing < 0 {
				missing = i
			}
			continue
		}
		v, err := vals[i].ToString()
		if err != nil {
			return m, false, errCorruptMeta(id, metaFields[i], err.Error())
		}
		s[i] = v
	}
	if missing == 0 && allNil(vals) {
		return m, false, nil
	}
	if missing >= 0 {
		return m, false, errCorruptMeta(id, metaFields[missing], "(missing)")
	}
	m.ID = id
	var e metaErr
	m.Version = e.uint(id, "version", s[0], 64)
	m.Checksum = uint32(e.uint(id, "checksum", s[1], 32))
	m.Size = e.int(id, "size", s[2])
	m.SessionID, m.ProjectID, m.ParentID = s[3], s[4], s[5]
	m.CreatedAt = e.time(id, "created_at", s[6])
	m.LastAccess = e.time(id, "accessed_at", s[7])
	m.AccessCount = e.int(id, "access_count", s[8])
	m.LFUKey = e.float(id, "lfu_key", s[9])
	if e.err == nil && m.Size < 0 {
		e.err = errCorruptMeta(id, "size", s[2])
	}
	return m, e.err == nil, e.err
}

func allNil(vals []rueidis.RedisMessage) bool {
	for i := range vals {
		if !vals[i].IsNil() {
			return false
		}
	}
	return true
}

// metaErr keeps the first parse error of a meta hash.
type metaErr struct{ err error }

func (e *metaErr) fail(id, field, val string) {
	if e.err == nil {
		e.err = errCorruptMeta(id, field, val)
	}
}

func (e *metaErr) uint(id, field, val string, bits int) uint64 {
	n, err := strconv.ParseUint(val, 10, bits)
	if err != nil {
		e.fail(id, field, val)
	}
	return n
}

func (e *metaErr) int(id, field, val string) int64 {
	n, err := strconv.ParseInt(val, 10, 64)
	if err != nil {
		e.fail(id, field, val)
	}
	return n
}

func (e *metaErr) float(id, field, val string) float64 {
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		e.fail(id, field, val)
	}
	return f
}

func (e *metaErr) time(id, field, val string) time.Time {
	t, err := parseMillis(val)
	if err != nil {
		e.fail(id, field, val)
	}
	return t
}

// formatMillis writes t as Unix milliseconds with the microseconds as a
// decimal fraction ("1764132000123.456"): a number any tool reads as
// milliseconds, and an exact record of a microsecond timestamp. It is also
// the score of t in the index sorted sets.
func formatMillis(t time.Time) string {
	us := t.UnixMicro()
	neg := us < 0
	if neg {
		us = -us
	}
	var b []byte
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, us/1000, 10)
	if frac := us % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	return string(b)
}

var errBadMillis = errors.New("not a millisecond timestamp")

// parseMillis reads what formatMillis writes, and plain integer
// milliseconds, as a UTC time.
func parseMillis(s string) (time.Time, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	ms, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || ms > math.MaxInt64/1000 || ms < math.MinInt64/1000 {
		return time.Time{}, errBadMillis
	}
	us := ms * 1000
	if hasFrac {
		if len(frac) == 0 || len(frac) > 3 {
			return time.Time{}, errBadMillis
		}
		f, err := strconv.ParseUint(frac+strings.Repeat("0", 3-len(frac)), 10, 16)
		if err != nil {
			return time.Time{}, errBadMillis
		}
		if strings.HasPrefix(whole, "-") {
			us -= int64(f)
		} else {
			us += int64(f)
		}
	}
	return time.UnixMicro(us).UTC(), nil
}
