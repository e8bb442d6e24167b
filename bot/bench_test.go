package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// BenchmarkCheckIn is the project's standard benchmark (issue 13), kept as
// it is so that figures stay comparable. Each round enrols fresh private
// chats (1,000; BENCH_CHATS changes it while iterating), then, measured,
// every chat sends /checkin and answers a six-question yes/no check by
// buttons; every tenth chat answers "no" at one question (cycling through
// the six), which holds and raises a ROUTINE escalation, and then keeps
// tapping the stale buttons. A warm-up round is not measured. Telegram is
// a stub HTTP client inside tgbotapi, Redis a private redis-server. After
// each round it checks the end state: 90% cleared, 10% held, one
// escalation per "no" chat.
//
//	go test -run x -bench CheckIn -benchtime 3x ./bot
//
// Modes: sequential (HandleUpdate, one chat at a time), concurrent
// (HandleUpdate, every chat at once, each chat's updates in order), intake
// (the running bot: poller, per-chat workers, dispatcher, job worker).
// BENCH_SEALED=1 seals what patients said, as DATA_KEYS does.
func BenchmarkCheckIn(b *testing.B) {
	for _, mode := range []string{"sequential", "concurrent", "intake"} {
		b.Run(mode, func(b *testing.B) { runCheckInBench(b, mode) })
	}
}

// benchProtocol is the benchmark's check: six yes/no questions; "no" to
// any of them holds the dose and raises a ROUTINE escalation.
func benchProtocol(tb testing.TB) *flows.Protocol {
	var y strings.Builder
	y.WriteString(`version: "bench-1"
name: standard benchmark check
crisis:
  intro: "Help is there for you right now:"
  resources: ["Call or text 988, any time."]
  emergency: ["Call 911 in an emergency."]
flows:
  - id: check
    command: checkin
    title: safety check
    kind: check
    items:
`)
	for i := 1; i <= benchQuestions; i++ {
		fmt.Fprintf(&y, `      - id: q%d
        summary: Question %d of the check
        kind: yesno
        text: "Question %d: is everything in place for today's session?"
        rules:
          - when: "no"
            escalate: routine
            reason: Answered no at question %d
            hold: {reason: "That needs sorting out before your dose.", next: "Your care team will be in touch."}
`, i, i, i, i)
	}
	p, err := flows.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

const benchQuestions = 6

// benchChats is the round's size: 1,000 unless BENCH_CHATS says otherwise.
func benchChats(tb testing.TB) int {
	n := 1000
	if v := os.Getenv("BENCH_CHATS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			tb.Fatalf("BENCH_CHATS=%q: want a whole number of at least 10", v)
		}
	}
	return n
}

// benchRig is one benchmark's bot, store and stub Telegram.
type benchRig struct {
	tb     testing.TB
	mode   string
	b      *bot.Bot
	st     *store.Store
	rdb    *redis.Client
	tg     *stubTelegram
	next   int64 // the next fresh chat id
	cancel context.CancelFunc
	done   chan error
	// memByKey is the last round's Redis bytes per chat, by key kind.
	memByKey map[string]int64
}

func newBenchRig(tb testing.TB, mode string) *benchRig {
	url := redistest.Start(tb)
	tg := newStubTelegram()
	api, err := tgbotapi.NewBotAPIWithClient("1:bench", "https://stub/bot%s/%s", tg)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if os.Getenv("BENCH_SEALED") != "" { // as with DATA_KEYS set
		if st.Cipher, err = store.NewCipher(bytes.Repeat([]byte{7}, 32)); err != nil {
			tb.Fatal(err)
		}
	}
	opt, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opt)
	tb.Cleanup(func() { _ = rdb.Close() })
	b, err := bot.New(api, st, bot.Config{
		Protocol:   benchProtocol(tb),
		Clinicians: []int64{clinician.ID},
		SendRate:   1e9, // measure the bot, not Telegram's budget
		Workers:    64,
		// Telegram's per-chat limits and the flood limit are for real
		// patients; the workload's chats answer as fast as the bot replies.
		Unthrottled: true,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	r := &benchRig{tb: tb, mode: mode, b: b, st: st, rdb: rdb, tg: tg, next: 1_000_000}
	if mode == "intake" {
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel, r.done = cancel, make(chan error, 1)
		go func() { r.done <- b.Run(ctx) }()
		tb.Cleanup(r.stop)
	}
	return r
}

func (r *benchRig) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// benchChat is one patient of a round and where it is in the workload.
type benchChat struct {
	id    int64
	no    int // the question answered "no" (1-6), 0 for none
	step  int // updates sent so far
	query int
}

// enrol makes n fresh enrolled chats.
func (r *benchRig) enrol(n int) []*benchChat {
	ctx := context.Background()
	chats := make([]*benchChat, n)
	for i := range chats {
		r.next++
		c := &benchChat{id: r.next}
		if i%10 == 0 {
			c.no = (i/10)%benchQuestions + 1
		}
		code, err := r.st.CreateInvite(ctx, "B-"+strconv.FormatInt(c.id, 10), clinician.ID, time.Hour)
		if err != nil {
			r.tb.Fatal(err)
		}
		if _, err := r.st.RedeemInvite(ctx, code, c.id); err != nil {
			r.tb.Fatal(err)
		}
		chats[i] = c
	}
	return chats
}

// nextUpdate is chat c's next update: /checkin, then button taps on the
// buttons its screen shows (or showed last: stale ones, once held).
func (r *benchRig) nextUpdate(c *benchChat) tgbotapi.Update {
	user := &tgbotapi.User{ID: c.id, FirstName: "P"}
	chat := &tgbotapi.Chat{ID: c.id, Type: "private"}
	c.step++
	if c.step == 1 {
		return tgbotapi.Update{Message: &tgbotapi.Message{MessageID: int(r.tg.nextMsg.Add(1)), From: user, Chat: chat,
			Date: int(time.Now().Unix()), Text: "/checkin",
			Entities: []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len("/checkin")}}}}
	}
	prompt, _, _ := r.tg.screen(c.id)
	if prompt.ReplyMarkup == nil || len(prompt.ReplyMarkup.InlineKeyboard) == 0 {
		r.tb.Fatalf("chat %d, update %d: no buttons on screen", c.id, c.step)
	}
	row := prompt.ReplyMarkup.InlineKeyboard[0]
	pick := row[0] // "Yes"
	if c.step-1 == c.no && len(row) > 1 {
		pick = row[1] // "No"
	}
	c.query++
	return tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{
		ID:   strconv.FormatInt(c.id, 10) + "-" + strconv.Itoa(c.query),
		From: user, Data: *pick.CallbackData,
		Message: &tgbotapi.Message{MessageID: prompt.MessageID, Chat: chat, Text: prompt.Text,
			ReplyMarkup: prompt.ReplyMarkup},
	}}
}

