package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Message is a bot message as the user sees it now: edits applied, buttons
// gone once the keyboard was removed.
type Message struct {
	ID        int
	ChatID    int64
	Text      string     // the text, or a photo's or document's caption, after parse_mode
	Buttons   [][]Button // the inline keyboard, rows of buttons
	EditCount int        // successful edits of text or keyboard
	// Changed orders the bot's messages by their last change (sent or
	// edited) across the server: later changes have higher numbers.
	Changed int64
	File    *File // the photo or document, if any
}

// Button is one inline keyboard button.
type Button struct {
	Text string
	Data string // callback_data, "" for other kinds of button
	URL  string // url, "" for other kinds of button
}

// File is a photo or document the bot sent.
type File struct {
	Kind string // "photo" or "document"
	Name string // uploaded file name, or the file_id or URL sent instead
	Size int64  // uploaded size in bytes, 0 when not uploaded
}

// chat is a chat the bot may write to because a user started it.
type chat struct {
	id       int64
	kind     string // private, group or supergroup
	user     User   // the other side of a private chat
	blocked  bool
	lastID   int
	messages []*message
}

// message is one message of a chat, from a user or from the bot.
type message struct {
	id       int
	fromBot  bool
	from     User // the user, for user messages
	date     int64
	editDate int64
	text     string // what the user sees
	source   string // the formatted source when it differs from text
	caption  bool   // text is the caption of file
	file     *File
	keyboard [][]map[string]json.RawMessage // inline keyboard, nil if none
	edits    int
	changed  int64 // the server's change count at its last send or edit
	replyTo  int   // the message this one replies to, 0 if none
}

func (c *chat) nextMessageID() int { c.lastID++; return c.lastID }

func (c *chat) message(id int) *message {
	for _, m := range c.messages {
		if m.id == id {
			return m
		}
	}
	return nil
}

// chatLocked returns the chat with the id, creating it as a private chat.
func (s *Server) chatLocked(id int64) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{id: id, kind: "private", user: User{ID: id}}
		s.chats[id] = c
	}
	return c
}

func (m *message) buttons() [][]Button {
	var rows [][]Button
	for _, row := range m.keyboard {
		var out []Button
		for _, b := range row {
			var btn Button
			json.Unmarshal(b["text"], &btn.Text)
			json.Unmarshal(b["callback_data"], &btn.Data)
			json.Unmarshal(b["url"], &btn.URL)
			out = append(out, btn)
		}
		rows = append(rows, out)
	}
	return rows
}

func (m *message) public(chatID int64) Message {
	pm := Message{ID: m.id, ChatID: chatID, Text: m.text, Buttons: m.buttons(), EditCount: m.edits, Changed: m.changed}
	if m.file != nil {
		f := *m.file
		pm.File = &f
	}
	return pm
}

// transcript lists the chat's messages for failure output.
func (c *chat) transcript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chat %d (%s) so far:\n", c.id, c.kind)
	if len(c.messages) == 0 {
		b.WriteString("  (no messages)\n")
	}
	for _, m := range c.messages {
		who := "user"
		if m.fromBot {
			who = "bot "
		}
		fmt.Fprintf(&b, "  #%d %s %q", m.id, who, m.text)
		if m.file != nil {
			fmt.Fprintf(&b, " [%s %s, %d bytes]", m.file.Kind, m.file.Name, m.file.Size)
		}
		for _, row := range m.buttons() {
			b.WriteString(" |")
			for _, btn := range row {
				fmt.Fprintf(&b, " [%s → %s%s]", btn.Text, btn.Data, btn.URL)
			}
		}
		if m.edits > 0 {
			fmt.Fprintf(&b, " (edited %d×)", m.edits)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Messages returns the messages the bot sent to a chat, as they look now.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID)
}

func (s *Server) messagesLocked(chatID int64) []Message {
	var out []Message
	if c := s.chats[chatID]; c != nil {
		for _, m := range c.messages {
			if m.fromBot {
				out = append(out, m.public(chatID))
			}
		}
	}
	return out
}

