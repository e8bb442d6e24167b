package bot_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// flooder is a second patient, the one who sends far too much.
var flooder = telegramtest.User{ID: 1002, FirstName: "Flo"}

// newThrottledHarness runs the bot with Telegram's per-chat limits and the
// flood limit against an emulator that enforces Telegram's rate limits.
func newThrottledHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, telegramtest.NewServer(telegramtest.WithRateLimits(telegramtest.TelegramLimits)), throttled)
}

// TestClinicianIsNeverThrottled: a clinician typing commands faster than
// the bot answers is not a flood; every command is answered, none dropped.
func TestClinicianIsNeverThrottled(t *testing.T) {
	h := newThrottledHarness(t)
	h.openChat(clinician)
	const commands = 12 // three times the flood limit's burst
	for range commands {
		h.tg.SendText(clinician, "/open")
	}
	redistest.WaitFor(t, 2*wait, "an answer to every /open", func() bool {
		answered := 0
		for _, m := range h.tg.Messages(clinician.ID) {
			if strings.Contains(m.Text, "No escalations are waiting") {
				answered++
			}
		}
		return answered == commands
	})
	for _, m := range h.tg.Messages(clinician.ID) {
		if strings.Contains(m.Text, "faster than I can read") {
			t.Errorf("the clinician was told to slow down: %q", m.Text)
		}
	}
}

