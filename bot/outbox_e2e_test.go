package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// committed waits until chat's session records update updateID.
func (h *harness) committed(chatID int64, updateID int) {
	h.t.Helper()
	waitUntil(h.t, "the update is committed", func() bool {
		snap, err := h.st.Load(context.Background(), chatID, updateID)
		return err == nil && snap.Seen
	})
}

// TestRepliesSurviveCrashAfterCommit: the bot commits a self-harm "yes"
// and dies before Telegram takes any reply (every sendMessage fails, then
// the bot stops with the update unconfirmed). The next start sends the
// committed replies (988 and the hold) and pages the clinicians once.
func TestRepliesSurviveCrashAfterCommit(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
	m := h.expectButtons(patient.ID, "Yes", qSelfHarm)

	crisisBefore := h.count(patient.ID, "988", "care team")
	h.tg.FailNext("sendMessage", 1_000_000, telegramtest.Failure{Code: 502})
	upd, err := h.tg.PressButton(patient, patient.ID, m.ID, buttonData(m, "Yes"))
	if err != nil {
		t.Fatal(err)
	}
	h.committed(patient.ID, upd)
	h.stopBot() // the crash: nothing was sent
	if n := h.count(patient.ID, "988", "care team") - crisisBefore; n != 0 {
		t.Fatalf("%d crisis replies before the restart, want 0 (the crash was not simulated)", n)
	}
	h.tg.ClearFailures()
	h.startBot()

	h.expect(patient.ID, "988", "care team")
	h.expect(patient.ID, "pause today's dose")
	urgent := h.expect(clinician.ID, "URGENT", "P-0042")
	rec := h.escalation(urgent)
	// Once acknowledged in the outbox, the dispatcher sends no more copies.
	waitUntil(t, "the escalation outbox is drained", func() bool {
		n, err := h.st.OutboxPending(context.Background())
		return err == nil && n == 0
	})
	if n := h.count(clinician.ID, "URGENT escalation", "P-0042"); n != 1 {
		t.Errorf("clinician got %d URGENT copies, want 1", n)
	}
	if rec.Level != "URGENT" {
		t.Errorf("escalation level %q, want URGENT", rec.Level)
	}
	// The outbox is empty once the restart marked what it sent.
	waitUntil(t, "the reply outbox is empty", func() bool {
		r, err := h.st.UnsentReplies(context.Background(), patient.ID)
		return err == nil && len(r) == 0
	})
}

// TestRedeliveredUpdateSendsCommittedReplies: an update whose commit went
// through but whose replies failed (Telegram down) is retried; the retry
// finds it committed and sends the committed replies, not "nothing".
func TestRedeliveredUpdateSendsCommittedReplies(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)
	// Six attempts fail: the sender gives up once, the update is retried.
	h.tg.FailNext("sendMessage", 6, telegramtest.Failure{Code: 502})
	h.answer(qSitter, "Yes")
	h.expectButtons(patient.ID, "Yes", qDriving)
	if n := h.count(patient.ID, qDriving); n != 1 {
		t.Errorf("the next question came %d times, want 1", n)
	}
}

// TestTimedJobRepliesTakenOverBySweeper: replies a dead instance committed
// for a chat (here written straight to the outbox, owned by another
// instance) are sent by the sweeper of a live one once their grace ends.
func TestTimedJobRepliesTakenOverBySweeper(t *testing.T) {
	h := newHarness(t)
	h.storeOpts = append(h.storeOpts, func(s *store.Store) { s.ReplyGrace = 300 * time.Millisecond })
	h.enroll(patient, "P-0042")
	h.stopBot()
	h.startBot()
	ctx := context.Background()
	snap, err := h.st.Load(ctx, patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.st.ReplyGrace = 300 * time.Millisecond
	_, err = h.st.Commit(ctx, store.Commit{
		ChatID: patient.ID, Version: snap.Version, Session: snap.Session,
		Replies: []store.OutboxReply{{Reply: flowsReply("How are you doing? (from a dead instance)"), Owner: "elsewhere/run1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "from a dead instance")
	waitUntil(t, "the reply outbox is empty", func() bool {
		r, err := h.st.UnsentReplies(ctx, patient.ID)
		return err == nil && len(r) == 0
	})
	if n := h.count(patient.ID, "from a dead instance"); n != 1 {
		t.Errorf("the reply was sent %d times, want 1", n)
	}
}

// TestEnrollOnlyInPrivate: an invite is single use, so /enroll in the
// clinicians' group is refused there, and no invite is posted.
func TestEnrollOnlyInPrivate(t *testing.T) {
	const group = -100700
	h := newHarness(t)
	h.tg.SendGroupText(clinician, group, "/enroll P-0042")
	m := h.expect(group, "private chat")
	if strings.Contains(m.Text, "?start=") {
		t.Errorf("an invite was posted in the group: %q", m.Text)
	}
	h.invite("P-0042") // privately it works
}

func flowsReply(text string) flows.Reply { return flows.Reply{Text: text} }
