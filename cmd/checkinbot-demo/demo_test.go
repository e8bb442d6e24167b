package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runDemoScript runs the demo with stdin as the person's typing.
func runDemoScript(t *testing.T, stdin string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := runDemo(context.Background(), strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestDemoExitsCleanlyWithStdinClosed(t *testing.T) {
	out, err := runDemoScript(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Welcome") || !strings.Contains(out, "Invite for DEMO-001") {
		t.Fatalf("the demo did not enrol the patient:\n%s", out)
	}
}

// upToSelfHarm is the person's typing from enrolment to the pre-dose
// check's self-harm question: the intake screen, the clinician's clearance
// (c/ sends a clinician command), and the items before it, answered safely.
func upToSelfHarm() []string {
	return []string{
		"2", "2", "2", "2", "2", "2", "2", // the intake screen: No to each
		"c/clear DEMO-001 reviewed",
		"/checkin",
		"1",         // sitter: Yes
		"1",         // no driving: Yes
		"150/85 80", // vitals
		"2",         // substances: No
		"2",         // fasting: No
		"2",         // health change: No
	}
}

// TestDemoScriptedPatient plays a whole pre-dose check through the demo's
// terminal interface: numbers press buttons, text is typed.
func TestDemoScriptedPatient(t *testing.T) {
	script := strings.Join(append(upToSelfHarm(),
		"2", // self-harm: No
		"1", // setting: Yes
		"1", // I've taken my dose
		"7", // no buttons left to press
		"/status",
	), "\n") + "\n"
	out, err := runDemoScript(t, script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cleared you", "clear to take today's dose", "[1] I've taken my dose", "noted the time", "no buttons to press"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// TestDemoScriptedClinician plays the clinician through the demo: a typed
// command, a button press picked by escalation number, and the earlier
// escalation message shown again once it changed.
func TestDemoScriptedClinician(t *testing.T) {
	script := strings.Join(append(upToSelfHarm(),
		"1", // self-harm: Yes (escalation #2, URGENT)
		"c: /open",
		"c1@2",  // Acknowledge escalation #2
		"c1@99", // no such escalation on screen
		"c: /ack 1",
		"c: /digest",
	), "\n") + "\n"
	out, err := runDemoScript(t, script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[to clinicians]\n  🔴 URGENT", "[c1] or [c1@2] Acknowledge",
		"Escalations not yet resolved", "(pressed \"Acknowledge\")",
		"[to clinicians: an earlier message, updated]", "Acknowledged by Dr. Demo",
		"no message of escalation #99 has buttons",
		"Escalation #1 (🔵 ROUTINE · patient DEMO-001) is acknowledged",
		"Digest of the week so far", "DEMO-001",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
