package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stackmemoryai/tier"
)

// errNegative is the reason given for a negative number.
var errNegative = errors.New("must not be negative")

// object is one JSON object of config.json being decoded: its path from the
// top of the file, its members, and the list its errors go to. Every error
// is a *tier.FieldError naming the member's path, so a misspelled or bad
// field is reported as "storage.tiers.sqlite.maxAge: ...".
type object struct {
	path    string
	members map[string]json.RawMessage
	errs    *[]error
}

// newObject decodes raw as an object at path and refuses the members not
// in known. A JSON null is an empty object.
func newObject(raw json.RawMessage, path string, errs *[]error, known []string) (object, bool) {
	o := object{path: path, errs: errs}
	if isNull(raw) {
		return o, true
	}
	if err := json.Unmarshal(raw, &o.members); err != nil {
		o.fail("", fmt.Errorf("want an object {...}, got %s", show(raw)))
		return o, false
	}
	names := make([]string, 0, len(o.members))
	for name := range o.members {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(known, name) {
			o.fail(name, errors.New(unknownReason(name, known)))
			delete(o.members, name)
		}
	}
	return o, true
}

// unknownReason says that name is not a field, with the closest known
// name when one is close enough to be a typo, else every known name.
func unknownReason(name string, known []string) string {
	reason := "unknown field"
	if hint, ok := renamed[name]; ok && slices.Contains(known, hint) {
		return reason + "; did you mean " + strconv.Quote(hint) + "?"
	}
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" && len(name) >= 4 {
		// A shortened name: "eviction" for "evictionStrategy".
		for _, k := range known {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(name)) {
				best = k
				break
			}
		}
	}
	if best != "" {
		return reason + "; did you mean " + strconv.Quote(best) + "?"
	}
	sorted := slices.Clone(known)
	slices.Sort(sorted)
	return reason + "; the fields here are " + strings.Join(sorted, ", ")
}

// renamed maps names of the old flat layout to the spec's.
var renamed = map[string]string{"url": "connectionString"}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// field returns the path of member name.
func (o object) field(name string) string {
	switch {
	case name == "":
		return o.path
	case o.path == "":
		return name
	}
	return o.path + "." + name
}

// fail records a bad member.
func (o object) fail(name string, reason error) {
	*o.errs = append(*o.errs, &tier.FieldError{Field: o.field(name), Reason: reason.Error()})
}

// child decodes member name as an object with the given members.
func (o object) child(name string, known []string) (object, bool) {
	raw, ok := o.members[name]
	if !ok {
		return object{path: o.field(name), errs: o.errs}, false
	}
	return newObject(raw, o.field(name), o.errs, known)
}

// get decodes member name with parse into *dst, and reports whether the
// member was there and valid. A JSON null counts as absent.
func get[T any](o object, name string, dst *T, parse func(json.RawMessage) (T, error)) bool {
	raw, ok := o.members[name]
	if !ok || isNull(raw) {
		return false
	}
	v, err := parse(raw)
	if err != nil {
		o.fail(name, err)
		return false
	}
	*dst = v
	return true
}

// Checks applied to a decoded value; each returns the reason it is bad.
func positive[T ~int64 | ~int | ~float64](v T) error {
	if v <= 0 {
		return errors.New("must be more than 0")
	}
	return nil
}

// checked wraps parse with a check of the value.
func checked[T any](parse func(json.RawMessage) (T, error), check func(T) error) func(json.RawMessage) (T, error) {
	return func(raw json.RawMessage) (T, error) {
		v, err := parse(raw)
		if err == nil {
			err = check(v)
		}
		return v, err
	}
}

// limit decodes a limit: 0 in the file is NoLimit.
func limit[T ~int64](parse func(json.RawMessage) (T, error)) func(json.RawMessage) (T, error) {
	return func(raw json.RawMessage) (T, error) {
		v, err := parse(raw)
		if err == nil && v == 0 {
			v = NoLimit
		}
		return v, err
	}
}

func parseBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("want true or false, got %s", show(raw))
	}
	return b, nil
}

func parseBoolPtr(raw json.RawMessage) (*bool, error) {
	b, err := parseBool(raw)
	return &b, err
}

func parseText(raw json.RawMessage) (string, error) {
	s, ok := jsonString(raw)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", show(raw))
	}
	return s, nil
}

func parseCount(raw json.RawMessage) (int64, error) {
	f, err := jsonNumber(raw)
	switch {
	case err != nil:
		return 0, fmt.Errorf("want a whole number, got %s", show(raw))
	case f < 0:
		return 0, errNegative
	case f != math.Trunc(f) || f > 1<<53:
		return 0, fmt.Errorf("want a whole number, got %s", show(raw))
	}
	return int64(f), nil
}

func parseInt(raw json.RawMessage) (int, error) {
	n, err := parseCount(raw)
	if err == nil && n > math.MaxInt32 {
		return 0, fmt.Errorf("%s is too large", show(raw))
	}
	return int(n), err
}

func parseFloat(raw json.RawMessage) (float64, error) {
	f, err := jsonNumber(raw)
	if err != nil {
		return 0, fmt.Errorf("want a number, got %s", show(raw))
	}
	return f, nil
}

func parseDuration(raw json.RawMessage) (Duration, error) {
	d, err := parseSeconds(raw)
	return Duration(d), err
}

func parseMillis(raw json.RawMessage) (Duration, error) {
	d, err := parseDurationUnit(raw, time.Millisecond)
	return Duration(d), err
}

func parsePolicy(raw json.RawMessage) (tier.Policy, error) {
	s, ok := jsonString(raw)
	if !ok {
		return "", fmt.Errorf("want one of \"LRU\", \"LFU\", \"AGE\", got %s", show(raw))
	}
	p, err := tier.ParsePolicy(s)
	if err != nil {
		return "", fmt.Errorf("%s is not one of LRU, LFU, AGE", quote(s))
	}
	return p, nil
}

// jsonString reports whether raw is a JSON string, and its value.
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonNumber returns raw as a finite number.
func jsonNumber(raw json.RawMessage) (float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, errors.New("not a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("not a number")
	}
	return f, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// show returns a JSON value as the user wrote it, shortened for a message.
func show(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// quote quotes a string the user wrote, shortened for a message.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return strconv.Quote(s)
}
