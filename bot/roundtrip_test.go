package bot_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// direct drives Bot.HandleUpdate by hand, without the poll loop and the
// dispatcher, so that the Redis round trips of one update can be counted.
type direct struct {
	t      testing.TB
	tg     *telegramtest.Server
	st     *store.Store
	api    *tgbotapi.BotAPI
	b      *bot.Bot
	offset int
}

func newDirect(t testing.TB) *direct {
	t.Helper()
	ctx := context.Background()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	st, err := store.Open(ctx, redistest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	api, err := bot.Connect(ctx, tg.Token(), tg.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(api, st, bot.Config{
		Protocol:   flows.Default(),
		Clinicians: []int64{clinician.ID},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		SendRate:   1e6, // measure the bot, not Telegram's rate limit
	})
	if err != nil {
		t.Fatal(err)
	}
	return &direct{t: t, tg: tg, st: st, api: api, b: b}
}

// handle fetches the queued updates and handles them; it returns the Redis
// round trips that took.
func (d *direct) handle() int64 {
	d.t.Helper()
	updates, err := d.api.GetUpdates(tgbotapi.UpdateConfig{Offset: d.offset})
	if err != nil {
		d.t.Fatal(err)
	}
	before := d.st.RoundTrips()
	for _, u := range updates {
		if err := d.b.HandleUpdate(context.Background(), u); err != nil {
			d.t.Fatal(err)
		}
		d.offset = u.UpdateID + 1
	}
	return d.st.RoundTrips() - before
}

// passIntake answers the new patient's intake screen and has the clinician
// clear them, so that /checkin starts the pre-dose check.
func (d *direct) passIntake() {
	d.t.Helper()
	for range flows.Default().Flow("intake").Items {
		d.press("No")
		d.handle()
	}
	d.tg.SendText(clinician, "/clear P-0042 intake reviewed")
	d.handle()
}

// press presses label on the newest message in the patient's chat offering it.
func (d *direct) press(label string) {
	d.t.Helper()
	msgs := d.tg.Messages(patient.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if data := buttonData(msgs[i], label); data != "" {
			if _, err := d.tg.PressButton(patient, patient.ID, msgs[i].ID, data); err != nil {
				d.t.Fatal(err)
			}
			return
		}
	}
	d.t.Fatalf("no button %q on screen", label)
}

// TestRoundTripsPerUpdate measures the Redis round trips of each kind of
// patient update: at most two (one load, one atomic commit that also writes
// the replies to the outbox and drops those sent since the last commit).
// Marking replies sent is off the update's path: one round trip for every
// chat sent to since the last mark; measured last.
func TestRoundTripsPerUpdate(t *testing.T) {
	d := newDirect(t)
	ctx := context.Background()
	code, err := d.st.CreateInvite(ctx, "P-0042", clinician.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	d.tg.SendText(patient, "/start "+code)
	d.handle()
	d.passIntake()

	steps := []struct {
		name string
		act  func()
		want int64
	}{
		{"start a flow", func() { d.tg.SendText(patient, "/checkin") }, 2},
		{"button answer", func() { d.press("Yes") }, 2},
		{"typed answer", func() { d.tg.SendText(patient, "yes") }, 2},
		{"invalid typed answer", func() { d.tg.SendText(patient, "not a reading") }, 2},
		{"typed vitals", func() { d.tg.SendText(patient, "120/80 70") }, 2},
		{"help", func() { d.tg.SendText(patient, "/help") }, 1},
		{"status", func() { d.tg.SendText(patient, "/status") }, 1},
		{"cancel", func() { d.tg.SendText(patient, "/cancel") }, 2},
		{"stranger", func() { d.tg.SendText(stranger, "hi") }, 1},
		// The crisis screen and its reply come before any Redis call.
		{"typed crisis message", func() { d.tg.SendText(patient, "I want to die") }, 2},
	}
	for _, s := range steps {
		s.act()
		got := d.handle()
		t.Logf("%-22s %d round trips", s.name, got)
		if got != s.want {
			t.Errorf("%s: %d Redis round trips, want %d", s.name, got, s.want)
		}
	}

	// A second patient, so the batched mark covers two chats.
	code, err = d.st.CreateInvite(ctx, "P-0043", clinician.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	d.tg.SendText(stranger, "/start "+code)
	d.handle()
	d.tg.SendText(patient, "/checkin")
	d.tg.SendText(stranger, "/checkin")
	d.handle()
	before := d.st.RoundTrips()
	bot.MarkRepliesSent(d.b)
	got := d.st.RoundTrips() - before
	t.Logf("%-22s %d round trips", "mark sent (2 chats)", got)
	if got != 1 {
		t.Errorf("marking two chats' replies sent: %d Redis round trips, want 1", got)
	}
	for _, chat := range []int64{patient.ID, stranger.ID} {
		if r, err := d.st.UnsentReplies(ctx, chat); err != nil || len(r) != 0 {
			t.Errorf("chat %d: %d replies left unsent after the mark (err %v), want 0", chat, len(r), err)
		}
	}
}

// BenchmarkAnswerUpdate measures one patient answer end to end: Redis load
// and commit, the engine step, and the replies over HTTP to the emulator.
func BenchmarkAnswerUpdate(b *testing.B) {
	d := newDirect(b)
	ctx := context.Background()
	code, err := d.st.CreateInvite(ctx, "P-0042", clinician.ID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	d.tg.SendText(patient, "/start "+code)
	d.handle()
	d.passIntake()
	d.tg.SendText(patient, "/checkin")
	d.handle()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// An invalid answer to the first question: re-asked every time, so
		// each iteration is the same full update.
		d.tg.SendText(patient, "maybe")
		d.handle()
	}
	b.ReportMetric(float64(d.st.RoundTrips())/float64(b.N), "redis-trips/op")
}
