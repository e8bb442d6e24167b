package bot_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
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
			label := fmt.Sprintf("P-11%02d", i)
			u := h.enrollNew(int64(1100+i), label)
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
	h.exchange(patient, "/checkin", "988")
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
			label := fmt.Sprintf("R-%d", i)
			u := h.enrollNew(int64(1200+i), label)
			h.say(u, "/checkin")
			h.press(u, u.ID, "Yes, I do", "companion")
			h.expect(u.ID, "blood pressure and pulse")
			h.exchange(u, "120/80 70", "hours did you sleep")
			h.say(u, tt.text)
			h.expectCrisis(u, label, tt.group, tt.quoted, tt.lead)
		})
	}
}

// TestCrisisInAJournalEntry: the optional journal of the post-session
// check-in is screened like any answer.
func TestCrisisInAJournalEntry(t *testing.T) {
	h := newPatientHarness(t)
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
	h := newPatientHarness(t)
	h.exchange(patient, "all fine today", "/checkin")

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
	h := newPatientHarness(t)
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

// TestCrisisReplyWhileRedisHangs: with Redis paused (SIGSTOP), a patient
// who types "I want to die" gets the crisis resources at once, from the
// protocol in memory, then the delayed notice; once Redis answers again
// the escalation reaches the clinicians, and the patient does not get the
// crisis reply a second time.
func TestCrisisReplyWhileRedisHangs(t *testing.T) {
	h := newPatientHarness(t)
	resume := redistest.Pause(t, h.redisURL)
	paused := time.Now()

	h.exchange(patient, "I want to die", "worries me", "988", "care team has been alerted")
	alertAfter := time.Since(paused)
	h.expect(patient.ID, "technical problem", "988")
	noticeAfter := time.Since(paused)
	t.Logf("Redis paused: crisis reply after %v, delayed notice after %v", alertAfter.Round(time.Millisecond), noticeAfter.Round(time.Millisecond))
	if n := h.count(clinician.ID, "URGENT escalation"); n != 0 {
		t.Fatalf("%d escalations delivered while Redis was paused", n)
	}
	resume()

	h.expect(clinician.ID, "URGENT escalation", "P-0042", "I want to die")
	// The engine ran with the alert already sent: no second crisis reply.
	waitUntil(t, "the update is committed", func() bool {
		snap, err := h.st.Load(context.Background(), patient.ID, 0)
		return err == nil && snap.Version > 0 && len(snap.Unsent) == 0
	})
	if n := h.count(patient.ID, "worries me"); n != 1 {
		t.Errorf("the crisis reply came %d times, want 1", n)
	}
}

// TestCrisisWithUndecryptableSession: a bot started (against the start-up
// check) with a data key that cannot open the patient's session still
// answers "I want to kill myself" with the crisis resources, and the
// clinicians get the URGENT escalation, recorded without the session.
func TestCrisisWithUndecryptableSession(t *testing.T) {
	h := newHarness(t)
	key := func(b byte) *store.Cipher {
		c, err := store.NewCipher([]byte(strings.Repeat(string(rune('a'+b)), 32)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	h.storeOpts = []func(*store.Store){func(s *store.Store) { s.Cipher = key(1) }}
	h.stopBot()
	h.startBot()
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)

	h.storeOpts = []func(*store.Store){func(s *store.Store) { s.Cipher = key(2) }}
	h.st.Cipher = key(2) // to read the escalation the new key sealed
	h.stopBot()
	h.startBot()
	h.exchange(patient, "I want to kill myself", "worries me", "988", "care team has been alerted")
	m := h.expect(clinician.ID, "URGENT escalation", "P-0042", "I want to kill myself")
	if rec := h.escalation(m); rec.Level != flows.Urgent {
		t.Errorf("escalation level %q", rec.Level)
	}
	if n := h.count(patient.ID, "your answer was not saved"); n != 0 {
		t.Errorf("the patient in crisis was told %d times that it failed", n)
	}
}

// TestStrangerInCrisis: someone not enrolled who types a crisis phrase
// gets the crisis resources and the usual explanation, and the clinicians
// hear of it (the alert says the care team was alerted, so it must be).
func TestStrangerInCrisis(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.exchange(stranger, "I want to kill myself", "worries me", "988", "care team has been alerted")
	h.expect(stranger.ID, "invite link from your clinic")
	h.expect(clinician.ID, "URGENT escalation", store.NotEnrolled, "I want to kill myself")
}

// TestCrisisInPhotoCaption: a crisis phrase in a photo's caption is
// screened like typed text: crisis resources at once, and an escalation.
func TestCrisisInPhotoCaption(t *testing.T) {
	h := newPatientHarness(t)
	_, err := h.tg.Queue(`{"message": {"message_id": 900, "date": 1764480000,
		"chat": {"id": 1001, "type": "private", "first_name": "Pat"},
		"from": {"id": 1001, "is_bot": false, "first_name": "Pat"},
		"photo": [{"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}],
		"caption": "goodbye, I want to end my life"}}`)
	if err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "worries me", "988", "care team has been alerted")
	h.expect(clinician.ID, "URGENT escalation", "P-0042", "I want to end my life")
}

// BenchmarkCrisisLatency measures, through the running bot, how long a
// typed crisis message takes to bring the patient the crisis reply and
// the clinicians the URGENT escalation (p50 and p99 over b.N messages).
func BenchmarkCrisisLatency(b *testing.B) {
	h := newHarness(b)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	var reply, esc []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		text := "I want to die " + strings.Repeat("!", i%5) + time.Now().Format("150405.000000")
		h.exchange(patient, text, "worries me")
		reply = append(reply, time.Since(start))
		h.expect(clinician.ID, "URGENT escalation", text)
		esc = append(esc, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(reply, 50).Seconds()*1000, "reply-p50-ms")
	b.ReportMetric(percentile(reply, 99).Seconds()*1000, "reply-p99-ms")
	b.ReportMetric(percentile(esc, 50).Seconds()*1000, "escalation-p50-ms")
	b.ReportMetric(percentile(esc, 99).Seconds()*1000, "escalation-p99-ms")
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
