package bot

import (
	"slices"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

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
