package bot_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot"
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

// throwawayBot is a second bot process on the harness's emulator and
// Redis that is never Run: it confirms nothing to Telegram and marks
// nothing sent in Redis, so dropping it is a crash. The harness's bot must
// be stopped.
func (h *harness) throwawayBot() (*bot.Bot, *tgbotapi.BotAPI) {
	h.t.Helper()
	b, api, _ := newTestBot(context.Background(), h.t, h.tg, h.redisURL, bot.Config{Consumer: "harness", Protocol: h.proto(),
		Logger: slog.New(slog.NewTextHandler(testLogWriter{h.t}, nil))})
	return b, api
}

// pending fetches the updates waiting at the emulator, without confirming them.
func (h *harness) pending(api *tgbotapi.BotAPI) []tgbotapi.Update {
	h.t.Helper()
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 0})
	if err != nil || len(updates) == 0 {
		h.t.Fatalf("no update waiting (err %v)", err)
	}
	return updates
}

// handleWhileTelegramFails has b handle u while every sendMessage and
// editMessageText fails (with a 5xx, for at most a second: a button's
// answer is shown by an edit), and checks that u was committed.
func (h *harness) handleWhileTelegramFails(b *bot.Bot, u tgbotapi.Update) {
	h.t.Helper()
	h.tg.FailNext("sendMessage", 1_000, telegramtest.Failure{Code: 502})
	h.tg.FailNext("editMessageText", 1_000, telegramtest.Failure{Code: 502})
	defer h.tg.ClearFailures()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := b.HandleUpdate(ctx, u); err == nil {
		h.t.Fatal("the update was handled although Telegram took no message")
	}
	snap, err := h.st.Load(context.Background(), updateChat(u), u.UpdateID)
	if err != nil || !snap.Seen {
		h.t.Fatalf("update %d was not committed (err %v)", u.UpdateID, err)
	}
}

func updateChat(u tgbotapi.Update) int64 {
	if u.CallbackQuery != nil {
		return u.CallbackQuery.Message.Chat.ID
	}
	return u.Message.Chat.ID
}

// TestRepliesSurviveCrashAfterCommit: the bot commits a self-harm "yes"
// and dies before Telegram takes any reply, leaving the update
// unconfirmed. The next start sends the committed replies (988 and the
// hold) and pages the clinicians once.
func TestRepliesSurviveCrashAfterCommit(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
	m := h.expectButtons(patient.ID, "Yes", qSelfHarm)
	h.stopBot()

	crisisBefore := h.count(patient.ID, "988", "care team")
	if _, err := h.tg.PressButton(patient, patient.ID, m.ID, buttonData(m, "Yes")); err != nil {
		t.Fatal(err)
	}
	b, api := h.throwawayBot()
	for _, u := range h.pending(api) {
		h.handleWhileTelegramFails(b, u) // then it dies
	}
	if n := h.count(patient.ID, "988", "care team") - crisisBefore; n != 0 {
		t.Fatalf("%d crisis replies before the restart, want 0 (the crash was not simulated)", n)
	}
	h.startBot()

	h.expect(patient.ID, "988", "care team", "pause today's dose") // the crisis reply is one message
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

// TestRetriedUpdateSendsCommittedReplies: an update whose commit went
// through but whose replies failed (Telegram down) is retried; the retry
// finds it committed and sends the committed replies, not "nothing", and
// not twice.
func TestRetriedUpdateSendsCommittedReplies(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	m := h.expectButtons(patient.ID, "Yes", qSitter)
	h.stopBot()
	if _, err := h.tg.PressButton(patient, patient.ID, m.ID, buttonData(m, "Yes")); err != nil {
		t.Fatal(err)
	}
	b, api := h.throwawayBot()
	u := h.pending(api)[0]
	h.handleWhileTelegramFails(b, u)
	if err := b.HandleUpdate(context.Background(), u); err != nil { // the retry
		t.Fatal(err)
	}
	h.expectButtons(patient.ID, "Yes", qDriving)
	if err := b.HandleUpdate(context.Background(), u); err != nil { // and another
		t.Fatal(err)
	}
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
