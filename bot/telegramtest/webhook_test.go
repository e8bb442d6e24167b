package telegramtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
)

var bob = telegramtest.User{ID: 1002, FirstName: "Bob"}

// hookRequest is one webhook request as the bot's handler saw it.
type hookRequest struct {
	UpdateID    int
	ChatID      int64
	Secret      string
	ContentType string
}

// hookBot is the bot side of a webhook: an httptest server whose answer the
// test decides per request.
type hookBot struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []hookRequest
	answer func(ctx context.Context, r hookRequest) int // status to answer; nil answers 200
}

// newHookBot starts the bot's webhook endpoint; call it before newBot so that
// the emulator closes first and aborts deliveries a handler may still hold.
func newHookBot(t *testing.T, answer func(ctx context.Context, r hookRequest) int) *hookBot {
	t.Helper()
	h := &hookBot{answer: answer}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var u tgbotapi.Update
		if err := json.Unmarshal(body, &u); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		req := hookRequest{UpdateID: u.UpdateID, Secret: r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), ContentType: r.Header.Get("Content-Type")}
		if u.Message != nil {
			req.ChatID = u.Message.Chat.ID
		}
		h.mu.Lock()
		h.got = append(h.got, req)
		h.mu.Unlock()
		status := http.StatusOK
		if h.answer != nil {
			status = h.answer(r.Context(), req)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookBot) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

func setWebhook(bot *tgbotapi.BotAPI, params tgbotapi.Params) error {
	_, err := bot.MakeRequest("setWebhook", params)
	return err
}

func waitConfirmed(t *testing.T, srv *telegramtest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.WaitConfirmed(ctx); err != nil {
		t.Fatalf("WaitConfirmed: %v (pending %d, deliveries %+v)", err, srv.Pending(), srv.Deliveries())
	}
}

// eventually polls cond until it holds, failing after a few seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestWebhookDeliversWithSecret(t *testing.T) {
	hook := newHookBot(t, nil)
	srv, bot := newBot(t)
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL + "/hook", "secret_token": "s3cret_Token-1"}); err != nil {
		t.Fatal(err)
	}
	id1 := srv.SendText(alice, "/start")
	id2 := srv.SendText(alice, "hello")
	waitConfirmed(t, srv)
	want := []hookRequest{
		{UpdateID: id1, ChatID: alice.ID, Secret: "s3cret_Token-1", ContentType: "application/json"},
		{UpdateID: id2, ChatID: alice.ID, Secret: "s3cret_Token-1", ContentType: "application/json"},
	}
	if got := hook.requests(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("requests = %+v, want %+v", got, want)
	}
	wantDeliveries := []telegramtest.Delivery{
		{UpdateID: id1, ChatID: alice.ID, Attempt: 1, Status: 200},
		{UpdateID: id2, ChatID: alice.ID, Attempt: 1, Status: 200},
	}
	if got := srv.Deliveries(); len(got) != 2 || got[0] != wantDeliveries[0] || got[1] != wantDeliveries[1] {
		t.Fatalf("Deliveries = %+v", got)
	}

	// Without a secret there is no header; tgbotapi's own helper sets the webhook.
	wh, _ := tgbotapi.NewWebhook(hook.srv.URL + "/plain")
	if _, err := bot.Request(wh); err != nil {
		t.Fatal(err)
	}
	srv.SendText(alice, "again")
	waitConfirmed(t, srv)
	if got := hook.requests(); len(got) != 3 || got[2].Secret != "" {
		t.Fatalf("requests = %+v", got)
	}
}

