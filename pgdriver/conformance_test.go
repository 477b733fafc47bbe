package pgdriver

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// TestConformance runs the driver conformance suite, each tier in a
// database of its own, with documents up to MaxFrameSize.
func TestConformance(t *testing.T) {
	server := testenv.PostgresServerURL(t)
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier { return newStore(t) },
		Corrupt: corruptCopy,
		Open:    Driver{}.Open,
		BadDSNs: []string{
			withParams(server, "compresion=5"),
			withParams(server, "compression=12"),
			withParams(server, "timeout=soon"),
			"mysql://u:pw@127.0.0.1/db",
			"postgres://u:pw@127.0.0.1:notaport/db",
			replaceDatabase(t, server, testenv.Unique("no_such_db_")),
		},
		BigFrames: true,
	})
}

// corruptCopy damages the stored document of id in place, keeping its
// size and checksum columns: the next read must find the mismatch.
func corruptCopy(t *testing.T, tr driver.Tier, id string) {
	t.Helper()
	var pool *pgxpool.Pool
	if !tr.(driver.Aser).As(&pool) {
		t.Fatal("the tier does not give its pool")
	}
	tag, err := pool.Exec(context.Background(), `UPDATE frames_archive SET
		frame_data_raw = CASE WHEN frame_data_raw IS NULL THEN NULL
			WHEN octet_length(frame_data_raw) = 0 THEN '\x7b7d'::bytea
			ELSE set_byte(frame_data_raw, 0, (get_byte(frame_data_raw, 0) + 1) % 256) END,
		frame_data_compressed = CASE WHEN frame_data_compressed IS NULL THEN NULL ELSE '\xdeadbeef'::bytea END
		WHERE frame_id = $1`, id)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("corrupt %s: %v (%d rows)", id, err, tag.RowsAffected())
	}
}
