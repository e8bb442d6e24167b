package bot_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The people of the end-to-end tests.
var (
	clinician = telegramtest.User{ID: 500, FirstName: "Dana", Username: "dr_dana"}
	patient   = telegramtest.User{ID: 1001, FirstName: "Pat"}
	stranger  = telegramtest.User{ID: 2001, FirstName: "Sam"}
)

// wait bounds every expectation; generous because -race slows things down.
const wait = 10 * time.Second

// harness runs the real bot against the Bot API emulator and a private
// redis-server, and lets a test act as patients and clinicians.
type harness struct {
	t        testing.TB
	tg       *telegramtest.Server
	redisURL string
	st       *store.Store
	proto    func() *flows.Protocol
	opts     []option
	// storeOpts adjust each bot instance's store connection (e.g. ClaimTTL).
	storeOpts []func(*store.Store)
	// redisOptions are go-redis URL options for the bot's connection, e.g.
	// "?read_timeout=300ms", taking effect at the next startBot.
	redisOptions string

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	// seen is, per chat, the newest message a test expectation consumed;
	// expectations look only at messages after it, and at the messages the
	// test pressed a button on once changed after the last consumed change
	// (a press is answered in place: the pressed message shows the answer
	// and what follows). seenChange is, per chat, that last change
	// (telegramtest.Message.Changed); pressed the pressed messages.
	seen       map[int64]int
	seenChange map[int64]int64
	pressed    map[int64]map[int]bool
}

// option adjusts the bot configuration of a harness.
type option func(*bot.Config)

// withEscalationChat sends escalations to a group chat instead of to each
// clinician's private chat.
func withEscalationChat(id int64) option {
	return func(c *bot.Config) { c.EscalationChat = id }
}

// throttled keeps Telegram's per-chat limits and the flood limit on.
func throttled(c *bot.Config) { c.Unthrottled = false }

// unthrottled runs the bot without Telegram's limits and the flood limit,
// as the harness's own bot does.
func unthrottled(c *bot.Config) { c.Unthrottled = true }

// noDigest turns the weekly digest off.
func noDigest(c *bot.Config) { c.DigestAt = "off" }

// asHarness gives another instance the harness bot's instance name, as a
// restart of the same process would have.
func asHarness(c *bot.Config) { c.Consumer = "harness" }

// withLogger sends the bot's log to w.
func withLogger(w io.Writer) option {
	return func(c *bot.Config) { c.Logger = slog.New(slog.NewTextHandler(w, nil)) }
}

// withProtocol runs the bot on a clinic's protocol instead of the default.
func withProtocol(p *flows.Protocol) option {
	return func(c *bot.Config) { c.Protocol = p }
}

func newHarness(t testing.TB, opts ...option) *harness {
	t.Helper()
	return newHarnessOn(t, telegramtest.NewServer(), opts...)
}

// newPatientHarness is newHarness with the usual cast in place: patient
// enrolled as P-0042 (intake passed, cleared to dose) and the clinician's
// chat open.
func newPatientHarness(t testing.TB, opts ...option) *harness {
	t.Helper()
	return newHarness(t, opts...).withUsualCast()
}

// withUsualCast puts newPatientHarness's cast in place on h.
func (h *harness) withUsualCast() *harness {
	h.t.Helper()
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	return h
}

// newHarnessOn is newHarness on an emulator of the test's making (with rate
// limits, faults or latency).
func newHarnessOn(t testing.TB, tg *telegramtest.Server, opts ...option) *harness {
	t.Helper()
	return newHarnessAt(t, tg, redistest.Start(t), opts...)
}

