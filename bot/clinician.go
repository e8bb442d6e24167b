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
	for _, c := range clinicianCommands {
		if c.Command == cmd && c.run != nil {
			return c.run(b, ctx, m, args)
		}
	}
	if m.Chat.IsPrivate() && (cmd == "start" || cmd == "help") {
		b.setClinicianMenu(ctx, chatID) // Telegram refused it before this chat existed
	}
	return b.reply(ctx, chatID, textClinicianHelp)
}

// enroll creates a one-time invite link for a patient label.
// It works only in a private chat: a single-use invite posted in a group
// could be opened by anyone there. A label already enrolled is refused
// unless the clinician adds "replace": opening that invite moves the label
// to the new account and disconnects the old one.
func (b *Bot) enroll(ctx context.Context, m *tgbotapi.Message, args string) error {
	if !m.Chat.IsPrivate() {
		return b.reply(ctx, m.Chat.ID, textEnrollPrivate)
	}
	fields := strings.Fields(args)
	replace := len(fields) == 2 && fields[1] == "replace"
	if len(fields) == 0 || len(fields) > 2 || len(fields) == 2 && !replace || !validLabel(fields[0]) {
		return b.reply(ctx, m.Chat.ID, textEnrollUsage)
	}
	label := fields[0]
	_, err := b.store.Patient(ctx, label)
	inUse := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if inUse && !replace {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textLabelInUse, label, label, label))
	}
	code, err := store.NewInviteCode()
	if err != nil {
		return err
	}
	link := fmt.Sprintf("https://t.me/%s?start=%s", url.PathEscape(b.Username()), code)
	text := fmt.Sprintf("Invite for %s (single use, valid for %s):\n%s\n\n"+
		"Send it to the patient privately. Opening it links their Telegram account to %s.",
		label, flows.HumanDuration(b.inviteTTL), link, label)
	if inUse {
		text += fmt.Sprintf(textInviteReplaces, label)
	}
	// The invite, its audit entry and the message with the link commit with
	// the update, in the clinician's chat: a retried /enroll makes no second
	// invite, and its link reaches the clinician from the reply outbox.
	invite := &store.NewInvite{Code: code, Label: label, By: m.From.ID, TTL: b.inviteTTL, Replace: inUse}
	_, _, err = b.changeChat(ctx, m.Chat.ID, func(_ *flows.Protocol, s flows.Session, _ time.Time) (flows.Outcome, error) {
		return flows.Outcome{Session: s, Replies: []flows.Reply{{Text: text}}}, nil
	}, func(c *store.Commit) { c.Invite = invite })
	if err == nil {
		b.log.Info("invite created", "clinician", b.chatRef(m.From.ID), "replaces", inUse)
	}
	return err
}

const (
	textLabelInUse = "%s is already enrolled: a Telegram account is connected to it, and no invite was made. " +
		"An invite for it would move %s to whoever opens it and disconnect that account. " +
		"If that is what you want (say the patient has a new phone), send /enroll %s replace."
	textInviteReplaces = "\nIt replaces the account connected to %s now: that chat is told it was disconnected."
	// textInviteOpened tells the clinicians a patient opened their invite.
	textInviteOpened = "🔵 %s opened their invite and is answering the intake screen; " +
		"you'll get its answers to review before their first dose."
	textInviteMoved = "\nThe account enrolled as %s before was disconnected and told so."
)

// inviteOpened tells the chat a replaced label left that it was
// disconnected, and the clinicians, as a ROUTINE message (never re-paged,
// not an escalation), that a patient opened their invite. Both are best
// effort: the patient's enrolment stands either way, and its intake review
// follows as an escalation. The clinicians' copies go out in the
// background: their chat's budget (one message a second, 20 a minute in a
// group) must not hold up the patient's update, and with it their intake.
func (b *Bot) inviteOpened(ctx context.Context, r store.Redemption) {
	text := fmt.Sprintf(textInviteOpened, r.Label)
	if r.Unlinked != 0 {
		text += fmt.Sprintf(textInviteMoved, r.Label)
		if err := b.reply(ctx, r.Unlinked, b.patientText(ctx, r.Unlinked, func(m flows.Messages) string { return m.Replaced })); err != nil {
			b.log.Warn("could not tell a replaced patient chat it was disconnected", "chat", b.chatRef(r.Unlinked), "error", err.Error())
		}
	}
	b.inBackground(func() {
		ctx, cancel := context.WithTimeout(withPriority(context.Background(), prioRoutine), time.Minute)
		defer cancel()
		for _, chatID := range b.escalationRecipients() {
			if err := b.reply(ctx, chatID, text); err != nil {
				b.log.Warn("could not tell a clinician chat about an opened invite", "chat", b.chatRef(chatID), "error", err.Error())
			}
		}
	})
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
