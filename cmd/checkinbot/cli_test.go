package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/checkinbot/checkinbot/internal/goldentest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr,
		func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, filepath.Join("..", "..", "testdata", name), got, *update)
}

// cliGolden runs the command in-process and checks its exit code and that
// its output matches the golden file testdata/<name>.
func cliGolden(t *testing.T, wantCode int, name string, args ...string) {
	t.Helper()
	code, out, _ := runCLI(t, nil, "", args...)
	if code != wantCode {
		t.Errorf("exit code %d, want %d", code, wantCode)
	}
	golden(t, name, out)
}

func TestProtocolCheckReportsEveryProblem(t *testing.T) {
	cliGolden(t, 1, "protocols/broken.check.golden", "protocol", "check", "../../testdata/protocols/broken.yaml")
}

func TestProtocolCheckAcceptsShippedProtocols(t *testing.T) {
	for _, file := range []string{"-", "../../testdata/protocols/alt.yaml"} {
		code, out, errOut := runCLI(t, nil, "", "protocol", "check", file)
		if code != 0 || !strings.Contains(out, ": ok: protocol") {
			t.Errorf("check %s: exit %d, out %q, err %q", file, code, out, errOut)
		}
	}
}

func TestProtocolDefaultRoundTrips(t *testing.T) {
	code, out, _ := runCLI(t, nil, "", "protocol", "default")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	path := filepath.Join(t.TempDir(), "clinic.yaml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, nil, "", "protocol", "check", path); code != 0 {
		t.Fatalf("the printed default protocol does not check: %s", out)
	}
}

func TestProtocolShowMatchesGolden(t *testing.T) {
	cliGolden(t, 0, "protocols/default.mmd.golden", "protocol", "show", "-")
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"nonsense"}, {"protocol"}, {"protocol", "check"}, {"protocol", "lint", "x"}} {
		code, _, errOut := runCLI(t, nil, "", args...)
		if code == 0 || !strings.Contains(errOut, "usage") && !strings.Contains(errOut, "Usage") {
			t.Errorf("%v: exit %d, stderr %q; want a usage message", args, code, errOut)
		}
	}
	if code, _, errOut := runCLI(t, nil, "", "protocol", "check", "/no/such/file.yaml"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

// TestReadmeProtocolExample keeps the README honest: its complete protocol
// example must pass `protocol check`.
func TestReadmeProtocolExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	if !ok {
		t.Fatal("README has no yaml example")
	}
	example, _, _ := strings.Cut(rest, "```")
	path := filepath.Join(t.TempDir(), "example.yaml")
	if err := os.WriteFile(path, []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, nil, "", "protocol", "check", path); code != 0 {
		t.Fatalf("the README's example does not check:\n%s%s", out, errOut)
	}
}

// TestProtocolCheckRefusesTextsAndTimeline pins the refusals of issue 11: a
// text naming a command the protocol lacks, a crisis block without a
// resource, a timeline naming no flow, and offsets of 0 or below a second.
func TestProtocolCheckRefusesTextsAndTimeline(t *testing.T) {
	cliGolden(t, 1, "protocols/refused.check.golden", "protocol", "check", "../../testdata/protocols/refused.yaml")
}

// TestProtocolCheckAcceptsTheClinicFile: other commands, renamed flows and
// second-long offsets in a file marked testing.
func TestProtocolCheckAcceptsTheClinicFile(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "", "protocol", "check", "../../testdata/protocols/clinic_uk.yaml")
	if code != 0 || out != "../../testdata/protocols/clinic_uk.yaml: ok: protocol \"harbour-2\" with 4 flows\n" {
		t.Errorf("exit %d, out %q, err %q", code, out, errOut)
	}
}

// TestProtocolCheckReportsMissingTranslations: each untranslated text is
// reported at its line, as a warning (it stays in the clinic's language).
func TestProtocolCheckReportsMissingTranslations(t *testing.T) {
	cliGolden(t, 0, "protocols/untranslated.check.golden", "protocol", "check", "../../testdata/protocols/untranslated.yaml")
}

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
