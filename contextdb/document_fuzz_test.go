package contextdb

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stackmemoryai/tier/driver"
)

// fuzzLayout is a small upstream layout: identity columns, a plain
// column of each kind and a JSON column in each table.
var fuzzLayout = &layout{
	frames: table{name: "frames", key: "frame_id", cols: []column{
		{name: "frame_id", notNull: true}, {name: "run_id", notNull: true}, {name: "project_id", notNull: true},
		{name: "parent_frame_id"}, {name: "name"}, {name: "depth"}, {name: "inputs", json: true},
		{name: "created_at"},
	}},
	events: table{name: "events", key: "event_id", cols: []column{
		{name: "event_id", notNull: true}, {name: "frame_id", notNull: true}, {name: "seq"}, {name: "payload", json: true},
	}},
	anchors: table{name: "anchors", key: "anchor_id", cols: []column{
		{name: "anchor_id", notNull: true}, {name: "frame_id", notNull: true}, {name: "text"},
	}},
}

// FuzzDocumentRoundTrip checks that decoding the canonical document of
// any rows gives those rows back, value and storage class, and that the
// document is valid JSON.
func FuzzDocumentRoundTrip(f *testing.F) {
	f.Add("plain", int64(7), 1.5, []byte{0, 1}, uint8(0))
	f.Add(`{"a": [1, 2]}`, int64(-1), 1e300, []byte(nil), uint8(1))
	f.Add(`{"$blob":"AA=="}`, int64(math.MaxInt64), 3.0, []byte("x"), uint8(2))
	f.Add("null", int64(0), -0.000001, []byte{}, uint8(3))
	f.Add("[]", int64(1), math.Inf(1), []byte{255}, uint8(4))
	f.Fuzz(func(t *testing.T, s string, n int64, x float64, b []byte, pick uint8) {
		if !utf8.ValidString(s) || math.IsNaN(x) {
			return // invalid UTF-8 and NaN have no exact JSON form; documented
		}
		kinds := []any{nil, n, x, s, b}
		val := func(shift uint8) any {
			v := kinds[int(pick+shift)%len(kinds)]
			if bs, ok := v.([]byte); ok && bs == nil {
				return []byte{}
			}
			return v
		}
		const id = "f1"
		r := &rows{
			frame:   []any{id, "r", "p", nil, val(0), val(1), val(2), int64(100)},
			events:  [][]any{{"e1", id, val(3), val(4)}, {"e2", id, val(1), s}},
			anchors: [][]any{{"a1", id, val(2)}},
		}
		data := fuzzLayout.encode(r)
		rec := driver.Record{Meta: driver.Meta{ID: id, SessionID: "r", ProjectID: "p",
			CreatedAt: time.Unix(100, 0), Checksum: driver.Checksum(data)}, Data: data}
		got, err := fuzzLayout.rowsOf(rec)
		if err != nil {
			t.Fatalf("canonical document %s refused: %v", data, err)
		}
		same := func(a, b []any) bool {
			for i := range a {
				ab, aIsBytes := a[i].([]byte)
				bb, bIsBytes := b[i].([]byte)
				if aIsBytes || bIsBytes {
					if !aIsBytes || !bIsBytes || !bytes.Equal(ab, bb) {
						return false
					}
					continue
				}
				if !reflect.DeepEqual(a[i], b[i]) {
					return false
				}
			}
			return true
		}
		if !same(got.frame, r.frame) || !same(got.events[0], r.events[0]) || !same(got.events[1], r.events[1]) || !same(got.anchors[0], r.anchors[0]) {
			t.Fatalf("document %s decoded to %#v, want %#v", data, got, r)
		}
		if again := fuzzLayout.encode(got); !bytes.Equal(again, data) {
			t.Fatalf("re-encoding gave %s, want %s", again, data)
		}
	})
}
