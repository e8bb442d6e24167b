package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func (b *Bot) handleClinician(ctx context.Context, m *tgbotapi.Message, cmd, args string) error {
	chatID := m.Chat.ID
	switch cmd {
	case "enroll":
		return b.enroll(ctx, m, args)
	case "schedule":
		return b.schedule(ctx, m, args)
	case "open":
		return b.listOpen(ctx, m)
	case "resolve":
		return b.resolveCommand(ctx, m, args)
	case "history":
		return b.history(ctx, m, args)
	case "trend":
		return b.trendCommand(ctx, m, args)
	case "export":
		return b.exportCommand(ctx, m, args)
	case "digest":
		return b.digestCommand(ctx, m, args)
	case "unenroll":
		return b.unenroll(ctx, m, args)
	case "clear":
		return b.clearCommand(ctx, m, args)
	case "pause":
		return b.pauseCommand(ctx, m, args)
	case "limits":
		return b.limitsCommand(ctx, m, args)
	}
	return b.reply(ctx, chatID, textClinicianHelp)
}

// enroll creates a one-time invite link for a patient label.
// It works only in a private chat: a single-use invite posted in a group
// could be opened by anyone there.
func (b *Bot) enroll(ctx context.Context, m *tgbotapi.Message, label string) error {
	if !m.Chat.IsPrivate() {
		return b.reply(ctx, m.Chat.ID, textEnrollPrivate)
	}
	if !validLabel(label) {
		return b.reply(ctx, m.Chat.ID, textEnrollUsage)
	}
	code, err := store.NewInviteCode()
	if err != nil {
		return err
	}
	link := fmt.Sprintf("https://t.me/%s?start=%s", url.PathEscape(b.Username()), code)
	text := fmt.Sprintf("Invite for %s (single use, valid for %s):\n%s\n\n"+
		"Send it to the patient privately. Opening it links their Telegram account to %s.",
		label, flows.HumanDuration(b.inviteTTL), link, label)
	// The invite, its audit entry and the message with the link commit with
	// the update, in the clinician's chat: a retried /enroll makes no second
	// invite, and its link reaches the clinician from the reply outbox.
	invite := &store.NewInvite{Code: code, Label: label, By: m.From.ID, TTL: b.inviteTTL}
	_, _, err = b.changeChat(ctx, m.Chat.ID, func(_ *flows.Protocol, s flows.Session, _ time.Time) (flows.Outcome, error) {
		return flows.Outcome{Session: s, Replies: []flows.Reply{{Text: text}}}, nil
	}, func(c *store.Commit) { c.Invite = invite })
	if err == nil {
		b.log.Info("invite created", "clinician", b.chatRef(m.From.ID))
	}
	return err
}

const textEnrollPrivate = "Invites are single use: send /enroll to me in a private chat, and I'll give you the link there."

// validLabel accepts a clinic's pseudonymous patient id: short, and of a
// character set that cannot carry a full name with spaces or markup.
func validLabel(label string) bool {
	if len(label) == 0 || len(label) > 32 {
		return false
	}
	for _, r := range label {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

const (
	textUnenrollUsage = "Usage: /unenroll <label> confirm\n" +
		"Disconnects the patient's Telegram account: the bot stops writing to them and forgets the " +
		"check-in in progress. Their recorded check-ins stay (see /history) until the retention period ends."
)

// unenroll disconnects a patient, after an explicit "confirm".
func (b *Bot) unenroll(ctx context.Context, m *tgbotapi.Message, args string) error {
	fields := strings.Fields(args)
	if len(fields) != 2 || !validLabel(fields[0]) || fields[1] != "confirm" {
		return b.reply(ctx, m.Chat.ID, textUnenrollUsage)
	}
	label := fields[0]
	chatID, err := b.store.Unenroll(ctx, label, m.From.ID)
	if errors.Is(err, store.ErrNotFound) {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoPatient, label))
	}
	if err != nil {
		return err
	}
	b.log.Info("patient unenrolled", "clinician", b.chatRef(m.From.ID), "chat", b.chatRef(chatID))
	if err := b.reply(ctx, chatID, b.protocol.Messages.Unenrolled); err != nil {
		b.log.Warn("could not tell the patient about the unenrolment", "chat", b.chatRef(chatID), "error", err.Error())
	}
	return b.reply(ctx, m.Chat.ID, fmt.Sprintf("%s is unenrolled. Their recorded check-ins stay available with /history until the retention period ends; /enroll %s creates a new invite.", label, label))
}
