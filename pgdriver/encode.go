package pgdriver

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// parseUUID parses a UUID in the canonical 8-4-4-4-12 hex form (either
// case). An empty string gives an invalid (NULL) UUID and ok == true.
func parseUUID(s string) (u pgtype.UUID, ok bool) {
	if s == "" {
		return u, true
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	var digits [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		digits[n] = s[i]
		n++
	}
	if _, err := hex.Decode(u.Bytes[:], digits[:]); err != nil {
		return pgtype.UUID{}, false
	}
	u.Valid = true
	return u, true
}

// frameID parses a frame ID, which must be a non-empty UUID.
func frameID(s string) (pgtype.UUID, bool) {
	u, ok := parseUUID(s)
	return u, ok && u.Valid
}

// timestamptz encodes t, keeping the zero time as the year-1 instant so
// that it sorts first and reads back as the zero time.
func timestamptz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t.UTC(), Valid: true}
}

// timeOf decodes a timestamp; NULL gives the zero time.
func timeOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// columns holds a batch of records as column arrays, ready for unnest.
type columns struct {
	ids, sessions, parents []pgtype.UUID
	projects, docs         []pgtype.Text
	created, accessed      []pgtype.Timestamptz
	versions, checksums    []int64
	sizes, accessCounts    []int32
	lfuKeys                []float64
	raws, compressed       [][]byte
	bytes                  int64 // document bytes carried, to bound a statement
}

// add encodes rec as one more row, compressing its document if the Store's
// options say so. A record the archive cannot take gives an error wrapping
// driver.ErrInvalidRecord.
func (r *columns) add(rec *driver.Record, o *Options) error {
	if err := validate(rec); err != nil {
		return err
	}
	id, _ := frameID(rec.ID)
	session, _ := parseUUID(rec.SessionID)
	parent, _ := parseUUID(rec.ParentID)
	raw, comp := encodeDocument(rec, o)
	r.ids = append(r.ids, id)
	r.sessions = append(r.sessions, session)
	r.parents = append(r.parents, parent)
	r.projects = append(r.projects, pgtype.Text{String: rec.ProjectID, Valid: rec.ProjectID != ""})
	r.docs = append(r.docs, jsonText(rec.Data))
	r.created = append(r.created, timestamptz(rec.CreatedAt))
	r.accessed = append(r.accessed, timestamptz(rec.LastAccess))
	r.versions = append(r.versions, int64(rec.Version))
	r.checksums = append(r.checksums, int64(rec.Checksum))
	r.sizes = append(r.sizes, int32(len(rec.Data)))
	r.accessCounts = append(r.accessCounts, clampInt32(rec.AccessCount))
	r.lfuKeys = append(r.lfuKeys, rec.LFUKey)
	r.raws = append(r.raws, raw)
	r.compressed = append(r.compressed, comp)
	r.bytes += int64(len(rec.Data)) + int64(len(raw)+len(comp))
	return nil
}

// validate checks that rec can be archived: IDs that are UUIDs, a version
// in the archive's range, a document no larger than MaxFrameSize whose
// Size and Checksum match it. Errors wrap driver.ErrInvalidRecord and name
// what to fix.
func validate(rec *driver.Record) error {
	if _, ok := frameID(rec.ID); !ok {
		return fmt.Errorf("%w: frame ID %q is not a UUID", driver.ErrInvalidRecord, rec.ID)
	}
	if _, ok := parseUUID(rec.SessionID); !ok {
		return fmt.Errorf("%w: frame %s: session ID %q is not a UUID", driver.ErrInvalidRecord, rec.ID, rec.SessionID)
	}
	if _, ok := parseUUID(rec.ParentID); !ok {
		return fmt.Errorf("%w: frame %s: parent ID %q is not a UUID", driver.ErrInvalidRecord, rec.ID, rec.ParentID)
	}
	if rec.Version > math.MaxInt64 {
		return fmt.Errorf("%w: frame %s: version %d is above %d", driver.ErrInvalidRecord, rec.ID, rec.Version, int64(math.MaxInt64))
	}
	if len(rec.Data) > MaxFrameSize {
		return fmt.Errorf("%w: frame %s: document of %d bytes is larger than the archive's %d", driver.ErrInvalidRecord, rec.ID, len(rec.Data), MaxFrameSize)
	}
	if rec.Size != int64(len(rec.Data)) {
		return fmt.Errorf("%w: frame %s: Size %d but the document has %d bytes", driver.ErrInvalidRecord, rec.ID, rec.Size, len(rec.Data))
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return fmt.Errorf("%w: frame %s: Checksum %08x but the document's is %08x", driver.ErrInvalidRecord, rec.ID, rec.Checksum, sum)
	}
	return nil
}

// Large documents are probed before they are compressed: when the first
// probeSize bytes do not compress below probeRatio of their size, the
// document is high-entropy (random tokens, base64 of binary data) and is
// stored as is. Compressing all of it would save a quarter of its size at
// most, for the cost of brotli on every byte when it is archived and again
// whenever it is read.
const (
	probeSize  = 256 << 10
	probeRatio = 0.7
)

