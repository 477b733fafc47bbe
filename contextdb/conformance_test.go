package contextdb_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
)

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "frames.jsonl")
	if err := os.WriteFile(notSQLite, []byte(`{"id":"x"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	otherSQLite := filepath.Join(dir, "other.db")
	createContextDB(t, otherSQLite, `CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)`)
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier:  func(t *testing.T) driver.Tier { return openStore(t, newContextDB(t)) },
		Document: frameDocument,
		Corrupt:  corrupt,
		Open:     contextdb.Driver{}.Open,
		BadDSNs: []string{
			"contextdb://" + filepath.Join(dir, "missing", "context.db"),
			"contextdb://" + notSQLite,
			"contextdb://" + otherSQLite,
			"contextdb://" + newContextDB(t) + "?busy_timeout=soon",
			"contextdb://" + newContextDB(t) + "?cache=shared",
			"contextdb://host/context.db",
			"contextdb:",
			"sqlite:///tmp/context.db",
		},
	})
}

// frameDocument is a document with upstream's shape: the frames row's
// columns (identity columns left to the record's Meta), one event and one
// anchor. Event and anchor IDs are unique per call, as upstream's are.
func frameDocument(text string, n int) []byte {
	name, _ := json.Marshal(text)
	return fmt.Appendf(nil, `{"depth":1,"type":"task","name":%s,"state":"closed","inputs":{"n":%d},`+
		`"outputs":{"summary":"tests pass"},"digest_text":null,"digest_json":{},"closed_at":null,`+
		`"events":[{"event_id":"ev%s","seq":1,"event_type":"tool_call","payload":{"tool":"bash"},"ts":1700000000000}],`+
		`"anchors":[{"anchor_id":"an%s","type":"FACT","text":"kept","priority":0,"metadata":{},"created_at":1700000000}]}`,
		name, n, digits(), digits())
}

// digits returns 24 random decimal digits: unique, and no word a search
// could match.
func digits() string {
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%024d", n)
}

// corrupt damages what the file holds of frame id behind the driver's
// back: the bytes a host put, or, for a frame stored as canonical rows,
// the checksum those rows must match.
func corrupt(t *testing.T, tr driver.Tier, id string) {
	t.Helper()
	s := tr.(*contextdb.Store)
	db := upstream(t, s.Path())
	var doc []byte
	if err := db.Get(&doc, `SELECT coalesce(document, x'') FROM tier_metadata WHERE frame_id = ?`, id); err != nil {
		t.Fatalf("corrupt %s: %v", id, err)
	}
	var err error
	if len(doc) == 0 {
		_, err = db.Exec(`UPDATE tier_metadata SET checksum = (checksum + 1) % 4294967296 WHERE frame_id = ?`, id)
	} else {
		doc[len(doc)/2] ^= 0x20
		_, err = db.Exec(`UPDATE tier_metadata SET document = ? WHERE frame_id = ?`, doc, id)
	}
	if err != nil {
		t.Fatalf("corrupt %s: %v", id, err)
	}
}
