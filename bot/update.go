// The path of one update, top to bottom, in this one file: the intake
// (polling, intake.go, or the webhook, webhook.go) hands an update to
// handleWithRetry, the one wrapper of both (timeout, retries, the delay
// notice, metrics), which calls HandleUpdate (recover), which routes it
// (patient or clinician, message, button or edit), loads the chat in one
// round trip, steps the engine, commits the outcome in one atomic round
// trip, and delivers the replies. The parts it uses follow the path, at the
// end of this file, in the order it first uses them. Beside it, named for
// what they are: outbox.go (sending committed replies as Telegram messages
// and settling the buttons answered), protocols.go (the protocol version a
// run finishes on), crisis.go (the crisis screen before storage) and
// errors.go (transient or permanent).

package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// handleWithRetry handles one update and reports whether it is settled:
// handled, or failed for good with the patient told so. A failure that may
// pass (Redis unreachable, Telegram down) is retried with backoff, because
// the update may be a patient's self-harm answer that must not be lost.
// The patient hears once that their message is delayed, as soon as Redis
// has kept it waiting delayNotice, within an attempt or across attempts.
// Retrying stops when stop is done (the update is then not settled: the
// caller leaves it unconfirmed for a later start) or after retryLimit, so
// that one update with an unforeseen lasting fault cannot hold every other
// chat up forever. A crisis the screen found is raised without the session
// when the update fails for good.
func (b *Bot) handleWithRetry(stop context.Context, u tgbotapi.Update, onCommit func()) bool {
	kind := updateKind(u.Message != nil, u.CallbackQuery != nil)
	start := time.Now()
	delay := 100 * time.Millisecond
	st := &updateState{onCommit: onCommit}
	notice := func() {
		if st.noticeIssued.CompareAndSwap(false, true) {
			b.tell(u, b.protocol.Messages.Delayed)
		}
	}
	timer := time.AfterFunc(delayNotice, func() {
		if st.storageWait.Load() {
			notice()
		}
	})
	defer timer.Stop()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), updateStateKey{}, st), handleTimeout)
		err := b.HandleUpdate(ctx, u)
		cancel()
		if err == nil {
			b.metrics.updates.WithLabelValues(kind, "ok").Inc()
			b.metrics.handleTime.Observe(time.Since(start).Seconds())
			return true
		}
		if kindOf(err) == kindPermanent || time.Since(start) > retryLimit {
			b.log.Error("update not handled", "update_id", u.UpdateID, "attempts", attempt, "error", err.Error())
			b.metrics.updates.WithLabelValues(kind, "failed").Inc()
			if st.crisis != nil {
				b.raiseCrisisUntilDone(stop, st)
			}
			if !st.alerted.Load() {
				// A patient in crisis already has the resources and knows
				// the care team was alerted; anyone else hears it failed.
				b.tell(u, b.protocol.Messages.TryAgain)
			}
			return true
		}
		if time.Since(start) > delayNotice && st.storageWait.Load() {
			notice() // Redis failing; when Telegram is, telling is futile
		}
		b.log.Warn("update failed, retrying", "update_id", u.UpdateID, "attempt", attempt, "error", err.Error())
		select {
		case <-stop.Done():
			return false
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// raiseCrisisUntilDone raises a screened crisis without the session,
// retrying until Redis takes it or stop is done (the update then stays
// unconfirmed, and the next start tries again).
func (b *Bot) raiseCrisisUntilDone(stop context.Context, st *updateState) {
	delay := 100 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), updateStateKey{}, st), 10*time.Second)
		err := b.raiseCrisis(ctx)
		cancel()
		if err == nil {
			return
		}
		b.log.Error("crisis escalation not recorded yet, retrying", "chat", b.chatRef(st.chatID), "error", err.Error())
		select {
		case <-stop.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

const (
	handleTimeout = 30 * time.Second
	// delayNotice is how long Redis may keep an update waiting (hung or
	// failing) before the patient hears that their message is delayed.
	delayNotice = 2 * time.Second
	// retryLimit bounds the retrying of one update.
	retryLimit = 15 * time.Minute
)

// tell sends text to the chat of an update that is failing, so that even a
// failure does not end in silence. Telegram may be what fails: best effort.
func (b *Bot) tell(u tgbotapi.Update, text string) {
	chatID := updateChatID(u)
	if chatID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if u.CallbackQuery != nil {
		_ = b.send.request(ctx, tgbotapi.NewCallback(u.CallbackQuery.ID, ""))
	}
	if _, err := b.send.send(ctx, tgbotapi.NewMessage(chatID, text)); err != nil {
		b.log.Error("could not tell the chat about a failing update", "chat", b.chatRef(chatID), "error", err.Error())
	}
}

// HandleUpdate handles one update completely: it routes it to the patient or
// clinician side, commits the resulting state and sends the replies. An
// error means the update may be retried (it is de-duplicated by id).
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) (err error) {
	if ctx.Value(updateStateKey{}) == nil {
		ctx = context.WithValue(ctx, updateStateKey{}, &updateState{})
	}
	stateOf(ctx).update = updateRef{chatID: updateChatID(u), id: u.UpdateID}
	defer func() {
		// A bug must not take the process down with every other chat.
		if r := recover(); r != nil {
			err = permanent("handle update", fmt.Errorf("panic: %v", r))
		}
	}()
	switch {
	case u.CallbackQuery != nil:
		return b.handleCallback(ctx, u.UpdateID, u.CallbackQuery)
	case u.Message != nil:
		return b.handleMessage(ctx, u.UpdateID, u.Message)
	case u.EditedMessage != nil:
		return b.handleEditedMessage(ctx, u.UpdateID, u.EditedMessage)
	}
	return nil // kinds we do not ask for (allowedUpdates); nothing to answer
}

