package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"syscall"
	"time"
)

// Defaults of webhook delivery; see WithWebhookRetry and WithWebhookTimeout.
const (
	defaultWebhookRetry   = 50 * time.Millisecond
	defaultWebhookTimeout = 5 * time.Second
	maxRetryDoublings     = 4 // the backoff grows to at most 16 times the first
)

// WithWebhookRetry sets how long webhook delivery waits before it retries an
// update the bot did not accept: d after the first failed attempt, doubling
// with every further one up to 16·d. The default is 50ms; Telegram waits
// much longer.
func WithWebhookRetry(d time.Duration) Option { return func(s *Server) { s.hookRetry = d } }

// WithWebhookTimeout sets how long a webhook request may take before it
// counts as failed and is retried; the default is 5s.
func WithWebhookTimeout(d time.Duration) Option { return func(s *Server) { s.hookTimeout = d } }

// Delivery is one POST of an update to the webhook, as the server recorded it
// when the request ended.
type Delivery struct {
	UpdateID int
	ChatID   int64  // the chat the update belongs to, 0 if none
	Attempt  int    // 1 for the first POST of the update, 2 for the first retry, ...
	Status   int    // HTTP status the bot answered, 0 if it did not answer
	Error    string // "" when Status is 2xx, else Telegram's last_error_message
}

// Deliveries returns the webhook requests made so far, in the order they ended.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// webhook is the webhook set by one successful setWebhook call.
type webhook struct {
	url      string
	secret   string
	maxConns int
	allowed  map[string]bool // update kinds delivered
	ctx      context.Context // cancelled when the webhook is replaced or removed
	cancel   context.CancelFunc
}

// defaultExcluded are the update kinds Telegram sends only when allowed_updates
// names them.
var defaultExcluded = map[string]bool{"chat_member": true, "message_reaction": true, "message_reaction_count": true}

func (h *webhook) allows(kind string) bool {
	if h.allowed == nil {
		return !defaultExcluded[kind]
	}
	return h.allowed[kind]
}

// setWebhook validates the webhook and starts delivering queued updates to
// it; an empty url removes the webhook, as Telegram does.
func (s *Server) setWebhook(p *params) (any, *apiError) {
	raw := p.get("url")
	if raw == "" {
		return s.deleteWebhook(p)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Opaque != "":
		// Telegram requires https; http is accepted because httptest serves it.
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	case u.Hostname() == "":
		return nil, badRequest("bad webhook: Failed to resolve host: Name or service not known")
	}
	secret := p.get("secret_token")
	if len(secret) > 256 {
		return nil, badRequest("secret token is too long")
	}
	for _, r := range secret {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return nil, badRequest("secret token contains unallowed characters")
		}
	}
	if p.has("allowed_updates") {
		var kinds []string
		if err := json.Unmarshal([]byte(p.get("allowed_updates")), &kinds); err != nil {
			return nil, badRequest("can't parse allowed updates JSON array")
		}
		if kinds != nil { // tgbotapi sends null when none are given
			s.allowedUpdates = kinds
		}
	}
	h := &webhook{url: u.String(), secret: secret, maxConns: 40}
	if p.has("max_connections") {
		h.maxConns = min(max(int(p.int64("max_connections")), 1), 100) // Telegram clamps
	}
	if len(s.allowedUpdates) > 0 {
		h.allowed = map[string]bool{}
		for _, k := range s.allowedUpdates {
			h.allowed[k] = true
		}
	}
	s.stopWebhookLocked()
	h.ctx, h.cancel = context.WithCancel(context.Background())
	s.webhook = h
	if p.bool("drop_pending_updates") {
		s.updates = nil
	}
	if !s.dispatching && !s.closedLocked() {
		s.dispatching = true
		s.wg.Add(1)
		go s.dispatch()
	}
	return true, nil
}

// deleteWebhook stops webhook delivery and optionally drops pending updates.
func (s *Server) deleteWebhook(p *params) (any, *apiError) {
	s.stopWebhookLocked()
	if p.bool("drop_pending_updates") {
		s.updates = nil
	}
	return true, nil
}

// stopWebhookLocked removes the webhook, aborting its requests in flight,
// and forgets the last delivery error and the retry schedule.
func (s *Server) stopWebhookLocked() {
	if s.webhook != nil {
		s.webhook.cancel()
		s.webhook = nil
	}
	s.lastErrorDate, s.lastErrorMessage = 0, ""
	for i := range s.updates {
		s.updates[i].retryAt = time.Time{}
	}
}

func (s *Server) closedLocked() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

func (s *Server) getWebhookInfo(*params) (any, *apiError) {
	info := map[string]any{"url": "", "has_custom_certificate": false, "pending_update_count": len(s.updates)}
	if h := s.webhook; h != nil {
		info["url"], info["max_connections"] = h.url, h.maxConns
		if s.lastErrorDate != 0 {
			info["last_error_date"], info["last_error_message"] = s.lastErrorDate, s.lastErrorMessage
		}
		if s.allowedUpdates != nil {
			info["allowed_updates"] = s.allowedUpdates
		}
	}
	return info, nil
}

