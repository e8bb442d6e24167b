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
// The bot receives updates with getUpdates or, after setWebhook, by webhook:
// the server POSTs each queued update as JSON to the URL, with the header
// X-Telegram-Bot-Api-Secret-Token when secret_token is set, and getUpdates
// answers 409 until deleteWebhook. As on Telegram, a chat's updates are
// delivered one at a time and in order, different chats concurrently up to
// max_connections (default 40), only the kinds allowed_updates lets through
// (the others are dropped);
// an update is confirmed (Pending, WaitConfirmed) once the bot answers 2xx,
// and any other answer, a network error or a timeout is retried after a
// backoff (WithWebhookRetry, WithWebhookTimeout). getWebhookInfo reports the
// pending count and the last error; Deliveries lists every request made.
// Unlike Telegram, http URLs on any port are accepted, since httptest serves
// plain HTTP on a random port.
//
// Not modelled: method calls in the body of a webhook answer, webhook
// certificates and ip_address, allowed_updates of getUpdates, inline
// messages, reply keyboards (accepted but not inspectable), file downloads,
// and message entities in the messages the bot sends (Message.Text is the
// plain text after parse_mode).
package telegramtest
