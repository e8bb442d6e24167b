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

// clinicianCommand is one clinician command: its menu entry and what runs
// it (nil: the help, which handleClinician answers for anything else too).
type clinicianCommand struct {
	tgbotapi.BotCommand
	run func(b *Bot, ctx context.Context, m *tgbotapi.Message, args string) error
}

// clinicianCommands are the clinicians' commands, in the menu's order. They
// are the menu (clinicianMenu), the routing (isClinicianCommand) and the
// dispatch (handleClinician): a command is added here or nowhere.
var clinicianCommands = []clinicianCommand{
	{tgbotapi.BotCommand{Command: "open", Description: "Escalations not yet resolved"}, func(b *Bot, ctx context.Context, m *tgbotapi.Message, _ string) error { return b.listOpen(ctx, m) }},
	{tgbotapi.BotCommand{Command: "ack", Description: "Acknowledge an escalation by number: /ack 12"}, (*Bot).ackCommand},
	{tgbotapi.BotCommand{Command: "resolve", Description: "Resolve an escalation: /resolve 12 <note>"}, (*Bot).resolveCommand},
	{tgbotapi.BotCommand{Command: "reopen", Description: "Reopen a resolved escalation: /reopen 12"}, (*Bot).reopenCommand},
	{tgbotapi.BotCommand{Command: "enroll", Description: "Invite a patient: /enroll P-0042"}, (*Bot).enroll},
	{tgbotapi.BotCommand{Command: "history", Description: "A patient's check-ins: /history P-0042"}, (*Bot).history},
	{tgbotapi.BotCommand{Command: "trend", Description: "A chart of a patient's course: /trend P-0042"}, (*Bot).trendCommand},
	{tgbotapi.BotCommand{Command: "export", Description: "A patient's records as CSV and FHIR: /export P-0042"}, (*Bot).exportCommand},
	{tgbotapi.BotCommand{Command: "digest", Description: "The weekly digest of the week so far"}, (*Bot).digestCommand},
	{tgbotapi.BotCommand{Command: "schedule", Description: "Weekly dose day: /schedule P-0042 sat 10:00 America/Chicago"}, (*Bot).schedule},
	{tgbotapi.BotCommand{Command: "clear", Description: "Clear a patient to dose: /clear P-0042 <note>"}, (*Bot).clearCommand},
	{tgbotapi.BotCommand{Command: "pause", Description: "Pause a patient's doses: /pause P-0042 <reason>"}, (*Bot).pauseCommand},
	{tgbotapi.BotCommand{Command: "limits", Description: "A patient's own vitals limits: /limits P-0042 150/95 105"}, (*Bot).limitsCommand},
	{tgbotapi.BotCommand{Command: "unenroll", Description: "Disconnect a patient: /unenroll P-0042 confirm"}, (*Bot).unenroll},
	{tgbotapi.BotCommand{Command: "help", Description: "What each command does"}, nil},
}

// clinicianMenu is the clinicians' command menu.
var clinicianMenu = func() []tgbotapi.BotCommand {
	menu := make([]tgbotapi.BotCommand, len(clinicianCommands))
	for i, c := range clinicianCommands {
		menu[i] = c.BotCommand
	}
	return menu
}()

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
