package bot

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// registerCommands publishes the patient command menu; failure only costs
// the menu, so it is logged, not fatal.
func (b *Bot) registerCommands(ctx context.Context) {
	var cmds []tgbotapi.BotCommand
	for _, c := range b.protocol.PatientCommands() {
		cmds = append(cmds, tgbotapi.BotCommand{Command: c.Name, Description: truncate(c.Description, 256)})
	}
	if err := b.send.request(ctx, tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		b.log.Warn("setMyCommands failed", "error", err.Error())
	}
}
