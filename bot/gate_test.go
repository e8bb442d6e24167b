package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/checkinbot/checkinbot/flows"
)

// FuzzGateArgs feeds the arguments of /clear, /pause and /limits and a
// resolution note to their parsers: nothing panics, and what is accepted
// is a valid label with a bounded note or limits within the ranges.
func FuzzGateArgs(f *testing.F) {
	for _, s := range []string{
		"P-0042 called, safe", "P-0042", "", " P-0042  150/95 105 ", "P-0042 off", "P-0042 300/95 105",
		"P-0042 95/150 80", "bad!label note", "clear: called her", "CLEAR", strings.Repeat("x ", 400),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		if label, text, ok := labelAndText(args); ok {
			if !validLabel(label) || text == "" || utf8.RuneCountInString(text) > maxGateNote {
				t.Fatalf("labelAndText(%q) accepted %q %q", args, label, text)
			}
		}
		if label, lim, err := parseLimits(args); err == nil {
			if !validLabel(label) || (lim != nil && lim.Check() != nil) {
				t.Fatalf("parseLimits(%q) accepted %q %+v", args, label, lim)
			}
		}
		if clear, rest := flows.ResolutionClears(args); clear && len(rest) > len(args) {
			t.Fatalf("ResolutionClears(%q) grew the note to %q", args, rest)
		}
	})
}
