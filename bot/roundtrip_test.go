package bot_test

import (
	"context"
	"strings"
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
	t        testing.TB
	tg       *telegramtest.Server
	redisURL string
	st       *store.Store
	api      *tgbotapi.BotAPI
	b        *bot.Bot
	offset   int
}

func newDirect(t testing.TB) *direct {
	t.Helper()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	d := &direct{t: t, tg: tg, redisURL: redistest.Start(t)}
	d.restart(nil)
	return d
}

// restart replaces the bot by a new one on the same emulator and Redis, on
// protocol p (nil: the default), as a deployment would.
func (d *direct) restart(p *flows.Protocol) {
	d.t.Helper()
	d.b, d.api, d.st = newTestBot(context.Background(), d.t, d.tg, d.redisURL, bot.Config{
		Protocol: p,
		SendRate: 1e6, // measure the bot, not Telegram's rate limit
	})

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

// enrollPatient enrols the patient as P-0042 and passes the intake.
func (d *direct) enrollPatient() {
	d.t.Helper()
	code, err := d.st.CreateInvite(context.Background(), "P-0042", clinician.ID, time.Hour)
	if err != nil {
		d.t.Fatal(err)
	}
	d.tg.SendText(patient, "/start "+code)
	d.handle()
	d.passIntake()
}

// roundTrips is one kind of update and the Redis round trips it may take.
type roundTrips struct {
	name string
	act  func()
	want int64
}

// measure runs each step, handles what it sent, and checks its round trips.
func (d *direct) measure(steps []roundTrips) {
	d.t.Helper()
	for _, s := range steps {
		s.act()
		got := d.handle()
		d.t.Logf("%-30s %d round trips", s.name, got)
		if got != s.want {
			d.t.Errorf("%s: %d Redis round trips, want %d", s.name, got, s.want)
		}
	}
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
func (d *direct) press(label string) { d.t.Helper(); d.pressIn(patient, label) }

// pressIn presses label on the newest message in u's chat offering it.
func (d *direct) pressIn(u telegramtest.User, label string) {
	d.t.Helper()
	msgs := d.tg.Messages(u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if data := buttonData(msgs[i], label); data != "" {
			if _, err := d.tg.PressButton(u, u.ID, msgs[i].ID, data); err != nil {
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
	d.enrollPatient()

	steps := []roundTrips{
		{"start a flow", func() { d.tg.SendText(patient, "/checkin") }, 2},
		{"button answer", func() { d.press("Yes") }, 2},
		{"typed answer", func() { d.tg.SendText(patient, "yes") }, 2},
		{"invalid typed answer", func() { d.tg.SendText(patient, "not a reading") }, 2},
		{"typed vitals", func() { d.tg.SendText(patient, "120/80 70") }, 2},
		{"help", func() { d.tg.SendText(patient, "/help") }, 1},
		{"status", func() { d.tg.SendText(patient, "/status") }, 1},
		{"cancel", func() { d.tg.SendText(patient, "/cancel") }, 2},
		{"stranger", func() { d.tg.SendText(stranger, "hi") }, 1},
		{"/start, enrolled", func() { d.tg.SendText(patient, "/start") }, 1},
		{"/checkin again", func() { d.tg.SendText(patient, "/checkin") }, 2},
		// Another writer (a timed job, a second instance) commits between
		// the load and the commit: the commit fails, the update reloads,
		// steps again and commits.
		{"compare-and-set conflict", func() { d.conflictOnce(); d.press("Yes") }, 4},
		// The crisis screen and its reply come before any Redis call. Its
		// escalation is relayed to the dispatch stream right after the
		// commit (store/relay.go): one more round trip.
		{"typed crisis message", func() { d.tg.SendText(patient, "I want to die") }, 3},
	}
	d.measure(steps)

	// A second patient, so the batched mark covers two chats.
	code, err := d.st.CreateInvite(ctx, "P-0043", clinician.ID, time.Hour)
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

// conflictOnce has another writer commit the patient's session between the
// next update's load and its commit, once.
func (d *direct) conflictOnce() {
	other, err := store.Open(context.Background(), d.redisURL)
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { _ = other.Close() })
	armed := true
	bot.BeforeCommit(d.b, func() {
		if !armed {
			return
		}
		armed = false
		ctx := context.Background()
		snap, err := other.Load(ctx, patient.ID, 0)
		if err == nil {
			_, err = other.Commit(ctx, store.Commit{ChatID: patient.ID, Version: snap.Version, Session: snap.Session})
		}
		if err != nil {
			d.t.Errorf("the competing commit failed: %v", err)
		}
	})
}

// TestRoundTripsOlderProtocol: a check-in that started before a new
// protocol was deployed finishes on its own version, read from Redis once
// per process (one more round trip, the first time only).
func TestRoundTripsOlderProtocol(t *testing.T) {
	d := newDirect(t)
	ctx := context.Background()
	if err := d.st.SaveProtocol(ctx, flows.Default().Version, flows.Default().YAML()); err != nil {
		t.Fatal(err)
	}
	d.enrollPatient()
	d.tg.SendText(patient, "/checkin")
	d.handle()
	v := flows.Default().Version
	src := strings.Replace(string(flows.DefaultYAML()), `version: "`+v+`"`, `version: "`+v+`-next"`, 1)
	changed, err := flows.Parse("changed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if changed.Version == v {
		t.Fatalf("the changed protocol kept version %q", v)
	}
	bot.MarkRepliesSent(d.b) // what the old process sent, so the new one has nothing to send again
	d.restart(changed)
	d.tg.SendText(patient, "/status") // the new process's first update opens its connections
	d.handle()
	yes := func() { d.press("Yes") }
	d.measure([]roundTrips{{"answer, older version, first", yes, 3}, {"answer, older version, again", yes, 2}})
}

// TestRoundTripsClinicianCommands measures every clinician command; each
// that changes something commits once, with its update id.
func TestRoundTripsClinicianCommands(t *testing.T) {
	d := newDirect(t)
	d.enrollPatient()
	d.tg.SendText(patient, "I want to die") // an escalation to acknowledge and resolve
	d.handle()
	say := func(text string) func() { return func() { d.tg.SendText(clinician, text) } }
	// A commit with a global effect (the invite, the dose gate's audit
	// event) relays it right after (store/relay.go): one more round trip.
	// A clinician's chat is not enrolled, so its load does not mark it for
	// the sweeper: /enroll's commit marks it first, one more.
	steps := []roundTrips{
		{"/help", say("/help"), 0},
		{"/start", say("/start"), 0},
		{"/enroll", say("/enroll P-0043"), 5},
		{"/schedule", say("/schedule P-0042 sat 10:00 UTC"), 4},
		{"/schedule off", say("/schedule P-0042 off"), 4},
		{"/limits", say("/limits P-0042 150/95 105"), 4},
		{"/pause", say("/pause P-0042 travelling"), 4},
		{"/clear", say("/clear P-0042 back home"), 4},
		{"/open", say("/open"), 4},
		{"/ack", say("/ack 2"), 2},
		{"/resolve", say("/resolve 1 called, safe"), 2},
		{"/reopen", say("/reopen 1"), 2},
		{"/history", say("/history P-0042"), 7},
		{"/trend", say("/trend P-0042"), 6},
		{"/export", say("/export P-0042"), 6},
		{"/digest", say("/digest"), 5},
		// The label unlinked (global), then the session ended (the chat's slot).
		{"/unenroll", say("/unenroll P-0042 confirm"), 3},
		{"unknown command", say("/nonsense"), 1},
	}
	d.measure(steps)
}

// BenchmarkAnswerUpdate measures one patient answer end to end: Redis load
// and commit, the engine step, and the replies over HTTP to the emulator.
func BenchmarkAnswerUpdate(b *testing.B) {
	d := newDirect(b)
	d.enrollPatient()
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
