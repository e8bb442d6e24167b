// Package bot is the Telegram side of checkinbot: update intake, routing of
// patients and clinicians, rendering prompts, sending with retries, and
// escalation dispatch. It is the only package that imports tgbotapi.
package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// Config is what the bot needs beyond its Telegram client and store.
type Config struct {
	// Protocol is the clinic's current protocol. It is recorded in Redis
	// under its version, and runs started on an earlier version finish on
	// that version.
	Protocol *flows.Protocol
	// Clinicians are the Telegram user ids allowed to act as clinicians.
	Clinicians []int64
	// EscalationChat receives escalations; 0 sends them to each clinician.
	EscalationChat int64
	// OncallIDs are the Telegram user ids of the clinicians on call: every
	// re-page of an unacknowledged URGENT or HIGH escalation goes to them
	// as well, and they may acknowledge and resolve like Clinicians.
	OncallIDs []int64
	// JobTick is how often the instance looks for due timed jobs when none
	// were due; 0 means every second. Tests with a fake clock set it low.
	JobTick time.Duration
	// Workers bounds how many chats are handled at once.
	Workers int
	// InviteTTL is how long an enrolment link stays valid.
	InviteTTL time.Duration
	// Consumer names this instance, in the outbox consumer group and for the
	// poller lease; it should stay the same across restarts of the instance
	// (cmd uses the host name) and differ between instances. "" picks a
	// unique name.
	Consumer string
	// SendRate caps Telegram calls per second across all chats; 0 means 25,
	// under Telegram's limit of about 30 messages a second.
	SendRate float64
	// Unthrottled lifts the per-chat limits: no per-chat send budget and no
	// flood limit on intake (the overall SendRate still applies). For tests
	// against an emulator without Telegram's limits; never in production.
	Unthrottled bool
	// WebhookURL, when set, switches intake from long polling to a webhook:
	// Telegram posts updates to this public https URL, which must reach
	// WebhookHandler(WebhookSecret). Every instance can serve it.
	WebhookURL    string
	WebhookSecret string
	// Metrics receives the bot's Prometheus metrics; nil keeps them private.
	Metrics prometheus.Registerer
	// TimeZone is the clinic's time zone: local times (the next-day
	// follow-up at 10:00, dose-day reminders) of a patient without a zone of
	// their own are in it. nil means the zone of Now's times (UTC).
	TimeZone *time.Location
	// DigestAt is when the weekly digest goes to the clinicians, on the
	// clinic's calendar: "<day> <HH:MM>", "off", or "" for DefaultDigestAt
	// (see ParseDigestAt).
	DigestAt string
	Logger   *slog.Logger
	Now      func() time.Time
}

// Bot handles Telegram updates for patients and clinicians.
type Bot struct {
	api        *tgbotapi.BotAPI
	store      *store.Store
	send       *sender
	log        *slog.Logger
	now        func() time.Time
	protocol   *flows.Protocol
	versions   *protocolVersions
	clinicians map[int64]bool
	escChat    int64
	oncall     []int64
	jobTick    time.Duration
	workers    int
	inviteTTL  time.Duration
	consumer   string
	digest     digestTime

	prompts       *promptMessages
	ledger        *replyLedger   // what this process sent from the reply outbox
	runID         string         // "<consumer>/<random>": this run, owner of the replies it commits
	polling       bool           // this instance holds the poller lease (pollLoop only)
	leaseUntil    time.Time      // when the poller lease last taken runs out (pollLoop only)
	jobs          sync.WaitGroup // the background loops (Run)
	webhookURL    string
	webhookSecret string
	chatLocks     chatLocks // webhook mode: one update of a chat at a time
	intake        *intake   // per-chat queues and the flood limit
	metrics       *metrics
	quit          chan struct{} // closed when Run's context is done

	// delivery is read-held by each escalation being delivered and each
	// inBackground send; Run write-locks it on its way out, waiting for
	// them, to set stopped, which makes the dispatcher deliver nothing more.
	delivery sync.RWMutex
	inFlight *inFlight // escalations being delivered
	stopped  bool

	// beforeCommit, when set (tests only, export_test.go), runs between an
	// update's load and its commit: where another writer can get in.
	beforeCommit func()
}

