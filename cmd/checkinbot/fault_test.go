package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// The fault suite: simulated patients walk through the pre-dose check at a
// human pace, through the real checkinbot process, against an emulator
// with Telegram's rate limits and injected 429 and 502 errors, while the
// bot is killed with SIGKILL at random moments, Redis is killed and
// restarted on its append-only file, and one chat floods the bot. It then
// checks that every patient message got a reply, every answer is recorded
// once and every escalation arrived, and reports the latencies.
//
// Setting the patients up (enrolment, the intake screen, a clinician's
// /clear) comes first, without faults, and is not measured: its 200
// ROUTINE intake reviews would fill the clinicians' chat (about one
// message a second) while the measured phase runs.
//
// TestFaultSuite runs a reduced size with the ordinary tests; the full
// size (200 patients) is behind the fault build tag:
//
//	go test -tags fault -run FaultSuiteFull -v -timeout 30m ./cmd/checkinbot

// faultRun is the size and the faults of one run.
type faultRun struct {
	patients      int
	spread        time.Duration    // patients start spread over this
	think         [2]time.Duration // a patient's pause before each answer, min and max
	selfHarmEvery int              // every n-th patient answers the self-harm question "Yes"
	kills         int              // SIGKILLs of the bot
	redisRestart  bool
	errorRate     float64       // share of Telegram calls answered 429 or 502
	flood         int           // messages of the flooding chat
	floodFor      time.Duration // over this long
	replyWait     time.Duration // a patient waits this long for a reply, then sends /resume
	seed          uint64
	// strictReplies fails the run for a reply lost to a kill (between the
	// commit and the send), which only the reply outbox prevents; without
	// it such losses are reported, and any other missing reply fails.
	strictReplies bool
	// targets fails the run on the latency targets: escalation
	// p99 ≤ 2 s, other patients' reply p99 under the flood ≤ 3 s.
	targets bool
}

// reducedRun is the size run with the ordinary tests.
var reducedRun = faultRun{
	patients: 12, spread: 4 * time.Second, think: [2]time.Duration{100 * time.Millisecond, 400 * time.Millisecond},
	selfHarmEvery: 4, kills: 2, redisRestart: true, errorRate: 0.2,
	flood: 100, floodFor: 4 * time.Second, replyWait: 15 * time.Second, seed: 1,
	strictReplies: true, // the reply outbox sends what a kill cut off
}

func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite starts and kills processes")
	}
	runFaultSuite(t, reducedRun)
}

// The pre-dose check of the default protocol, as the patients see it: a
// question (by a part of its text) and its safe answer ("" for typed
// vitals). faultSelfHarm is the one a few patients answer "Yes".
var faultPreDose = []struct{ question, safe string }{
	{"sober adult", "Yes"}, {"stay off the road", "Yes"}, {"then measure your blood pressure", ""},
	{"past 24 hours", "No"}, {"eaten anything", "No"}, {"changed with your health", "No"},
	{faultSelfHarm, "No"}, {"safe and comfortable", "Yes"},
	// The intake screen of a new patient, before the first dose.
	{"psychosis or schizophrenia", "No"}, {"high blood pressure that isn't well controlled", "No"},
	{"trying to become pregnant", "No"}, {"problems with alcohol or drug use", "No"},
	{"serious heart condition", "No"}, {"reaction to ketamine", "No"}, {"bipolar I disorder", "No"},
}

const (
	faultSelfHarm = "better off dead"
	faultCleared  = "clear to take today's dose"
	faultHeld     = "pause today's dose"
	// faultOver is /resume's answer once the check has ended (its last
	// reply lost): the patient's check is over.
	faultOver = "not in a check-in right now"
	// faultIntakeDone ends the intake screen; a clinician then clears the
	// patient with /clear.
	faultIntakeDone = "look over your answers before your first dose"
	faultCleared2   = "has cleared you"
)

// The states a bot message can show beyond the questions (indexes of
// faultPreDose).
const (
	stateCleared = 100 + iota
	stateHeld
	stateOver
	stateIntakeDone
	stateGateOpen
)

