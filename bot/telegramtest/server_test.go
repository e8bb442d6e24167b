package telegramtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
)

var alice = telegramtest.User{ID: 1001, FirstName: "Alice", Username: "alice"}

// newBot starts a server and connects the real tgbotapi client to it.
func newBot(t *testing.T, opts ...telegramtest.Option) (*telegramtest.Server, *tgbotapi.BotAPI) {
	t.Helper()
	srv := telegramtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(srv.Token(), srv.Endpoint())
	if err != nil {
		t.Fatalf("NewBotAPIWithAPIEndpoint: %v", err)
	}
	return srv, bot
}

// apiError returns the *tgbotapi.Error in err, failing the test if there is none.
func apiError(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var tgErr *tgbotapi.Error
	if !errors.As(err, &tgErr) {
		t.Fatalf("got error %v (%T), want *tgbotapi.Error", err, err)
	}
	return tgErr
}

func wantAPIError(t *testing.T, err error, code int, desc string) {
	t.Helper()
	e := apiError(t, err)
	if e.Code != code || !strings.Contains(e.Message, desc) {
		t.Fatalf("got error %d %q, want %d containing %q", e.Code, e.Message, code, desc)
	}
}

func getUpdates(t *testing.T, bot *tgbotapi.BotAPI, offset, timeout int) []tgbotapi.Update {
	t.Helper()
	u := tgbotapi.NewUpdate(offset)
	u.Timeout = timeout
	updates, err := bot.GetUpdates(u)
	if err != nil {
		t.Fatalf("GetUpdates: %v", err)
	}
	return updates
}

func TestGetMe(t *testing.T) {
	srv, bot := newBot(t, telegramtest.WithBot(telegramtest.User{ID: 42, FirstName: "Test", Username: "my_test_bot"}))
	if bot.Self.ID != 42 || bot.Self.UserName != "my_test_bot" || !bot.Self.IsBot {
		t.Fatalf("Self = %+v", bot.Self)
	}
	if !strings.HasPrefix(srv.Token(), "42:") {
		t.Errorf("Token() = %q, want the bot id as prefix", srv.Token())
	}
	if _, err := tgbotapi.NewBotAPIWithAPIEndpoint("42:wrong", srv.Endpoint()); err == nil {
		t.Fatal("wrong token: got no error")
	} else {
		wantAPIError(t, err, 401, "Unauthorized")
	}
}

func TestCustomToken(t *testing.T) {
	srv, bot := newBot(t, telegramtest.WithToken("123:abc"))
	if srv.Token() != "123:abc" || bot.Token != "123:abc" {
		t.Fatalf("Token() = %q", srv.Token())
	}
}

func TestSendMessageWithKeyboard(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "/start now")

	updates := getUpdates(t, bot, 0, 0)
	if len(updates) != 1 || updates[0].Message == nil {
		t.Fatalf("updates = %+v", updates)
	}
	in := updates[0].Message
	if !in.IsCommand() || in.Command() != "start" || in.CommandArguments() != "now" || in.Chat.ID != alice.ID || in.From.UserName != "alice" {
		t.Fatalf("message = %+v", in)
	}

	msg := tgbotapi.NewMessage(alice.ID, "How are you?")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Good", "mood:good"),
		tgbotapi.NewInlineKeyboardButtonData("Bad", "mood:bad"),
	))
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if sent.MessageID != 2 || sent.Text != "How are you?" || sent.From.ID != bot.Self.ID || sent.Chat.ID != alice.ID || sent.Date == 0 {
		t.Fatalf("sent = %+v", sent)
	}
	if sent.ReplyMarkup == nil || len(sent.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Fatalf("sent markup = %+v", sent.ReplyMarkup)
	}

	got := srv.Messages(alice.ID)
	want := [][]telegramtest.Button{{{Text: "Good", Data: "mood:good"}, {Text: "Bad", Data: "mood:bad"}}}
	if len(got) != 1 || got[0].Text != "How are you?" || len(got[0].Buttons) != 1 || got[0].Buttons[0][0] != want[0][0] || got[0].Buttons[0][1] != want[0][1] {
		t.Fatalf("Messages = %+v", got)
	}
	calls := srv.Calls("sendMessage")
	if len(calls) != 1 || calls[0].Params["text"] != "How are you?" || calls[0].Status != 200 {
		t.Fatalf("Calls = %+v", calls)
	}
}