// newHarnessAt is newHarnessOn on the Redis at redisURL: a Redis Cluster's
// (redistest.StartCluster), say.
func newHarnessAt(t testing.TB, tg *telegramtest.Server, redisURL string, opts ...option) *harness {
	t.Helper()
	// Tests act at machine speed against an emulator without Telegram's
	// limits; the tests of those limits turn them back on (throttled). The
	// weekly digest is off, so that a test whose clock passes a Monday
	// gets no message it did not ask for; the digest's tests turn it on
	// (withDigest).
	opts = append([]option{unthrottled, noDigest}, opts...)
	h := &harness{
		opts:       opts,
		t:          t,
		tg:         tg,
		redisURL:   redisURL,
		seen:       map[int64]int{},
		seenChange: map[int64]int64{},
		pressed:    map[int64]map[int]bool{},
		proto: func() *flows.Protocol {
			p := flows.Default()
			p.SetOnCall("+1 555 010 0199")
			return p
		},
	}
	t.Cleanup(h.tg.Close)
	st, err := store.Open(context.Background(), h.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h.st = st
	h.startBot()
	t.Cleanup(h.stopBot)
	return h
}

// startBot starts a bot process-equivalent: its own Telegram client, store
// connection and goroutines, sharing only the emulator and Redis.
func (h *harness) startBot() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := bot.Config{
		// Like a restarted process under the same INSTANCE_NAME: a restart
		// takes its poller lease back at once.
		Consumer:   "harness",
		Protocol:   h.proto(),
		Clinicians: []int64{clinician.ID},
		Logger:     h.logger(),
	}
	for _, o := range h.opts {
		o(&cfg)
	}
	b, _, st := newTestBot(ctx, h.t, h.tg, h.redisURL+h.redisOptions, cfg, h.storeOpts...)
	h.t.Cleanup(h.stopBot) // before the store closes (cleanups run last first)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer st.Close()
		if err := b.Run(ctx); err != nil {
			h.t.Errorf("bot.Run: %v", err)
		}
	}()
	h.mu.Lock()
	h.cancel, h.done = cancel, done
	h.mu.Unlock()
	// Ready once it polls: updates sent from now on are seen.
	wctx, wcancel := context.WithTimeout(context.Background(), wait)
	defer wcancel()
	if err := h.tg.WaitPolling(wctx); err != nil {
		h.t.Fatal(err)
	}
}

// instance is another bot process on the harness's emulator and Redis
// (not started), with the harness's protocol and the test's log unless
// opts say otherwise; its Telegram calls end with ctx.
func (h *harness) instance(ctx context.Context, opts ...option) (*bot.Bot, *tgbotapi.BotAPI) {
	h.t.Helper()
	cfg := bot.Config{Protocol: h.proto(), Logger: h.logger()}
	for _, o := range opts {
		o(&cfg)
	}
	b, api, _ := newTestBot(ctx, h.t, h.tg, h.redisURL, cfg)
	return b, api
}

// logger writes the bot's log to the test's log, shown on failure.
func (h *harness) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(testLogWriter{h.t}, nil))
}

// pauseRedis stops the harness's redis-server (SIGSTOP: it hangs, as a
// stuck server would) and returns what resumes it.
func (h *harness) pauseRedis() (resume func()) {
	h.t.Helper()
	return redistest.Pause(h.t, h.redisURL)
}

// runInBackground runs b until the test ends, when cancel (of ctx) stops
// it; an error from Run, named what, fails the test.
func runInBackground(t testing.TB, ctx context.Context, cancel context.CancelFunc, b *bot.Bot, what string) {
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", what, err)
		}
	})
}

// stopBot shuts the bot down gracefully and waits for it.
func (h *harness) stopBot() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel = nil
	h.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-done:
	case <-time.After(wait):
		h.t.Error("bot did not stop within the deadline")
	}
}

// openChat has clinician u write to the bot, so the bot may write to u
// (Telegram lets a bot write only to users who started a chat with it).
func (h *harness) openChat(u telegramtest.User) {
	h.t.Helper()
	h.say(u, "/help")
	h.expect(u.ID, "Clinician commands")
}

// say sends text from u in u's private chat.
func (h *harness) say(u telegramtest.User, text string) {
	h.tg.SendText(u, text)
}

// exchange has u say text and waits for the bot's answer in u's chat:
// a new message whose text contains every part.
func (h *harness) exchange(u telegramtest.User, text string, parts ...string) telegramtest.Message {
	h.t.Helper()
	h.say(u, text)
	return h.expect(u.ID, parts...)
}

// expect waits for a new message in chat (newer than the last one an
// expectation consumed) whose text contains every part, and consumes it.
func (h *harness) expect(chatID int64, parts ...string) telegramtest.Message {
	h.t.Helper()
	return h.expectMatch(chatID, func(m telegramtest.Message) bool { return containsAll(m.Text, parts...) })
}

// expectButtons is expect for a message that offers a button labelled label.
func (h *harness) expectButtons(chatID int64, label string, parts ...string) telegramtest.Message {
	h.t.Helper()
	return h.expectMatch(chatID, func(m telegramtest.Message) bool {
		return buttonData(m, label) != "" && containsAll(m.Text, parts...)
	})
}

func (h *harness) expectMatch(chatID int64, match func(telegramtest.Message) bool) telegramtest.Message {
	h.t.Helper()
	h.mu.Lock()
	after, change, pressed := h.seen[chatID], h.seenChange[chatID], maps.Clone(h.pressed[chatID])
	h.mu.Unlock()
	m := h.tg.ExpectMessage(h.t, chatID, wait, func(m telegramtest.Message) bool {
		return (m.ID > after || pressed[m.ID] && m.Changed > change) && match(m)
	})
	h.mu.Lock()
	h.seen[chatID] = max(h.seen[chatID], m.ID)
	h.seenChange[chatID] = max(h.seenChange[chatID], m.Changed)
	h.mu.Unlock()
	return m
}