// faultClinician receives the escalations (ESCALATION_CHAT_ID is her
// chat); faultOncall is on call (ONCALL_IDS): URGENT pages reach her own
// chat at once as well, as a clinic with someone on call would run;
// faultClearers review new patients' intake and clear them, each
// a share of the patients (one clinician's chat takes about a message a
// second: 200 /clear answers in one chat would take minutes).
var (
	faultClinician = telegramtest.User{ID: 500, FirstName: "Dana"}
	faultOncall    = telegramtest.User{ID: 520, FirstName: "Sam"}
	// faultPaged are the chats every URGENT page goes to.
	faultPaged    = []int64{faultClinician.ID, faultOncall.ID}
	faultClearers = func() []telegramtest.User {
		us := make([]telegramtest.User, 10)
		for i := range us {
			us[i] = telegramtest.User{ID: int64(501 + i), FirstName: "Lee"}
		}
		return us
	}()
)

// faultPreDoseLen is how many items of faultPreDose the pre-dose check
// asks (the rest are the intake screen).
const faultPreDoseLen = 8

// action is one message a simulated patient sent.
type action struct {
	chatID int64
	at     time.Time
}

// simPatient is one simulated patient.
type simPatient struct {
	user     telegramtest.User
	label    string
	clearer  telegramtest.User // who clears the patient after the intake
	selfHarm bool
	lastSeen int // the newest bot message the patient has read
	// pressed is the message the patient last pressed a button on, and
	// pressedChange its telegramtest.Message.Changed then: the bot answers
	// a press in that message (the answer, then the next question).
	pressed       int
	pressedChange int64
	answered      []string
	yesAt         time.Time // when the self-harm "Yes" was pressed
	stalls        int       // replies given up on (then /resume)
	done          bool
}

// faultHarness is the world of one run.
type faultHarness struct {
	t     *testing.T
	run   faultRun
	tg    *telegramtest.Server
	redis *redistest.Server
	env   map[string]string

	mu sync.Mutex
	// clearing holds a clearer while a /clear of theirs is unanswered.
	clearing map[int64]*sync.Mutex
	bot      *process
	procs    []*process
	actions  []action
	rng      *rand.Rand
	kills    []time.Time // of the bot and of Redis
}

