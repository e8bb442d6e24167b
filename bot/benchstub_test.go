package bot_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// stubTelegram answers the Bot API in process, as the HTTP client injected
// into tgbotapi: no sockets, no emulator bookkeeping, so what a benchmark
// measures is the bot. It answers like Telegram (a sent message comes back
// whole, with its buttons), serves getUpdates from a queue the benchmark
// fills, counts the calls that cost Telegram budget, and remembers each
// chat's latest buttons as a patient's screen would show them.
type stubTelegram struct {
	nextMsg atomic.Int64
	calls   atomic.Int64 // sendMessage, edits, answerCallbackQuery: Telegram's budget

	mu       sync.Mutex
	byMethod map[string]int64
	screens  map[int64]*stubScreen
	queue    []tgbotapi.Update // updates not confirmed by a getUpdates offset
	nextID   int
	arrived  chan struct{} // wakes a waiting getUpdates
}

// stubScreen is what a chat shows: the last message with buttons, how many
// answers (messages, edits, callback notices) the bot gave it, and which of
// its button presses the bot answered (the callback's answer goes beside
// the press's reply, in either order).
type stubScreen struct {
	prompt  tgbotapi.Message // its ReplyMarkup holds the buttons
	answers int64
	queries map[string]bool // the callback queries answered
	seen    chan struct{}   // closed and replaced at each answer
}

func newStubTelegram() *stubTelegram {
	return &stubTelegram{byMethod: map[string]int64{}, screens: map[int64]*stubScreen{},
		arrived: make(chan struct{}, 1), nextID: 1}
}

// Do answers one Bot API request (tgbotapi's HTTPClient).
func (s *stubTelegram) Do(req *http.Request) (*http.Response, error) {
	method := req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:]
	if err := req.ParseForm(); err != nil {
		return nil, err
	}
	f := req.PostForm
	var result any = true
	switch method {
	case "getMe":
		result = tgbotapi.User{ID: 1, IsBot: true, FirstName: "Bench", UserName: "bench_bot"}
	case "getUpdates":
		offset, _ := strconv.Atoi(f.Get("offset"))
		result = s.updates(req, offset)
	case "sendMessage", "editMessageText", "editMessageReplyMarkup":
		result = s.message(method, f.Get("chat_id"), f.Get("message_id"), f.Get("text"), f.Get("reply_markup"))
	case "answerCallbackQuery":
		s.count(method)
		s.callbackAnswered(f.Get("callback_query_id"), f.Get("text") != "")
	}
	body, err := json.Marshal(struct {
		OK     bool `json:"ok"`
		Result any  `json:"result"`
	}{true, result})
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(string(body))), Request: req}, nil
}

func (s *stubTelegram) count(method string) {
	s.calls.Add(1)
	s.mu.Lock()
	s.byMethod[method]++
	s.mu.Unlock()
}

// message answers a send or an edit with the message as Telegram keeps it.
func (s *stubTelegram) message(method, chat, msgID, text, markup string) tgbotapi.Message {
	s.count(method)
	chatID, _ := strconv.ParseInt(chat, 10, 64)
	m := tgbotapi.Message{Chat: &tgbotapi.Chat{ID: chatID, Type: "private"}, Date: int(time.Now().Unix()), Text: text}
	if method == "sendMessage" {
		m.MessageID = int(s.nextMsg.Add(1))
	} else {
		m.MessageID, _ = strconv.Atoi(msgID)
	}
	if markup != "" {
		var kb tgbotapi.InlineKeyboardMarkup
		if json.Unmarshal([]byte(markup), &kb) == nil && len(kb.InlineKeyboard) > 0 {
			m.ReplyMarkup = &kb
		}
	}
	var shown *tgbotapi.Message
	if m.ReplyMarkup != nil {
		shown = &m
	}
	if method != "editMessageReplyMarkup" {
		s.answered(chatID, shown)
	}
	return m
}

// answered records an answer to chatID and the buttons it now shows, if any.
func (s *stubTelegram) answered(chatID int64, prompt *tgbotapi.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.screenLocked(chatID)
	if prompt != nil {
		sc.prompt = *prompt
	}
	s.answeredLocked(sc)
}

func (s *stubTelegram) answeredLocked(sc *stubScreen) {
	sc.answers++
	close(sc.seen)
	sc.seen = make(chan struct{})
}

// callbackAnswered records the answer to a button press; the benchmark
// names its queries "<chat>-<n>". A notice shown with it is an answer.
func (s *stubTelegram) callbackAnswered(id string, notice bool) {
	chat, _, _ := strings.Cut(id, "-")
	chatID, err := strconv.ParseInt(chat, 10, 64)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.screenLocked(chatID)
	sc.queries[id] = true
	if notice {
		s.answeredLocked(sc)
	} else {
		close(sc.seen) // wake a chat waiting for both
		sc.seen = make(chan struct{})
	}
}

func (s *stubTelegram) screenLocked(chatID int64) *stubScreen {
	sc := s.screens[chatID]
	if sc == nil {
		sc = &stubScreen{seen: make(chan struct{}), queries: map[string]bool{}}
		s.screens[chatID] = sc
	}
	return sc
}

// screen returns chatID's prompt, its answer count, and a channel closed at
// the next answer.
func (s *stubTelegram) screen(chatID int64) (tgbotapi.Message, int64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.screenLocked(chatID)
	return sc.prompt, sc.answers, sc.seen
}

// answeredQuery reports whether the bot answered chatID's press query.
func (s *stubTelegram) answeredQuery(chatID int64, query string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.screenLocked(chatID).queries[query]
}

// push queues u for getUpdates, numbering it.
func (s *stubTelegram) push(u tgbotapi.Update) int {
	s.mu.Lock()
	u.UpdateID = s.nextID
	s.nextID++
	s.queue = append(s.queue, u)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	return u.UpdateID
}

// updates answers getUpdates: it drops what offset confirms and returns up
// to 100 updates from there, waiting a little for some when there are none
// (a long poll, cut short so that a benchmark's end is not held up).
func (s *stubTelegram) updates(req *http.Request, offset int) []tgbotapi.Update {
	deadline := time.NewTimer(50 * time.Millisecond)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		i := 0
		for i < len(s.queue) && s.queue[i].UpdateID < offset {
			i++
		}
		s.queue = s.queue[i:]
		n := min(len(s.queue), 100)
		out := append([]tgbotapi.Update(nil), s.queue[:n]...)
		s.mu.Unlock()
		if n > 0 {
			return out
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			return out
		case <-req.Context().Done():
			return out
		}
	}
}

// methods returns the calls counted so far, by method.
func (s *stubTelegram) methods() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.byMethod))
	for k, v := range s.byMethod {
		out[k] = v
	}
	return out
}