// encodeDocument chooses how the exact bytes of a document are kept: the
// caller's brotli bytes as they are, fresh brotli bytes when the document
// is at least Options.CompressMin bytes and compression pays (at quality
// LargeCompression at most, and only if a probe compresses, for a document
// of LargeDocument bytes or more), or the document itself. Exactly one of
// the results is non-nil.
func encodeDocument(rec *driver.Record, o *Options) (raw, comp []byte) {
	if len(rec.Compressed) > 0 {
		return nil, rec.Compressed
	}
	data := rec.Data
	if o.Compression != NoCompression && len(data) >= o.CompressMin {
		level := o.Compression
		worth := true
		if len(data) >= LargeDocument {
			level = min(level, LargeCompression)
			probe := codec.Compress(data[:probeSize], level)
			worth = float64(len(probe)) < probeRatio*probeSize
		}
		if worth {
			if c := codec.Compress(data, level); len(c) < len(data) {
				return nil, c
			}
		}
	}
	if data == nil {
		return []byte{}, nil
	}
	return data, nil
}

// jsonText returns the document for the frame_data JSONB column, or NULL
// when PostgreSQL could not store it as JSONB (not JSON, not UTF-8, or a
// \u0000 escape, which JSONB refuses). The exact bytes are kept regardless.
func jsonText(data []byte) pgtype.Text {
	if !utf8.Valid(data) || bytes.Contains(data, []byte(`\u0000`)) || !json.Valid(data) {
		return pgtype.Text{}
	}
	return pgtype.Text{String: string(data), Valid: true}
}

func clampInt32(n int64) int32 {
	switch {
	case n > math.MaxInt32:
		return math.MaxInt32
	case n < math.MinInt32:
		return math.MinInt32
	}
	return int32(n)
}

// metaColumns are the columns of [metaRow], in order.
const metaColumns = `frame_id, session_id, project_id, parent_id, created_at, version,
	checksum, size_bytes, last_accessed, access_count, lfu_key`

// recordColumns are the columns of [recordRow], in order.
const recordColumns = metaColumns + `, frame_data_raw, frame_data_compressed`

// metaRow is what a frame's row says besides its document, as read by
// pgx.RowToStructByName from metaColumns.
type metaRow struct {
	ID          pgtype.UUID        `db:"frame_id"`
	Session     pgtype.UUID        `db:"session_id"`
	Project     pgtype.Text        `db:"project_id"`
	Parent      pgtype.UUID        `db:"parent_id"`
	Created     pgtype.Timestamptz `db:"created_at"`
	Version     int64              `db:"version"`
	Checksum    int64              `db:"checksum"`
	Size        pgtype.Int4        `db:"size_bytes"`
	Accessed    pgtype.Timestamptz `db:"last_accessed"`
	AccessCount pgtype.Int4        `db:"access_count"`
	LFUKey      pgtype.Float8      `db:"lfu_key"`
}

// recordRow is a frame's row with its stored document, as read from
// recordColumns.
type recordRow struct {
	metaRow
	Raw        []byte `db:"frame_data_raw"`
	Compressed []byte `db:"frame_data_compressed"`
}

func (st *metaRow) meta() driver.Meta {
	return driver.Meta{
		ID:          st.ID.String(),
		SessionID:   st.Session.String(),
		ProjectID:   st.Project.String,
		ParentID:    st.Parent.String(),
		CreatedAt:   timeOf(st.Created),
		Version:     uint64(st.Version),
		Checksum:    uint32(st.Checksum),
		Size:        int64(st.Size.Int32),
		LastAccess:  timeOf(st.Accessed),
		AccessCount: int64(st.AccessCount.Int32),
		LFUKey:      st.LFUKey.Float64,
	}
}

// record decodes the row and verifies its document against the stored size
// and checksum. A damaged copy gives an error wrapping driver.ErrCorrupt.
func (st *recordRow) record() (driver.Record, error) {
	rec := driver.Record{Meta: st.meta()}
	switch {
	case st.Raw != nil:
		rec.Data = st.Raw
	case st.Compressed != nil:
		if rec.Size < 0 || rec.Size > MaxFrameSize {
			return driver.Record{}, fmt.Errorf("frame %s: %w: size %d out of range", rec.ID, driver.ErrCorrupt, rec.Size)
		}
		data, err := codec.Decompress(st.Compressed, rec.Size)
		if err != nil {
			return driver.Record{}, fmt.Errorf("frame %s: %w: %w", rec.ID, driver.ErrCorrupt, err)
		}
		rec.Data = data
		rec.Compressed = st.Compressed
	default:
		return driver.Record{}, fmt.Errorf("frame %s: %w: no document stored", rec.ID, driver.ErrCorrupt)
	}
	if int64(len(rec.Data)) != rec.Size {
		return driver.Record{}, fmt.Errorf("frame %s: %w: %d bytes, want %d", rec.ID, driver.ErrCorrupt, len(rec.Data), rec.Size)
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return driver.Record{}, fmt.Errorf("frame %s: %w: checksum %08x, want %08x", rec.ID, driver.ErrCorrupt, sum, rec.Checksum)
	}
	return rec, nil
}
