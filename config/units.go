package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Byte sizes for ByteSize values.
const (
	KB ByteSize = 1000
	MB ByteSize = 1000 * KB
	GB ByteSize = 1000 * MB
)

// ByteSize is a number of bytes. In JSON it is a number of bytes or a
// string with a unit: "500MB", "1GB", "64KiB".
type ByteSize int64

// Duration is a time.Duration. In JSON it is a number of milliseconds (the
// unit of the spec's TypeScript config) or a Go duration string with an
// optional day unit: "90s", "24h", "7d".
type Duration time.Duration

// Seconds is a time.Duration written in JSON as a number of seconds (like
// Redis TTLs) or as a duration string.
type Seconds time.Duration

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// ParseByteSize parses "500MB", "64KiB", "1024" (bytes).
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("%q is not a size like 500MB", s)
	}
	return ByteSize(f * float64(mult)), nil
}

// ParseDuration parses Go durations plus a day unit: "90s", "24h", "7d".
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(t, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("%q is not a duration like 7d", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 24h or 7d", s)
	}
	return d, nil
}

// unmarshalNumberOrString decodes a JSON number with parseNum or a JSON
// string with parseStr.
func unmarshalNumberOrString(b []byte, parseNum func(json.Number) (int64, error), parseStr func(string) (int64, error)) (int64, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		return parseStr(s)
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return 0, fmt.Errorf("want a number or a string, got %s", b)
	}
	return parseNum(n)
}

func scaled(unit float64) func(json.Number) (int64, error) {
	return func(n json.Number) (int64, error) {
		f, err := n.Float64()
		if err != nil || f*unit > 1<<62 || f*unit < -(1<<62) {
			return 0, fmt.Errorf("%s is out of range", n)
		}
		return int64(f * unit), nil
	}
}

func durationString(s string) (int64, error) {
	d, err := ParseDuration(s)
	return int64(d), err
}

func sizeString(s string) (int64, error) {
	b, err := ParseByteSize(s)
	return int64(b), err
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	v, err := unmarshalNumberOrString(data, scaled(1), sizeString)
	*b = ByteSize(v)
	return err
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(data []byte) error {
	v, err := unmarshalNumberOrString(data, scaled(float64(time.Millisecond)), durationString)
	*d = Duration(v)
	return err
}

// MarshalJSON writes the duration as a string like "24h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (s *Seconds) UnmarshalJSON(data []byte) error {
	v, err := unmarshalNumberOrString(data, scaled(float64(time.Second)), durationString)
	*s = Seconds(v)
	return err
}

// MarshalJSON writes the duration as a whole number of seconds.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(int64(time.Duration(s) / time.Second))
}

// String formats the size with a decimal unit.
func (b ByteSize) String() string {
	switch {
	case b >= GB && b%(GB/10) == 0:
		return strconv.FormatFloat(float64(b)/float64(GB), 'f', -1, 64) + "GB"
	case b >= MB && b%(MB/10) == 0:
		return strconv.FormatFloat(float64(b)/float64(MB), 'f', -1, 64) + "MB"
	case b >= KB && b%(KB/10) == 0:
		return strconv.FormatFloat(float64(b)/float64(KB), 'f', -1, 64) + "KB"
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