func (b *Bot) handleMessage(ctx context.Context, updateID int, m *tgbotapi.Message) error {
	if m.From == nil || m.Chat == nil || m.From.IsBot {
		return nil
	}
	cmd, args := command(m)
	if b.clinicians[m.From.ID] && (cmd == "" || cmd == "cancel") {
		// A resolution note the clinician was asked for (or /cancel of it).
		if handled, err := b.takeNote(ctx, m, cmd); handled || err != nil {
			return err
		}
	}
	if b.clinicians[m.From.ID] && isClinicianCommand(cmd, args) {
		return b.handleClinician(ctx, m, cmd, args)
	}
	if !m.Chat.IsPrivate() {
		// Patients talk to the bot privately; in the clinicians' group only
		// clinician commands are for us, and /help says so to anyone else.
		if cmd == "help" {
			return b.reply(ctx, m.Chat.ID, textGroupHelp)
		}
		return nil
	}
	alerted := false
	ctx = withLanguage(ctx, m.From)
	if cmd != "" && args != "" && !b.clinicians[m.From.ID] {
		if _, crisis := b.protocol.Crisis.Screen(args); crisis {
			// "/checkin I want to die": the words after a command are what
			// the patient typed, so they are read like any typed message
			// (the crisis response, the escalation, the run ended) instead
			// of starting a check.
			cmd, args = "", ""
		}
	}
	if typed := typedText(m); cmd == "" && typed != "" && !b.clinicians[m.From.ID] {
		alerted = b.screenCrisis(ctx, m.Chat.ID, typed)
	}
	return b.handlePatientMessage(ctx, updateID, m, cmd, args, alerted)
}

func (b *Bot) handleCallback(ctx context.Context, updateID int, q *tgbotapi.CallbackQuery) error {
	if q.From == nil {
		return nil
	}
	if handled, err := b.handleEscalationButton(ctx, q); handled {
		return err
	}
	press, ok := flows.DecodeAnswer(q.Data)
	if !ok || q.Message == nil || q.Message.Chat == nil || !q.Message.Chat.IsPrivate() {
		b.answerCallback(ctx, q, b.protocol.Messages.StaleButton)
		return nil
	}
	return b.handlePatientButton(ctx, updateID, q, press)
}