func TestWebhookKeepsPerChatOrder(t *testing.T) {
	release := make(chan struct{})
	aliceDone := make(chan int, 10)
	var mu sync.Mutex
	inFlight := map[int64]int{}
	hook := newHookBot(t, func(ctx context.Context, r hookRequest) int {
		mu.Lock()
		inFlight[r.ChatID]++
		if inFlight[r.ChatID] > 1 {
			t.Errorf("two deliveries at once for chat %d", r.ChatID)
		}
		mu.Unlock()
		defer func() { mu.Lock(); inFlight[r.ChatID]--; mu.Unlock() }()
		if r.ChatID == bob.ID {
			select { // Bob's chat is slow until released
			case <-release:
			case <-ctx.Done():
			}
			return http.StatusOK
		}
		aliceDone <- r.UpdateID
		return http.StatusOK
	})
	srv, bot := newBot(t)
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL}); err != nil {
		t.Fatal(err)
	}
	b1 := srv.SendText(bob, "b1")
	b2 := srv.SendText(bob, "b2")
	a1 := srv.SendText(alice, "a1")
	a2 := srv.SendText(alice, "a2")

	// Alice's chat proceeds while Bob's first update is held.
	for _, want := range []int{a1, a2} {
		select {
		case got := <-aliceDone:
			if got != want {
				t.Fatalf("alice got update %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("alice's update %d not delivered while bob's chat is slow", want)
		}
	}
	eventually(t, "alice's updates confirmed, bob's 2 pending", func() bool { return srv.Pending() == 2 })
	for _, r := range hook.requests() {
		if r.UpdateID == b2 {
			t.Fatal("bob's second update delivered before his first was answered")
		}
	}
	close(release)
	waitConfirmed(t, srv)
	var bobOrder []int
	for _, r := range hook.requests() {
		if r.ChatID == bob.ID {
			bobOrder = append(bobOrder, r.UpdateID)
		}
	}
	if len(bobOrder) != 2 || bobOrder[0] != b1 || bobOrder[1] != b2 {
		t.Fatalf("bob's updates arrived as %v, want [%d %d]", bobOrder, b1, b2)
	}
}

func TestWebhookRetriesFailedUpdate(t *testing.T) {
	var mu sync.Mutex
	failures := 2
	hook := newHookBot(t, func(context.Context, hookRequest) int {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	srv, bot := newBot(t, telegramtest.WithWebhookRetry(5*time.Millisecond))
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL}); err != nil {
		t.Fatal(err)
	}
	id1 := srv.SendText(alice, "first")
	id2 := srv.SendText(alice, "second")
	waitConfirmed(t, srv)

	var order []int
	for _, r := range hook.requests() {
		order = append(order, r.UpdateID)
	}
	if want := []int{id1, id1, id1, id2}; !slices.Equal(order, want) {
		t.Fatalf("delivered %v, want %v: the chat's next update waits for the retried one", order, want)
	}
	const wrong = "Wrong response from the webhook: 500 Internal Server Error"
	want := []telegramtest.Delivery{
		{UpdateID: id1, ChatID: alice.ID, Attempt: 1, Status: 500, Error: wrong},
		{UpdateID: id1, ChatID: alice.ID, Attempt: 2, Status: 500, Error: wrong},
		{UpdateID: id1, ChatID: alice.ID, Attempt: 3, Status: 200},
		{UpdateID: id2, ChatID: alice.ID, Attempt: 1, Status: 200},
	}
	got := srv.Deliveries()
	if len(got) != len(want) {
		t.Fatalf("Deliveries = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Deliveries[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	info, err := bot.GetWebhookInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.PendingUpdateCount != 0 || info.LastErrorMessage != wrong || info.LastErrorDate == 0 {
		t.Fatalf("info = %+v", info)
	}
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	hook := newHookBot(t, func(ctx context.Context, _ hookRequest) int {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			<-ctx.Done() // never answers in time
		}
		return http.StatusOK
	})
	srv, bot := newBot(t, telegramtest.WithWebhookRetry(time.Millisecond), telegramtest.WithWebhookTimeout(50*time.Millisecond))
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL}); err != nil {
		t.Fatal(err)
	}
	id := srv.SendText(alice, "hi")
	waitConfirmed(t, srv)
	got := srv.Deliveries()
	if len(got) != 2 || got[0].Status != 0 || got[0].Error != "Read timeout expired" || got[1].UpdateID != id || got[1].Attempt != 2 || got[1].Status != 200 {
		t.Fatalf("Deliveries = %+v", got)
	}
}

func TestWebhookDeleteStopsDelivery(t *testing.T) {
	hook := newHookBot(t, nil)
	srv, bot := newBot(t)
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL}); err != nil {
		t.Fatal(err)
	}
	_, err := bot.GetUpdates(tgbotapi.NewUpdate(0))
	wantAPIError(t, err, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")

	srv.SendText(alice, "delivered")
	waitConfirmed(t, srv)
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatal(err)
	}
	id := srv.SendText(alice, "polled")
	// The update waits for getUpdates: it was not posted to the webhook.
	if updates := getUpdates(t, bot, 0, 0); len(updates) != 1 || updates[0].UpdateID != id {
		t.Fatalf("getUpdates = %+v", updates)
	}
	if got := hook.requests(); len(got) != 1 {
		t.Fatalf("webhook got %d requests after deleteWebhook, want 1", len(got))
	}
	if info, _ := bot.GetWebhookInfo(); info.URL != "" || info.PendingUpdateCount != 1 {
		t.Fatalf("info = %+v", info)
	}
}