// WaitMessage waits until a bot message in the chat satisfies match (nil
// matches any) and returns the newest such message; on failure the error
// lists the chat's messages.
func (s *Server) WaitMessage(ctx context.Context, chatID int64, match func(Message) bool) (Message, error) {
	for {
		s.mu.Lock()
		msgs, changed := s.messagesLocked(chatID), s.changed
		s.mu.Unlock()
		for i := len(msgs) - 1; i >= 0; i-- { // match runs unlocked: it may call the server
			if match == nil || match(msgs[i]) {
				return msgs[i], nil
			}
		}
		var err error
		select {
		case <-changed:
			continue
		case <-ctx.Done():
			err = ctx.Err()
		case <-s.closing:
			err = errServerClosed
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		dump := fmt.Sprintf("chat %d is unknown: no user has written to it\n", chatID)
		if c := s.chats[chatID]; c != nil {
			dump = c.transcript()
		}
		return Message{}, fmt.Errorf("telegramtest: no matching message in chat %d: %w\n%s", chatID, err, dump)
	}
}

// TB is the part of testing.TB that ExpectMessage uses. Declaring it here
// keeps the testing package out of the binaries that link the emulator
// (the demo).
type TB interface {
	Helper()
	Fatal(args ...any)
}

// ExpectMessage is WaitMessage for tests: it fails t after timeout; call it
// from the test's goroutine.
func (s *Server) ExpectMessage(t TB, chatID int64, timeout time.Duration, match func(Message) bool) Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := s.WaitMessage(ctx, chatID, match)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// JSON shapes of the Bot API objects the server returns.
type (
	userJSON struct {
		ID           int64  `json:"id"`
		IsBot        bool   `json:"is_bot"`
		FirstName    string `json:"first_name"`
		Username     string `json:"username,omitempty"`
		LanguageCode string `json:"language_code,omitempty"`
	}
	chatJSON struct {
		ID        int64  `json:"id"`
		Type      string `json:"type"`
		Title     string `json:"title,omitempty"`
		FirstName string `json:"first_name,omitempty"`
		Username  string `json:"username,omitempty"`
	}
	entityJSON struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Length int    `json:"length"`
	}
	fileJSON struct {
		FileID       string `json:"file_id"`
		FileUniqueID string `json:"file_unique_id"`
		FileName     string `json:"file_name,omitempty"`
		FileSize     int64  `json:"file_size,omitempty"`
		Width        int    `json:"width,omitempty"`
		Height       int    `json:"height,omitempty"`
	}
	keyboardJSON struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	messageJSON struct {
		MessageID   int           `json:"message_id"`
		From        userJSON      `json:"from"`
		Chat        chatJSON      `json:"chat"`
		Date        int64         `json:"date"`
		EditDate    int64         `json:"edit_date,omitempty"`
		Text        string        `json:"text,omitempty"`
		Entities    []entityJSON  `json:"entities,omitempty"`
		Caption     string        `json:"caption,omitempty"`
		Document    *fileJSON     `json:"document,omitempty"`
		Photo       []fileJSON    `json:"photo,omitempty"`
		ReplyMarkup *keyboardJSON `json:"reply_markup,omitempty"`
		// ReplyToMessage is the message replied to, without its own reply
		// (Telegram does not nest them further).
		ReplyToMessage *messageJSON `json:"reply_to_message,omitempty"`
	}
)