// sentAt is when the bot's first message to chat after since, whose text
// contains part, was accepted by the emulator; it waits for it.
func (h *harness) sentAt(chatID int64, since time.Time, part string) time.Time {
	h.t.Helper()
	deadline := time.Now().Add(2 * wait)
	for time.Now().Before(deadline) {
		for _, c := range h.tg.Calls("sendMessage") {
			if c.Status == 200 && c.Params["chat_id"] == strconv.FormatInt(chatID, 10) &&
				!c.At.Before(since) && strings.Contains(c.Params["text"], part) {
				return c.At
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("no message with %q in chat %d", part, chatID)
	return time.Time{}
}

// assertNoTooMany checks that the bot kept Telegram's limits: the emulator
// refused none of its messages.
func assertNoTooMany(t *testing.T, tg *telegramtest.Server) {
	t.Helper()
	sent := 0
	for _, c := range tg.Calls("sendMessage") {
		if c.Status == 429 {
			t.Errorf("Telegram refused a message with 429: %s", c.Error)
		}
		sent++
	}
	t.Logf("%d sendMessage calls, none over Telegram's limits", sent)
}

// TestFloodingPatientHoldsNoOneUp has one patient send 300 messages in 12 s
// (one of them a crisis message) while another asks /status and then
// answers the self-harm question "Yes": the other patient's replies and
// escalation arrive while the flood goes on, the flooder's crisis message is
// handled, and the flooder hears once to slow down.
func TestFloodingPatientHoldsNoOneUp(t *testing.T) {
	h := newThrottledHarness(t)
	h.enroll(patient, "P-0042")
	h.enroll(flooder, "P-0043")
	h.openChat(clinician)
	h.checkinUntil(qSelfHarm)
	h.expect(patient.ID, qSelfHarm)

	const total, crisisAt = 300, 150
	floodDone := make(chan struct{})
	started := make(chan struct{})
	go func() {
		defer close(floodDone)
		tick := time.NewTicker(12 * time.Second / total) // the flood's pace
		defer tick.Stop()
		for i := range total {
			if i == 10 {
				close(started)
			}
			text := "spam " + strconv.Itoa(i)
			if i == crisisAt {
				text = "I want to die"
			}
			h.tg.SendText(flooder, text)
			<-tick.C
		}
	}()
	<-started

	statusAt := time.Now()
	h.say(patient, "/status")
	statusReply := h.sentAt(patient.ID, statusAt, "check")
	yesAt := time.Now()
	h.answer(qSelfHarm, "Yes")
	crisisReply := h.sentAt(patient.ID, yesAt, "988")
	escalated := h.sentAt(clinician.ID, yesAt, "P-0042")
	select {
	case <-floodDone:
		t.Log("the flood ended before the other patient's replies arrived")
	default:
	}
	t.Logf("under the flood: /status reply %v, crisis reply %v, escalation %v",
		statusReply.Sub(statusAt).Round(time.Millisecond), crisisReply.Sub(yesAt).Round(time.Millisecond),
		escalated.Sub(yesAt).Round(time.Millisecond))

	<-floodDone
	h.expect(clinician.ID, "URGENT", "P-0043") // the flooder's crisis message was not dropped
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	if err := h.tg.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	var notices, replies int
	for _, m := range h.tg.Messages(flooder.ID) {
		replies++
		if strings.Contains(m.Text, "faster than I can read") {
			notices++
		}
	}
	t.Logf("the flooder got %d replies to %d messages", replies, total)
	if notices != 1 {
		t.Errorf("the flooder was told to slow down %d times, want once", notices)
	}
	if replies >= total/2 {
		t.Errorf("the flooder got %d replies to %d messages: the flood was not limited", replies, total)
	}
	h.expectAudit("flood_dropped")
	assertNoTooMany(t, h.tg)
}

// TestStrangerFloodHoldsNoOneUp has a stranger send 60 messages at once,
// then a patient ask /status: the patient gets the reply, and the stranger's
// extra messages are dropped rather than answered one a second for a minute
// (the latency is printed, not asserted).
func TestStrangerFloodHoldsNoOneUp(t *testing.T) {
	h := newThrottledHarness(t)
	h.enroll(patient, "P-0042")
	floodAt := time.Now()
	for range 60 {
		h.say(stranger, "hello?")
	}
	statusAt := time.Now()
	h.say(patient, "/status")
	reply := h.sentAt(patient.ID, statusAt, "check")
	h.sentAt(stranger.ID, floodAt, "faster than I can read")
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	if err := h.tg.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	strangerReplies := 0
	for _, c := range h.tg.Calls("sendMessage") {
		if c.Status == 200 && c.Params["chat_id"] == strconv.FormatInt(stranger.ID, 10) {
			last = c.At
			strangerReplies++
		}
	}
	t.Logf("/status answered in %v; the stranger's %d replies took %v",
		reply.Sub(statusAt).Round(time.Millisecond), strangerReplies, last.Sub(floodAt).Round(time.Millisecond))
	if strangerReplies >= 30 {
		t.Errorf("the stranger got %d replies to 60 messages: the flood was not limited", strangerReplies)
	}
	assertNoTooMany(t, h.tg)
}

// expectAudit waits for an audit entry of the event.
func (h *harness) expectAudit(event string) {
	h.t.Helper()
	deadline := time.Now().Add(3 * wait)
	for time.Now().Before(deadline) {
		entries, err := h.st.AuditLog(context.Background(), 0)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, e := range entries {
			if e.Event == event {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("no %s audit entry", event)
}

// TestWebhookFloodHoldsNoOneUp is the stranger's flood in webhook mode,
// where Telegram hands the bot a chat's updates one at a time: the
// stranger's extra messages are dropped (answered 200 at once, so Telegram
// moves on), and a patient's /status is answered meanwhile.
func TestWebhookFloodHoldsNoOneUp(t *testing.T) {
	tg, _ := startWebhookBot(t, "s3cret-token-for-the-webhook-0123", nil,
		telegramtest.WithRateLimits(telegramtest.TelegramLimits))
	floodAt := time.Now()
	for range 60 {
		tg.SendText(stranger, "hello?")
	}
	tg.SendText(patient, "/status")
	tg.ExpectMessage(t, patient.ID, 2*wait, nil)
	tg.ExpectMessage(t, stranger.ID, 2*wait, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "faster than I can read")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*wait)
	defer cancel()
	if err := tg.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	replies := len(tg.Messages(stranger.ID))
	t.Logf("the stranger got %d replies to 60 messages in %v", replies, time.Since(floodAt).Round(time.Millisecond))
	if replies >= 30 {
		t.Errorf("the stranger got %d replies to 60 messages: the flood was not limited", replies)
	}
	assertNoTooMany(t, tg)
}

// TestChatHeldOffHoldsNoWorker: a reply waiting out Telegram's retry_after
// in one chat kept its worker slot the whole time, so when the slots were
// all so held, every other chat's update waited (in the fault run a reply's
// handling began 2.5 s late). Now the slot is freed at the commit: with a
// single worker, a patient's /status is answered while another patient's
// reply waits out a 3 s retry_after.
func TestChatHeldOffHoldsNoWorker(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.Workers = 1 })
	h.enroll(patient, "P-0042")
	h.enroll(flooder, "P-0043")
	h.tg.FailNext("sendMessage", 1, telegramtest.Failure{Code: 429, RetryAfter: 3, ChatID: flooder.ID})
	h.say(flooder, "/checkin")
	waitUntil(t, "the 429 in the held chat", func() bool {
		return slices.ContainsFunc(h.tg.Calls("sendMessage"), func(c telegramtest.Call) bool {
			return c.Status == 429 && c.Params["chat_id"] == strconv.FormatInt(flooder.ID, 10)
		})
	})
	h.say(patient, "/status")
	status := h.expectMatch(patient.ID, func(telegramtest.Message) bool { return true })
	held := h.expect(flooder.ID, "safety check")
	if status.Changed > held.Changed {
		t.Errorf("/status was answered (%q) only after the held chat's reply", status.Text)
	}
}
