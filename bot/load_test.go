package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
)

// BenchmarkManyPatients is the load run: many patients at once, each
// answering its check-in, through the whole running bot (long polling,
// per-chat workers, Redis, replies over HTTP to the emulator). It reports
// updates handled per second; run it with e.g.
//
//	go test -run x -bench ManyPatients -benchtime 2000x ./bot
func BenchmarkManyPatients(b *testing.B) {
	const patients = 200
	h := newHarness(b, func(c *bot.Config) { c.SendRate = 1e6; c.Workers = 32 })
	users := make([]telegramtest.User, patients)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(10_000 + i), FirstName: "P"}
		code := h.invite(fmt.Sprintf("L-%d", i))
		h.tg.SendText(users[i], "/start "+code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.tg.WaitConfirmed(ctx); err != nil {
		b.Fatal(err)
	}
	for _, u := range users {
		h.tg.SendText(u, "/checkin")
	}
	if err := h.tg.WaitConfirmed(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		// A free-text answer to a yes/no question (new patients are in the
		// intake screen, which /checkin re-shows): a full update (load,
		// engine, commit, re-ask with buttons) that leaves the state as is.
		h.tg.SendText(users[i%patients], "maybe")
	}
	if err := h.tg.WaitConfirmed(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
}
