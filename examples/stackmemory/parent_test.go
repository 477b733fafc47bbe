package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
)

func TestSearchChildrenOfFrame(t *testing.T) {
	c := newCLI(t)
	root, kid1, kid2, other := tier.NewID(), tier.NewID(), tier.NewID(), tier.NewID()
	day := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	c.ok(putLine(root, "", "", "tree", day, `{"step":"build root"}`)+
		putLine(kid1, "", root, "tree", day.Add(24*time.Hour), `{"step":"build one"}`)+
		putLine(kid2, "", root, "tree", day.Add(48*time.Hour), `{"step":"build two"}`)+
		putLine(other, "", "", "tree", time.Time{}, `{"step":"build now"}`), "storage", "put")
	for _, tc := range []struct {
		args []string
		want []string // newest first
	}{
		{[]string{"", "--parent", root}, []string{kid2, kid1}},
		{[]string{"", "--parent", kid1}, nil},
		{[]string{"", "--parent", root, "--until", "2024-05-03"}, []string{kid1}},
		{[]string{"build", "--parent", root}, []string{kid2, kid1}},
	} {
		if got := searchIDs(t, c, tc.args...); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("search %q: got %v, want %v", tc.args, got, tc.want)
		}
	}
}
