package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// TestCrisisReplyWhileRedisHangs: with Redis paused (SIGSTOP), a patient
// who types "I want to die" gets the crisis resources at once, from the
// protocol in memory, then the delayed notice; once Redis answers again
// the escalation reaches the clinicians, and the patient does not get the
// crisis reply a second time.
func TestCrisisReplyWhileRedisHangs(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	resume := redistest.Pause(t, h.redisURL)
	paused := time.Now()

	h.say(patient, "I want to die")
	h.expect(patient.ID, "worries me", "988", "care team has been alerted")
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
	h.say(patient, "I want to kill myself")
	h.expect(patient.ID, "worries me", "988", "care team has been alerted")
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
	h.say(stranger, "I want to kill myself")
	h.expect(stranger.ID, "worries me", "988", "care team has been alerted")
	h.expect(stranger.ID, "invite link from your clinic")
	h.expect(clinician.ID, "URGENT escalation", store.NotEnrolled, "I want to kill myself")
}

// TestCrisisInPhotoCaption: a crisis phrase in a photo's caption is
// screened like typed text: crisis resources at once, and an escalation.
func TestCrisisInPhotoCaption(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
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
		h.say(patient, text)
		h.expect(patient.ID, "worries me")
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