func TestGroupCommand(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendGroupText(alice, -500, "/status@checkin_test_bot")
	updates := getUpdates(t, bot, 0, 0)
	m := updates[0].Message
	if m.Chat.ID != -500 || !m.Chat.IsGroup() || m.Command() != "status" {
		t.Fatalf("message = %+v chat %+v", m, m.Chat)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(-500, "ok")); err != nil {
		t.Fatal(err)
	}
}

func TestPressButtonAndOffsets(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "/start")
	msg := tgbotapi.NewMessage(alice.ID, "Pick one")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Yes", "yes")))
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := srv.PressButton(alice, alice.ID, sent.MessageID, "no"); err == nil {
		t.Fatal("pressing a button that is not on screen: got no error")
	}
	id, err := srv.PressButton(alice, alice.ID, sent.MessageID, "yes")
	if err != nil {
		t.Fatal(err)
	}

	first := getUpdates(t, bot, 0, 0)
	if len(first) != 2 || srv.Pending() != 2 {
		t.Fatalf("got %d updates, %d pending; want 2, 2", len(first), srv.Pending())
	}
	// Confirm the first update only: the callback comes back, the message does not.
	second := getUpdates(t, bot, first[0].UpdateID+1, 0)
	if len(second) != 1 || second[0].UpdateID != id || second[0].CallbackQuery == nil {
		t.Fatalf("updates after offset = %+v", second)
	}
	cb := second[0].CallbackQuery
	if cb.Data != "yes" || cb.From.ID != alice.ID || cb.Message == nil || cb.Message.MessageID != sent.MessageID || cb.Message.Text != "Pick one" {
		t.Fatalf("callback = %+v", cb)
	}

	if _, err := bot.Request(tgbotapi.NewCallback(cb.ID, "Saved")); err != nil {
		t.Fatalf("answerCallbackQuery: %v", err)
	}
	_, err = bot.Request(tgbotapi.NewCallback(cb.ID, "again"))
	wantAPIError(t, err, 400, "query is too old")
	answers := srv.CallbackAnswers()
	if len(answers) != 1 || answers[0].Text != "Saved" || answers[0].UpdateID != id || answers[0].Data != "yes" {
		t.Fatalf("CallbackAnswers = %+v", answers)
	}

	getUpdates(t, bot, id+1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.WaitConfirmed(ctx); err != nil || srv.Pending() != 0 {
		t.Fatalf("WaitConfirmed: %v, %d pending", err, srv.Pending())
	}
}

func TestLongPollWakesOnUpdate(t *testing.T) {
	srv, bot := newBot(t)
	done := make(chan []tgbotapi.Update)
	go func() {
		u := tgbotapi.NewUpdate(0)
		u.Timeout = 30
		updates, _ := bot.GetUpdates(u)
		done <- updates
	}()
	// Queue once the poll is waiting, so that it is the wake-up that is tested.
	waitPolling(t, srv)
	start := time.Now()
	srv.SendText(alice, "hello")
	select {
	case updates := <-done:
		if len(updates) != 1 || updates[0].Message.Text != "hello" {
			t.Fatalf("updates = %+v", updates)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not wake on a new update")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("long poll took %v to wake", time.Since(start))
	}
}

func waitPolling(t *testing.T, srv *telegramtest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.WaitPolling(ctx); err != nil {
		t.Fatalf("WaitPolling: %v", err)
	}
}

func TestLongPollTimesOut(t *testing.T) {
	_, bot := newBot(t)
	start := time.Now()
	if updates := getUpdates(t, bot, 0, 1); len(updates) != 0 {
		t.Fatalf("updates = %+v", updates)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 3*time.Second {
		t.Fatalf("long poll with timeout 1 took %v", d)
	}
}

func TestLongPollEndsOnClose(t *testing.T) {
	srv, bot := newBot(t)
	done := make(chan error)
	go func() {
		u := tgbotapi.NewUpdate(0)
		u.Timeout = 60
		_, err := bot.GetUpdates(u)
		done <- err
	}()
	waitPolling(t, srv)
	srv.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not end when the server closed")
	}
}

func TestEdits(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "/start")
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("A", "a")))
	msg := tgbotapi.NewMessage(alice.ID, "Question")
	msg.ReplyMarkup = kb
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}

	_, err = bot.Send(tgbotapi.NewEditMessageTextAndMarkup(alice.ID, sent.MessageID, "Question", kb))
	wantAPIError(t, err, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

	edited, err := bot.Send(tgbotapi.NewEditMessageTextAndMarkup(alice.ID, sent.MessageID, "Question (answered)", kb))
	if err != nil || edited.Text != "Question (answered)" || edited.EditDate == 0 {
		t.Fatalf("edit text: %+v, %v", edited, err)
	}

	// An empty keyboard removes the buttons.
	if _, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(alice.ID, sent.MessageID, tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}})); err != nil {
		t.Fatalf("edit markup: %v", err)
	}
	got := srv.ExpectMessage(t, alice.ID, time.Second, func(m telegramtest.Message) bool { return m.ID == sent.MessageID })
	if got.Text != "Question (answered)" || got.Buttons != nil || got.EditCount != 2 {
		t.Fatalf("message now = %+v", got)
	}
	if _, err := srv.PressButton(alice, alice.ID, sent.MessageID, "a"); err == nil {
		t.Fatal("pressed a removed button: got no error")
	}

	_, err = bot.Send(tgbotapi.NewEditMessageText(alice.ID, 999, "x"))
	wantAPIError(t, err, 400, "Bad Request: message to edit not found")
	_, err = bot.Send(tgbotapi.NewEditMessageText(alice.ID, 1, "x")) // alice's own /start
	wantAPIError(t, err, 400, "message can't be edited")
}

