package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

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
	ctx := context.Background()
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))

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

// startInstance starts another bot instance on the harness's emulator and
// Redis, with its own client and store connection, on the same clock.
func startInstance(t *testing.T, h *harness, clock *fakeClock, log io.Writer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b, _ := h.instance(ctx, bot.Config{Now: clock.Now, JobTick: 2 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(log, nil))})
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestOneInstancePolls runs two instances on one bot token and one Redis:
// only the lease holder polls (Telegram allows one poller), every update is
// answered exactly once, and the standby takes over when the poller stops.
func TestOneInstancePolls(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	standby, _ := h.instance(ctx, bot.Config{Unthrottled: true}) // as the harness's bot
	done := make(chan error, 1)
	go func() { done <- standby.Run(ctx) }()

	ask := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			h.say(patient, "/status")
		}
		for i := 0; i < n; i++ {
			h.expect(patient.ID, "not in a check-in")
		}
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
