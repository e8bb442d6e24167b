package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/checkinbot/checkinbot/bot"
)

// TestOneInstancePolls runs two instances on one bot token and one Redis:
// only the lease holder polls (Telegram allows one poller), every update is
// answered exactly once, and the standby takes over when the poller stops.
func TestOneInstancePolls(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	standby, _, _ := newTestBot(ctx, t, h.tg, h.redisURL, bot.Config{Unthrottled: true}) // as the harness's bot
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
