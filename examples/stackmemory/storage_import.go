package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// importReport is the output of `storage import`.
type importReport struct {
	Files    int          `json:"files"`
	Stored   int          `json:"stored"`
	Rejected int          `json:"rejected"`
	Errors   []lineResult `json:"errors"`
}

func (a *app) importCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import <file.jsonl>...",
		Short: "Store the frames of JSON-lines files, with progress",
		Long: `Store the frames of one or more JSON-lines files, in batches, with a
progress bar on a terminal. Each line has the shape read by 'storage put'.
Bad lines are reported on stderr as file:line and skipped; the other lines
are stored and the exit code is then 5.`,
		Example: `  stackmemory storage import export-2024-05.jsonl export-2024-06.jsonl
  stackmemory storage import --json frames.jsonl`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			var total int64
			for _, name := range files {
				fi, err := os.Stat(name)
				if err != nil {
					return withCode(exitUsage, err)
				}
				if fi.IsDir() {
					return usageErrorf("%s is a directory, not a JSON-lines file", name)
				}
				total += fi.Size()
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.close(a)
			rep := importReport{Errors: []lineResult{}}
			bar := a.newProgress("import", "bytes", total, true)
			var before int64
			emit := func(r lineResult) {
				if r.Error == "" {
					rep.Stored++
					return
				}
				rep.Rejected++
				rep.Errors = append(rep.Errors, r)
				fmt.Fprintf(a.stderr, "%s:%d: %s\n", r.File, r.Line, a.scrub(r.Error))
			}
			for _, name := range files {
				f, err := os.Open(name)
				if err != nil {
					bar.finish()
					return err
				}
				err = readFrames(cmd.Context(), s.m, name, f, emit, func(n int64) { bar.set(before + n) })
				fi, _ := f.Stat()
				_ = f.Close()
				if err != nil {
					bar.finish()
					return fmt.Errorf("%s: stopped after %d frames stored: %w", name, rep.Stored, err)
				}
				if fi != nil {
					before += fi.Size()
				}
				bar.set(before)
				rep.Files++
			}
			bar.finish()
			if rep.Rejected > 0 {
				a.exitCode = exitRejected
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			a.printf("imported %d frames from %d file(s)", rep.Stored, rep.Files)
			if rep.Rejected > 0 {
				a.printf(", %d lines rejected", rep.Rejected)
			}
			a.printf("\n")
			return nil
		},
	}
}
