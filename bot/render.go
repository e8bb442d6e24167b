package bot

import (
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
)

// keyboard renders flows buttons as an inline keyboard; nil when there are none.
func keyboard(rows [][]flows.Button) *tgbotapi.InlineKeyboardMarkup {
	if len(rows) == 0 {
		return nil
	}
	kb := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: make([][]tgbotapi.InlineKeyboardButton, 0, len(rows))}
	for _, row := range rows {
		out := make([]tgbotapi.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			out = append(out, tgbotapi.NewInlineKeyboardButtonData(b.Label, b.Data))
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, out)
	}
	return &kb
}

// noKeyboard is an explicit empty keyboard: sent with an edit, it removes the
// buttons of the edited message.
func noKeyboard() *tgbotapi.InlineKeyboardMarkup {
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
}

// message renders one reply as a sendMessage call. Replies are plain text:
// no parse mode, so nothing a clinic writes in a protocol can break the markup.
func message(chatID int64, r flows.Reply) tgbotapi.MessageConfig {
	m := tgbotapi.NewMessage(chatID, r.Text)
	if kb := keyboard(r.Buttons); kb != nil {
		m.ReplyMarkup = *kb
	}
	return m
}

// markAnswered edits a prompt message so it shows the answer given and no
// longer offers buttons, so an answered question cannot be answered twice.
func markAnswered(chatID int64, messageID int, prompt, answer string) tgbotapi.EditMessageTextConfig {
	edit := tgbotapi.NewEditMessageText(chatID, messageID, truncate(answeredText(prompt, answer), maxMessageLen))
	edit.ReplyMarkup = noKeyboard()
	return edit
}

// answeredText is a question as shown once answered.
func answeredText(prompt, answer string) string { return prompt + "\n\n✓ " + answer }

// showInPlace edits a message to show text and buttons instead of its own
// (none: its buttons go away).
func showInPlace(chatID int64, messageID int, text string, buttons [][]flows.Button) tgbotapi.EditMessageTextConfig {
	edit := tgbotapi.NewEditMessageText(chatID, messageID, text)
	edit.ReplyMarkup = keyboard(buttons)
	if edit.ReplyMarkup == nil {
		edit.ReplyMarkup = noKeyboard()
	}
	return edit
}

// maxMessageLen is Telegram's limit on a message's text, in characters.
const maxMessageLen = 4096

// truncate shortens s to at most n characters (runes), marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
