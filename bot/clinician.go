package bot

import (
	"context"
	"fmt"
	"net/url"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
)

// isClinicianCommand reports the commands a clinician's message is about;
// anything else from a clinician in a private chat is treated as a patient's
// (so staff can enrol themselves to try the flows).
func isClinicianCommand(cmd, args string) bool {
	switch cmd {
	case "enroll", "help", "schedule", "open", "resolve", "history":
		return true
	case "start":
		return args == "" // with an invite code, a clinician is trying the patient side
	}
	return false
}

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
	}
	return b.reply(ctx, chatID, textClinicianHelp)
}

// enroll creates a one-time invite link for a patient label.
func (b *Bot) enroll(ctx context.Context, m *tgbotapi.Message, label string) error {
	if !validLabel(label) {
		return b.reply(ctx, m.Chat.ID, textEnrollUsage)
	}
	code, err := b.store.CreateInvite(ctx, label, m.From.ID, b.inviteTTL)
	if err != nil {
		return err
	}
	b.log.Info("invite created", "clinician", m.From.ID)
	link := fmt.Sprintf("https://t.me/%s?start=%s", url.PathEscape(b.Username()), code)
	text := fmt.Sprintf("Invite for %s (single use, valid for %s):\n%s\n\n"+
		"Send it to the patient privately. Opening it links their Telegram account to %s.",
		label, flows.HumanDuration(b.inviteTTL), link, label)
	return b.reply(ctx, m.Chat.ID, text)
}

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
