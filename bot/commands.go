package bot

import (
	"context"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// patientCommand is one entry of the patient's command menu.
type patientCommand struct{ name, description string }

// patientCommands lists what a patient can send: the protocol's flows that
// have a command, then the bot's own commands.
func (b *Bot) patientCommands() []patientCommand {
	var cmds []patientCommand
	for _, f := range b.protocol.Flows {
		if f.Command != "" {
			cmds = append(cmds, patientCommand{f.Command, f.Title})
		}
	}
	return append(cmds,
		patientCommand{"status", "where you are"},
		patientCommand{"resume", "show the current question again"},
		patientCommand{"cancel", "stop the current check-in"},
		patientCommand{"help", "what I can do"},
	)
}

// patientHelp is the reply to /help: the commands, and where to turn in a
// crisis, which is never more than one message away.
func (b *Bot) patientHelp() string {
	var sb strings.Builder
	sb.WriteString("Here is what I can do:\n")
	for _, c := range b.patientCommands() {
		fmt.Fprintf(&sb, "/%s – %s\n", c.name, c.description)
	}
	sb.WriteString("\nIf you feel unsafe at any time, call or text 988 (US) or call 911.")
	return sb.String()
}

// registerCommands publishes the patient command menu; failure only costs
// the menu, so it is logged, not fatal.
func (b *Bot) registerCommands(ctx context.Context) {
	var cmds []tgbotapi.BotCommand
	for _, c := range b.patientCommands() {
		cmds = append(cmds, tgbotapi.BotCommand{Command: c.name, Description: truncate(c.description, 256)})
	}
	if err := b.send.request(ctx, tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		b.log.Warn("setMyCommands failed", "error", err.Error())
	}
}
