package bot_test

import (
	"context"
	"testing"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// TestCluster runs the bot end to end on a Redis Cluster of three masters
// (redistest.StartCluster), where a script or a MULTI whose keys are in
// more than one slot is refused: enrolment, a pre-dose check cleared and
// one held, a self-harm answer acknowledged, timed jobs (ping, escalation,
// re-page), a crash between a commit and its relay, and two instances.
// The tests are those of a single Redis, on the cluster; the subtests take
// turns on one cluster, flushed for each (a cluster takes two seconds to
// form).
func TestCluster(t *testing.T) {
	cluster, err := redistest.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	on := func(t *testing.T, opts ...option) *harness {
		t.Helper()
		if err := cluster.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		return newHarnessAt(t, telegramtest.NewServer(), cluster.URL, opts...)
	}
	t.Run("enrolment", func(t *testing.T) { enrolmentAndReusedInvite(t, on(t)) })
	t.Run("cleared check", func(t *testing.T) { clearedCheckInAndDoseButton(t, on(t)) })
	t.Run("held check", func(t *testing.T) { vitalsHighTwiceHoldsAndEscalatesHigh(t, on(t).withUsualCast()) })
	t.Run("self-harm acknowledged", func(t *testing.T) {
		acknowledgeOnlyByClinicians(t, on(t, withEscalationChat(ackGroup)))
	})
	t.Run("timed jobs", func(t *testing.T) {
		clock := newFakeClock(testStart)
		timelinePingRetryNoResponse(t, clock, on(t, withClock(clock)).withUsualCast())
	})
	t.Run("crash between commit and relay", func(t *testing.T) { crashBetweenCommitAndRelay(t, on(t).withUsualCast()) })
	t.Run("two instances", func(t *testing.T) {
		clock := newFakeClock(testStart)
		twoInstancesRunEachJobOnce(t, clock, on(t, withClock(clock)))
	})
}

// TestCrashBetweenCommitAndRelay: on a single Redis too, the same code.
func TestCrashBetweenCommitAndRelay(t *testing.T) {
	crashBetweenCommitAndRelay(t, newPatientHarness(t))
}

// crashBetweenCommitAndRelay: an instance commits a self-harm "yes" and
// dies before its relay carries the escalation to the global keys (its
// relay calls fail, as if it had died just before them). The patient has
// the crisis resources from the commit's replies; the next start relays
// the escalation from the chat's relay list and pages the clinicians,
// once: later relays and sweeps raise it no second time.
func crashBetweenCommitAndRelay(t *testing.T, h *harness) {
	ctx := context.Background()
	h.checkinUntil(qSelfHarm)
	m := h.expectButtons(patient.ID, "Yes", qSelfHarm)
	h.stopBot()

	// The instance that dies: its store's relays never reach Redis.
	dying, cancel := context.WithCancel(context.Background())
	b, _, dyingStore := newTestBot(dying, t, h.tg, h.redisURL, bot.Config{Consumer: "harness", Protocol: h.proto(), Logger: h.logger(), Unthrottled: true, DigestAt: "off"},
		func(st *store.Store) { redistest.FailScripts(st.Client(), "ck:{g}:relayed") })
	done := make(chan error, 1)
	go func() { done <- b.Run(dying) }()
	if err := h.tg.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	h.pressing(m)
	if _, err := h.tg.PressButton(patient, patient.ID, m.ID, buttonData(m, "Yes")); err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "988", "care team")
	if open, err := h.st.OpenEscalations(ctx); err != nil || len(open) != 0 {
		t.Fatalf("escalations raised %v (err %v) before any relay", open, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Its connections end with it: a dispatcher blocked reading the
	// outbox must not take the escalation the next start relays.
	_ = dyingStore.Close()

	// The next start relays it, and the clinicians are paged.
	h.startBot()
	h.expect(clinician.ID, "URGENT escalation", "P-0042")
	if open, err := h.st.OpenEscalations(ctx); err != nil || len(open) != 1 {
		t.Fatalf("open escalations %v (err %v), want one", open, err)
	}
	// Another start (a second relay of what the list still holds) and the
	// patient's next commit (which drops the applied entry) raise nothing
	// more.
	h.stopBot()
	h.startBot()
	h.exchange(patient, "/status", "")
	h.exchange(patient, "/checkin", "")
	if open, err := h.st.OpenEscalations(ctx); err != nil || len(open) != 1 {
		t.Fatalf("open escalations %v (err %v), want still one", open, err)
	}
	if n := h.count(clinician.ID, "URGENT escalation", "P-0042"); n != 1 {
		t.Fatalf("the clinician got %d URGENT pages, want 1", n)
	}
}
