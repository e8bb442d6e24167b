package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// User is a Telegram user: a patient or clinician driving the bot in a test,
// or the bot itself.
type User struct {
	ID        int64
	FirstName string
	Username  string
	// LanguageCode is the user's Telegram language (IETF tag), e.g. "es".
	LanguageCode string
}

// Server is an in-process Telegram Bot API emulator; it is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	token string
	bot   User
	now   func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change of state
	closing chan struct{} // closed by Close

	chats        map[int64]*chat
	changes      int64    // bot messages sent or edited, for Message.Changed
	updates      []update // queued and not yet confirmed, ascending update_id
	lastUpdateID int
	pollGen      int // identifies the newest getUpdates request
	polling      int // getUpdates requests waiting for an update
	calls        []Call
	failures     map[string][]Failure // by canonical method name, "" for any
	queries      map[string]*callbackQuery
	answers      []CallbackAnswer
	lastQueryID  int64
	commands     map[string][]BotCommand // by scope and language

	// Telegram-like limits and faults, see faults.go
	limits       *Limits
	chatBuckets  map[int64]*bucket
	globalBucket bucket
	faults       *Faults
	faultRand    *rand.Rand
	latency      time.Duration

	// webhook delivery, see webhook.go
	webhook          *webhook // nil while the bot uses getUpdates
	allowedUpdates   []string // as last set by setWebhook; empty for Telegram's default
	lastErrorDate    int64
	lastErrorMessage string
	inflight         map[string]int // update_id of the request in flight, by ordering key
	deliveries       []Delivery
	dispatching      bool           // the dispatcher goroutine has started
	wg               sync.WaitGroup // the dispatcher and the requests in flight
	hookRetry        time.Duration
	hookTimeout      time.Duration
	hookClient       *http.Client
}

// Option configures a Server.
type Option func(*Server)

// WithBot sets the bot's own user, as returned by getMe; the default is
// {ID: 7000001, FirstName: "Checkin Test Bot", Username: "checkin_test_bot"}.
func WithBot(u User) Option { return func(s *Server) { s.bot = u } }

// WithToken sets the bot token; the default is derived from the bot's ID.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithClock sets the clock used for message and edit dates; the default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// NewServer starts an emulator on a local port; call Close when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		bot:      User{ID: 7000001, FirstName: "Checkin Test Bot", Username: "checkin_test_bot"},
		now:      time.Now,
		changed:  make(chan struct{}),
		closing:  make(chan struct{}),
		chats:    map[int64]*chat{},
		failures: map[string][]Failure{},
		queries:  map[string]*callbackQuery{},
		commands: map[string][]BotCommand{},
		inflight: map[string]int{},

		hookRetry:   defaultWebhookRetry,
		hookTimeout: defaultWebhookTimeout,
		hookClient:  newHookClient(),
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.token == "" {
		s.token = fmt.Sprintf("%d:TEST-checkinbot-token", s.bot.ID)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close wakes every waiting request and waiter, aborts webhook delivery,
// waits for its goroutines to end and shuts the server down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closedLocked() {
		s.mu.Unlock()
		return
	}
	close(s.closing)
	if s.webhook != nil {
		s.webhook.cancel()
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.wg.Wait()
	s.hookClient.CloseIdleConnections()
	s.srv.Close()
}

// Token returns the bot token the server accepts.
func (s *Server) Token() string { return s.token }

// URL returns the server's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// Endpoint returns the endpoint format for tgbotapi.NewBotAPIWithAPIEndpoint.
func (s *Server) Endpoint() string { return s.srv.URL + "/bot%s/%s" }

// Bot returns the bot's own user.
func (s *Server) Bot() User { return s.bot }

// notifyLocked wakes everyone waiting for a change; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond, evaluated under s.mu after every change, is true;
// it fails when ctx is done or the server closes.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return errServerClosed
		}
	}
}