func TestEditTextDropsKeyboard(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "hi")
	msg := tgbotapi.NewMessage(alice.ID, "Q")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("A", "a")))
	sent, _ := bot.Send(msg)
	if _, err := bot.Send(tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "Q2")); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(alice.ID)[0]; m.Buttons != nil {
		t.Fatalf("editMessageText without reply_markup kept the keyboard: %+v", m)
	}
}

func TestRetryAfter(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "hi")
	srv.FailNext("sendMessage", 1, telegramtest.Failure{Code: 429, RetryAfter: 3})
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "x"))
	e := apiError(t, err)
	if e.Code != 429 || e.RetryAfter != 3 || e.Message != "Too Many Requests: retry after 3" {
		t.Fatalf("error = %+v", e)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "x")); err != nil {
		t.Fatalf("second call: %v", err)
	}

	srv.FailNext("", 1, telegramtest.Failure{Code: 502})
	_, err = bot.Request(tgbotapi.NewChatAction(alice.ID, tgbotapi.ChatTyping))
	wantAPIError(t, err, 502, "Bad Gateway")
}

func TestValidation(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "hi")

	_, err := bot.MakeRequest("sendMessagez", tgbotapi.Params{"chat_id": "1001", "text": "x"})
	wantAPIError(t, err, 404, "Not Found")

	_, err = bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001"})
	wantAPIError(t, err, 400, "Bad Request: message text is empty")

	_, err = bot.MakeRequest("sendMessage", tgbotapi.Params{"text": "x"})
	wantAPIError(t, err, 400, "Bad Request: chat_id is empty")

	_, err = bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "x", "colour": "red"})
	wantAPIError(t, err, 400, `"colour"`)

	_, err = bot.Send(tgbotapi.NewMessage(555, "x"))
	wantAPIError(t, err, 400, "Bad Request: chat not found")

	_, err = bot.Send(tgbotapi.NewMessage(alice.ID, strings.Repeat("x", 4097)))
	wantAPIError(t, err, 400, "message is too long")
	if _, err = bot.Send(tgbotapi.NewMessage(alice.ID, strings.Repeat("é", 4096))); err != nil {
		t.Fatalf("4096 characters: %v", err)
	}

	bad := tgbotapi.NewMessage(alice.ID, "x")
	bad.ParseMode = "Markdown3"
	_, err = bot.Send(bad)
	wantAPIError(t, err, 400, "unsupported parse_mode")

	bad = tgbotapi.NewMessage(alice.ID, "Score 5.")
	bad.ParseMode = tgbotapi.ModeMarkdownV2
	_, err = bot.Send(bad)
	wantAPIError(t, err, 400, "Character '.' is reserved")

	bad = tgbotapi.NewMessage(alice.ID, "score < 10")
	bad.ParseMode = tgbotapi.ModeHTML
	_, err = bot.Send(bad)
	wantAPIError(t, err, 400, "can't parse entities")

	good := tgbotapi.NewMessage(alice.ID, "<b>Score</b> &lt; 10")
	good.ParseMode = tgbotapi.ModeHTML
	if m, err := bot.Send(good); err != nil || m.Text != "Score < 10" {
		t.Fatalf("HTML: %+v, %v", m, err)
	}

	long := tgbotapi.NewMessage(alice.ID, "x")
	long.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("A", strings.Repeat("d", 65))))
	_, err = bot.Send(long)
	wantAPIError(t, err, 400, "BUTTON_DATA_INVALID")

	_, err = bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "x", "reply_markup": `{"inline_keyboard":[[{"text":"A"}]]}`})
	wantAPIError(t, err, 400, "can't parse inline keyboard button")
	_, err = bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "x", "reply_markup": `{"inline_keyboard":[[{"text":"A","callback_data":"a","url":"https://x"}]]}`})
	wantAPIError(t, err, 400, "can't parse inline keyboard button")
	_, err = bot.MakeRequest("sendMessage", tgbotapi.Params{"chat_id": "1001", "text": "x", "reply_markup": `{`})
	wantAPIError(t, err, 400, "can't parse reply keyboard markup")

	// Methods without special behaviour answer true once validated.
	if _, err := bot.Request(tgbotapi.NewChatAction(alice.ID, tgbotapi.ChatTyping)); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.MakeRequest("setMyName", tgbotapi.Params{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range srv.Calls("") {
		for k, v := range c.Params {
			if strings.Contains(k+v, srv.Token()) {
				t.Fatalf("call %s records the token", c.Method)
			}
		}
	}
}

func TestBlocked(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "hi")
	srv.Block(alice.ID)
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "x"))
	wantAPIError(t, err, 403, "Forbidden: bot was blocked by the user")
	srv.SendText(alice, "/start")
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "welcome back")); err != nil {
		t.Fatal(err)
	}
}

