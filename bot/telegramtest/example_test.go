package telegramtest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
)

// A patient starts the bot, the bot asks a question with buttons, the patient
// presses one and the bot answers the callback and edits the question.
func Example() {
	srv := telegramtest.NewServer()
	defer srv.Close()
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(srv.Token(), srv.Endpoint())
	if err != nil {
		log.Fatal(err)
	}
	patient := telegramtest.User{ID: 1001, FirstName: "Pat"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	srv.SendText(patient, "/start")
	updates, _ := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 5})
	q := tgbotapi.NewMessage(updates[0].Message.Chat.ID, "Slept well?")
	q.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Yes", "sleep:yes"),
		tgbotapi.NewInlineKeyboardButtonData("No", "sleep:no")))
	bot.Send(q)

	shown, _ := srv.WaitMessage(ctx, patient.ID, func(m telegramtest.Message) bool { return len(m.Buttons) > 0 })
	if _, err := srv.PressButton(patient, patient.ID, shown.ID, "sleep:no"); err != nil {
		log.Fatal(err)
	}
	updates, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: updates[0].UpdateID + 1, Timeout: 5})
	cb := updates[0].CallbackQuery
	bot.Request(tgbotapi.NewCallback(cb.ID, "Noted"))
	bot.Send(tgbotapi.NewEditMessageText(cb.Message.Chat.ID, cb.Message.MessageID, "Slept well? No"))
	bot.GetUpdates(tgbotapi.UpdateConfig{Offset: updates[0].UpdateID + 1})

	if err := srv.WaitConfirmed(ctx); err != nil {
		log.Fatal(err)
	}
	for _, m := range srv.Messages(patient.ID) {
		fmt.Printf("#%d %q buttons=%d edits=%d\n", m.ID, m.Text, len(m.Buttons), m.EditCount)
	}
	fmt.Println(srv.CallbackAnswers()[0].Data, srv.CallbackAnswers()[0].Text)
	// Output:
	// #2 "Slept well? No" buttons=0 edits=1
	// sleep:no Noted
}