// handleEditedMessage screens a patient's edited message. An edit changes
// no answer, but a crisis typed into one brings help like any message: the
// crisis resources and an URGENT escalation, sent urgent-first.
func (b *Bot) handleEditedMessage(ctx context.Context, updateID int, m *tgbotapi.Message) error {
	if m.From == nil || m.Chat == nil || m.From.IsBot || !m.Chat.IsPrivate() {
		return nil
	}
	text := typedText(m)
	if cmd, _ := command(m); cmd != "" || strings.TrimSpace(text) == "" {
		return nil // an edited command runs nothing
	}
	match, crisis := b.protocol.Crisis.Screen(text)
	snap, err := b.store.Load(ctx, m.Chat.ID, updateID)
	if err != nil {
		if crisis {
			// Storage trouble must not hold back the resources; the update
			// is retried, and the escalation raised then.
			_ = b.reply(withPriority(ctx, prioUrgent), m.Chat.ID, b.protocol.Crisis.Text(match.Group))
		}
		return err
	}
	if snap.Seen || snap.Patient == "" {
		return nil // handled before, or not a patient: nothing is stored
	}
	if !crisis {
		return b.reply(ctx, m.Chat.ID, b.protocol.Messages.EditNoted)
	}
	return b.applyAndDeliver(withPriority(ctx, prioUrgent), snap, updateID, nil, func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		out, _ := p.ScreenEdit(s, text, now)
		return out, nil
	})
}

// handlePatientMessage handles a message in a private chat; alerted says
// the crisis screen already matched it and its alert was sent.
func (b *Bot) handlePatientMessage(ctx context.Context, updateID int, m *tgbotapi.Message, cmd, args string, alerted bool) error {
	chatID := m.Chat.ID
	snap, err := b.load(ctx, chatID, updateID)
	if err != nil {
		return err
	}
	if snap.Seen {
		// Handled before, yet redelivered: its handling did not finish, so
		// what it committed may not have been sent.
		_, err := b.sendReplies(ctx, chatID, snap.Unsent, true)
		return err
	}
	if snap.Patient == "" && stateOf(ctx).crisis != nil {
		// Not (or no longer) enrolled, yet in crisis: the alert said the
		// care team knows, so they must.
		if err := b.raiseCrisis(ctx); err != nil {
			return err
		}
	}
	if snap.Patient == "" && b.clinicians[m.From.ID] && !(cmd == "start" && args != "") {
		// A clinician who is not also enrolled as a test patient.
		return b.reply(ctx, chatID, textClinicianHelp)
	}
	if snap.Patient == "" || (cmd == "start" && args != "") {
		return b.handleUnenrolled(ctx, chatID, snap.Patient, cmd, args)
	}
	if f := b.protocol.FlowForCommand(cmd); f != nil {
		return b.applyAndDeliver(ctx, snap, updateID, nil, b.startFlow(f.ID))
	}
	switch cmd {
	case "":
		in := flows.Input{Text: typedText(m), CrisisAlerted: alerted}
		if in.Text == "" {
			// A photo, sticker or voice note: the engine treats it as an
			// answer it cannot read and asks again.
			in.Text = " "
		}
		return b.applyAndDeliver(ctx, snap, updateID, nil, func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
			return p.Step(s, in, now)
		})
	case "cancel":
		return b.applyAndDeliver(ctx, snap, updateID, nil, func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
			return p.Cancel(s, now), nil
		})
	case "resume":
		p, err := b.protocolFor(ctx, snap.Session)
		if err != nil {
			return err
		}
		return b.deliver(ctx, snap, snap.Version, flows.Outcome{Session: snap.Session,
			Replies: []flows.Reply{p.Resume(snap.Session)}}, nil, false)
	case "status":
		return b.reply(ctx, chatID, b.patientProtocol(snap.Session).Status(snap.Session, b.now()))
	case "start":
		return b.reply(ctx, chatID, b.patientProtocol(snap.Session).Messages.Connected+"\n\n"+patientHelp(b.patientProtocol(snap.Session)))
	case "help":
		return b.reply(ctx, chatID, patientHelp(b.patientProtocol(snap.Session)))
	case "language":
		return b.deliver(ctx, snap, snap.Version, flows.Outcome{Session: snap.Session,
			Replies: []flows.Reply{b.patientProtocol(snap.Session).LanguagePrompt()}}, nil, false)
	default:
		return b.reply(ctx, chatID, b.patientProtocol(snap.Session).Messages.UnknownCommand+"\n\n"+patientHelp(b.patientProtocol(snap.Session)))
	}
}