// New wires a bot. api must come from Connect (or point at an emulator).
func New(api *tgbotapi.BotAPI, st *store.Store, cfg Config) (*Bot, error) {
	if cfg.Protocol == nil {
		return nil, errors.New("bot: no protocol")
	}
	digest, err := parseDigestAt(cfg.DigestAt)
	if err != nil {
		return nil, fmt.Errorf("bot: digest time: %w", err)
	}
	b := &Bot{
		api:           api,
		store:         st,
		log:           cfg.Logger,
		now:           cfg.Now,
		protocol:      cfg.Protocol,
		versions:      &protocolVersions{current: cfg.Protocol, earlier: map[string]*flows.Protocol{}},
		clinicians:    map[int64]bool{},
		escChat:       cfg.EscalationChat,
		oncall:        cfg.OncallIDs,
		jobTick:       cfg.JobTick,
		workers:       cfg.Workers,
		inviteTTL:     cfg.InviteTTL,
		consumer:      cfg.Consumer,
		digest:        digest,
		webhookURL:    cfg.WebhookURL,
		webhookSecret: cfg.WebhookSecret,
		metrics:       newMetrics(cfg.Metrics),
		quit:          make(chan struct{}),
		prompts:       newPromptMessages(),
		ledger:        newReplyLedger(),
		inFlight:      newInFlight(),
	}
	if b.log == nil {
		b.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if b.now == nil {
		b.now = time.Now
	}
	if loc := cfg.TimeZone; loc != nil {
		// The engine reads the default zone off the clock's times.
		clock := b.now
		b.now = func() time.Time { return clock().In(loc) }
	}
	if b.workers <= 0 {
		b.workers = 16
	}
	if b.inviteTTL <= 0 {
		b.inviteTTL = 7 * 24 * time.Hour
	}
	if b.consumer == "" {
		b.consumer = instanceName()
	}
	b.runID = b.consumer + "/" + randomHex(8)
	if cfg.Metrics != nil {
		registerRuntimeMetrics(cfg.Metrics, st)
	}
	for _, id := range cfg.Clinicians {
		b.clinicians[id] = true
	}
	for _, id := range cfg.OncallIDs {
		b.clinicians[id] = true
	}
	if b.jobTick <= 0 {
		b.jobTick = time.Second
	}
	if cfg.SendRate <= 0 {
		cfg.SendRate = defaultSendRate
	}
	b.send = newSender(api, b.log, cfg.SendRate, !cfg.Unthrottled)
	b.send.calls = b.metrics.telegram
	b.intake = newIntake(b, cfg.Unthrottled)
	return b, nil
}

// Username is the bot's Telegram username, as used in invite links.
func (b *Bot) Username() string { return b.api.Self.UserName }

// Run polls for updates, dispatches escalations and runs due timed jobs
// until ctx is cancelled, then waits for the updates and job in hand to
// finish. Cancel the context passed to Connect together with ctx so that a
// long poll in progress ends at once.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.versions.record(ctx, b.store); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	go func() {
		<-ctx.Done()
		close(b.quit)
	}()
	if err := b.scheduleDigest(ctx); err != nil && ctx.Err() == nil {
		return err // (stopped while starting: the next start schedules it)
	}
	// The dispatcher is not waited for: its outbox read blocks in Redis and
	// cannot be interrupted, and abandoning it is safe, because an entry is
	// acknowledged only after delivery and is otherwise reclaimed. Only a
	// delivery in progress is waited for.
	go b.dispatchLoop(ctx)
	// The background loops, waited for on the way out: the command menus
	// (once), timed jobs, the reply outbox's sweeper and mark, retention.
	for _, loop := range []func(context.Context){b.registerCommands, b.jobLoop, b.sweepLoop, b.markLoop, b.retentionLoop} {
		b.jobs.Add(1)
		go func() {
			defer b.jobs.Done()
			loop(ctx)
		}()
	}
	var err error
	if b.webhookURL != "" {
		err = b.serveWebhook(ctx)
	} else {
		err = b.pollLoop(ctx)
	}
	b.jobs.Wait() // a job in hand finishes; the rest stay in Redis
	mctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	b.markSent(mctx) // so the next start does not send them again
	cancel()
	b.delivery.Lock()
	b.stopped = true
	b.delivery.Unlock()
	return err
}

// instanceName names this bot instance for the outbox consumer group and the
// poller lease: host and process, plus a random part so that two instances
// in one process (tests) are told apart.
func instanceName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(4))
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	r := make([]byte, n)
	_, _ = rand.Read(r)
	return hex.EncodeToString(r)
}

// chatRef is a short, stable pseudonym of a chat id for logs: enough to
// follow one conversation through the log, without the Telegram id itself.
// It is keyed with the bot token, so it is the same on every instance and
// after restarts, yet cannot be reversed by trying every possible id.
func (b *Bot) chatRef(chatID int64) string {
	mac := hmac.New(sha256.New, []byte(b.api.Token))
	mac.Write([]byte(strconv.FormatInt(chatID, 10)))
	return hex.EncodeToString(mac.Sum(nil)[:6])
}

// inBackground runs f in its own goroutine as an escalation's delivery runs:
// it holds the bot's shutdown until f is done, and f does not start once
// the bot has stopped.
func (b *Bot) inBackground(f func()) {
	go func() {
		b.delivery.RLock()
		defer b.delivery.RUnlock()
		if b.stopped {
			return
		}
		f()
	}()
}
