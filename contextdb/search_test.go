package contextdb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// Writes go through the writer connection and searches through the read
// pool: each search must see the index as the last write left it, and a
// frame upstream wrote must be found as soon as it is there.
func TestSearchSeesEveryWrite(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	s := openStore(t, path)
	up := upstream(t, path)
	for i := range 60 {
		word := fmt.Sprintf("marker%dx", i)
		id := fmt.Sprintf("ff000000-8888-4888-8888-%012d", i)
		if i%2 == 0 {
			doc := frameDocument(word, i)
			rec := driver.Record{Meta: driver.Meta{ID: id, SessionID: "run", ProjectID: "p", Version: 1,
				Checksum: driver.Checksum(doc)}, Data: doc}
			if err := s.Put(ctx, rec); err != nil {
				t.Fatal(err)
			}
		} else {
			up.MustExec(`INSERT INTO frames (frame_id, run_id, project_id, type, name) VALUES (?, 'run', 'p', 'task', ?)`, id, word)
		}
		hits, err := s.Query(ctx, driver.Query{Text: word, Limit: 5})
		if err != nil || len(hits) != 1 || hits[0].ID != id {
			t.Fatalf("search for %s right after writing it: %d hits, %v", word, len(hits), err)
		}
		if i > 0 {
			prev := fmt.Sprintf("ff000000-8888-4888-8888-%012d", i-1)
			if err := s.Delete(ctx, prev, driver.AnyVersion); err != nil {
				t.Fatal(err)
			}
			if hits, err := s.Query(ctx, driver.Query{Text: fmt.Sprintf("marker%dx", i-1), Limit: 5}); err != nil || len(hits) != 0 {
				t.Fatalf("search for a deleted frame: %d hits, %v", len(hits), err)
			}
		}
	}
}
