package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// update is one queued update: its id and its JSON as getUpdates returns it,
// with what webhook delivery needs.
type update struct {
	id       int
	raw      json.RawMessage
	kind     string // e.g. "message", "callback_query"
	chatID   int64  // the chat it belongs to, 0 if none
	key      string // updates with the same key are delivered one at a time
	attempts int    // webhook deliveries started
	retryAt  time.Time
}

func newUpdate(id int, raw json.RawMessage) update {
	u := update{id: id, raw: raw}
	u.kind, u.chatID, u.key = updateRouting(id, raw)
	return u
}

// Pending returns how many queued updates the bot has not yet confirmed, with
// a getUpdates offset or a 2xx answer to their webhook delivery.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitConfirmed waits until the bot has confirmed every queued update.
func (s *Server) WaitConfirmed(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return len(s.updates) == 0 })
}

// WaitPolling waits until a getUpdates long poll is waiting for updates, so
// that a test can check that a new update wakes it.
func (s *Server) WaitPolling(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return s.polling > 0 })
}

// SendText queues a text message from a user in their private chat with the
// bot (chat id = user id) and returns its update_id; a leading "/command"
// gets a bot_command entity, as Telegram adds.
func (s *Server) SendText(from User, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(from.ID)
	c.kind, c.user, c.blocked = "private", from, false
	return s.userMessageLocked(c, from, text)
}

// SendGroupText queues a text message from a user in a group chat, whose id
// must be negative, and returns its update_id.
func (s *Server) SendGroupText(from User, chatID int64, text string) int {
	if chatID >= 0 {
		panic(fmt.Sprintf("telegramtest: SendGroupText: group chat id %d must be negative", chatID))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	c.kind = "group"
	if chatID < -1000000000000 {
		c.kind = "supergroup"
	}
	return s.userMessageLocked(c, from, text)
}

// SendReply queues a text message from a user that replies to message
// replyTo of the chat (the user's private chat, or a group), as a user does
// by swiping a message or answering a force-reply prompt, and returns its
// update_id; it fails if the chat has no such message.
func (s *Server) SendReply(from User, chatID int64, replyTo int, text string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil || c.message(replyTo) == nil {
		return 0, fmt.Errorf("telegramtest: SendReply: no message %d in chat %d", replyTo, chatID)
	}
	if c.kind == "private" && from.ID != chatID {
		return 0, fmt.Errorf("telegramtest: SendReply: user %d is not in private chat %d", from.ID, chatID)
	}
	return s.userMessageLocked(c, from, text, replyTo), nil
}

// Block makes every call that sends to or edits in the chat fail with 403
// "Forbidden: bot was blocked by the user" until the user writes again.
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	c.blocked = true
	s.notifyLocked()
}

// userMessageLocked records a user's message in the chat and queues its update.
func (s *Server) userMessageLocked(c *chat, from User, text string, replyTo ...int) int {
	m := &message{id: c.nextMessageID(), from: from, date: s.now().Unix(), text: text}
	if len(replyTo) > 0 {
		m.replyTo = replyTo[0]
	}
	c.messages = append(c.messages, m)
	j := s.messageJSONLocked(c, m)
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		cmd, _, _ = strings.Cut(cmd, "\n")
		j.Entities = []entityJSON{{Type: "bot_command", Offset: 0, Length: utf16Len(cmd)}}
	}
	return s.queueLocked(map[string]any{"message": j})
}

// PressButton queues a callback query from a user pressing the inline button
// with the given callback data under a bot message, and returns its update_id;
// it fails if that button is not on the message now.
func (s *Server) PressButton(from User, chatID int64, messageID int, data string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return 0, fmt.Errorf("telegramtest: PressButton: chat %d not found", chatID)
	}
	if c.kind == "private" && from.ID != chatID {
		return 0, fmt.Errorf("telegramtest: PressButton: user %d is not in private chat %d", from.ID, chatID)
	}
	m := c.message(messageID)
	if m == nil || !m.fromBot {
		return 0, fmt.Errorf("telegramtest: PressButton: no bot message %d in chat %d\n%s", messageID, chatID, c.transcript())
	}
	found := false
	for _, row := range m.buttons() {
		for _, b := range row {
			found = found || (b.Data == data && b.URL == "")
		}
	}
	if !found || data == "" {
		return 0, fmt.Errorf("telegramtest: PressButton: message %d in chat %d has no button with callback data %q\n%s", messageID, chatID, data, c.transcript())
	}
	s.lastQueryID++
	q := &callbackQuery{id: strconv.FormatInt(4_000_000_000_000+s.lastQueryID, 10), data: data}
	q.updateID = s.queueLocked(map[string]any{"callback_query": map[string]any{
		"id":            q.id,
		"from":          userJSON{ID: from.ID, FirstName: from.FirstName, Username: from.Username, LanguageCode: from.LanguageCode},
		"message":       s.messageJSONLocked(c, m),
		"chat_instance": strconv.FormatInt(-chatID*31-7, 10),
		"data":          data,
	}})
	s.queries[q.id] = q
	return q.updateID, nil
}

