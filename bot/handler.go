package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
)

// HandleUpdate handles one update completely: it routes it to the patient or
// clinician side, commits the resulting state and sends the replies. An
// error means the update may be retried (it is de-duplicated by id).
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) (err error) {
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
	return b.handlePatientMessage(ctx, updateID, m, cmd, args)
}

// typedText is what a patient typed in a message: its text, or the caption
// of a photo or document, which the crisis screen reads too.
func typedText(m *tgbotapi.Message) string {
	if m.Text != "" {
		return m.Text
	}
	return m.Caption
}

// textEditNoted answers a patient's edit that is not a crisis.
const textEditNoted = "I saw you edited a message. Edits don't change an answer already given: if something changed, please send it as a new message."

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
		return b.reply(ctx, m.Chat.ID, textEditNoted)
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
		b.answerCallback(ctx, q, textStaleButton)
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
