// Package goldentest compares what a test produced with a golden file,
// and rewrites the file instead when the test runs with -update: one
// helper for every package's golden files (testdata/ beside its tests).
package goldentest

import (
	"os"
	"testing"
)

// Check compares got with the golden file at path; with update it first
// writes got there. A difference fails the test and shows both, to be
// looked at before accepting it with -update.
func Check(tb testing.TB, path, got string, update bool) {
	tb.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("output differs from %s (look at it, then run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
