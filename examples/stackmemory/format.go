package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// count says n of a noun: "1 frame", "3 frames", "2 copies".
func count[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if plural, ok := irregularPlurals[noun]; ok {
		return fmt.Sprintf("%d %s", n, plural)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

var irregularPlurals = map[string]string{"copy": "copies"}

// humanBytes formats a byte count with a binary unit: "512 B", "1.5 KiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// humanDuration rounds a latency for display: "850µs", "12.3ms", "1.2s".
func humanDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// humanTime formats a timestamp, or "-" for the zero time.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// percent formats a ratio as a percentage.
func percent(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

// snippet shortens a document to one line of at most n characters.
func snippet(doc []byte, n int) string {
	s := strings.Join(strings.Fields(string(doc)), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// table writes aligned columns.
type table struct{ w *tabwriter.Writer }

func newTable(a *app) *table {
	return &table{w: tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)}
}

func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.w, "\t")
		}
		fmt.Fprint(t.w, c)
	}
	fmt.Fprintln(t.w)
}

func (t *table) flush() { _ = t.w.Flush() }