// benchUpdatesPerChat: /checkin and six taps.
const benchUpdatesPerChat = 1 + benchQuestions

// runChat plays one chat's updates in order, recording each one's latency.
func (r *benchRig) runChat(ctx context.Context, c *benchChat, lat []time.Duration) error {
	for i := range benchUpdatesPerChat {
		u := r.nextUpdate(c)
		start := time.Now()
		if r.mode == "intake" {
			_, answers, seen := r.tg.screen(c.id)
			id := r.tg.push(u)
			if err := r.awaitAnswer(ctx, u, id, answers, seen); err != nil {
				return err
			}
		} else if err := r.b.HandleUpdate(ctx, u); err != nil {
			return err
		}
		lat[i] = time.Since(start)
	}
	return nil
}

// awaitAnswer waits until the bot answered update u (number id), as a
// patient waits to see the answer before tapping again: the chat's first
// answer after its count was answers (the bot finished the chat's earlier
// update before), and for a button press also the callback's own answer,
// which goes beside the reply in either order.
func (r *benchRig) awaitAnswer(ctx context.Context, u tgbotapi.Update, id int, answers int64, seen <-chan struct{}) error {
	chatID := updateChat(u)
	for {
		select {
		case <-seen:
		case <-ctx.Done():
			return fmt.Errorf("update %d of chat %d: no answer: %w", id, chatID, ctx.Err())
		}
		_, now, again := r.tg.screen(chatID)
		if now > answers && (u.CallbackQuery == nil || r.tg.answeredQuery(chatID, u.CallbackQuery.ID)) {
			return nil
		}
		seen = again
	}
}

// roundFigures are one round's measurements.
type roundFigures struct {
	updates      int
	elapsed      time.Duration
	latencies    []time.Duration
	trips, cmds  int64
	calls        int64
	mallocs      uint64
	bytesPerChat float64
}

