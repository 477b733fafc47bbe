// Command quickstart shows the library with no services at all: it stores
// a handful of agent frames in the embedded SQLite tier
// (~/.stackmemory/frames.db), reads one back, searches them, and prints the
// status of the chain.
//
//	go run ./examples/quickstart
//
// Set STACKMEMORY_SQLITE_PATH to use another file.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.SetFlags(0)
		log.Fatal("quickstart: ", err)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.Load("") // ~/.stackmemory/config.json if any, then the environment
	if err != nil {
		return err
	}
	cfg.BackgroundSync = new(bool) // a short run: nothing to move in the background
	m, err := config.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()

	session := tier.NewID()
	var root tier.Frame
	for i, step := range agentRun {
		f := tier.Frame{SessionID: session, ProjectID: "quickstart", Data: json.RawMessage(step)}
		if i > 0 {
			f.ParentID = root.ID
		}
		stored, err := m.Put(ctx, f)
		if err != nil {
			return err
		}
		if i == 0 {
			root = stored
		}
		fmt.Printf("stored frame %s (version %d, %d bytes)\n", stored.ID, stored.Version, stored.Size)
	}

	got, err := m.Get(ctx, root.ID)
	if err != nil {
		return err
	}
	fmt.Printf("\nread back %s from tier %d (%s):\n%s\n", got.ID, got.Level, got.Tier, got.Data)

	page, err := m.Query(ctx, tier.Query{ProjectID: "quickstart", Text: "flaky websocket", Limit: 5})
	if err != nil {
		return err
	}
	fmt.Printf("\nsearch %q found %d frames:\n", "flaky websocket", len(page.Frames))
	for _, f := range page.Frames {
		fmt.Printf("  %s  %s\n", f.ID, f.CreatedAt.Format(time.RFC3339))
	}

	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Println("\nstatus:")
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

// agentRun is what a coding agent might record while fixing a flaky test.
var agentRun = []string{
	`{"task":"fix the flaky websocket reconnect test","inputs":{"issue":"#412","files":["ws/client.go","ws/client_test.go"]},"digest":"plan: reproduce, find the race, fix, verify"}`,
	`{"task":"reproduce","events":[{"kind":"tool","name":"go test -run TestReconnect -count 200","exit":1,"failures":7}],"outputs":{"note":"fails 7/200 under -race"}}`,
	`{"task":"find the race","events":[{"kind":"read","path":"ws/client.go","lines":[88,140]}],"outputs":{"cause":"reconnect timer fires after Close and reuses the closed conn"}}`,
	`{"task":"fix","outputs":{"diff":"stop the timer in Close; guard conn with the client mutex","files":["ws/client.go"]}}`,
	`{"task":"verify","events":[{"kind":"tool","name":"go test -race -run TestReconnect -count 500","exit":0}],"outputs":{"summary":"flaky websocket test fixed: 0/500 failures"}}`,
}