// Queue queues a raw update, a JSON object, for edge cases the helpers do not
// cover; it keeps an integer update_id the object has, or assigns the next one.
func (s *Server) Queue(raw string) (int, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil || obj == nil {
		return 0, fmt.Errorf("telegramtest: Queue: update must be a JSON object: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var id int
	if json.Unmarshal(obj["update_id"], &id) == nil {
		s.lastUpdateID = max(s.lastUpdateID, id)
		s.updates = append(s.updates, newUpdate(id, json.RawMessage(raw)))
		s.notifyLocked()
		return id, nil
	}
	u := make(map[string]any, len(obj))
	for k, v := range obj {
		u[k] = v
	}
	return s.queueLocked(u), nil
}

// queueLocked assigns the next update_id to an update and queues it.
func (s *Server) queueLocked(u map[string]any) int {
	s.lastUpdateID++
	u["update_id"] = s.lastUpdateID
	raw, err := json.Marshal(u)
	if err != nil {
		panic("telegramtest: encoding update: " + err.Error())
	}
	s.updates = append(s.updates, newUpdate(s.lastUpdateID, raw))
	s.notifyLocked()
	return s.lastUpdateID
}

// confirmLocked drops the updates an offset confirms: all below a positive
// offset, or all but the last -offset for a negative one.
func (s *Server) confirmLocked(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.updates) && int64(s.updates[i].id) < offset {
			i++
		}
		s.updates = s.updates[i:]
	case offset < 0:
		if keep := int(-offset); keep < len(s.updates) {
			s.updates = s.updates[len(s.updates)-keep:]
		}
	}
}

var (
	errWebhookActive = &apiError{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errClientGone    = &apiError{code: 499, desc: "client closed the request"} // nginx's code: never sent to a client
	errTerminated    = &apiError{code: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
)

// clientGone reports whether the client of a request has gone, giving the
// server a moment to notice a connection the client just closed (a poller
// that cancels its long poll and asks again at once).
func clientGone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-time.After(50 * time.Millisecond):
		return false
	}
}

// getUpdates confirms updates below offset and long-polls for up to timeout
// seconds until an update is queued; a newer getUpdates ends it with 409.
func (s *Server) getUpdates(ctx context.Context, p *params) (any, *apiError) {
	limit := int(p.int64("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	wait := time.Duration(max(p.int64("timeout"), 0)) * time.Second
	timer := time.NewTimer(wait)
	defer timer.Stop()

	s.mu.Lock()
	if s.webhook != nil {
		s.mu.Unlock()
		return nil, errWebhookActive
	}
	s.confirmLocked(p.int64("offset"))
	s.pollGen++
	gen := s.pollGen
	s.notifyLocked() // an older long poll ends with 409
	for {
		if gen != s.pollGen {
			s.mu.Unlock()
			if clientGone(ctx) {
				return nil, errClientGone
			}
			return nil, errTerminated
		}
		if n := min(len(s.updates), limit); n > 0 || wait == 0 {
			out := []byte{'['}
			for i, u := range s.updates[:n] {
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, u.raw...)
			}
			s.mu.Unlock()
			return json.RawMessage(append(out, ']')), nil
		}
		if s.polling++; s.polling == 1 {
			s.notifyLocked() // for WaitPolling
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			wait = 0
		case <-ctx.Done():
			wait = 0 // the client has gone; nobody reads the answer
		case <-s.closing:
			wait = 0
		}
		s.mu.Lock()
		s.polling--
		if ctx.Err() != nil {
			// Nobody reads the answer: not a conflict with a newer poll,
			// whatever came first (a test looking for two pollers at once
			// must not count a poll its client abandoned).
			s.mu.Unlock()
			return nil, errClientGone
		}
	}
}
