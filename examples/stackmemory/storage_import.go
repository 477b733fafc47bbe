package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier/contextdb"
)

// importReport is the output of `storage import`.
type importReport struct {
	Files    int          `json:"files"`
	Stored   int          `json:"stored"`
	Rejected int          `json:"rejected"`
	Errors   []lineResult `json:"errors"`
}

// importFile is one file given to `storage import`.
type importFile struct {
	name string
	size int64
	// contextDB is set for an upstream StackMemory context.db.
	contextDB bool
}

func (a *app) importCommand() *cobra.Command {
	var files []importFile
	return &cobra.Command{
		Use:   "import <file.jsonl | context.db>...",
		Short: "Store the frames of JSON-lines files or of a StackMemory context.db",
		Long: `Store the frames of one or more files, in batches, with a progress bar on
a terminal.

A JSON-lines file has one frame per line, in the shape read by 'storage
put' and written by 'storage export'. Bad lines are reported on stderr as
file:line and skipped; the other lines are stored and the exit code is then 5.

An upstream StackMemory context.db (.stackmemory/context.db of a project) is
read, never changed, and each of its frames is copied into the chain with
its row, events and anchors as its document (the shape package contextdb
defines), keeping its frame_id, run_id (as session), project, parent and
creation time. To tier such a file in place instead, point tier 1 at it
with --sqlite.`,
		Example: `  stackmemory storage import export-2024-05.jsonl export-2024-06.jsonl
  stackmemory storage import ~/code/web/.stackmemory/context.db
  stackmemory storage import --json frames.jsonl`,
		Args: args(cobra.MinimumNArgs(1)),
		PreRunE: func(_ *cobra.Command, names []string) error {
			files = files[:0]
			for _, name := range names {
				f, err := classifyImport(name)
				if err != nil {
					return err
				}
				files = append(files, f)
			}
			return a.notTier1(files)
		},
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			var total int64
			for _, f := range files {
				total += f.size
			}
			rep := importReport{Errors: []lineResult{}}
			bar := a.newProgress("import", "bytes", total, true)
			defer bar.finish()
			var before int64
			rejected := &rejectionLog{a: a}
			defer rejected.done()
			emit := func(r lineResult) {
				if r.Error == "" {
					rep.Stored++
					return
				}
				rep.Rejected++
				rep.Errors = append(rep.Errors, r)
				if r.FrameID != "" {
					rejected.add(fmt.Sprintf("%s: frame %s", r.File, r.FrameID), r.Error)
				} else {
					rejected.add(fmt.Sprintf("%s:%d", r.File, r.Line), r.Error)
				}
			}
			for _, f := range files {
				var err error
				if f.contextDB {
					err = importContextDB(ctx, s, f.name, emit)
				} else {
					err = importLines(ctx, s, f.name, emit, func(n int64) { bar.set(before + n) })
				}
				if err != nil {
					return rep, fmt.Errorf("%s: stopped after %s stored: %w", f.name, count(rep.Stored, "frame"), err)
				}
				before += f.size
				bar.set(before)
				rep.Files++
			}
			if rep.Rejected > 0 {
				a.exitCode = exitRejected
			}
			return rep, nil
		}),
	}
}

func (rep importReport) text(a *app) {
	a.printf("imported %s from %s", count(rep.Stored, "frame"), count(rep.Files, "file"))
	if rep.Rejected > 0 {
		a.printf(", %d rejected", rep.Rejected)
	}
	a.printf("\n")
}

// classifyImport checks that name is a file import can read: JSON lines
// or an upstream context.db. Any other SQLite database is refused with a
// message that says so.
func classifyImport(name string) (importFile, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return importFile{}, withCode(exitUsage, err)
	}
	if fi.IsDir() {
		return importFile{}, usageErrorf("%s is a directory, not a JSON-lines file or a context.db", name)
	}
	f := importFile{name: name, size: fi.Size()}
	head, err := fileHead(name)
	if err != nil {
		return importFile{}, withCode(exitUsage, err)
	}
	if !bytes.HasPrefix(head, sqliteHeader) {
		return f, notLinesError(name, head)
	}
	ok, err := contextdb.IsContextDB(name)
	if err != nil {
		return importFile{}, withCode(exitUsage, fmt.Errorf("%s: %w", name, err))
	}
	if !ok {
		return importFile{}, usageErrorf("%s is a SQLite database but not a StackMemory context.db (it lacks the frames, events and anchors tables); storage import reads JSON lines or a context.db", name)
	}
	f.contextDB = true
	return f, nil
}

// importLines stores the frames of a JSON-lines file.
func importLines(ctx context.Context, s *session, name string, emit func(lineResult), progress func(int64)) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return readFrames(ctx, s.m, name, f, emit, progress)
}

// importContextDB copies the frames of an upstream context.db into the
// chain, in batches. The file is opened read-only.
func importContextDB(ctx context.Context, s *session, name string, emit func(lineResult)) error {
	var batch []pendingLine
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := storeBatch(ctx, s.m, name, batch)
		if err != nil {
			return err
		}
		for i, r := range res {
			if r.Error != "" {
				r.FrameID = batch[i].frame.ID
			}
			emit(r)
		}
		batch = batch[:0]
		return nil
	}
	for rec, err := range contextdb.Frames(ctx, name) {
		if err != nil {
			return err
		}
		n++
		batch = append(batch, pendingLine{line: n, frame: frameOfRecord(rec)})
		if len(batch) == putBatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// notTier1 refuses to import the context.db that tier 1 already is.
func (a *app) notTier1(files []importFile) error {
	for _, f := range files {
		if !f.contextDB {
			continue
		}
		cfg, _, err := a.loadConfig()
		if err != nil {
			return err
		}
		if samePath(f.name, sqlitePath(cfg)) {
			return usageErrorf("%s is tier 1 already (the SQLite file of the chain): its frames are in the chain", f.name)
		}
	}
	return nil
}

// samePath reports whether two paths name the same file.
func samePath(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(ai, bi)
	}
	aa, err1 := filepath.Abs(a)
	ba, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ba
}
