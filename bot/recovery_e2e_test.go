package bot_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	redistest.WaitFor(t, wait, what, cond)
}

// throwawayBot is a second bot process on the harness's emulator and
// Redis that is never Run: it confirms nothing to Telegram and marks
// nothing sent in Redis, so dropping it is a crash. The harness's bot must
// be stopped.
func (h *harness) throwawayBot() (*bot.Bot, *tgbotapi.BotAPI) {
	h.t.Helper()
	return h.instance(context.Background(), asHarness)
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

func flowsReply(text string) flows.Reply { return flows.Reply{Text: text} }

// startInstance starts another bot instance on the harness's emulator and
// Redis, with its own client and store connection, on the same clock.
func startInstance(t *testing.T, h *harness, clock *fakeClock, log io.Writer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b, _ := h.instance(ctx, withClock(clock), withLogger(log))
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestRepliesSurviveCrashAfterCommit: the bot commits a self-harm "yes"
// and dies before Telegram takes any reply, leaving the update
// unconfirmed. The next start sends the committed replies (988 and the
// hold) and pages the clinicians once.
func TestRepliesSurviveCrashAfterCommit(t *testing.T) {
	h := newPatientHarness(t)
	h.checkinUntil(qSelfHarm)
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
	h.st.ReplyGrace = 300 * time.Millisecond // from the load on, which marks the chat for the sweeper
	snap, err := h.st.Load(ctx, patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
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

// TestJobOfACrashedInstanceRunsAfterRestart: an instance claims the due
// ping and dies before sending it. The job is not lost: once its claim's
// lease ends, the restarted bot requeues it and delivers the ping, late,
// once.
func TestJobOfACrashedInstanceRunsAfterRestart(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.takeDose()
	h.stopBot()

	clock.Advance(time.Hour)
	h.st.ClaimTTL = time.Minute
	claimed, err := h.st.ClaimDue(ctx, clock.Now(), 10) // the instance that dies
	if err != nil || len(claimed) != 1 || claimed[0].Job.Kind != flows.JobPing {
		t.Fatalf("claimed %+v %v", claimed, err)
	}

	h.storeOpts = append(h.storeOpts, func(s *store.Store) { s.ClaimTTL = time.Minute })
	h.startBot()
	h.none(patient.ID, "How are you doing") // the lease still holds
	clock.Advance(time.Minute + time.Second)
	h.expectButtons(patient.ID, "I'm OK", "How are you doing")
	h.settle(clock, patient.ID)
	if n := h.count(patient.ID, "How are you doing"); n != 1 {
		t.Fatalf("%d pings, want 1", n)
	}
	// The chain goes on from there: the retry is scheduled.
	h.job(patient.ID, flows.JobPingRetry)
}

// TestJobsDueWhileDownRunAfterRestart: a bot that was down while jobs came
// due runs them when it is back, in due order, late but not skipped.
func TestJobsDueWhileDownRunAfterRestart(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.takeDose()
	h.stopBot()
	clock.Advance(3 * time.Hour) // ping, retry and post-session all came due meanwhile
	h.startBot()
	h.expectButtons(patient.ID, "I'm OK", "How are you doing")
	h.expect(patient.ID, "winding down")
	// The ping's retry counts from when the ping was actually sent.
	if r := h.job(patient.ID, flows.JobPingRetry); !r.Due.Equal(clock.Now().Add(30 * time.Minute)) {
		t.Fatalf("retry due %v, want 30 min after %v", r.Due, clock.Now())
	}
}

// TestEscalationLeftPendingIsDelivered: an instance read an escalation from
// the outbox and crashed before sending it. The entry stays pending in the
// consumer group; the restarted bot reclaims it, delivers it, and only then
// acknowledges it in the outbox.
func TestEscalationLeftPendingIsDelivered(t *testing.T) {
	ctx := context.Background()
	h := newPatientHarness(t)
	h.stopBot()

	snap, err := h.st.Load(ctx, patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.st.Commit(ctx, store.Commit{ChatID: patient.ID, Version: snap.Version, Session: snap.Session,
		Escalations: []store.NewEscalation{{Patient: "P-0042", ChatID: patient.ID, Escalation: flows.Escalation{
			Level: flows.Urgent, Flow: flows.FlowTimeline, Item: flows.PingItem, Question: "How are you doing?",
			Answer: "I need help", Reason: "left pending by a crashed instance", At: time.Now()}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h.st.ReadOutbox(ctx, "crashed-instance", 10, 0); err != nil || len(got) != 1 {
		t.Fatalf("read %+v %v", got, err)
	}

	h.storeOpts = append(h.storeOpts, func(s *store.Store) { s.OutboxMinIdle = time.Millisecond })
	h.startBot()
	h.expect(clinician.ID, "URGENT", "P-0042", "left pending by a crashed instance")
	deadline := time.Now().Add(wait)
	for n := int64(1); n > 0; {
		if n, err = h.st.Client().XLen(ctx, "ck:{g}:outbox").Result(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivered entry was never acknowledged (%d left)", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n := h.count(clinician.ID, "left pending by a crashed instance"); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

// TestTwoInstancesRunEachJobOnce runs two bot instances, each with its own
// Telegram client and store connection, on one Redis and one fake clock:
// every due job runs exactly once, even with both instances claiming at the
// same moment and two jobs of one chat decided on two instances at once.
func TestTwoInstancesRunEachJobOnce(t *testing.T) {
	clock := newFakeClock(testStart)
	twoInstancesRunEachJobOnce(t, clock, newHarness(t, withClock(clock)))
}

// twoInstancesRunEachJobOnce runs on a harness with withClock(clock).
func twoInstancesRunEachJobOnce(t *testing.T, clock *fakeClock, h *harness) {
	ctx := context.Background()

	secondLog := &redistest.LogBuffer{}
	stop := startInstance(t, h, clock, secondLog)
	defer stop()

	const n = 12
	var patients []telegramtest.User
	for i := range n {
		patients = append(patients, h.enrollNew(int64(3000+i), fmt.Sprintf("P-%04d", i)))
	}
	// Each patient has taken a dose an hour ago, and the ping and the
	// post-session check-in come due at the same moment.
	now := clock.Now()
	for _, u := range patients {
		snap, err := h.st.Load(ctx, u.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		s := snap.Session
		s.Dose = &flows.Dose{Run: "dose1", ClearedAt: now.Add(-time.Hour), TakenAt: now.Add(-time.Hour)}
		jobs := []flows.Job{
			{Kind: flows.JobPing, Due: now.Add(time.Minute), Run: "dose1"},
			{Kind: flows.JobPostSession, Due: now.Add(time.Minute), Run: "dose1"},
		}
		if _, err := h.st.Commit(ctx, store.Commit{ChatID: u.ID, Version: snap.Version, Session: s, Jobs: jobs}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	for _, u := range patients {
		h.expectButtons(u.ID, "I'm OK", "How are you doing")
		h.expect(u.ID, "winding down")
	}
	for _, u := range patients {
		h.settle(clock, u.ID)
	}
	for _, u := range patients {
		if p, w := h.count(u.ID, "How are you doing"), h.count(u.ID, "winding down"); p != 1 || w != 1 {
			t.Errorf("patient %d: %d pings and %d post-session starts, want 1 each", u.ID, p, w)
		}
	}
	t.Logf("the second instance ran %d of the %d jobs", strings.Count(secondLog.String(), "timed job ran"), 2*n)
}

// TestOneInstancePolls runs two instances on one bot token and one Redis:
// only the lease holder polls (Telegram allows one poller), every update is
// answered exactly once, and the standby takes over when the poller stops.
func TestOneInstancePolls(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	standby, _ := h.instance(ctx, unthrottled) // as the harness's bot
	done := make(chan error, 1)
	go func() { done <- standby.Run(ctx) }()

	// Wait for the replies by count: an expectation consumes the newest
	// matching message, so n expectations in a row miss replies that
	// arrive together.
	asked := 0
	ask := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			h.say(patient, "/status")
		}
		asked += n
		waitUntil(t, fmt.Sprintf("%d replies to /status", asked), func() bool {
			return h.count(patient.ID, "not in a check-in") >= asked
		})
	}
	ask(10)
	h.stopBot() // the poller goes away; the standby takes over
	ask(5)
	statusReplies := 0
	for _, m := range h.tg.Messages(patient.ID) {
		if strings.Contains(m.Text, "not in a check-in") {
			statusReplies++
		}
	}
	if statusReplies != 15 {
		t.Errorf("%d replies to 15 /status messages", statusReplies)
	}
	for _, c := range h.tg.Calls("getUpdates") {
		if c.Status == 409 {
			t.Fatalf("two instances polled at once: %s", fmt.Sprint(c.Error))
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
