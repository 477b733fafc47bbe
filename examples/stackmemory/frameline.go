package main

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

// A frame line is one line of JSON: the input of `storage put` and
// `storage import`, the output of `storage export` and of
// `storage retrieve --json`. Its "data" is the frame document exactly as
// stored, written last:
//
//	{"frame_id":..., "session_id":..., "project_id":..., "parent_frame_id":..., "created_at":..., "data":{...}}

// exportedFrame is the identity of a frame as `storage export` writes it,
// without its document.
type exportedFrame struct {
	FrameID   string `json:"frame_id"`
	SessionID string `json:"session_id,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	ParentID  string `json:"parent_frame_id,omitempty"`
	CreatedAt string `json:"created_at"`
}

// retrievedFrame is a frame with everything the library knows about it,
// as `storage retrieve --json` writes it, without its document: the field
// named "data" hides the Frame's own and is left empty.
type retrievedFrame struct {
	tier.Frame
	Data json.RawMessage `json:"data,omitempty"`
}

// exportLine is f as a line of `storage put` input.
func exportLine(f tier.Frame) ([]byte, bool, error) {
	return withData(exportedFrame{
		FrameID:   f.ID,
		SessionID: f.SessionID,
		ProjectID: f.ProjectID,
		ParentID:  f.ParentID,
		CreatedAt: f.CreatedAt.UTC().Format(time.RFC3339Nano),
	}, f.Data)
}

// retrieveLine is f with its metadata on one line; `storage put` reads it
// too (it ignores the metadata).
func retrieveLine(f tier.Frame) ([]byte, bool, error) {
	return withData(retrievedFrame{Frame: f}, f.Data)
}

// withData encodes head, a struct, as one JSON line (with its newline)
// whose last field is "data": the document byte for byte. A document with
// a line break between its tokens cannot sit on one line: it is written
// compacted, the same JSON value with other bytes, and exact is false.
func withData(head any, data []byte) (line []byte, exact bool, err error) {
	b, err := json.Marshal(head)
	if err != nil {
		return nil, false, err
	}
	exact = !bytes.ContainsAny(data, "\r\n")
	doc := data
	if !exact {
		var c bytes.Buffer
		if err := json.Compact(&c, data); err != nil {
			return nil, false, err
		}
		doc = c.Bytes()
	}
	line = append(b[:len(b)-1], `,"data":`...)
	line = append(line, doc...)
	return append(line, "}\n"...), exact, nil
}

// frameOfRecord is a record read from a tier's file (a context.db) as a
// frame to put: its identity and document.
func frameOfRecord(r driver.Record) tier.Frame {
	return tier.Frame{
		ID:        r.ID,
		SessionID: r.SessionID,
		ProjectID: r.ProjectID,
		ParentID:  r.ParentID,
		CreatedAt: r.CreatedAt,
		Data:      r.Data,
	}
}
