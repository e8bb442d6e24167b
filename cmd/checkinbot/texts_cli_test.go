package main

import "testing"

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