func (b *Bot) handlePatientButton(ctx context.Context, updateID int, q *tgbotapi.CallbackQuery, press flows.ButtonPress) error {
	chatID := q.Message.Chat.ID
	snap, err := b.load(ctx, chatID, updateID)
	if err != nil {
		return err
	}
	if snap.Seen {
		b.answerCallback(ctx, q, "")
		_, err := b.sendReplies(ctx, chatID, snap.Unsent, true)
		return err
	}
	if snap.Patient == "" {
		b.answerCallback(ctx, q, "")
		return b.reply(ctx, chatID, b.protocol.Messages.Stranger)
	}
	return b.applyAndDeliver(ctx, snap, updateID, q, func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		return p.Step(s, flows.Input{Button: &press}, now)
	})
}

// applyAndDeliver steps the engine, commits the outcome and sends it.
func (b *Bot) applyAndDeliver(ctx context.Context, snap store.Snapshot, updateID int, q *tgbotapi.CallbackQuery, decide decision) error {
	snap, out, version, err := b.apply(ctx, snap, updateID, decide)
	if err != nil {
		return err
	}
	// Committed: Telegram may forget the update now (intake.go).
	b.intake.committed(updateID)
	if snap.Seen { // handled before (a redelivery): send what it committed
		if q != nil {
			b.answerCallback(ctx, q, "")
		}
		_, err := b.sendReplies(ctx, snap.ChatID, snap.Unsent, true)
		return err
	}
	return b.deliver(ctx, snap, version, out, q, true)
}

// load is store.Load, with the update marked as waiting for Redis until
// it answers (for the delay notice).
func (b *Bot) load(ctx context.Context, chatID int64, updateID int) (store.Snapshot, error) {
	st := stateOf(ctx)
	st.storageWait.Store(true)
	snap, err := b.store.Load(ctx, chatID, updateID)
	if err == nil {
		st.storageWait.Store(false)
		if snap.Seen {
			st.markCommitted()
		}
	}
	return snap, err
}

// maxConflicts bounds compare-and-set retries; each retry means another
// writer (a timed job, a second instance) changed the session meanwhile.
const maxConflicts = 5