func TestSendDocumentAndPhoto(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "hi")
	doc := tgbotapi.NewDocument(alice.ID, tgbotapi.FileBytes{Name: "report.csv", Bytes: []byte("a,b\n1,2\n")})
	doc.Caption = "Your report"
	sent, err := bot.Send(doc)
	if err != nil {
		t.Fatalf("sendDocument: %v", err)
	}
	if sent.Document == nil || sent.Document.FileName != "report.csv" || sent.Caption != "Your report" {
		t.Fatalf("sent = %+v", sent)
	}
	photo := tgbotapi.NewPhoto(alice.ID, tgbotapi.FileBytes{Name: "chart.png", Bytes: []byte("\x89PNG...")})
	if _, err := bot.Send(photo); err != nil {
		t.Fatalf("sendPhoto: %v", err)
	}
	msgs := srv.Messages(alice.ID)
	if len(msgs) != 2 || *msgs[0].File != (telegramtest.File{Kind: "document", Name: "report.csv", Size: 8}) || msgs[0].Text != "Your report" {
		t.Fatalf("Messages = %+v", msgs)
	}
	if *msgs[1].File != (telegramtest.File{Kind: "photo", Name: "chart.png", Size: 7}) {
		t.Fatalf("photo = %+v", msgs[1].File)
	}
	if calls := srv.Calls("sendDocument"); len(calls) != 1 || len(calls[0].Files) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestCommands(t *testing.T) {
	srv, bot := newBot(t)
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{DropPendingUpdates: true}); err != nil {
		t.Fatal(err)
	}
	cmds := []tgbotapi.BotCommand{{Command: "start", Description: "Start a check-in"}, {Command: "help", Description: "Help"}}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		t.Fatal(err)
	}
	got := srv.Commands()
	if len(got) != 2 || got[0].Command != "start" {
		t.Fatalf("Commands = %+v", got)
	}
	back, err := bot.GetMyCommands()
	if err != nil || len(back) != 2 {
		t.Fatalf("GetMyCommands = %+v, %v", back, err)
	}
}

