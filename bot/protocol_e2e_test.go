package bot_test

import (
	"os"
	"testing"

	"github.com/checkinbot/checkinbot/flows"
)

// TestAltProtocolEndToEnd runs a quite different clinic protocol through the
// emulator: other questions, wording, thresholds and re-measures, number and
// scale answers, a branch, and a flow started by the clinic's own command.
func TestAltProtocolEndToEnd(t *testing.T) {
	data, err := os.ReadFile("../testdata/protocols/alt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	alt, err := flows.Parse("alt.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	alt.SetOnCall("+1 555 0142")
	h := newHarness(t, withProtocol(alt))
	h.enroll(patient, "R-7")
	h.say(clinician, "/help")
	h.expect(clinician.ID, "Clinician commands")

	t.Run("help lists the clinic's commands", func(t *testing.T) {
		h.t = t
		h.say(patient, "/help")
		h.expect(patient.ID, "/checkin – Riverside pre-dose check", "/evening – evening check")
	})

	t.Run("blood pressure high three times holds and escalates", func(t *testing.T) {
		h.t = t
		h.say(patient, "/checkin")
		h.answer("companion", "Yes, I do")
		h.expect(patient.ID, "blood pressure and pulse")
		h.say(patient, "138/80 70") // above this item's own 135 limit
		h.expect(patient.ID, "Rest 5 minutes")
		h.say(patient, "137/80 70")
		h.expect(patient.ID, "Rest 5 minutes")
		h.say(patient, "136/80 70")
		h.expect(patient.ID, "stayed high")
		h.expect(clinician.ID, "HIGH", "R-7")
	})

	t.Run("branch through new medication to clearance", func(t *testing.T) {
		h.t = t
		h.say(patient, "/checkin")
		h.answer("companion", "Yes, I do")
		h.expect(patient.ID, "blood pressure and pulse")
		h.say(patient, "120/80 70")
		h.expect(patient.ID, "hours did you sleep")
		h.say(patient, "twenty")
		h.expect(patient.ID, "0 to 24") // a number out of words: re-asked with the range
		h.say(patient, "7")
		h.expect(patient.ID, "How much pain")
		h.say(patient, "8")
		h.expect(patient.ID, "let the nurse know")
		h.expect(clinician.ID, "ROUTINE", "R-7", "Pain")
		h.answer("new medication", "Yes, I do")
		h.expect(patient.ID, "Which medication")
		h.say(patient, "ibuprofen since Monday")
		h.expect(clinician.ID, "ROUTINE", "New medication")
		h.answer("Ready to go", "Ready")
		h.expectButtons(patient.ID, "I've taken my dose")
	})

	t.Run("the clinic's own flow and its crisis line", func(t *testing.T) {
		h.t = t
		h.say(patient, "/evening")
		h.expect(patient.ID, "How do you feel tonight")
		h.say(patient, "5")
		h.answer("hurting yourself", "Yes, I do")
		h.expect(patient.ID, "988", "Riverside nurse line: +1 555 0142")
		h.expect(clinician.ID, "URGENT", "R-7")
	})
}
