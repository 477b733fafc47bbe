package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stackmemoryai/tier"
)

// Input limits.
const (
	// maxLineBytes bounds one input line; longer lines are rejected
	// without being held in memory.
	maxLineBytes = 64 << 20
	// putBatchSize is how many frames one PutBatch stores.
	putBatchSize = 500
)

// inputFrame is one line of put/import input. Data is kept as raw bytes:
// the document is stored byte for byte as it appears in the line.
type inputFrame struct {
	FrameID   string          `json:"frame_id"`
	SessionID string          `json:"session_id"`
	ProjectID string          `json:"project_id"`
	ParentID  string          `json:"parent_frame_id"`
	CreatedAt *time.Time      `json:"created_at"`
	Data      json.RawMessage `json:"data"`

	// Fields of `storage retrieve --json` output, accepted and ignored so
	// that a retrieved frame can be stored again as it is.
	Level       json.RawMessage `json:"level"`
	Tier        json.RawMessage `json:"tier"`
	Version     json.RawMessage `json:"version"`
	Checksum    json.RawMessage `json:"checksum"`
	Size        json.RawMessage `json:"size_bytes"`
	LastAccess  json.RawMessage `json:"last_accessed"`
	AccessCount json.RawMessage `json:"access_count"`
}

// parseFrameLine decodes one input line. Unknown fields are errors, so
// that a misspelt "sesion_id" is caught rather than dropped.
func parseFrameLine(line []byte) (tier.Frame, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var in inputFrame
	if err := dec.Decode(&in); err != nil {
		return tier.Frame{}, fmt.Errorf("not a frame object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tier.Frame{}, errors.New("not a frame object: data after the object")
	}
	if len(in.Data) == 0 || bytes.Equal(in.Data, []byte("null")) {
		return tier.Frame{}, errors.New(`"data" is missing`)
	}
	f := tier.Frame{
		ID:        in.FrameID,
		SessionID: in.SessionID,
		ProjectID: in.ProjectID,
		ParentID:  in.ParentID,
		Data:      in.Data,
	}
	if in.CreatedAt != nil {
		f.CreatedAt = *in.CreatedAt
	}
	return f, nil
}

// lineReader reads numbered lines of any length up to maxLineBytes.
type lineReader struct {
	r    *bufio.Reader
	line int
	// read counts the bytes consumed, for progress.
	read int64
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<16)}
}

// errLineTooLong marks a line longer than maxLineBytes; it was skipped.
var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLineBytes)

// next returns the next non-blank line and its number, io.EOF at the end,
// or errLineTooLong (the caller reports it and goes on).
func (l *lineReader) next() (int, []byte, error) {
	for {
		var buf []byte
		tooLong := false
		for {
			chunk, err := l.r.ReadSlice('\n')
			l.read += int64(len(chunk))
			if !tooLong {
				if len(buf)+len(chunk) > maxLineBytes {
					tooLong, buf = true, nil
				} else {
					buf = append(buf, chunk...)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil && err != io.EOF {
				return l.line, nil, err
			}
			if err == io.EOF && len(chunk) == 0 && len(buf) == 0 && !tooLong {
				return l.line, nil, io.EOF
			}
			break
		}
		l.line++
		if tooLong {
			return l.line, nil, errLineTooLong
		}
		if line := bytes.TrimSpace(buf); len(line) > 0 {
			return l.line, line, nil
		}
	}
}

// lineResult is the outcome of one input line.
type lineResult struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line"`
	FrameID string `json:"frame_id,omitempty"`
	Error   string `json:"error,omitempty"`
}

// pendingLine is a parsed line waiting to be stored.
type pendingLine struct {
	line  int
	frame tier.Frame
}

// storeBatch stores the frames of a batch. When the library refuses the
// batch because a frame is invalid, each frame is stored on its own, so
// that the others are kept and the bad ones are named by their line. An
// error means tier 1 failed: nothing more can be stored.
func storeBatch(ctx context.Context, m *tier.Manager, file string, batch []pendingLine) ([]lineResult, error) {
	frames := make([]tier.Frame, len(batch))
	for i, p := range batch {
		frames[i] = p.frame
	}
	out := make([]lineResult, len(batch))
	stored, err := m.PutBatch(ctx, frames)
	if err == nil {
		for i, f := range stored {
			out[i] = lineResult{File: file, Line: batch[i].line, FrameID: f.ID}
		}
		return out, nil
	}
	if !errors.Is(err, tier.ErrInvalidFrame) {
		return nil, err
	}
	for i, p := range batch {
		out[i] = lineResult{File: file, Line: p.line}
		f, err := m.Put(ctx, p.frame)
		switch {
		case err == nil:
			out[i].FrameID = f.ID
		case errors.Is(err, tier.ErrInvalidFrame):
			out[i].Error = err.Error()
		default:
			return nil, err
		}
	}
	return out, nil
}

// readFrames reads a JSON-lines stream and stores its frames in batches.
// Each line's outcome goes to emit, in order; progress, when set, gets the
// bytes read so far. Bad lines do not stop the reading.
func readFrames(ctx context.Context, m *tier.Manager, file string, r io.Reader, emit func(lineResult), progress func(int64)) error {
	lr := newLineReader(r)
	var batch []pendingLine
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := storeBatch(ctx, m, file, batch)
		if err != nil {
			return err
		}
		for _, r := range res {
			emit(r)
		}
		batch = batch[:0]
		if progress != nil {
			progress(lr.read)
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, line, err := lr.next()
		if err == io.EOF {
			return flush()
		}
		if err != nil && !errors.Is(err, errLineTooLong) {
			return fmt.Errorf("read %s: %w", nameOr(file, "stdin"), err)
		}
		var f tier.Frame
		if err == nil {
			f, err = parseFrameLine(line)
		}
		if err != nil {
			// Keep the order of results: store what came before first.
			if ferr := flush(); ferr != nil {
				return ferr
			}
			emit(lineResult{File: file, Line: n, Error: err.Error()})
			continue
		}
		batch = append(batch, pendingLine{line: n, frame: f})
		if len(batch) == putBatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// maxShownRejections is how many rejected lines put and import print on
// stderr; the others are counted (--json lists them all).
const maxShownRejections = 20

// rejectionLog prints rejected input lines on stderr for people: the first
// maxShownRejections, then how many more there were. With --json it
// prints nothing (the report lists them).
type rejectionLog struct {
	a      *app
	shown  int
	hidden int
}

// add reports one rejected line; where is like "line 3" or "file.jsonl:3".
func (r *rejectionLog) add(where, msg string) {
	if r.a.jsonOut {
		return
	}
	if r.shown == maxShownRejections {
		r.hidden++
		return
	}
	r.shown++
	fmt.Fprintf(r.a.stderr, "%s: %s\n", where, r.a.scrub(msg))
}

// done says how many rejections were not shown.
func (r *rejectionLog) done() {
	if r.hidden > 0 {
		r.a.notef("%d more rejected lines not shown; --json lists them all\n", r.hidden)
	}
}