// round runs one round of n fresh chats and checks its end state.
func (r *benchRig) round(b *testing.B, n int) roundFigures {
	b.StopTimer()
	chats := r.enrol(n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lat := make([]time.Duration, n*benchUpdatesPerChat)
	trips0, cmds0, calls0 := r.st.RoundTrips(), r.serverCommands(ctx), r.tg.calls.Load()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.StartTimer()
	start := time.Now()
	if r.mode == "sequential" {
		for i, c := range chats {
			if err := r.runChat(ctx, c, lat[i*benchUpdatesPerChat:(i+1)*benchUpdatesPerChat]); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, c := range chats {
			wg.Go(func() {
				if err := r.runChat(ctx, c, lat[i*benchUpdatesPerChat:(i+1)*benchUpdatesPerChat]); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	if r.mode == "intake" {
		r.awaitSettled(ctx, b)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	if r.mode != "intake" {
		bot.MarkRepliesSent(r.b) // the running bot's mark loop does this
	}
	f := roundFigures{updates: n * benchUpdatesPerChat, elapsed: elapsed, latencies: lat,
		trips: r.st.RoundTrips() - trips0, calls: r.tg.calls.Load() - calls0,
		mallocs: ms1.Mallocs - ms0.Mallocs}
	f.cmds = r.serverCommands(ctx) - cmds0
	r.checkEndState(ctx, b, chats)
	f.bytesPerChat = r.memoryPerChat(ctx, b, chats)
	b.StartTimer()
	return f
}

// awaitSettled waits until the running bot confirmed every update and
// dispatched every escalation.
func (r *benchRig) awaitSettled(ctx context.Context, b *testing.B) {
	for {
		pending, err := r.st.OutboxPending(ctx)
		if err != nil {
			b.Fatal(err)
		}
		r.tg.mu.Lock()
		queued := len(r.tg.queue)
		r.tg.mu.Unlock()
		if pending == 0 && queued == 0 {
			return
		}
		if ctx.Err() != nil {
			b.Fatalf("not settled: %d updates unconfirmed, %d escalations undelivered", queued, pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// serverCommands is the commands Redis has run (Lua's own calls included),
// from INFO commandstats; the INFO calls themselves are left out.
func (r *benchRig) serverCommands(ctx context.Context) int64 {
	info, err := r.rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		r.tb.Fatal(err)
	}
	var n int64
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(line, ":calls=")
		if !ok || name == "cmdstat_info" {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		v, _ := strconv.ParseInt(calls, 10, 64)
		n += v
	}
	return n
}

// checkEndState fails the benchmark unless every chat ended as the
// workload says: cleared, or held with exactly one escalation.
func (r *benchRig) checkEndState(ctx context.Context, b *testing.B, chats []*benchChat) {
	escs, _, err := r.st.UnresolvedEscalations(ctx, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	perChat := map[int64]int{}
	for _, e := range escs {
		perChat[e.ChatID]++
	}
	cleared, held := 0, 0
	for _, c := range chats {
		done, err := r.st.CheckIns(ctx, c.id, 10)
		if err != nil {
			b.Fatal(err)
		}
		want, wantEsc := flows.OutcomeCleared, 0
		if c.no > 0 {
			want, wantEsc = flows.OutcomeHeld, 1
		}
		if len(done) != 1 || done[0].Outcome != want || perChat[c.id] != wantEsc {
			b.Fatalf("chat %d (no at %d): %d check-ins %v, %d escalations; want one %s, %d", c.id, c.no, len(done), done, perChat[c.id], want, wantEsc)
		}
		if c.no > 0 {
			held++
		} else {
			cleared++
		}
	}
	if cleared*10 != len(chats)*9 || held*10 != len(chats) {
		b.Fatalf("%d cleared, %d held of %d chats: want 90%% and 10%%", cleared, held, len(chats))
	}
	for _, e := range escs { // the next round starts with no open escalation
		if _, _, _, err := r.st.Resolve(ctx, e.ID, clinician.ID, "Bench", "clear: bench round over", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// memoryPerChat is the mean MEMORY USAGE of the finished chats' own keys.
func (r *benchRig) memoryPerChat(ctx context.Context, b *testing.B, chats []*benchChat) float64 {
	pipe := r.rdb.Pipeline()
	var usage []*redis.IntCmd
	var kinds []string
	for _, c := range chats {
		keys, err := r.rdb.Keys(ctx, "ck:{c:"+strconv.FormatInt(c.id, 10)+"}:*").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			usage = append(usage, pipe.MemoryUsage(ctx, k, 0))
			kinds = append(kinds, k[strings.LastIndexByte(k, ':')+1:])
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	var total int64
	byKind := map[string]int64{}
	for i, u := range usage {
		total += u.Val()
		byKind[kinds[i]] += u.Val()
	}
	for k, v := range byKind {
		byKind[k] = v / int64(len(chats))
	}
	r.memByKey = byKind
	return float64(total) / float64(len(chats))
}

func runCheckInBench(b *testing.B, mode string) {
	n := benchChats(b)
	r := newBenchRig(b, mode)
	r.round(b, n) // warm-up, not measured
	var all roundFigures
	b.ResetTimer()
	for range b.N {
		f := r.round(b, n)
		all.updates += f.updates
		all.elapsed += f.elapsed
		all.latencies = append(all.latencies, f.latencies...)
		all.trips += f.trips
		all.cmds += f.cmds
		all.calls += f.calls
		all.mallocs += f.mallocs
		all.bytesPerChat += f.bytesPerChat / float64(b.N)
	}
	b.StopTimer()
	slices.Sort(all.latencies)
	pct := func(p float64) float64 {
		return float64(all.latencies[int(p*float64(len(all.latencies)-1))].Microseconds()) / 1000
	}
	u := float64(all.updates)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(u/all.elapsed.Seconds(), "updates/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(all.trips)/u, "redis-trips/update")
	b.ReportMetric(float64(all.cmds)/u, "redis-cmds/update")
	b.ReportMetric(float64(all.calls)/u, "tg-calls/update")
	b.ReportMetric(all.bytesPerChat, "redis-B/chat")
	b.ReportMetric(float64(all.mallocs)/u, "allocs/update")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
	b.Logf("%s: %d chats × %d rounds; Telegram calls by method (warm-up included): %v; Redis bytes per chat by key: %v",
		mode, n, b.N, r.tg.methods(), r.memByKey)
}