// TestScopedCommands: menus per scope, validated as the Bot API defines
// BotCommandScope; a chat scope needs a chat the bot knows.
func TestScopedCommands(t *testing.T) {
	srv, bot := newBot(t)
	staff := []tgbotapi.BotCommand{{Command: "open", Description: "Escalations not yet resolved"}}
	scope := tgbotapi.NewBotCommandScopeChat(alice.ID)
	if _, err := bot.Request(tgbotapi.NewSetMyCommandsWithScope(scope, staff...)); err == nil || !strings.Contains(err.Error(), "chat not found") {
		t.Fatalf("scope of an unknown chat: %v", err)
	}
	srv.SendText(alice, "/start")
	if _, err := bot.Request(tgbotapi.NewSetMyCommandsWithScope(scope, staff...)); err != nil {
		t.Fatal(err)
	}
	if got := srv.ScopedCommands(telegramtest.CommandScope{Type: "chat", ChatID: alice.ID}, ""); len(got) != 1 || got[0].Command != "open" {
		t.Fatalf("chat scope = %+v", got)
	}
	if got := srv.Commands(); len(got) != 0 {
		t.Fatalf("default scope = %+v", got)
	}
	back, err := bot.GetMyCommandsWithConfig(tgbotapi.NewGetMyCommandsWithScope(scope))
	if err != nil || len(back) != 1 {
		t.Fatalf("GetMyCommands = %+v, %v", back, err)
	}
	if got := srv.CommandScopes(); len(got) != 1 || got[0] != (telegramtest.CommandScope{Type: "chat", ChatID: alice.ID}) {
		t.Fatalf("scopes = %+v", got)
	}
	for _, raw := range []string{`{"type":"chat"}`, `{"type":"room","chat_id":1}`, `{"type":"default","chat_id":1}`, `{"type":"chat","chat_id":"x"}`, `[1]`} {
		_, err := bot.MakeRequest("setMyCommands", tgbotapi.Params{"commands": `[{"command":"a","description":"b"}]`, "scope": raw})
		if err == nil {
			t.Errorf("scope %s accepted", raw)
		}
	}
}

// TestSendReply: a user's reply carries the message it replies to.
func TestSendReply(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "/start")
	prompt, err := bot.Send(tgbotapi.NewMessage(alice.ID, "Your note?"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SendReply(alice, alice.ID, 999, "x"); err == nil {
		t.Fatal("reply to a missing message accepted")
	}
	if _, err := srv.SendReply(alice, alice.ID, prompt.MessageID, "Called, all well"); err != nil {
		t.Fatal(err)
	}
	updates := getUpdates(t, bot, 0, 0)
	last := updates[len(updates)-1].Message
	if last == nil || last.Text != "Called, all well" || last.ReplyToMessage == nil ||
		last.ReplyToMessage.MessageID != prompt.MessageID || last.ReplyToMessage.Text != "Your note?" || !last.ReplyToMessage.From.IsBot {
		t.Fatalf("reply = %+v", last)
	}
}

func TestWaitMessageTimeoutDumpsChat(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "/start")
	bot.Send(tgbotapi.NewMessage(alice.ID, "Welcome"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := srv.WaitMessage(ctx, alice.ID, func(m telegramtest.Message) bool { return m.Text == "Goodbye" })
	if err == nil || !strings.Contains(err.Error(), `"Welcome"`) || !strings.Contains(err.Error(), `"/start"`) {
		t.Fatalf("error = %v", err)
	}
}

func TestWaitMessageWakesOnSend(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "/start")
	go bot.Send(tgbotapi.NewMessage(alice.ID, "Welcome"))
	m := srv.ExpectMessage(t, alice.ID, 5*time.Second, func(m telegramtest.Message) bool { return m.Text == "Welcome" })
	if m.ChatID != alice.ID {
		t.Fatalf("message = %+v", m)
	}
}

func TestEncodings(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.SendText(alice, "hi")
	base := srv.URL() + "/bot" + srv.Token()
	cases := []struct {
		name, method, url, contentType, body string
		want                                 int
	}{
		{"query", "GET", base + "/sendMessage?chat_id=1001&text=q", "", "", 200},
		{"json", "POST", base + "/sendMessage", "application/json", `{"chat_id":1001,"text":"j","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`, 200},
		{"form", "POST", base + "/SENDMESSAGE", "application/x-www-form-urlencoded", url.Values{"chat_id": {"1001"}, "text": {"f"}}.Encode(), 200},
		{"bad json", "POST", base + "/sendMessage", "application/json", `{"chat_id":`, 400},
		{"bad integer", "POST", base + "/editMessageText", "application/json", `{"chat_id":1001,"message_id":"x","text":"t"}`, 400},
		{"no method", "GET", base, "", "", 404},
		{"no bot prefix", "GET", srv.URL() + "/x/getMe", "", "", 404},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d: %s", c.name, resp.StatusCode, c.want, body)
		}
	}
	if msgs := srv.Messages(alice.ID); len(msgs) != 3 || msgs[1].Buttons[0][0].Data != "a" {
		t.Fatalf("Messages = %+v", msgs)
	}
}

