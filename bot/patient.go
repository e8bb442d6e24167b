package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

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
			st.committed.Store(true)
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
func (b *Bot) apply(ctx context.Context, snap store.Snapshot, updateID int, decide decision) (store.Snapshot, flows.Outcome, int64, error) {
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
				return snap, out, 0, fmt.Errorf("%w: engine: %v", errPermanent, err)
			}
			b.log.Error("engine fault; its safe outcome is used", "chat", b.chatRef(snap.ChatID), "error", err.Error())
		}
		c := b.commitOf(snap, updateID, out)
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
			st.committed.Store(true)
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

// commitOf turns an engine outcome into the store's atomic commit.
func (b *Bot) commitOf(snap store.Snapshot, updateID int, out flows.Outcome) store.Commit {
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
	}
	for _, e := range out.Escalations {
		e.Reason = strings.ReplaceAll(e.Reason, "<label>", snap.Patient) // the /clear command to use
		c.Escalations = append(c.Escalations, store.NewEscalation{Escalation: e, Patient: snap.Patient, ChatID: snap.ChatID})
	}
	return c
}

// deliver shows the outcome to the patient: it settles the buttons of the
// question just answered (so they cannot be pressed twice), then sends the
// chat's unsent replies and the outcome's (from the outbox when committed
// says the commit wrote them there), and remembers which message carries
// the buttons now awaited.
func (b *Bot) deliver(ctx context.Context, snap store.Snapshot, version int64, out flows.Outcome, q *tgbotapi.CallbackQuery, committed bool) error {
	chatID := snap.ChatID
	if q != nil {
		b.answerCallback(ctx, q, "")
	}
	b.settlePrompt(ctx, snap, out, q)

	todo := snap.Unsent
	if committed {
		todo = append(todo, committedReplies(snap, b.outboxReplies(out), b.now())...)
	} else {
		for _, r := range out.Replies {
			todo = append(todo, store.PendingReply{OutboxReply: store.OutboxReply{Reply: r, Priority: int(prioReply)}})
		}
	}
	promptID, err := b.sendReplies(ctx, chatID, todo, false)
	if err != nil {
		return err
	}
	b.prompts.set(chatID, version, promptID)
	return nil
}

// settlePrompt edits the message whose buttons this update answered or made
// obsolete: an accepted answer is shown under its question; otherwise the
// buttons are just removed, as the reply brings the live ones again.
func (b *Bot) settlePrompt(ctx context.Context, snap store.Snapshot, out flows.Outcome, q *tgbotapi.CallbackQuery) {
	msgID, text := b.prompts.get(snap.ChatID, snap.Version), ""
	if snap.Session.Prompt != nil {
		text = snap.Session.Prompt.Text
	}
	if q != nil && q.Message != nil {
		msgID, text = q.Message.MessageID, q.Message.Text
	}
	if msgID == 0 {
		return
	}
	if q == nil && out.Accepted == nil && isPing(snap.Session.Prompt) && !hasPing(out.Replies) {
		// An unanswered "how are you doing?" keeps its buttons when a
		// check-in starts meanwhile: it is still the patient's to answer.
		return
	}
	var edit tgbotapi.Chattable
	switch {
	case out.Accepted != nil && text != "":
		edit = markAnswered(snap.ChatID, msgID, text, out.Accepted.Display)
	case q != nil || hasButtons(out.Replies):
		edit = tgbotapi.NewEditMessageReplyMarkup(snap.ChatID, msgID, *noKeyboard())
	default:
		return
	}
	if err := b.send.request(ctx, edit); err != nil {
		// Cosmetic: a stale button is refused by the engine anyway.
		b.log.Warn("could not settle answered prompt", "chat", b.chatRef(snap.ChatID), "error", err.Error())
	}
}

// isPing reports whether r is the timeline's ping, by its buttons.
func isPing(r *flows.Reply) bool {
	if r == nil {
		return false
	}
	for _, row := range r.Buttons {
		for _, btn := range row {
			if p, ok := flows.DecodeAnswer(btn.Data); ok && p.Item == flows.PingItem {
				return true
			}
		}
	}
	return false
}

func hasPing(replies []flows.Reply) bool {
	for i := range replies {
		if isPing(&replies[i]) {
			return true
		}
	}
	return false
}

func hasButtons(replies []flows.Reply) bool {
	for _, r := range replies {
		if len(r.Buttons) > 0 {
			return true
		}
	}
	return false
}

// reply sends one plain message.
func (b *Bot) reply(ctx context.Context, chatID int64, text string) error {
	_, err := b.send.send(ctx, tgbotapi.NewMessage(chatID, text))
	return err
}

// handleUnenrolled answers someone not (or not yet) linked to a patient
// label: an invite code links them; anything else gets a polite explanation.
// Nothing about a stranger is stored.
func (b *Bot) handleUnenrolled(ctx context.Context, chatID int64, label, cmd, args string) error {
	if cmd != "start" || args == "" {
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.Stranger)
	}
	if !validInviteCode(args) {
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.InviteInvalid)
	}
	newLabel, err := b.store.RedeemInvite(ctx, args, chatID)
	switch {
	case errors.Is(err, store.ErrInviteUsed):
		if label != "" {
			return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.Connected+"\n\n"+patientHelp(b.telegramProtocol(ctx)))
		}
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.InviteUsed)
	case errors.Is(err, store.ErrNotFound):
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.InviteInvalid)
	case err != nil:
		return err
	}
	if newLabel == label {
		return b.reconnect(ctx, chatID)
	}
	b.log.Info("patient enrolled", "chat", b.chatRef(chatID))
	return b.startIntake(ctx, chatID)
}

// validInviteCode accepts what Telegram allows in a /start payload.
func validInviteCode(code string) bool {
	if len(code) == 0 || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
