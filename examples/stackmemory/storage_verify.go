package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) verifyCommand() *cobra.Command {
	var repair bool
	cmd := &cobra.Command{
		Use:   "verify [--repair]",
		Short: "Check every copy of every frame; optionally repair",
		Long: `Read every copy of every frame in every tier and check it: corrupt copies
(checksum mismatch), stale copies (older than one in a higher tier), frames
held only by a cache tier, frames with no good copy left. With --repair,
fix what can be fixed from a good copy.

Exit code 8 when problems remain unrepaired, 4 when a tier could not be
checked.`,
		Example: `  stackmemory storage verify
  stackmemory storage verify --repair --json`,
		Args: args(cobra.NoArgs),
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			bar := a.newProgress("verify", "frames", -1, false)
			rep, err := s.m.Verify(ctx, tier.VerifyOptions{
				Repair:   repair,
				Progress: func(n int) { bar.set(int64(n)) },
			})
			bar.finish()
			if err != nil {
				return nil, err
			}
			if rep.Issues == nil {
				rep.Issues = []tier.VerifyIssue{}
			}
			return verifyReport(rep), verifyOutcome(rep)
		}),
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "repair what can be repaired from a good copy")
	return cmd
}

// verifyReport is the output of `storage verify`.
type verifyReport tier.VerifyReport

func (rep verifyReport) text(a *app) {
	a.printf("checked %s, %s: %s, %d repaired\n", count(rep.Checked, "frame"), count(rep.Copies, "copy"), count(len(rep.Issues), "problem"), rep.Repaired)
	if len(rep.Issues) > 0 {
		t := newTable(a)
		t.row("FRAME", "TIER", "PROBLEM", "REPAIRED", "DETAIL")
		for _, is := range rep.Issues {
			t.row(is.FrameID, is.Tier, is.Kind, is.Repaired, is.Detail)
		}
		t.flush()
	}
	for _, u := range rep.Unreachable {
		a.printf("not checked (unreachable): %s\n", u)
	}
}

// verifyOutcome gives the exit code of a verify: unavailable when a tier
// was not checked, integrity when problems remain.
func verifyOutcome(rep tier.VerifyReport) error {
	if len(rep.Unreachable) > 0 {
		return &exitError{Code: exitUnavailable, Err: fmt.Errorf("verify: tiers not checked: %v", rep.Unreachable)}
	}
	left := 0
	for _, is := range rep.Issues {
		if !is.Repaired {
			left++
		}
	}
	if left > 0 {
		return &exitError{Code: exitIntegrity, Err: fmt.Errorf("verify: %d problems not repaired", left)}
	}
	return nil
}