func (s *Server) messageJSONLocked(c *chat, m *message) *messageJSON {
	j := &messageJSON{MessageID: m.id, Date: m.date, EditDate: m.editDate}
	j.From = userJSON{ID: m.from.ID, FirstName: m.from.FirstName, Username: m.from.Username, LanguageCode: m.from.LanguageCode}
	if m.fromBot {
		j.From = userJSON{ID: s.bot.ID, IsBot: true, FirstName: s.bot.FirstName, Username: s.bot.Username}
	}
	j.Chat = chatJSON{ID: c.id, Type: c.kind}
	if c.kind == "private" {
		j.Chat.FirstName, j.Chat.Username = c.user.FirstName, c.user.Username
	} else {
		j.Chat.Title = fmt.Sprintf("Group %d", c.id)
	}
	if m.caption {
		j.Caption = m.text
	} else {
		j.Text = m.text
	}
	if f := m.file; f != nil {
		fj := fileJSON{FileID: fmt.Sprintf("F%d_%d", c.id, m.id), FileUniqueID: fmt.Sprintf("U%d_%d", c.id, m.id), FileSize: f.Size}
		if f.Kind == "photo" {
			fj.Width, fj.Height = 800, 600
			j.Photo = []fileJSON{fj}
		} else {
			fj.FileName = f.Name
			j.Document = &fj
		}
	}
	if len(m.keyboard) > 0 {
		j.ReplyMarkup = &keyboardJSON{InlineKeyboard: m.keyboard}
	}
	if r := c.message(m.replyTo); m.replyTo != 0 && r != nil {
		inner := *r
		inner.replyTo = 0
		j.ReplyToMessage = s.messageJSONLocked(c, &inner)
	}
	return j
}

var (
	errChatNotFound   = badRequest("chat not found")
	errBlocked        = &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}
	errEditNotFound   = badRequest("message to edit not found")
	errNotModified    = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	errTextEmpty      = badRequest("message text is empty")
	errTextTooLong    = badRequest("message is too long")
	errCaptionTooLong = badRequest("message caption is too long")
	errBadMarkup      = badRequest("can't parse reply keyboard markup JSON object")
	errQueryTooOld    = badRequest("query is too old and response timeout expired or query ID is invalid")
)

// targetChatLocked returns the chat a call addresses by chat_id.
func (s *Server) targetChatLocked(p *params) (*chat, *apiError) {
	id, err := strconv.ParseInt(p.get("chat_id"), 10, 64)
	c := s.chats[id]
	if err != nil || c == nil {
		return nil, errChatNotFound
	}
	if c.blocked {
		return nil, errBlocked
	}
	return c, nil
}

// inlineActions are the fields of which an inline button must have exactly one.
var inlineActions = map[string]bool{
	"url": true, "callback_data": true, "web_app": true, "login_url": true,
	"switch_inline_query": true, "switch_inline_query_current_chat": true,
	"switch_inline_query_chosen_chat": true, "copy_text": true, "callback_game": true, "pay": true,
}

// parseKeyboard validates reply_markup and returns its inline keyboard, nil
// when there is none or it is empty.
func parseKeyboard(raw string) ([][]map[string]json.RawMessage, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &obj) != nil || obj == nil {
		return nil, errBadMarkup
	}
	rawKeyboard, ok := obj["inline_keyboard"]
	if !ok {
		for _, kind := range []string{"keyboard", "remove_keyboard", "force_reply"} {
			if _, ok := obj[kind]; ok {
				return nil, nil // reply keyboards are accepted but not modelled
			}
		}
		return nil, errBadMarkup
	}
	var keyboard [][]map[string]json.RawMessage
	if json.Unmarshal(rawKeyboard, &keyboard) != nil {
		return nil, badRequest("can't parse inline keyboard markup JSON object")
	}
	for _, row := range keyboard {
		for _, b := range row {
			var text string
			if json.Unmarshal(b["text"], &text) != nil || strings.TrimSpace(text) == "" {
				return nil, badRequest("can't parse inline keyboard button: Text must be non-empty")
			}
			actions := 0
			for field := range b {
				switch {
				case inlineActions[field]:
					actions++
				case field != "text" && field != "style" && field != "icon_custom_emoji_id":
					return nil, badRequest(fmt.Sprintf("can't parse inline keyboard button: unknown field %q", field))
				}
			}
			if actions == 0 {
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			if actions > 1 {
				return nil, badRequest("can't parse inline keyboard button: exactly one of the optional fields must be used")
			}
			if data, ok := b["callback_data"]; ok {
				var s string
				if json.Unmarshal(data, &s) != nil || len(s) == 0 || len(s) > 64 {
					return nil, badRequest("BUTTON_DATA_INVALID")
				}
			}
			if u, ok := b["url"]; ok {
				var s string
				if json.Unmarshal(u, &s) != nil || !(strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "tg://")) {
					return nil, badRequest("BUTTON_URL_INVALID")
				}
			}
		}
	}
	if len(keyboard) == 0 {
		return nil, nil
	}
	return keyboard, nil
}