// dispatch runs from the first setWebhook until Close, starting deliveries
// whenever the state changes or a retry is due.
func (s *Server) dispatch() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if s.closedLocked() {
			s.mu.Unlock()
			return
		}
		next := s.startDeliveriesLocked()
		changed := s.changed
		s.mu.Unlock()
		var due <-chan time.Time
		var timer *time.Timer
		if !next.IsZero() {
			timer = time.NewTimer(time.Until(next))
			due = timer.C
		}
		select {
		case <-changed:
		case <-due:
		case <-s.closing:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// startDeliveriesLocked starts a delivery for the oldest queued update of
// every chat that has none in flight, up to the webhook's max_connections,
// and returns when the earliest retry that has to wait is due.
func (s *Server) startDeliveriesLocked() (next time.Time) {
	h := s.webhook
	if h == nil || s.closedLocked() {
		return time.Time{}
	}
	kept := s.updates[:0]
	for _, u := range s.updates {
		if h.allows(u.kind) {
			kept = append(kept, u)
		}
	}
	if len(kept) < len(s.updates) {
		clear(s.updates[len(kept):])
		s.updates = kept
		s.notifyLocked() // for WaitConfirmed
	}
	now := time.Now()
	seen := map[string]bool{}
	for i := range s.updates {
		u := &s.updates[i]
		if seen[u.key] {
			continue // a chat's updates go one at a time, in order
		}
		seen[u.key] = true
		if _, busy := s.inflight[u.key]; busy {
			continue
		}
		if u.retryAt.After(now) {
			if next.IsZero() || u.retryAt.Before(next) {
				next = u.retryAt
			}
			continue
		}
		if len(s.inflight) >= h.maxConns {
			break
		}
		u.attempts++
		s.inflight[u.key] = u.id
		s.wg.Add(1)
		go s.deliver(h, *u)
	}
	return next
}

// deliver POSTs one update to the webhook and records the outcome: the update
// is confirmed on a 2xx answer and otherwise retried after a backoff.
func (s *Server) deliver(h *webhook, u update) {
	defer s.wg.Done()
	status, errMsg := s.post(h, u.raw)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[u.key] == u.id {
		delete(s.inflight, u.key)
	}
	ok := status >= 200 && status < 300
	if !ok && h.ctx.Err() != nil {
		errMsg = "Delivery aborted: webhook removed or server closed"
	}
	s.deliveries = append(s.deliveries, Delivery{UpdateID: u.id, ChatID: u.chatID, Attempt: u.attempts, Status: status, Error: errMsg})
	i := slices.IndexFunc(s.updates, func(q update) bool { return q.id == u.id })
	switch {
	case ok && i >= 0:
		s.updates = slices.Delete(s.updates, i, i+1)
	case !ok && s.webhook == h:
		s.lastErrorDate, s.lastErrorMessage = s.now().Unix(), errMsg
		if i >= 0 {
			s.updates[i].retryAt = time.Now().Add(s.hookRetry << min(u.attempts-1, maxRetryDoublings))
		}
	}
	s.notifyLocked()
}

// post sends one update and returns the answered status, or 0 and a
// description of the failure in Telegram's words.
func (s *Server) post(h *webhook, body []byte) (status int, errMsg string) {
	ctx, cancel := context.WithTimeout(h.ctx, s.hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return 0, "Failed to create request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	}
	resp, err := s.hookClient.Do(req)
	if err != nil {
		var netErr net.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
			return 0, "Read timeout expired"
		case errors.Is(err, syscall.ECONNREFUSED):
			return 0, "Connection refused"
		}
		return 0, "Connection failed: " + err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Sprintf("Wrong response from the webhook: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return resp.StatusCode, ""
}

// newHookClient returns the client webhook requests use; like Telegram it
// does not follow redirects.
func newHookClient() *http.Client {
	return &http.Client{
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// updateRouting returns an update's kind, e.g. "message", the chat it belongs
// to, and the key that orders its delivery: the chat, else the user, else the
// update alone.
func updateRouting(id int, raw json.RawMessage) (kind string, chatID int64, key string) {
	var obj map[string]json.RawMessage
	json.Unmarshal(raw, &obj)
	kinds := make([]string, 0, len(obj))
	for k := range obj {
		if k != "update_id" {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	if len(kinds) == 0 {
		return "", 0, fmt.Sprintf("update %d", id)
	}
	kind = kinds[0]
	type ref struct {
		ID int64 `json:"id"`
	}
	var body struct {
		Chat    *ref `json:"chat"`
		Message *struct {
			Chat *ref `json:"chat"`
		} `json:"message"`
		From *ref `json:"from"`
		User *ref `json:"user"`
	}
	json.Unmarshal(obj[kind], &body)
	switch {
	case body.Chat != nil:
		return kind, body.Chat.ID, fmt.Sprintf("chat %d", body.Chat.ID)
	case body.Message != nil && body.Message.Chat != nil:
		return kind, body.Message.Chat.ID, fmt.Sprintf("chat %d", body.Message.Chat.ID)
	case body.From != nil:
		return kind, 0, fmt.Sprintf("user %d", body.From.ID)
	case body.User != nil:
		return kind, 0, fmt.Sprintf("user %d", body.User.ID)
	}
	return kind, 0, fmt.Sprintf("update %d", id)
}
