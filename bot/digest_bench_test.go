package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// BenchmarkDigest measures /digest, the weekly digest's reads and
// rendering, for a clinic of digestPatients patients, each with
// digestEarlier scored check-ins before the week and, in the week, six
// check-ins (two scored), a dose and sixty answers; and its Redis round
// trips.
//
//	go test -run x -bench Digest -benchtime 20x ./bot
func BenchmarkDigest(b *testing.B) {
	const (
		digestPatients = 200
		digestEarlier  = 50
	)
	d := newDirect(b)
	// Unthrottled: this measures the bot, not Telegram's pace of about a
	// message a second in a chat (the digest of 200 patients is 13 messages).
	d.b, d.api, d.st = newTestBot(context.Background(), b, d.tg, d.redisURL, bot.Config{SendRate: 1e6, Unthrottled: true})
	now := time.Now()
	weekAgo := now.Add(-8 * 24 * time.Hour)
	for i := range digestPatients {
		chat := int64(10_000 + i)
		populatePatient(b, d.st, chat, fmt.Sprintf("P-%04d", i), weekAgo, now, digestEarlier)
	}
	d.tg.SendText(clinician, "/help") // the clinician's chat exists
	d.handle()
	b.ReportAllocs()
	b.ResetTimer()
	trips, sentBefore := int64(0), len(d.tg.Messages(clinician.ID))
	for range b.N {
		d.tg.SendText(clinician, "/digest")
		trips += d.handle()
	}
	b.StopTimer()
	b.ReportMetric(float64(trips)/float64(b.N), "redis-trips/op")
	b.ReportMetric(float64(len(d.tg.Messages(clinician.ID))-sentBefore)/float64(b.N), "messages/op")
	if last := d.tg.Messages(clinician.ID); len(last) == 0 || !containsAll(last[len(last)-1].Text, "P-0199") {
		b.Fatalf("the digest does not end with the last patient")
	}
}

// populatePatient enrols chat as label and records its history: earlier
// scored check-ins before the week, and the week's check-ins, dose and
// answers at now.
func populatePatient(tb testing.TB, st *store.Store, chat int64, label string, before, now time.Time, earlier int) {
	tb.Helper()
	ctx := context.Background()
	code, err := st.CreateInvite(ctx, label, clinician.ID, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.RedeemInvite(ctx, code, chat); err != nil {
		tb.Fatal(err)
	}
	commit := func(c flows.Completion, answers []flows.Answer) {
		snap, err := st.Load(ctx, chat, 0)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.Commit(ctx, store.Commit{ChatID: chat, Version: snap.Version, Session: snap.Session, Completion: &c, Answers: answers}); err != nil {
			tb.Fatal(err)
		}
	}
	score := func(at time.Time, total int) flows.Completion {
		return flows.Completion{Flow: flows.InstrumentPHQ9, Outcome: flows.OutcomeCompleted, EndedAt: at,
			Score: &flows.Score{Instrument: flows.InstrumentPHQ9, Total: total, Band: flows.PHQ9Band(total)}}
	}
	for i := range earlier {
		commit(score(before.Add(-time.Duration(i)*24*time.Hour), 10), nil)
	}
	answers := make([]flows.Answer, 60)
	for i := range answers {
		answers[i] = flows.Answer{Flow: flows.FlowPreDose, Item: fmt.Sprintf("q%d", i), Value: "yes", Display: "Yes", At: now}
	}
	answers[0] = flows.Answer{Flow: flows.FlowPreDose, Item: flows.DoseItem, Value: flows.DoseTaken, At: now}
	commit(score(now, 8), answers)
	commit(flows.Completion{Flow: flows.FlowPreDose, Outcome: flows.OutcomeHeld, Reason: "sitter: no sitter", EndedAt: now}, nil)
	for range 4 {
		commit(flows.Completion{Flow: flows.FlowPreDose, Outcome: flows.OutcomeCleared, EndedAt: now}, nil)
	}
}
