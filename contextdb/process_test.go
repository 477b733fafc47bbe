package contextdb_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// childEnv names the file a child process writes as upstream does.
const childEnv = "CONTEXTDB_TEST_UPSTREAM_CHILD"

const childFrames = 60

// runUpstreamChild writes frames, events and anchors into path as
// upstream StackMemory does, one transaction per frame, then closes the
// frames it opened.
func runUpstreamChild(path string) int {
	db, err := openUpstream(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	for i := range childFrames {
		id := fmt.Sprintf("c%07d-7777-4777-8777-%012d", i, i)
		tx, err := db.Begin()
		if err == nil {
			_, err = tx.Exec(`INSERT INTO frames (frame_id, run_id, project_id, type, name, inputs) VALUES (?, 'child-run', 'acme-api', 'task', ?, '{"i": 1}')`, id, fmt.Sprintf("child frame %d", i))
		}
		if err == nil {
			_, err = tx.Exec(`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload) VALUES (?, 'child-run', ?, 1, 'note', '{}')`, id+"-e", id)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err == nil && i%2 == 0 {
			_, err = db.Exec(`UPDATE frames SET state = 'closed', closed_at = unixepoch() WHERE frame_id = ?`, id)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
	}
	_ = db.Close()
	return 0
}

func TestAnotherProcessWritesMeanwhile(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	g := generate(t, upstream(t, path), 30, 2, 1)
	s := openStore(t, path)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+path)
	out := make(chan error, 1)
	var stderr []byte
	go func() {
		var err error
		stderr, err = child.CombinedOutput()
		out <- err
	}()

	// Meanwhile this process demotes and restores the generated frames,
	// and writes its own.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for round := range 3 {
			recs, err := s.GetMany(ctx, g.frames)
			if err != nil {
				errs <- err
				return
			}
			var dels []driver.Deletion
			for _, r := range recs {
				dels = append(dels, driver.Deletion{ID: r.ID, UpTo: r.Version})
			}
			errs <- s.DeleteMany(ctx, dels)
			errs <- s.PutMany(ctx, recs)
			doc := frameDocument("ours", round)
			errs <- s.Put(ctx, driver.Record{Meta: driver.Meta{ID: fmt.Sprintf("fe000000-6666-4666-8666-%012d", round),
				SessionID: "run", ProjectID: "p", Version: 1, Checksum: driver.Checksum(doc)}, Data: doc})
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-out; err != nil {
		t.Fatalf("upstream child: %v\n%s", err, stderr)
	}

	// Every frame of both writers is there, each document the encoding of
	// its current rows.
	u, err := s.Usage(ctx)
	if err != nil || u.Frames != 30+childFrames+3 {
		t.Fatalf("Usage = %+v, %v; want %d frames", u, err, 30+childFrames+3)
	}
	for i := range childFrames {
		id := fmt.Sprintf("c%07d-7777-4777-8777-%012d", i, i)
		doc := decode(t, mustGet(t, s, id).Data)
		if (doc["state"] == "closed") != (i%2 == 0) || len(doc["events"].([]any)) != 1 {
			t.Fatalf("child frame %d reads %v", i, doc)
		}
	}
	checkIntegrity(t, path)
}
