package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
)

// TestRetriedEnrollMakesOneInvite: /enroll's invite is created in the commit
// of the clinician's update, so its retries (Telegram failing the link's
// message, then two redeliveries) make no second invite; every message carries
// the same link, and the link works.
func TestRetriedEnrollMakesOneInvite(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.stopBot()
	h.say(clinician, "/enroll P-0099")
	b, api := h.throwawayBot()
	u := h.pending(api)[0]
	h.tg.FailNext("sendMessage", 1_000, telegramtest.Failure{Code: 502})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = b.HandleUpdate(ctx, u) // committed; the link waits in the reply outbox
	cancel()
	h.tg.ClearFailures()
	for range 2 {
		if err := b.HandleUpdate(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]bool{}
	for _, m := range h.tg.Messages(clinician.ID) {
		if _, after, ok := strings.Cut(m.Text, "?start="); ok && strings.Contains(m.Text, "Invite for P-0099") {
			links[strings.Fields(after)[0]] = true
		}
	}
	if len(links) != 1 {
		t.Fatalf("the retried /enroll sent %d different links, want 1", len(links))
	}
	if n := h.auditCount("invite.created", map[string]string{"label": "P-0099"}); n != 1 {
		t.Errorf("%d invites recorded, want 1", n)
	}
	h.startBot()
	for code := range links {
		h.say(patient, "/start "+code)
	}
	h.expect(patient.ID, "Welcome")
}

// TestRetriedScheduleCommitsOnce: /schedule, its audit entry and the
// clinician's update id commit together, so a retry changes nothing twice;
// the id is marked in the clinician's chat, not the patient's, so a patient
// update older than it (ids of different chats interleave) is still handled.
func TestRetriedScheduleCommitsOnce(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.stopBot()
	h.say(patient, "/status")
	h.say(clinician, "/schedule P-0042 sat 10:00 UTC")
	b, api := h.throwawayBot()
	updates := h.pending(api)
	if len(updates) != 2 {
		t.Fatalf("%d updates waiting, want 2", len(updates))
	}
	status, sched := updates[0], updates[1]
	for range 2 { // the clinician's update first, and again
		if err := b.HandleUpdate(context.Background(), sched); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.auditCount("schedule.set", map[string]string{"by": "500"}); n != 1 {
		t.Errorf("%d schedule changes recorded, want 1", n)
	}
	if n := h.count(clinician.ID, "Dose day for P-0042: Saturdays at 10:00"); n != 2 {
		t.Errorf("the clinician got %d confirmations, want one per attempt (2)", n)
	}
	if err := b.HandleUpdate(context.Background(), status); err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "not in a check-in right now")
	snap, err := h.st.Load(context.Background(), patient.ID, status.UpdateID)
	if err != nil || snap.Seen {
		t.Errorf("the patient's /status (older than the clinician's update) looks handled or failed: seen %v, err %v", snap.Seen, err)
	}
}
