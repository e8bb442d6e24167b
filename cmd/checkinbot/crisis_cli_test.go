package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProtocolCheckWarnsWhenTheCrisisLexiconIsOff: builtin: false is allowed
// (exit 0) but protocol check says what it switches off.
func TestProtocolCheckWarnsWhenTheCrisisLexiconIsOff(t *testing.T) {
	data, err := os.ReadFile("../../testdata/protocols/alt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	off := strings.Replace(string(data), "  oncall_text:", "  builtin: false\n  oncall_text:", 1)
	path := filepath.Join(t.TempDir(), "clinic.yaml")
	if err := os.WriteFile(path, []byte(off), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, nil, "", "protocol", "check", path)
	if code != 0 || !strings.Contains(out, "warning: crisis.builtin is false") || !strings.Contains(out, "typed messages are not screened at all") || !strings.Contains(out, ": ok: protocol") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}
