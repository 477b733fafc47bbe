package pgdriver

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// FuzzStoredRecord decodes arbitrary archived rows, as another tool (or
// damage) may leave them: never a panic, and never a document that does
// not match its stored size and checksum.
func FuzzStoredRecord(f *testing.F) {
	doc := []byte(`{"task":"archive me"}`)
	f.Add(doc, []byte(nil), int32(len(doc)), int64(driver.Checksum(doc)), "01a2164c-caad-74aa-a56b-aea90deee445")
	f.Add([]byte(nil), codec.Compress(doc, 5), int32(len(doc)), int64(driver.Checksum(doc)), "")
	f.Add([]byte(nil), []byte{0xde, 0xad}, int32(-1), int64(-1), "not-a-uuid")
	f.Add([]byte(nil), []byte(nil), int32(0), int64(0), "")
	f.Fuzz(func(t *testing.T, raw, compressed []byte, size int32, checksum int64, id string) {
		var st recordRow
		if u, ok := parseUUID(id); ok {
			st.ID = u
		}
		st.Size = pgtype.Int4{Int32: size, Valid: true}
		st.Checksum = checksum
		st.Raw, st.Compressed = raw, compressed
		rec, err := st.record()
		if err != nil {
			if !errors.Is(err, driver.ErrCorrupt) {
				t.Fatalf("a bad row gave %v, want ErrCorrupt", err)
			}
			return
		}
		if int64(len(rec.Data)) != rec.Size || driver.Checksum(rec.Data) != rec.Checksum {
			t.Fatalf("record() returned a document that does not match its size and checksum")
		}
	})
}