// press waits for the newest message in u's chat that shows a button
// labelled label (and whose text contains every part), and presses it.
func (h *harness) press(u telegramtest.User, chatID int64, label string, parts ...string) telegramtest.Message {
	h.t.Helper()
	m := h.tg.ExpectMessage(h.t, chatID, wait, func(m telegramtest.Message) bool {
		return buttonData(m, label) != "" && containsAll(m.Text, parts...)
	})
	h.pressing(m)
	if _, err := h.tg.PressButton(u, chatID, m.ID, buttonData(m, label)); err != nil {
		h.t.Fatal(err)
	}
	return m
}

// pressing notes that the test presses a button on m: the bot answers in
// m, and expectations look at its changes from now on.
func (h *harness) pressing(m telegramtest.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pressed[m.ChatID] == nil {
		h.pressed[m.ChatID] = map[int]bool{}
	}
	h.pressed[m.ChatID][m.ID] = true
}

// answer presses label on the question whose text contains question.
func (h *harness) answer(question, label string) {
	h.t.Helper()
	h.press(patient, patient.ID, label, question)
}

// pressEach answers u's questions in order, each on its own new message:
// a part of the question's text, then the label of the button to press.
func (h *harness) pressEach(u telegramtest.User, questionsAndLabels ...string) {
	h.t.Helper()
	for i := 0; i+1 < len(questionsAndLabels); i += 2 {
		h.pressNew(u, questionsAndLabels[i+1], questionsAndLabels[i])
	}
}

// answers answers questions in order: each a part of the question's text,
// then the label of the button to press.
func (h *harness) answers(questionsAndLabels ...string) {
	h.t.Helper()
	for i := 0; i+1 < len(questionsAndLabels); i += 2 {
		h.answer(questionsAndLabels[i], questionsAndLabels[i+1])
	}
}

// enroll has the clinician enrol label and u open the invite link.
func (h *harness) enroll(u telegramtest.User, label string) string {
	h.t.Helper()
	code := h.invite(label)
	h.say(u, "/start "+code)
	h.expect(u.ID, "Welcome")
	h.passIntake(u, label)
	return code
}

// config is the bot configuration the harness's options make.
func (h *harness) config() bot.Config {
	cfg := bot.Config{Protocol: h.proto()}
	for _, o := range h.opts {
		o(&cfg)
	}
	return cfg
}

// passIntake has u answer the protocol's intake questions (all No) and the
// clinician resolve the intake escalation with "clear", which opens the
// dose gate a new patient starts with.
func (h *harness) passIntake(u telegramtest.User, label string) {
	h.t.Helper()
	cfg := h.config()
	for _, f := range cfg.Protocol.Flows {
		if f.Kind == flows.KindIntake {
			for _, it := range f.Items {
				h.press(u, u.ID, "No", it.Text)
			}
		}
	}
	escChat := clinician.ID
	if cfg.EscalationChat != 0 {
		escChat = cfg.EscalationChat
	}
	esc := h.expectButtons(escChat, "Acknowledge", "ROUTINE", "patient "+label, "/clear "+label)
	id, _ := strings.CutPrefix(buttonData(esc, "Acknowledge"), "k:") // no store read: it may be sealed
	h.say(clinician, "/resolve "+id+" clear intake reviewed")
	h.expect(clinician.ID, label+": cleared (intake)")
	h.expect(u.ID, "cleared you")
}

// invite has the clinician create an invite for label and returns its code.
func (h *harness) invite(label string) string {
	h.t.Helper()
	h.say(clinician, "/enroll "+label)
	m := h.expect(clinician.ID, "Invite for "+label)
	_, after, ok := strings.Cut(m.Text, "?start=")
	if !ok {
		h.t.Fatalf("no invite link in %q", m.Text)
	}
	return strings.Fields(after)[0]
}

