package bot

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
)

// HandleUpdate handles one update completely: it routes it to the patient or
// clinician side, commits the resulting state and sends the replies. An
// error means the update may be retried (it is de-duplicated by id).
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) (err error) {
	if ctx.Value(updateStateKey{}) == nil {
		ctx = context.WithValue(ctx, updateStateKey{}, &updateState{})
	}
	defer func() {
		// A bug must not take the process down with every other chat.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic handling update: %v", errPermanent, r)
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
		// clinician commands are for us.
		return nil
	}
	alerted := false
	ctx = withLanguage(ctx, m.From)
	if typed := typedText(m); cmd == "" && typed != "" && !b.clinicians[m.From.ID] {
		alerted = b.screenCrisis(ctx, m.Chat.ID, typed)
	}
	return b.handlePatientMessage(ctx, updateID, m, cmd, args, alerted)
}

// screenCrisis runs the crisis screen on typed text before anything touches
// Redis, from the protocol in memory, and on a match sends the crisis
// alert at once, first in Telegram's queue: help never waits on storage. It
// reports whether the alert was sent (for this update, by this or an
// earlier attempt); if not, the engine's outcome carries it instead.
func (b *Bot) screenCrisis(ctx context.Context, chatID int64, text string) bool {
	match, ok := b.protocol.Crisis.Screen(text)
	if !ok {
		return false
	}
	st := stateOf(ctx)
	st.crisis = &match
	st.chatID, st.text = chatID, text
	if st.alerted.Load() {
		return true
	}
	if _, err := b.send.send(withPriority(ctx, prioUrgent), message(chatID, b.telegramProtocol(ctx).CrisisAlert(match))); err != nil {
		b.log.Error("crisis alert not sent before the commit; the committed reply carries it", "chat", b.chatRef(chatID), "error", err.Error())
		return false
	}
	st.alerted.Store(true)
	return true
}

// raiseCrisis records an URGENT escalation for a screened message without
// the chat's session (it could not be loaded, or the chat is not enrolled),
// so a crisis reaches the clinicians whatever storage holds.
func (b *Bot) raiseCrisis(ctx context.Context) error {
	st := stateOf(ctx)
	if st.crisis == nil || st.raised.Load() || st.committed.Load() {
		return nil
	}
	e := flows.Escalation{
		Level: flows.Urgent, Flow: flows.FlowMessage,
		Question: "Typed message", Answer: truncate(st.text, maxQuoted),
		Reason: "the message contains \"" + st.crisis.Phrase + "\" (automatic phrase match: please read it; " +
			"raised without the chat's session, which could not be read or is not enrolled)",
		At: b.now(),
	}
	if _, err := b.store.RaiseEscalation(ctx, st.chatID, "", e); err != nil {
		return err
	}
	st.raised.Store(true)
	b.log.Warn("crisis escalation raised without the session", "chat", b.chatRef(st.chatID))
	return nil
}

// updateState is what the attempts at one update share (handleWithRetry
// makes one per update; HandleUpdate one per call otherwise).
type updateState struct {
	crisis       *flows.CrisisMatch // the crisis screen matched the update's text
	chatID       int64
	text         string
	alerted      atomic.Bool // its crisis alert was sent
	raised       atomic.Bool // its escalation was raised without the session
	storageWait  atomic.Bool // it is waiting for Redis (to load or commit)
	committed    atomic.Bool // its outcome is committed (escalations included)
	noticeIssued atomic.Bool // the patient was told it is delayed
}

type updateStateKey struct{}

// maxQuoted bounds how much of a message an escalation quotes.
const maxQuoted = 300

// stateOf is the update's shared state; a throwaway one outside an update.
func stateOf(ctx context.Context) *updateState {
	if st, ok := ctx.Value(updateStateKey{}).(*updateState); ok {
		return st
	}
	return &updateState{}
}

// typedText is what a patient typed in a message: its text, or the caption
// of a photo or document, which the crisis screen reads too.
func typedText(m *tgbotapi.Message) string {
	if m.Text != "" {
		return m.Text
	}
	return m.Caption
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

func (b *Bot) handleCallback(ctx context.Context, updateID int, q *tgbotapi.CallbackQuery) error {
	if q.From == nil {
		return nil
	}
	if id, ok := parseEscData(q.Data, ackPrefix); ok {
		return b.handleAcknowledge(ctx, q, id)
	}
	if id, ok := parseEscData(q.Data, resolvePrefix); ok {
		return b.handleResolveButton(ctx, q, id)
	}
	press, ok := flows.DecodeAnswer(q.Data)
	if !ok || q.Message == nil || q.Message.Chat == nil || !q.Message.Chat.IsPrivate() {
		b.answerCallback(ctx, q, b.protocol.Messages.StaleButton)
		return nil
	}
	return b.handlePatientButton(ctx, updateID, q, press)
}

// answerCallback stops the client's spinner, with an optional short notice.
// Its failure never fails the update: after a restart the query may be too
// old to answer, and the chat message that follows is what matters.
func (b *Bot) answerCallback(ctx context.Context, q *tgbotapi.CallbackQuery, text string) {
	if err := b.send.request(ctx, tgbotapi.NewCallback(q.ID, text)); err != nil {
		b.log.Warn("answerCallbackQuery failed", "error", err.Error())
	}
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

// ackPrefix starts the callback data of an escalation's [Acknowledge] button.
const ackPrefix = "k:"

func ackData(escalationID string) string { return ackPrefix + escalationID }
