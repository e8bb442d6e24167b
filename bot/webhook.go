package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// secretHeader carries the webhook's secret token on every delivery.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBytes bounds a webhook request body; real updates are far smaller.
const maxUpdateBytes = 1 << 20

// WebhookHandler is the HTTP handler Telegram delivers updates to in webhook
// mode. It checks the secret token in constant time, handles the update
// completely, and only then answers 200: Telegram sends a chat's next update
// after the previous one was answered, so answering first would break the
// chat's order. Updates of one chat are also serialised within the
// instance, in case Telegram (or a retry) sends two at once. The flood limit
// applies as in long polling (intake.go); different chats never wait on
// each other, since each request is handled on its own.
func (b *Bot) WebhookHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(secretHeader)
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			b.log.Warn("webhook request with a wrong secret token refused")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var u tgbotapi.Update
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
		if err := dec.Decode(&u); err != nil || u.UpdateID <= 0 {
			b.log.Warn("webhook request that is not an update refused")
			http.Error(w, "bad request: expected a Telegram update", http.StatusBadRequest)
			return
		}
		if !b.intake.flood.admit(u, waitingUnknown) {
			// Over the chat's flood limit: dropped (and audited), and
			// confirmed so that Telegram moves on to the chat's next update.
			w.WriteHeader(http.StatusOK)
			return
		}
		unlock := b.chatLocks.lock(updateChatID(u))
		defer unlock()
		// Stop retrying when Telegram gives up on the request or the bot
		// stops; Telegram then delivers the update again later.
		stop, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-b.quit:
				cancel()
			case <-stop.Done():
			}
		}()
		if !b.handleWithRetry(stop, u, nil) {
			http.Error(w, "not handled yet", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// setWebhook registers url with Telegram together with its secret token.
// tgbotapi v5.5.1 knows no secret_token, hence the raw request.
func (b *Bot) setWebhook(ctx context.Context, url, secret string) error {
	allowed, _ := json.Marshal(allowedUpdates)
	params := tgbotapi.Params{
		"url":             url,
		"secret_token":    secret,
		"allowed_updates": string(allowed),
		"max_connections": strconv.Itoa(min(max(b.workers, 1), 100)),
	}
	return b.send.retry(ctx, "setWebhook", func() error {
		_, err := b.api.MakeRequest("setWebhook", params)
		return err
	})
}

// deleteWebhook switches Telegram back to getUpdates (which answers 409
// while a webhook is set), keeping the updates that are waiting.
func (b *Bot) deleteWebhook(ctx context.Context) error {
	return b.send.retry(ctx, "deleteWebhook", func() error {
		_, err := b.api.MakeRequest("deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"})
		return err
	})
}

// serveWebhook registers the webhook and waits for the end; the updates
// themselves arrive through WebhookHandler, served by the caller's HTTP
// server. The webhook stays set on shutdown: other instances serve it.
func (b *Bot) serveWebhook(ctx context.Context) error {
	if err := b.setWebhook(ctx, b.webhookURL, b.webhookSecret); err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return fmt.Errorf("setWebhook: %w", err)
	}
	b.log.Info("webhook registered")
	b.intake.flood.sweepEvery(ctx, floodQuiet/2)
	return nil
}