func buttonData(m telegramtest.Message, label string) string {
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Text == label {
				return b.Data
			}
		}
	}
	return ""
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// callbackAnswer waits for the bot's answer to the button press of updateID.
func (h *harness) callbackAnswer(updateID int) telegramtest.CallbackAnswer {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		for _, a := range h.tg.CallbackAnswers() {
			if a.UpdateID == updateID {
				return a
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("the bot never answered the button press of update %d", updateID)
	return telegramtest.CallbackAnswer{}
}

// testLogWriter sends the bot's log to the test's log, shown on failure.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// escalation reads the stored record of the escalation shown in m.
func (h *harness) escalation(m telegramtest.Message) store.EscalationRecord {
	h.t.Helper()
	id, ok := strings.CutPrefix(buttonData(m, "Acknowledge"), "k:")
	if !ok {
		h.t.Fatalf("message has no Acknowledge button: %q", m.Text)
	}
	rec, err := h.st.Escalation(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec
}

// withoutIntake drops the intake screen every enrolled patient starts with
// from a list of check-ins.
func withoutIntake(cs []flows.Completion) []flows.Completion {
	var out []flows.Completion
	for _, c := range cs {
		if c.Flow != "intake" {
			out = append(out, c)
		}
	}
	return out
}

// testStart is when the tests with a fake clock begin: a Saturday
// afternoon, UTC.
var testStart = time.Date(2025, 6, 7, 15, 0, 0, 0, time.UTC)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// withClock runs the bot (and its store) on c, with a fast worker tick and
// no cap on sends (the emulator is not Telegram): hours pass in milliseconds.
func withClock(c *fakeClock) option {
	return func(cfg *bot.Config) {
		cfg.Now = c.Now
		cfg.JobTick = 2 * time.Millisecond
		cfg.SendRate = 1e6
	}
}

// withOncall puts users on the on-call list.
func withOncall(ids ...int64) option {
	return func(cfg *bot.Config) { cfg.OncallIDs = ids }
}

// oncall is the clinician on call in the ladder tests.
var oncall = telegramtest.User{ID: 600, FirstName: "Lee"}

// protocolFile is the text of testdata/protocols/<file>.
func protocolFile(t testing.TB, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "protocols", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// parseProtocol parses a protocol that must be valid.
func parseProtocol(t testing.TB, name, src string) *flows.Protocol {
	t.Helper()
	p, err := flows.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// testProtocol loads a clinic protocol of testdata/protocols with its
// on-call number.
func testProtocol(t testing.TB, file, oncall string) *flows.Protocol {
	t.Helper()
	p := parseProtocol(t, file, protocolFile(t, file))
	p.SetOnCall(oncall)
	return p
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// takeDose clears the pre-dose check and records the dose.
func (h *harness) takeDose() {
	h.t.Helper()
	h.say(patient, "/checkin")
	h.answerPreDoseUntil("")
	h.press(patient, patient.ID, "I've taken my dose", "clear to take")
	h.expect(patient.ID, "noted the time")
}

// pressNew presses label on the next new message in u's private chat that
// offers it and contains every part.
func (h *harness) pressNew(u telegramtest.User, label string, parts ...string) {
	h.t.Helper()
	m := h.expectButtons(u.ID, label, parts...)
	h.pressing(m)
	if _, err := h.tg.PressButton(u, u.ID, m.ID, buttonData(m, label)); err != nil {
		h.t.Fatal(err)
	}
}

// jobs returns the jobs scheduled for chat.
func (h *harness) jobs(chat int64) []flows.Job {
	h.t.Helper()
	js, err := h.st.ScheduledJobs(context.Background(), chat)
	if err != nil {
		h.t.Fatal(err)
	}
	return js
}

// job returns chat's scheduled job of kind (and flow, for instruments).
func (h *harness) job(chat int64, kind string, flow ...string) flows.Job {
	h.t.Helper()
	for _, j := range h.jobs(chat) {
		if j.Kind == kind && (len(flow) == 0 || j.Flow == flow[0]) {
			return j
		}
	}
	h.t.Fatalf("no %s job scheduled for chat %d: %+v", kind, chat, h.jobs(chat))
	return flows.Job{}
}

// settle waits until every job of chat due by now has run: none is left in
// the schedule, and no job is claimed and still running.
func (h *harness) settle(clock *fakeClock, chat int64) {
	h.t.Helper()
	redistest.WaitFor(h.t, wait, "the jobs due to run", func() bool {
		_, claimed, err := h.st.PendingJobs(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		due := slices.ContainsFunc(h.jobs(chat), func(j flows.Job) bool { return !j.Due.After(clock.Now()) })
		return claimed == 0 && !due
	})
}

// none fails if any message in chat contains every part.
func (h *harness) none(chat int64, parts ...string) {
	h.t.Helper()
	for _, m := range h.tg.Messages(chat) {
		if containsAll(m.Text, parts...) {
			h.t.Fatalf("unexpected message in chat %d: %q", chat, m.Text)
		}
	}
}

// count counts the messages in chat that contain every part.
func (h *harness) count(chat int64, parts ...string) int {
	n := 0
	for _, m := range h.tg.Messages(chat) {
		if containsAll(m.Text, parts...) {
			n++
		}
	}
	return n
}

// answerPostSession answers the post-session check-in unremarkably.
func (h *harness) answerPostSession() {
	h.t.Helper()
	h.pressEach(patient,
		"mood now", "About the same", "nausea", "None", "dizziness", "None",
		"Any headache", "None", "detached", "Not at all", "chest pain", "No",
		"ending your life", "No", "sitter still", "Yes", "write a few lines", "Skip")
	h.expect(patient.ID, "Thank you for checking in")
}
