package pgdriver

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stackmemoryai/tier/driver"
)

// upsertSQL writes a batch of rows given as column arrays. A row replaces
// the stored one only if its version is at least the stored version; a
// row of a frame buried at its version or later is not written
// (tombstones.go); the access statistics of a stored row are kept. The JSONB copy and the search
// vector are computed by the server from the document text.
var upsertSQL = `
INSERT INTO frames_archive AS a (frame_id, session_id, project_id, parent_id,
	created_at, version, checksum, size_bytes, last_accessed, access_count, lfu_key,
	frame_data_raw, frame_data_compressed, frame_data, search_vector)
SELECT i.frame_id, i.session_id, i.project_id, i.parent_id,
	i.created_at, i.version, i.checksum, i.size_bytes, i.last_accessed, i.access_count, i.lfu_key,
	i.raw, i.compressed, d.doc, ` + searchVectorSQL + `
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[],
	$5::timestamptz[], $6::int8[], $7::int8[], $8::int4[], $9::timestamptz[], $10::int4[], $11::float8[],
	$12::bytea[], $13::bytea[], $14::text[])
	AS i(frame_id, session_id, project_id, parent_id,
	created_at, version, checksum, size_bytes, last_accessed, access_count, lfu_key,
	raw, compressed, doc_text)
CROSS JOIN LATERAL (SELECT i.doc_text::jsonb AS doc OFFSET 0) d -- OFFSET 0: parse once
WHERE NOT EXISTS (SELECT 1 FROM frame_tombstones t WHERE t.frame_id = i.frame_id AND t.up_to >= i.version)
ON CONFLICT (frame_id) DO UPDATE SET
	session_id = excluded.session_id,
	project_id = excluded.project_id,
	parent_id = excluded.parent_id,
	created_at = excluded.created_at,
	version = excluded.version,
	checksum = excluded.checksum,
	size_bytes = excluded.size_bytes,
	frame_data_raw = excluded.frame_data_raw,
	frame_data_compressed = excluded.frame_data_compressed,
	frame_data = excluded.frame_data,
	search_vector = excluded.search_vector,
	archived_at = now()
WHERE a.version <= excluded.version`

// searchVectorSQL computes the search vector of the document d.doc of
// i.size_bytes bytes: the string values of the document, all of them in a
// document of at most SearchIndexChars bytes, else the first
// SearchIndexChars characters of them, so that the vector stays within
// PostgreSQL's 1 MB limit whatever the document.
var searchVectorSQL = fmt.Sprintf(`coalesce(CASE WHEN i.size_bytes <= %[1]d
		THEN jsonb_to_tsvector('english', d.doc, '["string"]')
		ELSE to_tsvector('english', left((SELECT string_agg(v #>> '{}', ' ')
			FROM jsonb_path_query(d.doc, 'strict $.**') v WHERE jsonb_typeof(v) = 'string'), %[1]d))
	END, ''::tsvector)`, SearchIndexChars)

// putChunkFrames is how many frames one upsert statement carries at most.
const putChunkFrames = 250

// putChunkBytes bounds the document bytes of one upsert statement (a
// statement and each of its arrays must stay under PostgreSQL's 1 GB): a
// chunk ends after the record that reaches it.
const putChunkBytes = 32 << 20

// putWorkers is how many upsert statements of one PutMany run at once.
const putWorkers = 4

// Put archives rec unless the archive holds the frame with a greater
// Version. A new frame takes its access statistics from rec; a stored one
// keeps its own. rec.Compressed, when set, is stored as is; otherwise a
// document of at least Options.CompressMin bytes is compressed with brotli
// when that makes it smaller. A record whose IDs are not UUIDs, whose
// Version is above math.MaxInt64, whose document is larger than
// [MaxFrameSize] or does not match its Size and Checksum is refused with
// an error wrapping driver.ErrInvalidRecord, before anything is written.
// Put runs under Options.Timeout, or Options.BatchTimeout for a document
// of at least [LargeDocument] bytes.
func (s *Store) Put(ctx context.Context, rec driver.Record) error {
	return s.PutMany(ctx, []driver.Record{rec})
}

// PutMany archives every record under the rules of [Store.Put], up to
// putChunkFrames frames per statement, with up to putWorkers statements
// running at once on separate connections (the server builds the JSONB
// copy and the search vector of each frame, which is what bounds
// throughput). Of several records with the same ID the one with the
// greatest Version (the last among equals) is written. If any record is
// invalid, nothing is written. Each statement is atomic; when PutMany
// fails, other parts of the batch may be stored, which is harmless since
// writes are idempotent.
func (s *Store) PutMany(ctx context.Context, recs []driver.Record) error {
	if err := s.checkOpen("put"); err != nil {
		return err
	}
	recs = newestByID(recs)
	var chunks []*columns
	for i := range recs {
		if len(chunks) == 0 || len(chunks[len(chunks)-1].ids) >= putChunkFrames || chunks[len(chunks)-1].bytes >= putChunkBytes {
			chunks = append(chunks, new(columns))
		}
		if err := chunks[len(chunks)-1].add(&recs[i], &s.opts); err != nil {
			return wrapErr("put", err)
		}
	}
	batch := len(recs) > 1 || (len(recs) == 1 && len(recs[0].Data) >= LargeDocument)
	switch len(chunks) {
	case 0:
		return nil
	case 1:
		return s.putChunk(ctx, chunks[0], batch)
	}
	workers := min(len(chunks), putWorkers, int(s.opts.Pool.MaxConns))
	next := make(chan *columns)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			var err error
			for c := range next {
				if err == nil {
					err = s.putChunk(ctx, c, true)
				}
			}
			errs <- err
		}()
	}
	for _, c := range chunks {
		next <- c
	}
	close(next)
	var err error
	for range workers {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}

// putChunk upserts one chunk in one statement, in a transaction holding
// the chunk's frames' shared locks against a concurrent Bury.
func (s *Store) putChunk(ctx context.Context, c *columns, batch bool) error {
	return s.run(ctx, "put", batch, true, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, lockFramesSharedSQL, c.ids, tombstoneLockClass); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, upsertSQL, c.ids, c.sessions, c.projects, c.parents,
				c.created, c.versions, c.checksums, c.sizes, c.accessed, c.accessCounts, c.lfuKeys,
				c.raws, c.compressed, c.docs)
			return err
		})
	})
}

// newestByID returns recs without duplicate IDs, keeping for each ID the
// record with the greatest Version, the last one among equals, since one
// statement may not update a row twice.
func newestByID(recs []driver.Record) []driver.Record {
	if len(recs) < 2 {
		return recs
	}
	at := make(map[string]int, len(recs))
	out := make([]driver.Record, 0, len(recs))
	for _, rec := range recs {
		i, dup := at[rec.ID]
		switch {
		case !dup:
			at[rec.ID] = len(out)
			out = append(out, rec)
		case rec.Version >= out[i].Version:
			out[i] = rec
		}
	}
	return out
}