// apply runs the decision and commits its outcome in one atomic round trip,
// reloading and deciding again when the session changed since it was loaded.
// It returns the snapshot the committed outcome was decided on and the
// session's new version.
//
// With updateID 0 a change made for a clinician's update (or a patient's
// /start) is still committed once: commitOf marks the update in its own
// chat. with adds to the commit what the engine does not decide (an invite).
func (b *Bot) apply(ctx context.Context, snap store.Snapshot, updateID int, decide decision, with ...func(*store.Commit)) (store.Snapshot, flows.Outcome, int64, error) {
	for attempt := 1; ; attempt++ {
		p, err := b.protocolFor(ctx, snap.Session)
		if err != nil {
			return snap, flows.Outcome{}, 0, err
		}
		out, err := decide(p, snap.Session, b.now())
		if err != nil {
			// The engine's outcome stays safe to commit and send even with
			// an internal fault (e.g. a score it could not compute); only
			// an outcome with nothing to say is a failure.
			if len(out.Replies) == 0 {
				return snap, out, 0, permanent("engine", err)
			}
			b.log.Error("engine fault; its safe outcome is used", "chat", b.chatRef(snap.ChatID), "error", err.Error())
		}
		c := b.commitOf(ctx, snap, updateID, out)
		for _, f := range with {
			f(&c)
		}
		if b.beforeCommit != nil {
			b.beforeCommit()
		}
		st := stateOf(ctx)
		st.storageWait.Store(true)
		res, err := b.store.Commit(ctx, c)
		if errors.Is(err, store.ErrDuplicate) {
			if snap, err = b.load(ctx, snap.ChatID, updateID); err != nil {
				return snap, out, 0, err
			}
			snap.Seen = true // what it committed is still to be sent
			return snap, out, 0, nil
		}
		if err == nil {
			st.storageWait.Store(false)
			st.markCommitted()
			b.ledger.recordMarked(snap.ChatID, c.RepliesSentUpTo)
		}
		if !errors.Is(err, store.ErrConflict) || attempt == maxConflicts {
			return snap, out, res.Version, err
		}
		if snap, err = b.load(ctx, snap.ChatID, updateID); err != nil {
			return snap, out, 0, err
		}
		if snap.Seen {
			return snap, out, 0, nil
		}
	}
}

// decision computes one engine step from the protocol the session runs on,
// the session as loaded and the time.
type decision func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error)

// startFlow is the decision of a command that starts a flow: a new run
// always starts on the clinic's current protocol.
func (b *Bot) startFlow(flowID string) decision {
	return func(_ *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		return b.patientProtocol(s).Start(s, flowID, now)
	}
}

// commitOf turns an engine outcome into the store's atomic commit.
// An update's own change commits with updateID; any other change made while
// handling an update (a clinician's /clear, /schedule or resolution note,
// the intake a patient's invite starts) carries that update's id and chat,
// so a retry of the update finds it committed (store.Commit.By) and a
// retried /enroll makes no second invite. A timed job has neither.
func (b *Bot) commitOf(ctx context.Context, snap store.Snapshot, updateID int, out flows.Outcome) store.Commit {
	c := store.Commit{
		ChatID:     snap.ChatID,
		UpdateID:   updateID,
		Version:    snap.Version,
		Session:    out.Session,
		Answers:    out.Answers,
		Completion: out.Completion,
		Jobs:       out.Jobs,
		Audit:      out.Audit,
		Replies:    b.outboxReplies(out),
		// The lazy mark: replies sent since the last commit leave the
		// outbox in this one, at no extra round trip.
		RepliesSentUpTo: b.ledger.unmarked(snap.ChatID),
		// Likewise the relay entries applied since (store/relay.go).
		RelayedUpTo: snap.RelayedUpTo,
		Marked:      snap.Marked,
	}
	if u := stateOf(ctx).update; updateID == 0 && u.id > 0 && u.chatID != 0 {
		c.UpdateID, c.By = u.id, u.chatID
	}
	for _, e := range out.Escalations {
		e.Reason = strings.ReplaceAll(e.Reason, "<label>", snap.Patient) // the /clear command to use
		c.Escalations = append(c.Escalations, store.NewEscalation{Escalation: e, Patient: snap.Patient, ChatID: snap.ChatID})
	}
	return c
}

// outboxReplies are an outcome's replies as the commit writes them: crisis
// replies (an URGENT escalation in the same step) go first in Telegram's
// queue.
func (b *Bot) outboxReplies(out flows.Outcome) []store.OutboxReply {
	prio := prioReply
	for _, e := range out.Escalations {
		if e.Level == flows.Urgent {
			prio = prioUrgent
		}
	}
	rs := make([]store.OutboxReply, len(out.Replies))
	for i, r := range out.Replies {
		rs[i] = store.OutboxReply{Reply: r, Priority: int(prio), Owner: b.runID}
	}
	return rs
}

