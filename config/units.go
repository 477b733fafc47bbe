package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Byte sizes for ByteSize values: decimal units, as in the spec ("500MB").
const (
	KB ByteSize = 1000
	MB ByteSize = 1000 * KB
	GB ByteSize = 1000 * MB
)

// NoLimit, as a limit of a tier (a ByteSize, a Duration or a frame count),
// means that the tier has no such limit. In config.json it is written 0.
const NoLimit = -1

// ByteSize is a number of bytes. In config.json it is a number of bytes or a
// string with a unit: "500MB", "1GB", "64KiB".
type ByteSize int64

// Duration is a time.Duration. In config.json it is a number of seconds (the
// spec's unit: "ttl": 86400) or a string with a unit: "50ms", "90s", "24h",
// "7d".
type Duration time.Duration

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
}

// ParseByteSize parses a size like "500MB", "64KiB", "1.5GB" or "1024"
// (bytes), in any case. The error quotes s.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil || math.IsNaN(f):
		return 0, fmt.Errorf("%s is not a size like 500MB or 64KiB (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", quote(s))
	case f < 0:
		return 0, fmt.Errorf("%s: %w", quote(s), errNegative)
	case f*mult > 1<<62:
		return 0, fmt.Errorf("%s is more than the largest size, 4EiB", quote(s))
	}
	return ByteSize(math.Round(f * mult)), nil
}

// ParseDuration parses a duration like "50ms", "90s", "24h" or "7d", or a
// plain number of seconds ("3600"). The error quotes s.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("%s is not a duration like 50ms, 24h or 7d", quote(s))
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return secondsToDuration(f, bad)
	}
	if days, ok := strings.CutSuffix(t, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) || n < 0 || n > 100*365 {
			return 0, bad
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// secondsToDuration converts a number of seconds, refusing what a
// time.Duration cannot hold.
func secondsToDuration(f float64, bad error) (time.Duration, error) {
	if math.IsNaN(f) || f < 0 || f > float64(math.MaxInt64)/float64(time.Second) {
		return 0, bad
	}
	return time.Duration(f * float64(time.Second)), nil
}

// String formats the size with a decimal unit, as config.json accepts it.
func (b ByteSize) String() string {
	switch {
	case b == NoLimit:
		return "0"
	case b >= GB && b%(GB/10) == 0:
		return strconv.FormatFloat(float64(b)/float64(GB), 'f', -1, 64) + "GB"
	case b >= MB && b%(MB/10) == 0:
		return strconv.FormatFloat(float64(b)/float64(MB), 'f', -1, 64) + "MB"
	case b >= KB && b%(KB/10) == 0:
		return strconv.FormatFloat(float64(b)/float64(KB), 'f', -1, 64) + "KB"
	case b >= 1<<30 && b%(1<<30) == 0:
		return strconv.FormatInt(int64(b>>30), 10) + "GiB"
	case b >= 1<<20 && b%(1<<20) == 0:
		return strconv.FormatInt(int64(b>>20), 10) + "MiB"
	case b >= 1<<10 && b%(1<<10) == 0:
		return strconv.FormatInt(int64(b>>10), 10) + "KiB"
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// String formats the duration as config.json accepts it: "7d", "24h",
// "90s", "50ms"; "0" for NoLimit.
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case d == NoLimit:
		return "0"
	case td >= 24*time.Hour && td%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	case td >= time.Hour && td%time.Hour == 0:
		return strconv.FormatInt(int64(td/time.Hour), 10) + "h"
	case td >= time.Minute && td%time.Minute == 0:
		return strconv.FormatInt(int64(td/time.Minute), 10) + "m"
	}
	return td.String()
}

// MarshalJSON writes the size as a string like "500MB".
func (b ByteSize) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// UnmarshalJSON reads a number of bytes or a string like "500MB".
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	v, err := parseSize(data)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalJSON writes the duration as a string like "24h".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a number of seconds or a string like "24h".
func (d *Duration) UnmarshalJSON(data []byte) error {
	v, err := parseSeconds(data)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// parseSize reads a JSON number of bytes or a JSON string with a unit.
func parseSize(raw json.RawMessage) (ByteSize, error) {
	if s, ok := jsonString(raw); ok {
		return ParseByteSize(s)
	}
	f, err := jsonNumber(raw)
	if err != nil {
		return 0, fmt.Errorf("%s is not a size like 500MB or a number of bytes", show(raw))
	}
	if f < 0 {
		return 0, errNegative
	}
	if f != math.Trunc(f) || f > 1<<62 {
		return 0, fmt.Errorf("%s is not a whole number of bytes", show(raw))
	}
	return ByteSize(f), nil
}

// parseSeconds reads a JSON number of seconds or a JSON string with a unit.
func parseSeconds(raw json.RawMessage) (time.Duration, error) {
	return parseDurationUnit(raw, time.Second)
}

// parseDurationUnit reads a JSON number of units or a JSON string with a
// unit of its own.
func parseDurationUnit(raw json.RawMessage, unit time.Duration) (time.Duration, error) {
	if s, ok := jsonString(raw); ok {
		return ParseDuration(s)
	}
	f, err := jsonNumber(raw)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration like 24h or a number of seconds", show(raw))
	}
	if f < 0 {
		return 0, errNegative
	}
	return secondsToDuration(f*float64(unit)/float64(time.Second), fmt.Errorf("%s is out of range", show(raw)))
}
