package telegramtest

import "fmt"

// EditLastText edits the newest message user from sent in their private
// chat with the bot to text, as a Telegram client does, and queues the
// edited_message update; it returns its update_id.
func (s *Server) EditLastText(from User, text string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[from.ID]
	if c == nil {
		return 0, fmt.Errorf("telegramtest: EditLastText: user %d has no chat with the bot", from.ID)
	}
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		if m.fromBot || m.from.ID != from.ID {
			continue
		}
		m.text, m.editDate = text, s.now().Unix()
		return s.queueLocked(map[string]any{"edited_message": s.messageJSONLocked(c, m)}), nil
	}
	return 0, fmt.Errorf("telegramtest: EditLastText: user %d sent no message\n%s", from.ID, c.transcript())
}
