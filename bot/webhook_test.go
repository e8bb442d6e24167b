package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// TestWebhookMode runs the bot with Telegram posting updates to its webhook
// (the emulator delivers like Telegram: per chat in order, retrying until
// answered 2xx): enrolment, a check-in and an escalation work as with long
// polling, and requests without the secret or with garbage are refused.
func TestWebhookMode(t *testing.T) {
	const secret = "s3cret-token-for-the-webhook-0123"
	// At machine speed, against an emulator without Telegram's limits.
	tg, hook := startWebhookBot(t, secret, func(c *bot.Config) { c.Unthrottled = true })

	expect := func(chatID int64, parts ...string) telegramtest.Message {
		t.Helper()
		return tg.ExpectMessage(t, chatID, wait, func(m telegramtest.Message) bool { return containsAll(m.Text, parts...) })
	}
	press := func(label, question string) {
		t.Helper()
		m := tg.ExpectMessage(t, patient.ID, wait, func(m telegramtest.Message) bool {
			return buttonData(m, label) != "" && strings.Contains(m.Text, question)
		})
		if _, err := tg.PressButton(patient, patient.ID, m.ID, buttonData(m, label)); err != nil {
			t.Fatal(err)
		}
	}

	tg.SendText(clinician, "/enroll P-0042")
	invite := expect(clinician.ID, "?start=")
	_, code, _ := strings.Cut(invite.Text, "?start=")
	tg.SendText(patient, "/start "+strings.Fields(code)[0])
	expect(patient.ID, "Welcome")
	for _, it := range flows.Default().Flow("intake").Items {
		press("No", it.Text)
	}
	expect(clinician.ID, "ROUTINE", "intake", "/clear P-0042")
	tg.SendText(clinician, "/clear P-0042 intake reviewed")
	expect(patient.ID, "cleared you")
	tg.SendText(patient, "/checkin")
	press("Yes", qSitter)
	press("Yes", qDriving)
	expect(patient.ID, qVitals)
	tg.SendText(patient, "128/82 72")
	press("No", qSubstance)
	press("No", qFasting)
	press("No", qHealth)
	press("Yes", qSelfHarm)
	expect(patient.ID, "988", "care team")
	expect(clinician.ID, "URGENT", "P-0042")

	for _, d := range tg.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v was not answered 200", d)
		}
	}
	if len(tg.Deliveries()) == 0 {
		t.Fatal("no update went through the webhook")
	}

	post := func(method, secretHeader, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, hook.URL+"/telegram", strings.NewReader(body))
		if secretHeader != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	update := `{"update_id": 999999, "message": {"message_id": 999, "date": 1, "chat": {"id": 1001, "type": "private"}, "from": {"id": 1001, "first_name": "Pat"}, "text": "/status"}}`
	for _, c := range []struct {
		method, secret, body string
		want                 int
	}{
		{http.MethodPost, "", update, http.StatusUnauthorized},
		{http.MethodPost, secret + "x", update, http.StatusUnauthorized},
		{http.MethodGet, secret, "", http.StatusMethodNotAllowed},
		{http.MethodPost, secret, "{not json", http.StatusBadRequest},
		{http.MethodPost, secret, `{"update_id": 0}`, http.StatusBadRequest},
		{http.MethodPost, secret, strings.Repeat("x", 2<<20), http.StatusBadRequest},
	} {
		if got := post(c.method, c.secret, c.body); got != c.want {
			t.Errorf("%s with secret %q and body %.20q: status %d, want %d", c.method, c.secret, c.body, got, c.want)
		}
	}
	// A well-formed update with the secret is handled like any other.
	if got := post(http.MethodPost, secret, update); got != http.StatusOK {
		t.Fatalf("valid update: status %d", got)
	}
	expect(patient.ID, "not in a check-in") // the /status reply
}

// startWebhookBot runs a bot in webhook mode on a fresh emulator (made with
// tgOpts) and returns the emulator and the bot's webhook server; adjust
// changes the bot's configuration.
func startWebhookBot(t *testing.T, secret string, adjust func(*bot.Config), tgOpts ...telegramtest.Option) (*telegramtest.Server, *httptest.Server) {
	t.Helper()
	var handler atomic.Pointer[http.Handler]
	// The bot's server is created before the emulator so that the emulator,
	// closed first, stops delivering before this server closes.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(hook.Close)
	tg := telegramtest.NewServer(tgOpts...)
	t.Cleanup(tg.Close)

	ctx, cancel := context.WithCancel(context.Background())
	p := flows.Default()
	p.SetOnCall("+1 555 010 0199")
	cfg := bot.Config{
		Protocol: p, Clinicians: []int64{clinician.ID},
		WebhookURL: hook.URL + "/telegram", WebhookSecret: secret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	b, _, _ := newTestBot(ctx, t, tg, redistest.Start(t), cfg)
	h := b.WebhookHandler(secret)
	handler.Store(&h)
	runInBackground(t, ctx, cancel, b, "Run")
	return tg, hook
}
