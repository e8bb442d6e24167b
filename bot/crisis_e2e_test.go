package bot_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
)

// The crisis screen end to end: whatever a patient types, at whichever
// prompt, a crisis brings the crisis resources in the reply to that very
// message and an URGENT escalation naming the group and the words.

const onCall = "+1 555 010 0199"

// expectCrisis waits for the crisis reply in u's chat and the clinicians'
// URGENT escalation for label, and checks which help leads the reply.
func (h *harness) expectCrisis(u telegramtest.User, label, group, quoted, lead string, more ...string) {
	h.t.Helper()
	reply := h.expect(u.ID, "worries me", "988", "911", "care team has been alerted")
	other := map[string]string{"988": "911", "911": "988"}[lead]
	if i, j := strings.Index(reply.Text, lead), strings.Index(reply.Text, other); i < 0 || i > j {
		h.t.Errorf("the crisis reply does not lead with %s:\n%s", lead, reply.Text)
	}
	h.expect(clinician.ID, append([]string{"URGENT", label, "Why: crisis screen: " + group, quoted}, more...)...)
}

// TestCrisisPhrasesOfTheIssueAtTheBloodPressureQuestion: each phrasing that
// once got only "couldn't read that as a blood pressure" now brings help.
func TestCrisisPhrasesOfTheIssueAtTheBloodPressureQuestion(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	for i, tt := range []struct{ text, group, lead string }{
		{"i wanna die", "self-harm or suicide", "988"},
		{"I want to end it all", "self-harm or suicide", "988"},
		{"I took too many pills", "overdose or poisoning", "911"},
		{"I don't want to be here anymore", "self-harm or suicide", "988"},
		{"kms", "self-harm or suicide", "988"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			h.t = t
			u := telegramtest.User{ID: int64(1100 + i), FirstName: "P"}
			label := fmt.Sprintf("P-11%02d", i)
			h.enroll(u, label)
			h.say(u, "/checkin")
			h.press(u, u.ID, "Yes", qSitter)
			h.press(u, u.ID, "Yes", qDriving)
			h.expect(u.ID, qVitals)
			h.say(u, tt.text)
			h.expectCrisis(u, label, tt.group, tt.text, tt.lead)
		})
	}
}

// TestCrisisAfterACommand: words typed after a command are screened too;
// "/checkin I want to die" brings help instead of a safety check.
func TestCrisisAfterACommand(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin I want to die")
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "I want to die", "988")
	h.say(patient, "/checkin")
	h.expect(patient.ID, "988")
	if got := h.count(patient.ID, qSitter); got != 0 {
		t.Errorf("a safety check started %d times after a crisis typed with the command", got)
	}
}

// TestCrisisAtANumberPromptWithClinicPhrases: a clinic protocol with its own
// phrases still catches "suicide", at a number question; its own phrase
// works too, with emergency services first for a medical one.
func TestCrisisAtANumberPromptWithClinicPhrases(t *testing.T) {
	data, err := os.ReadFile("../testdata/protocols/alt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withPhrases := strings.Replace(string(data), "  oncall_text:", "  phrases: [chest tightness, bladder bleeding]\n  oncall_text:", 1)
	alt, err := flows.Parse("alt.yaml", []byte(withPhrases))
	if err != nil {
		t.Fatal(err)
	}
	if len(alt.Crisis.Phrases) != 2 {
		t.Fatalf("the clinic's phrases did not load: %v", alt.Crisis.Phrases)
	}
	alt.SetOnCall(onCall)
	h := newHarness(t, withProtocol(alt))
	h.openChat(clinician)
	for i, tt := range []struct{ text, group, quoted, lead string }{
		{"been thinking about suicide", "self-harm or suicide", "suicide", "988"},
		{"some chest tightness since I sat down", "medical emergency", "chest tightness", "911"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			h.t = t
			u := telegramtest.User{ID: int64(1200 + i), FirstName: "R"}
			label := fmt.Sprintf("R-%d", i)
			h.enroll(u, label)
			h.say(u, "/checkin")
			h.press(u, u.ID, "Yes, I do", "companion")
			h.expect(u.ID, "blood pressure and pulse")
			h.say(u, "120/80 70")
			h.expect(u.ID, "hours did you sleep")
			h.say(u, tt.text)
			h.expectCrisis(u, label, tt.group, tt.quoted, tt.lead)
		})
	}
}

// TestCrisisInAJournalEntry: the optional journal of the post-session
// check-in is screened like any answer.
func TestCrisisInAJournalEntry(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "/after")
	h.answers("mood", "About the same", "nausea", "None", "dizziness", "None", "headache", "None", "detached", "A little", "chest pain", "No", "ending your life", "No", "sitter still", "Yes")
	h.expect(patient.ID, "write a few lines")
	h.say(patient, "Calm session. But lately I feel like everyone would be better off without me.")
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "better off without me", "988")
}

// TestCrisisInAnEditedMessage: a patient who edits a message into a crisis
// gets help and the clinicians are paged; any other edit gets a short note
// that edits change no answer.
func TestCrisisInAnEditedMessage(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "all fine today")
	h.expect(patient.ID, "/checkin")

	if _, err := h.tg.EditLastText(patient, "all fine today, thanks"); err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "edited a message")

	if _, err := h.tg.EditLastText(patient, "not fine. I want to kill myself"); err != nil {
		t.Fatal(err)
	}
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "kill myself", "988", "Question: Edited message")
}

// TestCrisisInAPhotoCaption: a caption is typed text too.
func TestCrisisInAPhotoCaption(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	_, err := h.tg.Queue(fmt.Sprintf(`{"message": {"message_id": 900, "date": 1700000000,
		"from": {"id": %d, "is_bot": false, "first_name": "Pat"},
		"chat": {"id": %d, "type": "private", "first_name": "Pat"},
		"photo": [{"file_id": "F1", "file_unique_id": "U1", "width": 800, "height": 600}],
		"caption": "this is me today. I want to die"}}`, patient.ID, patient.ID))
	if err != nil {
		t.Fatal(err)
	}
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "want to die", "988")
}
