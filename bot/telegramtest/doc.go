// Package telegramtest is an in-process Telegram Bot API emulator on
// net/http/httptest, for tests, benchmarks and the demo.
//
// The bot under test talks to it over HTTP with its ordinary client, e.g.
//
//	srv := telegramtest.NewServer()
//	defer srv.Close()
//	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(srv.Token(), srv.Endpoint())
//
// while the test plays the users (SendText, PressButton) and inspects what the
// bot did (Messages, WaitMessage, Calls, CallbackAnswers).
//
// Every call is validated against the Bot API method signatures in spec.json
// (generated from PaulSonOfLars/telegram-bot-api-spec, see SPEC_LICENSE): an
// unknown method is 404, a missing required or unknown parameter is 400.
// Rejecting unknown parameters is stricter than Telegram, which ignores them.
// getMe, getUpdates, the webhook and command methods, sendMessage, sendPhoto,
// sendDocument, sendChatAction, editMessageText, editMessageCaption, editMessageReplyMarkup,
// deleteMessage and answerCallbackQuery behave like Telegram's, including its
// error descriptions; every other method answers true once validated.
//
// A chat exists once a user has written in it (SendText, SendGroupText);
// sending to any other chat id is 400 "chat not found", and to a chat blocked
// with Block is 403. FailNext injects errors such as 429 with retry_after.
//
// Not modelled: webhook delivery (setWebhook only records the URL and makes
// getUpdates answer 409), inline messages, reply keyboards (accepted but not
// inspectable), file downloads, and message entities in the messages the bot
// sends (Message.Text is the plain text after parse_mode).
package telegramtest
