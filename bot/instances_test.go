package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// TestOneInstancePolls runs two instances on one bot token and one Redis:
// only the lease holder polls (Telegram allows one poller), every update is
// answered exactly once, and the standby takes over when the poller stops.
func TestOneInstancePolls(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api, err := bot.Connect(ctx, h.tg.Token(), h.tg.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, h.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	standby, err := bot.New(api, st, bot.Config{
		Protocol: flows.Default(), Clinicians: []int64{clinician.ID},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
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