// deliveryHeld is an emulator whose webhook holds each delivery until the
// delivery is aborted; held receives when one arrives.
func deliveryHeld(t *testing.T) (*telegramtest.Server, *tgbotapi.BotAPI, <-chan struct{}) {
	t.Helper()
	held := make(chan struct{}, 1)
	hook := newHookBot(t, func(ctx context.Context, _ hookRequest) int {
		held <- struct{}{}
		<-ctx.Done()
		return http.StatusOK
	})
	srv, bot := newBot(t)
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL}); err != nil {
		t.Fatal(err)
	}
	return srv, bot, held
}

func TestWebhookDeleteAbortsDeliveryInFlight(t *testing.T) {
	srv, bot, held := deliveryHeld(t)
	id := srv.SendText(alice, "hi")
	<-held
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the aborted delivery", func() bool { return len(srv.Deliveries()) == 1 })
	if d := srv.Deliveries()[0]; d.UpdateID != id || d.Status != 0 || d.Error == "" {
		t.Fatalf("Deliveries = %+v", d)
	}
	if updates := getUpdates(t, bot, 0, 0); len(updates) != 1 || updates[0].UpdateID != id {
		t.Fatalf("the aborted update is not pending: %+v", updates)
	}
}

func TestWebhookDropPendingUpdates(t *testing.T) {
	hook := newHookBot(t, nil)
	srv, bot := newBot(t)
	srv.SendText(alice, "old")
	if _, err := bot.Request(tgbotapi.WebhookConfig{URL: mustParseURL(t, hook.srv.URL), DropPendingUpdates: true}); err != nil {
		t.Fatal(err)
	}
	id := srv.SendText(alice, "new")
	waitConfirmed(t, srv)
	if got := hook.requests(); len(got) != 1 || got[0].UpdateID != id {
		t.Fatalf("requests = %+v", got)
	}
}

func TestWebhookRejectsBadParameters(t *testing.T) {
	srv, bot := newBot(t)
	for _, tc := range []struct {
		params tgbotapi.Params
		desc   string
	}{
		{tgbotapi.Params{"url": "not a url"}, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"},
		{tgbotapi.Params{"url": "ftp://example.com/hook"}, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"},
		{tgbotapi.Params{"url": "https://"}, "Bad Request: bad webhook: Failed to resolve host"},
		{tgbotapi.Params{"url": "https://example.com/hook", "secret_token": "has space"}, "Bad Request: secret token contains unallowed characters"},
		{tgbotapi.Params{"url": "https://example.com/hook", "secret_token": "123:ABC"}, "Bad Request: secret token contains unallowed characters"},
		{tgbotapi.Params{"url": "https://example.com/hook", "secret_token": strings.Repeat("a", 257)}, "Bad Request: secret token is too long"},
		{tgbotapi.Params{"url": "https://example.com/hook", "allowed_updates": `{"message":1}`}, "Bad Request: invalid allowed_updates"},
	} {
		wantAPIError(t, setWebhook(bot, tc.params), 400, tc.desc)
	}
	if info, _ := bot.GetWebhookInfo(); info.IsSet() {
		t.Fatalf("a rejected setWebhook set the webhook: %+v", info)
	}
	srv.SendText(alice, "still polling")
	if updates := getUpdates(t, bot, 0, 0); len(updates) != 1 {
		t.Fatalf("getUpdates = %+v", updates)
	}

	// The longest allowed secret, an out-of-range max_connections (clamped
	// as Telegram does), and an empty url, which removes the webhook.
	if err := setWebhook(bot, tgbotapi.Params{"url": "https://example.com/hook", "secret_token": strings.Repeat("a", 256), "max_connections": "1000"}); err != nil {
		t.Fatal(err)
	}
	if info, _ := bot.GetWebhookInfo(); info.URL != "https://example.com/hook" || info.MaxConnections != 100 {
		t.Fatalf("info = %+v", info)
	}
	if err := setWebhook(bot, tgbotapi.Params{"url": ""}); err != nil {
		t.Fatal(err)
	}
	if info, _ := bot.GetWebhookInfo(); info.IsSet() {
		t.Fatalf("empty url did not remove the webhook: %+v", info)
	}
}

func TestWebhookInfoReportsPendingAndError(t *testing.T) {
	hook := newHookBot(t, func(context.Context, hookRequest) int { return http.StatusServiceUnavailable })
	srv, bot := newBot(t, telegramtest.WithWebhookRetry(time.Hour))
	if info, err := bot.GetWebhookInfo(); err != nil || info.IsSet() || info.PendingUpdateCount != 0 {
		t.Fatalf("info = %+v, %v", info, err)
	}
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL + "/x", "max_connections": "5", "allowed_updates": `["message","callback_query"]`}); err != nil {
		t.Fatal(err)
	}
	srv.SendText(alice, "1")
	srv.SendText(alice, "2")
	srv.SendText(bob, "3")
	eventually(t, "the first attempts", func() bool { return len(srv.Deliveries()) == 2 })
	info, err := bot.GetWebhookInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.URL != hook.srv.URL+"/x" || info.PendingUpdateCount != 3 || info.MaxConnections != 5 ||
		info.LastErrorMessage != "Wrong response from the webhook: 503 Service Unavailable" || info.LastErrorDate == 0 ||
		!slices.Equal(info.AllowedUpdates, []string{"message", "callback_query"}) {
		t.Fatalf("info = %+v", info)
	}
	if srv.Pending() != 3 {
		t.Fatalf("Pending = %d", srv.Pending())
	}
}