// deliver shows the outcome to the patient: it sends the chat's unsent
// replies and the outcome's (from the outbox when committed says the commit
// wrote them there), then settles the buttons of the question just answered
// (cosmetic: the engine refuses a stale press anyway), and remembers which
// message carries the buttons now awaited. The settling edit goes after the
// replies so that its failures (a 429 holds the whole chat off) never delay
// what the patient is waiting for. A button answer's first reply is shown in
// the pressed message instead, which settles it too (inPlaceFor): two
// Telegram calls per press, the callback's answer and one edit.
func (b *Bot) deliver(ctx context.Context, snap store.Snapshot, version int64, out flows.Outcome, q *tgbotapi.CallbackQuery, committed bool) error {
	chatID := snap.ChatID
	if q != nil {
		b.answerCallbackBeside(ctx, q)
	}

	todo := snap.Unsent
	if committed {
		todo = append(todo, committedReplies(snap, b.outboxReplies(out), b.now())...)
	} else {
		for _, r := range out.Replies {
			todo = append(todo, store.PendingReply{OutboxReply: store.OutboxReply{Reply: r, Priority: int(prioReply)}})
		}
	}
	place := inPlaceFor(out, q)
	promptID, err := b.sendRepliesIn(ctx, chatID, todo, false, place)
	if err != nil {
		return err
	}
	if place == nil || !place.tried { // else the press is settled: its message shows the answer
		b.settlePrompt(ctx, snap, out, q)
	}
	b.prompts.set(chatID, version, promptID, place != nil && place.tried && promptID == place.messageID)
	return nil
}

// reply sends one plain message.
func (b *Bot) reply(ctx context.Context, chatID int64, text string) error {
	_, err := b.send.send(ctx, tgbotapi.NewMessage(chatID, text))
	return err
}

// answerCallbackBeside answers a press beside its reply, not before it: the
// answer only stops the button's spinner, and a 429 on it (retry_after, a
// second each time) must not hold back what the patient reads. (In a fault
// run three 429s in a row on one answer held a reply back 3 s.)
func (b *Bot) answerCallbackBeside(ctx context.Context, q *tgbotapi.CallbackQuery) {
	ctx = context.WithoutCancel(ctx)
	b.inBackground(func() {
		ctx, cancel := context.WithTimeout(ctx, callbackAnswerTimeout)
		defer cancel()
		b.answerCallback(ctx, q, "")
	})
}

// callbackAnswerTimeout bounds the tries at answering a press: Telegram
// refuses to answer a query much older than that anyway.
const callbackAnswerTimeout = 15 * time.Second

// answerCallback stops the client's spinner, with an optional short notice.
// Its failure never fails the update: after a restart the query may be too
// old to answer, and the chat message that follows is what matters.
func (b *Bot) answerCallback(ctx context.Context, q *tgbotapi.CallbackQuery, text string) {
	if err := b.send.request(ctx, tgbotapi.NewCallback(q.ID, text)); err != nil {
		b.log.Warn("answerCallbackQuery failed", "error", err.Error())
	}
}

// The parts of the path, in the order it first uses them.

// updateKind names an update's kind for metrics.
func updateKind(hasMessage, hasCallback bool) string {
	switch {
	case hasCallback:
		return "callback"
	case hasMessage:
		return "message"
	default:
		return "other"
	}
}