// formattedText parses a text or caption parameter with its parse_mode.
func formattedText(p *params, field string, limit int, tooLong *apiError) (plain, source string, err *apiError) {
	source = p.get(field)
	plain, desc := formatText(source, p.get("parse_mode"))
	if desc != "" {
		return "", "", badRequest(desc)
	}
	if utf16Len(plain) > limit {
		return "", "", tooLong
	}
	if plain == source {
		source = ""
	}
	return plain, source, nil
}

// newBotMessageLocked validates what every send method shares and adds the message.
func (s *Server) newBotMessageLocked(c *chat, p *params, m *message) (any, *apiError) {
	keyboard, err := parseKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	if reply := int(p.int64("reply_to_message_id")); reply != 0 && c.message(reply) == nil && !p.bool("allow_sending_without_reply") {
		return nil, badRequest("message to be replied not found")
	}
	m.id, m.fromBot, m.date, m.keyboard = c.nextMessageID(), true, s.now().Unix(), keyboard
	s.changes++
	m.changed = s.changes
	c.messages = append(c.messages, m)
	return s.messageJSONLocked(c, m), nil
}

func (s *Server) sendMessage(p *params) (any, *apiError) {
	c, err := s.targetChatLocked(p)
	if err != nil {
		return nil, err
	}
	plain, source, err := formattedText(p, "text", maxTextLen, errTextTooLong)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(plain) == "" {
		return nil, errTextEmpty
	}
	return s.newBotMessageLocked(c, p, &message{text: plain, source: source})
}

func (s *Server) sendPhoto(p *params) (any, *apiError) { return s.sendFile(p, "photo") }

func (s *Server) sendDocument(p *params) (any, *apiError) { return s.sendFile(p, "document") }

// sendFile sends a photo or document, uploaded or given by file_id or URL.
func (s *Server) sendFile(p *params, kind string) (any, *apiError) {
	c, err := s.targetChatLocked(p)
	if err != nil {
		return nil, err
	}
	f, uploaded := p.files[kind]
	if !uploaded {
		f = File{Kind: kind, Name: p.get(kind)}
	} else if f.Size == 0 {
		return nil, badRequest("file must be non-empty")
	}
	plain, source, err := formattedText(p, "caption", maxCaptionLen, errCaptionTooLong)
	if err != nil {
		return nil, err
	}
	return s.newBotMessageLocked(c, p, &message{text: plain, source: source, caption: true, file: &f})
}

// chatActions are the actions sendChatAction takes.
var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(p *params) (any, *apiError) {
	if _, err := s.targetChatLocked(p); err != nil {
		return nil, err
	}
	if !chatActions[p.get("action")] {
		return nil, badRequest("wrong parameter action in request")
	}
	return true, nil
}

// editTargetLocked returns the bot message an edit addresses.
func (s *Server) editTargetLocked(p *params) (*chat, *message, *apiError) {
	if p.get("inline_message_id") != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID") // inline messages are not modelled
	}
	if !p.has("chat_id") {
		return nil, nil, badRequest("chat_id is empty")
	}
	c, err := s.targetChatLocked(p)
	if err != nil {
		return nil, nil, err
	}
	if !p.has("message_id") {
		return nil, nil, badRequest("message identifier is not specified")
	}
	m := c.message(int(p.int64("message_id")))
	if m == nil {
		return nil, nil, errEditNotFound
	}
	if !m.fromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

