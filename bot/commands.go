package bot

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The command menus, per role (setMyCommands with scopes): the default
// scope shows the patient commands; each clinician's private chat and the
// clinicians' group show the clinician commands. They are set at start-up,
// in the background (the sender retries transient failures), and again for
// a clinician who writes /start or /help: Telegram refuses a menu for a
// chat that has never talked to the bot, so a clinician who had not
// started it then gets theirs on their first /start. Setting a menu is
// idempotent.

// clinicianMenu is the clinicians' command menu, in the order shown, and
// the list of the clinician commands (isClinicianCommand): a command is
// added here or nowhere.
var clinicianMenu = []tgbotapi.BotCommand{
	{Command: "open", Description: "Escalations not yet resolved"},
	{Command: "ack", Description: "Acknowledge an escalation by number: /ack 12"},
	{Command: "resolve", Description: "Resolve an escalation: /resolve 12 <note>"},
	{Command: "reopen", Description: "Reopen a resolved escalation: /reopen 12"},
	{Command: "enroll", Description: "Invite a patient: /enroll P-0042"},
	{Command: "history", Description: "A patient's check-ins: /history P-0042"},
	{Command: "trend", Description: "A chart of a patient's course: /trend P-0042"},
	{Command: "export", Description: "A patient's records as CSV and FHIR: /export P-0042"},
	{Command: "digest", Description: "The weekly digest of the week so far"},
	{Command: "schedule", Description: "Weekly dose day: /schedule P-0042 sat 10:00 America/Chicago"},
	{Command: "clear", Description: "Clear a patient to dose: /clear P-0042 <note>"},
	{Command: "pause", Description: "Pause a patient's doses: /pause P-0042 <reason>"},
	{Command: "limits", Description: "A patient's own vitals limits: /limits P-0042 150/95 105"},
	{Command: "unenroll", Description: "Disconnect a patient: /unenroll P-0042 confirm"},
	{Command: "help", Description: "What each command does"},
}

// registerCommands publishes the command menus: the patients' as the
// default, the clinicians' in each clinician's chat and the escalation
// chat. A failure costs only that menu, so it is logged, not fatal.
func (b *Bot) registerCommands(ctx context.Context) {
	var cmds []tgbotapi.BotCommand
	for _, c := range b.protocol.PatientCommands() {
		cmds = append(cmds, tgbotapi.BotCommand{Command: c.Name, Description: truncate(c.Description, 256)})
	}
	if err := b.send.request(ctx, tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		b.log.Warn("setMyCommands failed", "error", err.Error())
	}
	for _, chatID := range b.clinicianChats() {
		b.setClinicianMenu(ctx, chatID)
	}
}

// clinicianChats are the chats that show the clinician menu: every
// clinician's (and on-call clinician's) private chat, and the escalation
// chat when there is one.
func (b *Bot) clinicianChats() []int64 {
	var ids []int64
	if b.escChat != 0 {
		ids = append(ids, b.escChat)
	}
	for id := range b.clinicians {
		ids = append(ids, id)
	}
	return ids
}

// setClinicianMenu shows the clinician commands in chatID.
func (b *Bot) setClinicianMenu(ctx context.Context, chatID int64) {
	err := b.send.request(ctx, tgbotapi.NewSetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(chatID), clinicianMenu...))
	if err != nil {
		b.log.Warn("setMyCommands for a clinician chat failed (has the clinician started the bot?)",
			"chat", b.chatRef(chatID), "error", err.Error())
	}
}