func runFaultSuite(t *testing.T, run faultRun) {
	tg := telegramtest.NewServer(
		telegramtest.WithRateLimits(telegramtest.TelegramLimits),
		telegramtest.WithFaults(telegramtest.Faults{Seed: run.seed}),
		telegramtest.WithLatency(10*time.Millisecond),
	)
	defer tg.Close()
	rs := redistest.StartPersistent(t)
	h := &faultHarness{
		t: t, run: run, tg: tg, redis: rs,
		rng: rand.New(rand.NewPCG(run.seed, 7)),
		env: map[string]string{
			"TELEGRAM_BOT_TOKEN":    tg.Token(),
			"TELEGRAM_API_ENDPOINT": tg.Endpoint(),
			"REDIS_URL":             rs.URL(),
			"CLINICIAN_IDS":         clinicianIDs(),
			"ESCALATION_CHAT_ID":    strconv.FormatInt(faultClinician.ID, 10),
			"ONCALL_IDS":            strconv.FormatInt(faultOncall.ID, 10),
			"CLINIC_ONCALL":         "+1 555 010 0199",
			"INSTANCE_NAME":         "fault-suite",
		},
	}
	h.startBot()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	// Set up without faults: the clinicians open a chat, invites exist.
	for _, c := range append([]telegramtest.User{faultClinician, faultOncall}, faultClearers...) {
		tg.SendText(c, "/help")
		if _, err := tg.WaitMessage(ctx, c.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	patients := make([]*simPatient, run.patients)
	codes := make([]string, run.patients)
	for i := range patients {
		patients[i] = &simPatient{
			user:     telegramtest.User{ID: int64(100_000 + i), FirstName: "P"},
			label:    fmt.Sprintf("F-%04d", i),
			clearer:  faultClearers[i%len(faultClearers)],
			selfHarm: run.selfHarmEvery > 0 && i%run.selfHarmEvery == run.selfHarmEvery-1,
		}
		if codes[i], err = st.CreateInvite(ctx, patients[i].label, faultClinician.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	flooder := telegramtest.User{ID: 99_999, FirstName: "Flood"}
	floodCode, err := st.CreateInvite(ctx, "F-FLOOD", faultClinician.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tg.SendText(flooder, "/start "+floodCode)
	if _, err := tg.WaitMessage(ctx, flooder.ID, nil); err != nil {
		t.Fatal(err)
	}

	h.setUp(ctx, patients, codes)

	tg.SetFaultRate(run.errorRate)
	start := time.Now()
	// How long the patients are busy, roughly: when the faults are spread.
	busy := run.spread + time.Duration(faultPreDoseLen+3)*(run.think[0]+run.think[1])/2
	floodStart := start.Add(busy * 3 / 10)
	// The moments of the kills, drawn before anything runs concurrently.
	// Kills keep clear of the flood when there is room, so that the
	// flood's own effect on the others is measured.
	floodFrom, floodTo := floodStart.Sub(start)-time.Second, floodStart.Sub(start)+run.floodFor+run.replyWait
	var moments []time.Duration
	for range run.kills {
		m := busy/10 + time.Duration(h.rng.Int64N(int64(busy*7/10)))
		for try := 0; try < 20 && m > floodFrom && m < floodTo; try++ {
			m = busy/10 + time.Duration(h.rng.Int64N(int64(busy*7/10)))
		}
		moments = append(moments, m)
	}
	var wg sync.WaitGroup
	for i, p := range patients {
		wg.Go(func() {
			sleepUntil(ctx, start.Add(run.spread*time.Duration(i)/time.Duration(run.patients)))
			h.walk(ctx, p, "/checkin", false)
		})
	}
	patientsDone := make(chan struct{})
	go func() { wg.Wait(); close(patientsDone) }()

	var floodEnd time.Time
	floodDone := make(chan struct{})
	go func() {
		defer close(floodDone)
		sleepUntil(ctx, floodStart)
		for i := range run.flood {
			tg.SendText(flooder, "spam "+strconv.Itoa(i))
			sleepUntil(ctx, floodStart.Add(run.floodFor*time.Duration(i+1)/time.Duration(run.flood)))
		}
		floodEnd = time.Now()
	}()

	// The faults, at random moments while the patients are busy.
	var faultsDone sync.WaitGroup
	faultsDone.Add(1)
	go func() {
		defer faultsDone.Done()
		slices.Sort(moments)
		redisAt := busy * 45 / 100
		restarted := !run.redisRestart
		for _, m := range moments {
			if !restarted && m > redisAt {
				sleepUntil(ctx, start.Add(redisAt))
				h.restartRedis()
				restarted = true
			}
			sleepUntil(ctx, start.Add(m))
			h.killBot()
		}
		if !restarted {
			sleepUntil(ctx, start.Add(redisAt))
			h.restartRedis()
		}
	}()
	<-patientsDone
	faultsDone.Wait()
	<-floodDone
	tg.SetFaultRate(0)

	h.report(ctx, st, patients, start, floodStart, floodEnd)
}

// setUp enrols every patient, walks them through the intake screen and has
// a clinician clear them, at the pace and spread of the measured phase
// (all at once, 200 patients would wait on each other's replies); then
// waits until the clinicians' chats have every intake review and /clear
// answer, so that the measured phase starts with nothing of the setup
// still to send. Nothing of it is measured.
func (h *faultHarness) setUp(ctx context.Context, patients []*simPatient, codes []string) {
	setupStart := time.Now()
	var wg sync.WaitGroup
	for i, p := range patients {
		wg.Go(func() {
			sleepUntil(ctx, setupStart.Add(h.run.spread*time.Duration(i)/time.Duration(h.run.patients)))
			h.walk(ctx, p, "/start "+codes[i], true)
		})
	}
	wg.Wait()
	// Every /clear was answered (clear waits for it); the intake reviews
	// may still be on their way.
	for _, p := range patients {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		_, err := h.tg.WaitMessage(wctx, faultClinician.ID, func(m telegramtest.Message) bool {
			return strings.Contains(m.Text, "ROUTINE") && strings.Contains(m.Text, "patient "+p.label)
		})
		cancel()
		if err != nil {
			h.t.Fatalf("setup: %s's intake review never reached the clinician: %v", p.label, err)
		}
	}
	h.mu.Lock()
	h.actions = nil // the measured phase's messages only
	h.mu.Unlock()
	h.t.Logf("setup (not measured): %d patients enrolled, through the intake and cleared in %v", len(patients), time.Since(setupStart).Round(time.Second))
}

// clear has the patient's clearer review the intake and clear the patient,
// one patient at a time, as a person would: a clinician typing /clear
// faster than the bot answers would be held to the flood limit.
func (h *faultHarness) clear(ctx context.Context, p *simPatient) {
	h.mu.Lock()
	if h.clearing == nil {
		h.clearing = map[int64]*sync.Mutex{}
	}
	m := h.clearing[p.clearer.ID]
	if m == nil {
		m = &sync.Mutex{}
		h.clearing[p.clearer.ID] = m
	}
	h.mu.Unlock()
	m.Lock()
	defer m.Unlock()
	h.tg.SendText(p.clearer, "/clear "+p.label+" intake reviewed")
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// Its answer names the patient ("cleared", or "nothing for you to
	// clear" when the gate is open already).
	if _, err := h.tg.WaitMessage(wctx, p.clearer.ID, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, p.label+": ")
	}); err != nil {
		h.t.Errorf("%s: /clear got no answer: %v", p.label, err)
	}
}

func clinicianIDs() string {
	ids := []string{strconv.FormatInt(faultClinician.ID, 10)}
	for _, c := range faultClearers {
		ids = append(ids, strconv.FormatInt(c.ID, 10))
	}
	return strings.Join(ids, ",")
}

// sleepUntil waits until t (or ctx is done): pacing, not synchronisation.
func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

func (h *faultHarness) startBot() {
	p := startProcess(h.t, h.env, "run")
	h.mu.Lock()
	h.bot = p
	h.procs = append(h.procs, p)
	h.mu.Unlock()
}

// killBot kills the bot with SIGKILL and starts it again at once.
func (h *faultHarness) killBot() {
	h.mu.Lock()
	p := h.bot
	h.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.wait(h.t)
	h.mu.Lock()
	h.kills = append(h.kills, time.Now())
	h.mu.Unlock()
	h.t.Logf("%s bot killed with SIGKILL and restarted", time.Now().Format("15:04:05.000"))
	h.startBot()
}

// restartRedis kills Redis with SIGKILL and restarts it on its AOF.
func (h *faultHarness) restartRedis() {
	at := time.Now()
	if err := h.redis.Restart(); err != nil {
		h.t.Errorf("redis restart: %v", err)
		return
	}
	h.mu.Lock()
	h.kills = append(h.kills, at)
	h.mu.Unlock()
	h.t.Logf("%s redis killed and restarted on its append-only file", time.Now().Format("15:04:05.000"))
}

// readAll marks every bot message the patient has now as read: what the
// patient waits for after acting must come after the action. (After a
// crash the bot may send a message twice; a copy that came before the
// action is not its reply.)
func (h *faultHarness) readAll(p *simPatient) {
	if msgs := h.tg.Messages(p.user.ID); len(msgs) > 0 {
		p.lastSeen = max(p.lastSeen, msgs[len(msgs)-1].ID)
	}
}

// message is the patient's bot message id as it is now.
func (h *faultHarness) message(p *simPatient, id int) (telegramtest.Message, bool) {
	for _, m := range h.tg.Messages(p.user.ID) {
		if m.ID == id {
			return m, true
		}
	}
	return telegramtest.Message{}, false
}

// say sends a patient's message and records it.
func (h *faultHarness) say(p *simPatient, text string) {
	h.readAll(p)
	h.mu.Lock()
	h.actions = append(h.actions, action{chatID: p.user.ID, at: time.Now()})
	h.mu.Unlock()
	h.tg.SendText(p.user, text)
}

// press presses a button and records it.
func (h *faultHarness) press(p *simPatient, m telegramtest.Message, data string) bool {
	at := time.Now()
	before := p.lastSeen
	p.pressed, p.pressedChange = m.ID, m.Changed
	// A person presses what the screen shows now: if the message changed
	// while the patient was thinking (a second edit for one answer, after a
	// retry), the patient reads it again instead of pressing a button of a
	// version no longer shown, whose answer would be hard to tell apart.
	if cur, ok := h.message(p, m.ID); ok && cur.Changed != m.Changed {
		return false
	}
	h.readAll(p)
	if _, err := h.tg.PressButton(p.user, p.user.ID, m.ID, data); err != nil {
		p.lastSeen = before
		var b strings.Builder
		for _, m := range h.tg.Messages(p.user.ID) {
			fmt.Fprintf(&b, "\n  #%d %.60q %d buttons", m.ID, m.Text, len(m.Buttons))
		}
		h.t.Logf("%s: %v%s", p.label, err, b.String())
		return false
	}
	h.mu.Lock()
	h.actions = append(h.actions, action{chatID: p.user.ID, at: at})
	h.mu.Unlock()
	return true
}

// think pauses like a person reading and answering.
func (h *faultHarness) think(ctx context.Context) {
	h.mu.Lock()
	d := h.run.think[0] + time.Duration(h.rng.Int64N(int64(h.run.think[1]-h.run.think[0])+1))
	h.mu.Unlock()
	sleepUntil(ctx, time.Now().Add(d))
}

// state names what a bot message asks or says: a question's index in
// faultPreDose, one of the state constants, or -1 for anything else.
func state(m telegramtest.Message) int {
	switch {
	case strings.Contains(m.Text, faultCleared):
		return stateCleared
	case strings.Contains(m.Text, faultHeld):
		return stateHeld
	case strings.Contains(m.Text, faultOver):
		return stateOver
	case strings.Contains(m.Text, faultIntakeDone):
		return stateIntakeDone
	case strings.Contains(m.Text, faultCleared2):
		return stateGateOpen
	}
	// A press is answered in its message, so the message may hold earlier
	// questions too: the one asked is the last.
	asked, at := -1, -1
	for i, item := range faultPreDose {
		if j := strings.LastIndex(m.Text, item.question); j > at && len(m.Buttons)+btoi(item.safe == "") > 0 {
			asked, at = i, j
		}
	}
	return asked
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// next waits for the next bot message that asks a question or ends the
// check; a patient who waits in vain sends /resume, as a person would.
func (h *faultHarness) next(ctx context.Context, p *simPatient, welcome bool) (telegramtest.Message, bool) {
	for tries := 0; tries < 4; tries++ {
		wctx, cancel := context.WithTimeout(ctx, h.run.replyWait)
		m, err := h.tg.WaitMessage(wctx, p.user.ID, func(m telegramtest.Message) bool {
			fresh := m.ID > p.lastSeen || m.ID == p.pressed && m.Changed > p.pressedChange
			return fresh && (state(m) >= 0 || (welcome && strings.Contains(m.Text, "Welcome")))
		})
		cancel()
		if err == nil {
			p.lastSeen = max(p.lastSeen, m.ID)
			if m.ID == p.pressed {
				p.pressedChange = m.Changed
			}
			return m, true
		}
		if ctx.Err() != nil {
			return m, false
		}
		p.stalls++
		h.say(p, "/resume")
	}
	var b strings.Builder
	for _, m := range h.tg.Messages(p.user.ID) {
		fmt.Fprintf(&b, "\n  #%d %.80q %d buttons", m.ID, m.Text, len(m.Buttons))
	}
	h.t.Errorf("%s: no question after 4 tries:%s", p.label, b.String())
	return telegramtest.Message{}, false
}

// walk is one patient's part of a phase, begun with opening: in the setup
// (/start), the intake screen and a clinician's /clear, until the patient
// hears they are cleared; then (/checkin) the pre-dose check.
func (h *faultHarness) walk(ctx context.Context, p *simPatient, opening string, setup bool) {
	h.say(p, opening)
	checking := !setup
	for steps := 0; steps < 4*len(faultPreDose); steps++ {
		m, ok := h.next(ctx, p, steps == 0 && setup)
		if !ok {
			return
		}
		i := state(m)
		switch {
		case i == stateIntakeDone:
			h.think(ctx)
			h.clear(ctx, p)
			continue
		case i == stateGateOpen && setup:
			return
		case i == stateGateOpen || i < 0 || (i == stateOver && !checking):
			h.think(ctx)
			h.say(p, "/checkin")
			checking = true
			continue
		case i >= stateCleared:
			p.done = true
			return
		}
		h.think(ctx)
		item := faultPreDose[i]
		answer := item.safe
		if item.question == faultSelfHarm && p.selfHarm {
			answer = "Yes"
			p.yesAt = time.Now()
		}
		if answer == "" {
			h.say(p, "128/82 72")
		} else {
			data := ""
			for _, row := range m.Buttons {
				for _, b := range row {
					if b.Text == answer {
						data = b.Data
					}
				}
			}
			if !h.press(p, m, data) {
				continue // the question was asked again meanwhile
			}
		}
		if !slices.Contains(p.answered, faultPreDose[i].question) {
			p.answered = append(p.answered, faultPreDose[i].question)
		}
	}
	h.t.Errorf("%s: the check did not end", p.label)
}

// report checks the run and prints its figures.
func (h *faultHarness) report(ctx context.Context, st *store.Store, patients []*simPatient, start, floodStart, floodEnd time.Time) {
	t := h.t
	// Escalations may still be on their way after the last answer.
	var lost []string
	for _, p := range patients {
		if !p.selfHarm || p.yesAt.IsZero() {
			continue
		}
		for _, chat := range faultPaged {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, err := h.tg.WaitMessage(wctx, chat, func(m telegramtest.Message) bool {
				return strings.Contains(m.Text, "URGENT") && strings.Contains(m.Text, "patient "+p.label)
			})
			cancel()
			if err != nil {
				lost = append(lost, fmt.Sprintf("%s (chat %d)", p.label, chat))
			}
		}
	}
	allCalls := h.tg.Calls("")
	// A reply is a new message, or a press answered in its message.
	calls := slices.DeleteFunc(h.tg.Calls(""), func(c telegramtest.Call) bool {
		return c.Method != "sendMessage" && c.Method != "editMessageText"
	})
	sentTo := map[int64][]telegramtest.Call{}
	for _, c := range calls {
		if c.Status == 200 {
			id, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
			sentTo[id] = append(sentTo[id], c)
		}
	}
	// A message got a reply when the bot sent the chat a message after it
	// and before the patient's next one.
	h.mu.Lock()
	actions := slices.Clone(h.actions)
	h.mu.Unlock()
	slices.SortFunc(actions, func(a, b action) int { return a.at.Compare(b.at) })
	nextAt := map[int64]time.Time{}
	var replyAll, replyFlood []time.Duration
	unanswered, lostToKill := 0, 0
	for i := len(actions) - 1; i >= 0; i-- {
		a := actions[i]
		until, ok := nextAt[a.chatID]
		nextAt[a.chatID] = a.at
		var reply time.Time
		for _, c := range sentTo[a.chatID] {
			if !c.At.Before(a.at) && (!ok || c.At.Before(until)) {
				reply = c.At
				break
			}
		}
		if reply.IsZero() {
			if h.killedWithin(a.at, h.run.replyWait) {
				lostToKill++
			} else {
				unanswered++
				var b strings.Builder
				for _, c := range h.tg.Calls("") {
					if c.Params["chat_id"] == strconv.FormatInt(a.chatID, 10) && !c.At.Before(a.at.Add(-5*time.Second)) {
						fmt.Fprintf(&b, "\n  %s %s %d %.50q", c.At.Format("15:04:05.000"), c.Method, c.Status, c.Params["text"])
					}
				}
				t.Logf("calls to chat %d around the message without a reply:%s", a.chatID, b.String())
			}
			t.Logf("no reply in chat %d to the message of %s", a.chatID, a.at.Format("15:04:05.000"))
			continue
		}
		d := reply.Sub(a.at)
		replyAll = append(replyAll, d)
		if !floodEnd.IsZero() && !a.at.Before(floodStart) && a.at.Before(floodEnd) {
			replyFlood = append(replyFlood, d)
			if d > 3*time.Second {
				// Where the time went: the chat's calls from 5 s before
				// the message (a hold-off a 429 left) to the reply, and
				// the kills nearby.
				var b strings.Builder
				chat := strconv.FormatInt(a.chatID, 10)
				for _, c := range allCalls {
					if c.Params["chat_id"] == chat && !c.At.Before(a.at.Add(-5*time.Second)) && !c.At.After(a.at.Add(d)) {
						fmt.Fprintf(&b, "\n  %+v %s %d", c.At.Sub(a.at).Round(time.Millisecond), c.Method, c.Status)
					}
				}
				h.mu.Lock()
				for _, k := range h.kills {
					if k.After(a.at.Add(-time.Minute)) && k.Before(a.at.Add(d)) {
						fmt.Fprintf(&b, "\n  kill at %+v", k.Sub(a.at).Round(time.Millisecond))
					}
				}
				h.mu.Unlock()
				t.Logf("slow reply under the flood: chat %d, message of %s, %v:%s", a.chatID, a.at.Format("15:04:05.000"), d.Round(time.Millisecond), b.String())
			}
		}
	}
	// Escalation latency: the "Yes" to the first copy to a clinician (the
	// target: a clinician has it), and to each paged chat's copy.
	var escalation, everyCopy []time.Duration
	doubled := 0
	for _, p := range patients {
		if p.yesAt.IsZero() {
			continue
		}
		var first time.Time
		for _, chat := range faultPaged {
			copies := 0
			for _, c := range sentTo[chat] {
				if strings.Contains(c.Params["text"], "patient "+p.label) && strings.Contains(c.Params["text"], "URGENT") {
					if copies == 0 {
						everyCopy = append(everyCopy, c.At.Sub(p.yesAt))
						if first.IsZero() || c.At.Before(first) {
							first = c.At
						}
					}
					copies++
				}
			}
			if copies > 1 {
				doubled++
			}
		}
		if !first.IsZero() {
			escalation = append(escalation, first.Sub(p.yesAt))
			if d := first.Sub(p.yesAt); d > time.Second {
				// Where the time went: the patient's own reply, every
				// attempt at the escalation, the kills nearby.
				var b strings.Builder
				for _, c := range allCalls {
					if c.At.Before(p.yesAt) || c.At.After(first) {
						continue
					}
					if c.Params["chat_id"] == strconv.FormatInt(p.user.ID, 10) ||
						(strings.Contains(c.Params["text"], "patient "+p.label) && strings.Contains(c.Params["text"], "URGENT")) {
						fmt.Fprintf(&b, "\n  +%v %s %s %d", c.At.Sub(p.yesAt).Round(time.Millisecond), c.Params["chat_id"], c.Method, c.Status)
					}
				}
				h.mu.Lock()
				kills := slices.Clone(h.kills)
				h.mu.Unlock()
				for _, k := range kills {
					if k.After(p.yesAt.Add(-time.Minute)) && k.Before(first) {
						fmt.Fprintf(&b, "\n  kill at +%v", k.Sub(p.yesAt).Round(time.Millisecond))
					}
				}
				t.Logf("slow escalation: %s, yes at %s, %v:%s", p.label, p.yesAt.Format("15:04:05.000"), d.Round(time.Millisecond), b.String())
			}
		}
	}
	// Every answer recorded once.
	lostAnswers, doubledAnswers, notDone, stalls := 0, 0, 0, 0
	for _, p := range patients {
		stalls += p.stalls
		if !p.done {
			notDone++
		}
		answers, err := st.Answers(ctx, p.user.ID, 0)
		if err != nil {
			t.Errorf("%s: %v", p.label, err)
			continue
		}
		count := map[string]int{}
		for _, a := range answers {
			count[a.Item]++
		}
		if len(count) != len(p.answered) {
			lostAnswers += max(0, len(p.answered)-len(count))
		}
		for _, n := range count {
			doubledAnswers += n - 1
		}
	}
	var answersTotal int
	for _, p := range patients {
		answersTotal += len(p.answered)
	}
	tooMany := 0
	for _, c := range calls {
		if c.Status == 429 {
			tooMany++
		}
	}
	floodReplies := 0 // messages sent to the flooding chat
	for _, c := range sentTo[99_999] {
		floodReplies += btoi(c.Method == "sendMessage")
	}

	t.Logf("fault run: %d patients, %d kills, redis restart %v, %.0f%% injected errors, flood of %d messages in %v, %v in all",
		h.run.patients, h.run.kills, h.run.redisRestart, 100*h.run.errorRate, h.run.flood, h.run.floodFor, time.Since(start).Round(time.Second))
	t.Logf("patient messages: %d, without a reply: %d (%d of them sent shortly before a kill of the bot or Redis); patients who gave up waiting and sent /resume: %d times; checks not finished: %d",
		len(actions), unanswered+lostToKill, lostToKill, stalls, notDone)
	t.Logf("answers: %d given, %d lost, %d doubled", answersTotal, lostAnswers, doubledAnswers)
	t.Logf("escalations: %d pages to %d chats each, %d copies lost, %d copies sent more than once", len(escalation), len(faultPaged), len(lost), doubled)
	t.Logf("reply latency: p50 %v, p99 %v; under the flood (other patients): p50 %v, p99 %v (%d messages)",
		pct(replyAll, 50), pct(replyAll, 99), pct(replyFlood, 50), pct(replyFlood, 99), len(replyFlood))
	t.Logf("escalation latency, first copy to a clinician: p50 %v, p99 %v; every copy (%d): p50 %v, p99 %v",
		pct(escalation, 50), pct(escalation, 99), len(everyCopy), pct(everyCopy, 50), pct(everyCopy, 99))
	t.Logf("the flooding chat got %d messages for its %d; messages answered 429 (injected or over a limit): %d", floodReplies, h.run.flood, tooMany)

	windowFull, dropped := 0, 0
	h.mu.Lock()
	for _, p := range h.procs {
		log := p.stderr.String()
		windowFull += strings.Count(log, "intake window full")
		dropped += strings.Count(log, "flood limit dropped updates")
	}
	h.mu.Unlock()
	t.Logf("intake: %d window-full warnings, %d flood-drop audits in the bot's log", windowFull, dropped)

	if unanswered > 0 {
		t.Errorf("%d patient messages got no reply, not explained by a kill", unanswered)
	}
	if lostToKill > 0 && h.run.strictReplies {
		t.Errorf("%d patient messages sent shortly before a kill of the bot or Redis got no reply", lostToKill)
	}
	if h.run.targets {
		if p := pct(escalation, 99); p > 2*time.Second {
			t.Errorf("escalation p99 %v, over 2 s", p)
		}
		if p := pct(replyFlood, 99); p > 3*time.Second {
			t.Errorf("other patients' reply p99 under the flood %v, over 3 s", p)
		}
	}
	if lostAnswers > 0 || doubledAnswers > 0 {
		t.Errorf("answers: %d lost, %d doubled", lostAnswers, doubledAnswers)
	}
	if len(lost) > 0 {
		t.Errorf("escalations lost: %v", lost)
	}
	if notDone > 0 {
		t.Errorf("%d patients did not finish their check", notDone)
	}
	if floodReplies >= h.run.flood/2 {
		t.Errorf("the flooding chat got %d replies to %d messages: not limited", floodReplies, h.run.flood)
	}
	if t.Failed() {
		h.mu.Lock()
		for i, p := range h.procs {
			t.Logf("bot process %d log (tail):\n%s", i, tail(p.stderr.String(), 4000))
		}
		h.mu.Unlock()
	}
}

// killedWithin reports a kill of the bot or Redis within d after at.
func (h *faultHarness) killedWithin(at time.Time, d time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.kills {
		if !k.Before(at) && k.Sub(at) <= d {
			return true
		}
	}
	return false
}

// pct is the p-th percentile of ds (0 when empty).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)].Round(time.Millisecond)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