// Call is one request the bot made, as the server recorded it.
type Call struct {
	Method string            // canonical method name, e.g. "sendMessage"
	Params map[string]string // parameters by name, JSON values as JSON text
	Files  []File            // uploaded files
	Status int               // HTTP status answered, 200 on success
	Error  string            // description answered, "" on success
	At     time.Time         // when it was answered (wall clock)

	// Uploads are the bytes of Files, in the same order, so a test can
	// decode what the bot sent.
	Uploads [][]byte
}

// Calls returns the recorded calls of a method (case-insensitive), or of all
// methods when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			c.Params = maps.Clone(c.Params)
			c.Files = slices.Clone(c.Files)
			c.Uploads = slices.Clone(c.Uploads)
			out = append(out, c)
		}
	}
	return out
}

// Failure is an error the server answers instead of handling a call; see FailNext.
type Failure struct {
	Code        int    // HTTP status and error_code, e.g. 429, 500, 403
	Description string // defaults to Telegram's wording for Code
	RetryAfter  int    // seconds sent as parameters.retry_after; 429 defaults to 1
	// ChatID, when set, keeps the failure for a call to that chat (its
	// chat_id); calls to other chats pass it by.
	ChatID int64
}

// FailNext makes the next n calls of method (any method when "") answer f;
// it panics if the method does not exist.
func (s *Server) FailNext(method string, n int, f Failure) {
	name := ""
	if method != "" {
		m, ok := apiSpec[strings.ToLower(method)]
		if !ok {
			panic("telegramtest: FailNext: unknown method " + method)
		}
		name = m.Name
	}
	if f.Code == 429 && f.RetryAfter == 0 {
		f.RetryAfter = 1
	}
	if f.Description == "" {
		f.Description = defaultDescription(f.Code, f.RetryAfter)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[name] = append(s.failures[name], f)
	}
}

// ClearFailures drops the failures FailNext queued and not yet answered.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = map[string][]Failure{}
}

func defaultDescription(code, retryAfter int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 409:
		return "Conflict"
	case 429:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	}
	return http.StatusText(code)
}

// takeFailureLocked pops the next injected failure for a method and chat,
// if any.
func (s *Server) takeFailureLocked(method string, chatID int64) *apiError {
	for _, key := range []string{method, ""} {
		q := s.failures[key]
		for i, f := range q {
			if f.ChatID != 0 && f.ChatID != chatID {
				continue
			}
			s.failures[key] = slices.Delete(slices.Clone(q), i, i+1)
			return &apiError{code: f.Code, desc: f.Description, retryAfter: f.RetryAfter}
		}
	}
	return nil
}

// apiError is a Telegram error response.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func (e *apiError) Error() string { return e.desc }

func badRequest(desc string) *apiError {
	if !strings.HasPrefix(desc, "Bad Request") {
		desc = "Bad Request: " + desc
	}
	return &apiError{code: 400, desc: desc}
}

var (
	errUnauthorized = &apiError{code: 401, desc: "Unauthorized"}
	errNotFound     = &apiError{code: 404, desc: "Not Found"}
	errServerClosed = fmt.Errorf("telegramtest: server closed")
)

// handler implements one method; it runs with s.mu held unless it is getUpdates.
type handler func(s *Server, p *params) (any, *apiError)