// updateState is what the attempts at one update share (handleWithRetry
// makes one per update; HandleUpdate one per call otherwise).
type updateState struct {
	// update is the update itself: its chat and id. A commit made for it on
	// another chat (a clinician's command changing a patient) records it
	// in its own chat's de-duplication mark (commitOf).
	update       updateRef
	crisis       *flows.CrisisMatch // the crisis screen matched the update's text
	chatID       int64
	text         string
	alerted      atomic.Bool // its crisis alert was sent
	raised       atomic.Bool // its escalation was raised without the session
	storageWait  atomic.Bool // it is waiting for Redis (to load or commit)
	committed    atomic.Bool // its outcome is committed (escalations included)
	noticeIssued atomic.Bool // the patient was told it is delayed
	// onCommit runs once, when the outcome is first known committed (the
	// intake frees the update's worker slot then: sending the replies,
	// which may wait a second on a chat's 429, holds no other chat back).
	onCommit     func()
	onCommitOnce sync.Once
}

// markCommitted records that the update's outcome is committed.
func (st *updateState) markCommitted() {
	st.committed.Store(true)
	if st.onCommit != nil {
		st.onCommitOnce.Do(st.onCommit)
	}
}

// updateRef names an update: the chat it came from and its id.
type updateRef struct {
	chatID int64
	id     int
}

type updateStateKey struct{}

// stateOf is the update's shared state; a throwaway one outside an update.
func stateOf(ctx context.Context) *updateState {
	if st, ok := ctx.Value(updateStateKey{}).(*updateState); ok {
		return st
	}
	return &updateState{}
}

// updateChatID is the chat an update belongs to (0 when it has none).
func updateChatID(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}

// command splits a message into its bot command (lower-case, without the
// slash or @botname) and arguments; cmd is "" for plain text.
func command(m *tgbotapi.Message) (cmd, args string) {
	if m.IsCommand() {
		return strings.ToLower(m.Command()), strings.TrimSpace(m.CommandArguments())
	}
	// Telegram marks commands with an entity; a message typed as "/checkin"
	// by a client that does not is still a command.
	text := strings.TrimSpace(m.Text)
	if strings.HasPrefix(text, "/") {
		name, rest, _ := strings.Cut(text[1:], " ")
		name, _, _ = strings.Cut(name, "@")
		return strings.ToLower(name), strings.TrimSpace(rest)
	}
	return "", ""
}

// typedText is what a patient typed in a message: its text, or the caption
// of a photo or document, which the crisis screen reads too.
func typedText(m *tgbotapi.Message) string {
	if m.Text != "" {
		return m.Text
	}
	return m.Caption
}

// isClinicianCommand reports the commands a clinician's message is about;
// anything else from a clinician in a private chat is treated as a patient's
// (so staff can enrol themselves to try the flows).
func isClinicianCommand(cmd, args string) bool {
	if cmd == "start" {
		return args == "" // with an invite code, a clinician is trying the patient side
	}
	return slices.ContainsFunc(clinicianMenu, func(c tgbotapi.BotCommand) bool { return c.Command == cmd })
}

// ackPrefix starts the callback data of an escalation's [Acknowledge] button.
const ackPrefix = "k:"

func ackData(escalationID string) string { return ackPrefix + escalationID }

// parseEscData decodes the callback data of an escalation button with the
// given prefix; ids are short and alphanumeric, anything else is refused.
func parseEscData(data, prefix string) (string, bool) {
	id, ok := strings.CutPrefix(data, prefix)
	if !ok || id == "" || len(id) > 40 {
		return "", false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return "", false
		}
	}
	return id, true
}

// protocolFor returns the protocol a session's run must finish on.
func (b *Bot) protocolFor(ctx context.Context, s flows.Session) (*flows.Protocol, error) {
	p, err := b.versions.forSession(ctx, b.store, s)
	if err != nil {
		return nil, err
	}
	return p.In(s.Language), nil
}

// committedReplies numbers the replies a commit on snap wrote.
func committedReplies(snap store.Snapshot, rs []store.OutboxReply, at time.Time) []store.PendingReply {
	out := make([]store.PendingReply, len(rs))
	for i, r := range rs {
		r.At = at
		out[i] = store.PendingReply{Seq: snap.ReplySeq + int64(i) + 1, OutboxReply: r}
	}
	return out
}
