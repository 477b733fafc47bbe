package contextdb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// rows is one frame as upstream stores it: its frames row and the rows of
// its events and anchors, each a slice of values in the layout's column
// order, as SQLite returned them (nil, int64, float64, string or []byte).
type rows struct {
	frame   []any
	events  [][]any
	anchors [][]any
}

// blobKey is the only key of the object that stands for a BLOB value.
const blobKey = "$blob"

// encode returns the canonical document of r: a JSON object with the
// frames row's columns as keys, in the table's column order, then
// "events" and "anchors", arrays of objects built the same way from their
// rows. Compact, no insignificant space. Values by SQLite storage class:
//
//	NULL     null
//	INTEGER  a number without fraction or exponent
//	REAL     a number with a fraction or an exponent: shortest form that
//	         reads back the same float64, in decimal notation from 1e-6
//	         to 1e21 and ".0" added to whole numbers (1e999 for infinity)
//	TEXT     a string; in a JSON column, text holding a JSON object or
//	         array (with no space around it, and not of the BLOB form)
//	         is that object or array, byte for byte
//	BLOB     {"$blob":"<standard base64>"}
func (l *layout) encode(r *rows) []byte {
	b := make([]byte, 0, 1024)
	b = append(b, '{')
	b = appendFields(b, &l.frames, r.frame)
	b = append(b, `,"events":[`...)
	for i, ev := range r.events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendFields(b, &l.events, ev)
		b = append(b, '}')
	}
	b = append(b, `],"anchors":[`...)
	for i, an := range r.anchors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendFields(b, &l.anchors, an)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendFields(b []byte, t *table, vals []any) []byte {
	for i, c := range t.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.name)
		b = append(b, ':')
		b = appendValue(b, vals[i], c.json)
	}
	return b
}

func appendValue(b []byte, v any, isJSON bool) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		switch {
		case math.IsInf(v, 1):
			return append(b, "1e999"...)
		case math.IsInf(v, -1):
			return append(b, "-1e999"...)
		case math.IsNaN(v):
			return append(b, "null"...)
		}
		start := len(b)
		if a := math.Abs(v); a == 0 || a >= 1e-6 && a < 1e21 {
			b = strconv.AppendFloat(b, v, 'f', -1, 64)
		} else {
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
		if !bytes.ContainsAny(b[start:], ".e") {
			b = append(b, ".0"...)
		}
		return b
	case string:
		if isJSON && embeddable(v) {
			return append(b, v...)
		}
		return appendString(b, v)
	case []byte:
		b = append(b, `{"`+blobKey+`":"`...)
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, `"}`...)
	case bool: // never from SQLite; kept total
		if v {
			return append(b, '1')
		}
		return append(b, '0')
	}
	return appendString(b, fmt.Sprint(v))
}

// embeddable reports whether the text of a JSON column appears in a
// document as the object or array it holds: valid JSON, an object or an
// array, with no space before or after it.
func embeddable(s string) bool {
	if len(s) < 2 || !utf8.ValidString(s) {
		return false
	}
	first, last := s[0], s[len(s)-1]
	if !(first == '{' && last == '}' || first == '[' && last == ']') {
		return false
	}
	if _, isBlob := blobValue([]byte(s)); isBlob {
		return false // it would read back as a BLOB
	}
	return json.Valid([]byte(s))
}

// blobValue decodes the object that stands for a BLOB, {"$blob":"<base64>"}.
func blobValue(raw []byte) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || len(obj) != 1 {
		return nil, false
	}
	var enc string
	if err := json.Unmarshal(obj[blobKey], &enc); err != nil {
		return nil, false
	}
	blob, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, false
	}
	return blob, true
}

// appendString appends s as a JSON string: quote, backslash and control
// characters escaped, everything else as is (no HTML escaping). Invalid
// UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// decodeValue turns the JSON value of one column in a document into the
// value written to SQLite; the inverse of appendValue.
func decodeValue(raw json.RawMessage, isJSON bool) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty value")
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case 't':
		return int64(1), nil
	case 'f':
		return int64(0), nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return s, nil
	case '[':
		if isJSON {
			return string(raw), nil
		}
		return nil, fmt.Errorf("an array is only allowed in a JSON column")
	case '{':
		if blob, ok := blobValue(raw); ok {
			return blob, nil
		}
		if isJSON {
			return string(raw), nil
		}
		return nil, fmt.Errorf(`an object is only allowed in a JSON column, or as {"%s":"<base64>"}`, blobKey)
	}
	num := string(raw)
	if !strings.ContainsAny(num, ".eE") {
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, fmt.Errorf("%q is not a number", num)
	}
	return f, nil
}

// searchText returns the string values of a JSON document (not its keys,
// numbers or literals), separated by spaces: what the full-text index
// holds for the frame. A document that is not JSON is indexed as text.
func searchText(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b strings.Builder
	// stack holds, for each open container, whether it is an object and
	// whether its next string token is a key.
	type level struct{ object, wantKey bool }
	var stack []level
	for {
		tok, err := dec.Token()
		if err != nil {
			if b.Len() == 0 && !json.Valid(data) {
				return string(data)
			}
			return b.String()
		}
		top := len(stack) - 1
		isKey := false
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				if top >= 0 && stack[top].object {
					stack[top].wantKey = true
				}
				stack = append(stack, level{object: t == '{', wantKey: t == '{'})
			} else {
				stack = stack[:top]
			}
			continue
		case string:
			isKey = top >= 0 && stack[top].object && stack[top].wantKey
			if !isKey {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(t)
			}
		}
		if top >= 0 && stack[top].object {
			stack[top].wantKey = !isKey
		}
	}
}
