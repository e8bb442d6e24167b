package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// DefaultEndpoint is Telegram's Bot API endpoint in tgbotapi's format.
const DefaultEndpoint = tgbotapi.APIEndpoint

// pollTimeout is the long-poll wait asked of getUpdates, in seconds.
const pollTimeout = 25

// apiClient is the HTTP client tgbotapi talks through. It fixes two defaults
// of the library: requests get a timeout (tgbotapi's has none), and getUpdates
// is tied to a context so shutdown interrupts a long poll at once, while sends
// in flight are left to finish. Errors never carry the bot token.
type apiClient struct {
	http    *http.Client
	token   string
	pollCtx context.Context
	// draining is set for the final getUpdates that confirms the last batch
	// on shutdown, which must go out although pollCtx is already cancelled.
	draining atomic.Bool
}

// Do sends one Bot API request.
func (c *apiClient) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/getUpdates") && c.pollCtx != nil && !c.draining.Load() {
		req = req.WithContext(c.pollCtx)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, redactedError{msg: redact(err.Error(), c.token), err: err}
	}
	return resp, nil
}

// redactedError keeps the chain for errors.Is (context cancellation) while
// its text has the token removed.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// redact removes every occurrence of the token from s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "<token>")
}

// Connect creates the tgbotapi client for token at endpoint (tgbotapi's
// "%s/bot%s/%s"-style format) and checks the token with getMe. Cancelling
// pollCtx aborts a long poll in progress; other requests are unaffected.
func Connect(pollCtx context.Context, token, endpoint string) (*tgbotapi.BotAPI, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	client := &apiClient{
		// The long poll waits pollTimeout seconds; allow that plus slack.
		http:    &http.Client{Timeout: (pollTimeout + 15) * time.Second},
		token:   token,
		pollCtx: pollCtx,
	}
	api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, client)
	if err != nil {
		var tgErr *tgbotapi.Error
		if errors.As(err, &tgErr) && tgErr.Code == http.StatusUnauthorized {
			return nil, errors.New("telegram rejected the bot token (401 Unauthorized)")
		}
		return nil, errors.New("cannot reach the Telegram Bot API: " + redact(err.Error(), token))
	}
	return api, nil
}