func TestQueueRaw(t *testing.T) {
	srv, bot := newBot(t)
	id, err := srv.Queue(`{"edited_message":{"message_id":1,"date":1,"chat":{"id":1001,"type":"private"},"text":"x"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Queue(`{"update_id":500,"message":{"message_id":2,"date":1,"chat":{"id":1001,"type":"private"}}}`); err != nil {
		t.Fatal(err)
	}
	updates := getUpdates(t, bot, 0, 0)
	if len(updates) != 2 || updates[0].UpdateID != id || updates[0].EditedMessage == nil || updates[1].UpdateID != 500 {
		t.Fatalf("updates = %+v", updates)
	}
	if _, err := srv.Queue(`[1]`); err == nil {
		t.Fatal("Queue of a non-object: got no error")
	}
}

func TestSecondPollerConflicts(t *testing.T) {
	srv, bot := newBot(t)
	done := make(chan error)
	go func() {
		u := tgbotapi.NewUpdate(0)
		u.Timeout = 30
		_, err := bot.GetUpdates(u)
		done <- err
	}()
	waitPolling(t, srv)
	getUpdates(t, bot, 0, 0)
	select {
	case err := <-done:
		wantAPIError(t, err, 409, "Conflict: terminated by other getUpdates request")
	case <-time.After(5 * time.Second):
		t.Fatal("first poll was not terminated")
	}
}

func TestLegacyFieldsOfTgbotapi(t *testing.T) {
	srv, bot := newBot(t)
	srv.SendText(alice, "hi")
	msg := tgbotapi.NewMessage(alice.ID, "see https://example.org")
	msg.ReplyToMessageID = 1
	msg.DisableWebPagePreview = true
	msg.AllowSendingWithoutReply = true
	if _, err := bot.Send(msg); err != nil {
		t.Fatal(err)
	}
	msg.ReplyToMessageID, msg.AllowSendingWithoutReply = 77, false
	_, err := bot.Send(msg)
	wantAPIError(t, err, 400, "message to be replied not found")
}

func TestCloseWakesWaiters(t *testing.T) {
	srv := telegramtest.NewServer()
	errs := make(chan error, 2)
	go func() {
		_, err := srv.WaitMessage(context.Background(), 1, nil)
		errs <- err
	}()
	go func() { errs <- srv.WaitPolling(context.Background()) }()
	srv.Close()
	for range 2 {
		select {
		case err := <-errs:
			if err == nil {
				t.Fatal("waiter returned no error after Close")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("waiter not woken by Close")
		}
	}
	srv.Close() // a second Close is harmless
}

// TestConcurrentChats runs a polling echo bot against many users at once.
func TestConcurrentChats(t *testing.T) {
	srv, bot := newBot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop := make(chan struct{})
	botDone := make(chan struct{})
	go func() {
		defer close(botDone)
		offset := 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			updates, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: 1})
			if err != nil {
				return
			}
			for _, u := range updates {
				offset = u.UpdateID + 1
				if u.Message != nil {
					bot.Send(tgbotapi.NewMessage(u.Message.Chat.ID, "echo: "+u.Message.Text))
				}
			}
		}
	}()

	const users = 20
	errs := make(chan error, users)
	for i := range users {
		go func() {
			u := telegramtest.User{ID: int64(2000 + i), FirstName: fmt.Sprint("U", i)}
			srv.SendText(u, "hello")
			_, err := srv.WaitMessage(ctx, u.ID, func(m telegramtest.Message) bool { return m.Text == "echo: hello" })
			errs <- err
		}()
	}
	for range users {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-botDone
}
