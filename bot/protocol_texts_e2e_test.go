package bot_test

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// testProtocol loads a clinic protocol of testdata/protocols with its
// on-call number.
func testProtocol(t testing.TB, file, oncall string) *flows.Protocol {
	t.Helper()
	data, err := os.ReadFile("../testdata/protocols/" + file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := flows.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	p.SetOnCall(oncall)
	return p
}

// clinicUK loads the Harbour Clinic's protocol: /ready and /debrief, flows
// named prep, debrief and morning, UK crisis lines, offsets of seconds.
func clinicUK(t testing.TB) *flows.Protocol {
	return testProtocol(t, "clinic_uk.yaml", "+44 20 7946 0000")
}

// foreignWords are what the default protocol says and the Harbour Clinic's
// does not: its commands and its US crisis numbers.
var foreignWords = regexp.MustCompile(`/checkin|/after\b|/followup|/phq9|/gad7|\b988\b|\b911\b`)

// TestClinicProtocolSpeaksItsOwnWords walks a clinic protocol with other
// commands, other crisis numbers, renamed flows and short offsets: no
// message names a command it lacks or a resource it does not list, and the
// post-session and morning check-ins start by themselves.
func TestClinicProtocolSpeaksItsOwnWords(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 6, 7, 15, 0, 0, 0, time.UTC))
	h := newHarness(t, withClock(clock))
	h.proto = func() *flows.Protocol { return clinicUK(t) }
	h.stopBot()
	h.startBot()
	h.openChat(clinician)

	h.say(stranger, "hi, who are you?")
	h.expect(stranger.ID, "invite link", "Samaritans: call 116 123", "Call 999")

	h.enroll(patient, "H-1")
	h.say(patient, "hello there")
	h.expect(patient.ID, "/ready – pre-dose check", "/debrief – debrief after your session")
	h.say(patient, "/checkin")
	h.expect(patient.ID, "don't know that command", "/ready")
	h.say(patient, "/help")
	h.expect(patient.ID, "/ready", "/language", "116 123", "999")

	h.say(patient, "/ready")
	h.answer("sitter with you", "Yes")
	h.answer("harming yourself", "No")
	h.press(patient, patient.ID, "I've taken my dose", "clear to take")
	h.expect(patient.ID, "noted the time", "in about 90 seconds", "after 5 minutes")

	clock.Advance(90 * time.Second)
	h.pressNew(patient, "I'm OK", "How are you doing")
	h.expect(patient.ID, "Thanks for letting me know")

	clock.Advance(4 * time.Minute) // +5m30s: the debrief starts by itself
	h.expect(patient.ID, "Debrief time")
	h.pressNew(patient, "Good", "How was the session")

	fu := h.job(patient.ID, flows.JobFollowUp)
	if want := time.Date(2025, 6, 8, 9, 0, 0, 0, time.UTC); !fu.Due.Equal(want) {
		t.Fatalf("morning check due %v, want %v", fu.Due, want)
	}
	clock.Set(fu.Due)
	h.expect(patient.ID, "Good morning! The morning check")
	h.pressNew(patient, "Yes", "sleep well")
	h.expect(patient.ID, "that's everything")

	for _, chat := range []int64{patient.ID, stranger.ID} {
		for _, m := range h.tg.Messages(chat) {
			if foreignWords.MatchString(m.Text) {
				t.Errorf("chat %d got a word the clinic's protocol does not have: %q", chat, m.Text)
			}
		}
	}
}