// handlers are the methods implemented beyond validation, by canonical name.
var handlers = map[string]handler{
	"getMe":                  (*Server).getMe,
	"deleteWebhook":          (*Server).deleteWebhook,
	"setWebhook":             (*Server).setWebhook,
	"getWebhookInfo":         (*Server).getWebhookInfo,
	"setMyCommands":          (*Server).setMyCommands,
	"getMyCommands":          (*Server).getMyCommands,
	"deleteMyCommands":       (*Server).deleteMyCommands,
	"sendMessage":            (*Server).sendMessage,
	"sendPhoto":              (*Server).sendPhoto,
	"sendDocument":           (*Server).sendDocument,
	"sendChatAction":         (*Server).sendChatAction,
	"editMessageText":        (*Server).editMessageText,
	"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
	"editMessageCaption":     (*Server).editMessageCaption,
	"deleteMessage":          (*Server).deleteMessage,
	"answerCallbackQuery":    (*Server).answerCallbackQuery,
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !ok || !strings.HasPrefix(r.URL.Path, "/bot") {
		writeError(w, errNotFound)
		return
	}
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	spec, ok := apiSpec[strings.ToLower(method)]
	if !ok {
		writeError(w, errNotFound)
		return
	}
	p, err := readParams(w, r)
	if err != nil {
		p = &params{}
	}
	result, apiErr := s.handle(r.Context(), spec, p, err)

	s.mu.Lock()
	call := Call{Method: spec.Name, Params: p.values, Status: http.StatusOK, At: time.Now()}
	for _, name := range p.names() {
		if f, ok := p.files[name]; ok {
			call.Files = append(call.Files, f)
			call.Uploads = append(call.Uploads, p.uploads[name])
		}
	}
	if apiErr != nil {
		call.Status, call.Error = apiErr.code, apiErr.desc
	}
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		OK     bool `json:"ok"`
		Result any  `json:"result"`
	}{true, result})
}