func TestWebhookAllowedUpdates(t *testing.T) {
	hook := newHookBot(t, nil)
	srv, bot := newBot(t)
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL, "allowed_updates": `["callback_query"]`}); err != nil {
		t.Fatal(err)
	}
	srv.SendText(alice, "not wanted")
	cb, err := srv.Queue(`{"callback_query":{"id":"77","from":{"id":1001,"is_bot":false,"first_name":"Alice"},"chat_instance":"1","data":"x"}}`)
	if err != nil {
		t.Fatal(err)
	}
	waitConfirmed(t, srv)
	if got := hook.requests(); len(got) != 1 || got[0].UpdateID != cb {
		t.Fatalf("requests = %+v", got)
	}

	// Without allowed_updates the previous setting stays; an empty list
	// restores Telegram's default, which leaves out reactions.
	if err := setWebhook(bot, tgbotapi.Params{"url": hook.srv.URL, "allowed_updates": `[]`}); err != nil {
		t.Fatal(err)
	}
	srv.Queue(`{"message_reaction":{"chat":{"id":1001,"type":"private"},"message_id":1,"date":1,"old_reaction":[],"new_reaction":[]}}`)
	msg := srv.SendText(alice, "wanted now")
	waitConfirmed(t, srv)
	if got := hook.requests(); len(got) != 2 || got[1].UpdateID != msg {
		t.Fatalf("requests = %+v", got)
	}
}

func TestWebhookMaxConnections(t *testing.T) {
	for _, tc := range []struct {
		maxConns string
		want     int
	}{{"1", 1}, {"", 3}} {
		var mu sync.Mutex
		inFlight, peak := 0, 0
		hook := newHookBot(t, func(ctx context.Context, _ hookRequest) int {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			// Hold each request until three are in flight or a moment has passed.
			for deadline := time.Now().Add(200 * time.Millisecond); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				mu.Lock()
				n := inFlight
				mu.Unlock()
				if n == 3 || ctx.Err() != nil {
					break
				}
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
			return http.StatusOK
		})
		srv, bot := newBot(t)
		params := tgbotapi.Params{"url": hook.srv.URL}
		params.AddNonEmpty("max_connections", tc.maxConns)
		if err := setWebhook(bot, params); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{-1001, -1002, -1003} {
			srv.SendGroupText(alice, id, "hi")
		}
		waitConfirmed(t, srv)
		mu.Lock()
		if peak != tc.want {
			t.Errorf("max_connections %q: %d concurrent deliveries, want %d", tc.maxConns, peak, tc.want)
		}
		mu.Unlock()
	}
}

func TestWebhookCloseAbortsDelivery(t *testing.T) {
	srv, _, held := deliveryHeld(t)
	srv.SendText(alice, "hi")
	<-held
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a delivery was in flight")
	}
}

func TestWebhookLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		held := make(chan struct{}, 1)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body) // the server notices the client leave once the body is read
			if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") == "hold" {
				held <- struct{}{}
				<-r.Context().Done()
			}
		}))
		defer hook.Close()
		srv := telegramtest.NewServer()
		defer srv.Close()
		bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(srv.Token(), srv.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		if err := setWebhook(bot, tgbotapi.Params{"url": hook.URL}); err != nil {
			t.Fatal(err)
		}
		srv.SendText(alice, "delivered")
		waitConfirmed(t, srv)
		if err := setWebhook(bot, tgbotapi.Params{"url": hook.URL, "secret_token": "hold"}); err != nil {
			t.Fatal(err)
		}
		srv.SendText(alice, "held at Close")
		<-held
		bot.Client.(*http.Client).CloseIdleConnections()
	}()
	eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