// applyEditLocked applies an edit unless it changes nothing, the way Telegram
// refuses an edit that is not a modification.
func (s *Server) applyEditLocked(c *chat, m *message, text, source string, keyboard [][]map[string]json.RawMessage) (any, *apiError) {
	oldKeyboard, _ := json.Marshal(m.keyboard)
	newKeyboard, _ := json.Marshal(keyboard)
	if text == m.text && source == m.source && string(oldKeyboard) == string(newKeyboard) {
		return nil, errNotModified
	}
	m.text, m.source, m.keyboard = text, source, keyboard
	m.edits++
	s.changes++
	m.changed = s.changes
	m.editDate = s.now().Unix()
	return s.messageJSONLocked(c, m), nil
}

// editMessageText replaces a message's text; like Telegram it removes the
// inline keyboard unless reply_markup is given again.
func (s *Server) editMessageText(p *params) (any, *apiError) {
	c, m, err := s.editTargetLocked(p)
	if err != nil {
		return nil, err
	}
	if m.caption {
		return nil, badRequest("there is no text in the message to edit")
	}
	plain, source, err := formattedText(p, "text", maxTextLen, errTextTooLong)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(plain) == "" {
		return nil, errTextEmpty
	}
	keyboard, err := parseKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	return s.applyEditLocked(c, m, plain, source, keyboard)
}

// editMessageCaption replaces the caption of a photo or document and, like
// editMessageText, its keyboard.
func (s *Server) editMessageCaption(p *params) (any, *apiError) {
	c, m, err := s.editTargetLocked(p)
	if err != nil {
		return nil, err
	}
	if !m.caption {
		return nil, badRequest("there is no caption in the message to edit")
	}
	plain, source, err := formattedText(p, "caption", maxCaptionLen, errCaptionTooLong)
	if err != nil {
		return nil, err
	}
	keyboard, err := parseKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	return s.applyEditLocked(c, m, plain, source, keyboard)
}

// editMessageReplyMarkup replaces or, without reply_markup, removes a
// message's inline keyboard.
func (s *Server) editMessageReplyMarkup(p *params) (any, *apiError) {
	c, m, err := s.editTargetLocked(p)
	if err != nil {
		return nil, err
	}
	keyboard, err := parseKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	return s.applyEditLocked(c, m, m.text, m.source, keyboard)
}

func (s *Server) deleteMessage(p *params) (any, *apiError) {
	c, err := s.targetChatLocked(p)
	if err != nil {
		return nil, err
	}
	id := int(p.int64("message_id"))
	for i, m := range c.messages {
		if m.id == id {
			c.messages = append(c.messages[:i], c.messages[i+1:]...)
			return true, nil
		}
	}
	return nil, badRequest("message to delete not found")
}

// callbackQuery is a button press the bot has received or may receive.
type callbackQuery struct {
	id       string
	updateID int
	data     string
	answered bool
}

// CallbackAnswer is the bot's answer to a button press.
type CallbackAnswer struct {
	QueryID   string
	UpdateID  int    // the update_id PressButton returned
	Data      string // the pressed button's callback data
	Text      string
	ShowAlert bool
	URL       string
}

// CallbackAnswers returns the bot's answers to button presses, in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CallbackAnswer(nil), s.answers...)
}

func (s *Server) answerCallbackQuery(p *params) (any, *apiError) {
	q := s.queries[p.get("callback_query_id")]
	if q == nil || q.answered {
		return nil, errQueryTooOld
	}
	if utf16Len(p.get("text")) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	q.answered = true
	s.answers = append(s.answers, CallbackAnswer{
		QueryID: q.id, UpdateID: q.updateID, Data: q.data,
		Text: p.get("text"), ShowAlert: p.bool("show_alert"), URL: p.get("url"),
	})
	return true, nil
}