// handle runs one call: latency, injected failures first, then validation,
// then the rate limits, then the method.
func (s *Server) handle(ctx context.Context, spec *specMethod, p *params, readErr error) (any, *apiError) {
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 && spec.Name != "getUpdates" {
		select {
		case <-time.After(latency):
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	f := s.takeFailureLocked(spec.Name, p.int64("chat_id"))
	if f == nil {
		f = s.randomFaultLocked(spec.Name)
	}
	if f != nil {
		s.mu.Unlock()
		return nil, f
	}
	s.mu.Unlock()
	if readErr != nil {
		return nil, badRequest(readErr.Error())
	}
	if desc := spec.validate(p); desc != "" {
		return nil, badRequest(desc)
	}
	if spec.Name == "getUpdates" {
		return s.getUpdates(ctx, p)
	}
	s.mu.Lock()
	if f := s.rateLimitLocked(spec.Name, p, time.Now()); f != nil {
		s.mu.Unlock()
		return nil, f
	}
	s.mu.Unlock()
	h, ok := handlers[spec.Name]
	if !ok {
		return true, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	result, err := h(s, p)
	if err == nil {
		s.notifyLocked()
	}
	return result, err
}

func writeError(w http.ResponseWriter, e *apiError) {
	type parameters struct {
		RetryAfter int `json:"retry_after"`
	}
	body := struct {
		OK          bool        `json:"ok"`
		ErrorCode   int         `json:"error_code"`
		Description string      `json:"description"`
		Parameters  *parameters `json:"parameters,omitempty"`
	}{ErrorCode: e.code, Description: e.desc}
	if e.retryAfter > 0 {
		body.Parameters = &parameters{RetryAfter: e.retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	json.NewEncoder(w).Encode(body)
}

// getMe answers the bot's own user.
func (s *Server) getMe(*params) (any, *apiError) {
	return map[string]any{
		"id": s.bot.ID, "is_bot": true, "first_name": s.bot.FirstName, "username": s.bot.Username,
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
	}, nil
}

// BotCommand is one command of the bot's menu, as set by setMyCommands.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// CommandScope is the scope of a command menu (the Bot API's
// BotCommandScope): Type is "default", "all_private_chats",
// "all_group_chats", "all_chat_administrators", "chat",
// "chat_administrators" or "chat_member"; ChatID is set for the last three,
// UserID for chat_member.
type CommandScope struct {
	Type   string
	ChatID int64
	UserID int64
}

// Commands returns the commands last set with setMyCommands for the default
// scope and language.
func (s *Server) Commands() []BotCommand {
	return s.ScopedCommands(CommandScope{Type: "default"}, "")
}

// ScopedCommands returns the commands last set with setMyCommands for scope
// and language code ("" for all languages); nil when none were set.
func (s *Server) ScopedCommands(scope CommandScope, languageCode string) []BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BotCommand(nil), s.commands[scope.key()+"|"+languageCode]...)
}

// CommandScopes lists the scopes that have commands set, in any language.
func (s *Server) CommandScopes() []CommandScope {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[CommandScope]bool{}
	var out []CommandScope
	for k := range s.commands {
		var sc CommandScope
		scope, _, _ := strings.Cut(k, "|")
		parts := strings.Split(scope, "/")
		sc.Type = parts[0]
		if len(parts) > 1 {
			sc.ChatID, _ = strconv.ParseInt(parts[1], 10, 64)
		}
		if len(parts) > 2 {
			sc.UserID, _ = strconv.ParseInt(parts[2], 10, 64)
		}
		if !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	return out
}

func (sc CommandScope) key() string {
	switch sc.Type {
	case "chat", "chat_administrators":
		return fmt.Sprintf("%s/%d", sc.Type, sc.ChatID)
	case "chat_member":
		return fmt.Sprintf("%s/%d/%d", sc.Type, sc.ChatID, sc.UserID)
	}
	return sc.Type
}

// commandsKeyLocked validates the scope of a call on the command menus (a
// BotCommandScope object, as the Bot API defines it) and returns the key of
// its menu with the call's language. A scope naming a chat needs a chat the
// bot knows, as Telegram answers "chat not found" otherwise; a chat_member
// scope, a group.
func (s *Server) commandsKeyLocked(p *params) (string, *apiError) {
	sc := CommandScope{Type: "default"}
	if raw := p.get("scope"); raw != "" {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &obj) != nil || obj == nil {
			return "", badRequest("can't parse BotCommandScope JSON object")
		}
		if json.Unmarshal(obj["type"], &sc.Type) != nil {
			return "", badRequest("BotCommandScope type must be a string")
		}
		fields := map[string][]string{
			"default": nil, "all_private_chats": nil, "all_group_chats": nil, "all_chat_administrators": nil,
			"chat": {"chat_id"}, "chat_administrators": {"chat_id"}, "chat_member": {"chat_id", "user_id"},
		}
		want, known := fields[sc.Type]
		if !known {
			return "", badRequest("unsupported bot command scope type " + strconv.Quote(sc.Type))
		}
		if len(obj) != len(want)+1 {
			return "", badRequest(fmt.Sprintf("BotCommandScope of type %q takes exactly the fields %v", sc.Type, want))
		}
		for _, f := range want {
			var id int64
			if json.Unmarshal(obj[f], &id) != nil {
				return "", badRequest(fmt.Sprintf("BotCommandScope %s must be an integer", f))
			}
			if f == "chat_id" {
				sc.ChatID = id
			} else {
				sc.UserID = id
			}
		}
		if sc.ChatID != 0 {
			c := s.chats[sc.ChatID]
			if c == nil {
				return "", errChatNotFound
			}
			if sc.Type != "chat" && c.kind == "private" {
				return "", badRequest("can't use this scope in a private chat")
			}
		}
	}
	return sc.key() + "|" + p.get("language_code"), nil
}

func (s *Server) setMyCommands(p *params) (any, *apiError) {
	var cmds []BotCommand
	if err := json.Unmarshal([]byte(p.get("commands")), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands")
	}
	for _, c := range cmds {
		if c.Command == "" || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if c.Description == "" || utf16Len(c.Description) > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, err := s.commandsKeyLocked(p)
	if err != nil {
		return nil, err
	}
	s.commands[key] = cmds
	return true, nil
}

func (s *Server) getMyCommands(p *params) (any, *apiError) {
	key, err := s.commandsKeyLocked(p)
	if err != nil {
		return nil, err
	}
	cmds := s.commands[key]
	if cmds == nil {
		cmds = []BotCommand{}
	}
	return cmds, nil
}

func (s *Server) deleteMyCommands(p *params) (any, *apiError) {
	key, err := s.commandsKeyLocked(p)
	if err != nil {
		return nil, err
	}
	delete(s.commands, key)
	return true, nil
}
