package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// sender sends to Telegram within its rate limits and retries what is worth
// retrying: a 429 after the RetryAfter Telegram asks for, a 5xx or network
// error with backoff. A 4xx other than 429 is final (retrying cannot help).
// Telegram's limits are a scheduler (schedule.go's sendScheduler): a chat's
// calls go out in order, a 429 delays only its own chat, and when the
// overall budget is short the most urgent call goes first.
type sender struct {
	api      *tgbotapi.BotAPI
	tg       *botAPI                // the calls of an update's path, through api's client
	calls    *prometheus.CounterVec // by method and result
	sched    *sendScheduler
	log      *slog.Logger
	attempts int
	backoff  time.Duration
}

// Telegram allows about 30 messages a second across all chats; stay under it.
const defaultSendRate = 25

// newSender makes a sender of at most perSecond calls a second overall,
// and, when perChat is set, within Telegram's per-chat limits.
func newSender(api *tgbotapi.BotAPI, log *slog.Logger, perSecond float64, perChat bool) *sender {
	limits := telegramChatLimits
	if !perChat {
		limits = chatLimits{private: rate.Inf, group: rate.Inf}
	}
	return &sender{
		api:   api,
		tg:    newBotAPI(api),
		sched: newSendScheduler(perSecond, limits),
		log:   log,
		// With up to one call in five failing (429, 5xx), ten attempts
		// leave about one failure in ten million.
		attempts: 10,
		backoff:  200 * time.Millisecond,
	}
}

// send delivers a message and returns it as Telegram stored it, as far as
// the bot uses it: its MessageID. (tgbotapi's Send decodes the whole
// message Telegram echoes, twice over counting the response's own decode:
// a tenth of an update's CPU for one number; botapi.go decodes the id
// alone.)
func (s *sender) send(ctx context.Context, c tgbotapi.Chattable) (tgbotapi.Message, error) {
	var msg tgbotapi.Message
	err := s.scheduled(ctx, c, func() error {
		id, err := s.tg.call(c)
		msg.MessageID = id
		return err
	})
	return msg, err
}

// request performs a call whose result is not a message: answerCallbackQuery,
// edits, setMyCommands. (tgbotapi's Send fails to decode their results.)
func (s *sender) request(ctx context.Context, c tgbotapi.Chattable) error {
	return s.scheduled(ctx, c, func() error {
		_, err := s.tg.call(c)
		return err
	})
}

// scheduled runs call for c in its chat's turn and within the budgets.
func (s *sender) scheduled(ctx context.Context, c tgbotapi.Chattable, call func() error) error {
	return s.attempt(ctx, methodOf(c), sendKind(c), call)
}

// retry runs a call outside any chat (setWebhook, deleteWebhook) within
// the overall budget, with the retries of send.
func (s *sender) retry(ctx context.Context, method string, call func() error) error {
	return s.attempt(ctx, method, callKind{}, call)
}

func (s *sender) attempt(ctx context.Context, method string, kind callKind, call func() error) error {
	prio := priorityOf(ctx)
	turn, err := s.sched.enter(ctx, kind.chatID, prio)
	if err != nil {
		return err
	}
	defer turn.leave()
	wait := s.backoff
	charged := false // the budgets' tokens of a refused attempt, kept for its retry
	for attempt := 1; attempt <= s.attempts; attempt++ {
		if err = turn.await(ctx, kind, charged); err != nil {
			return err
		}
		err = call()
		charged = isRefused(err)
		if err == nil || isNotModified(err) {
			s.count(method, "ok")
			return nil
		}
		delay, retryable := retryDelay(err, wait)
		if !retryable {
			s.count(method, "failed")
			// Retrying the whole update cannot mend a refused request.
			return fmt.Errorf("%w: %w", errPermanent, err)
		}
		if attempt == s.attempts {
			s.count(method, "failed")
			break
		}
		s.count(method, "retried")
		s.log.Warn("telegram call failed, retrying", "method", method, "attempt", attempt,
			"delay", delay, "error", err.Error())
		if isTooMany(err) && !kind.free {
			// Telegram's wait applies to the chat it refused (or to
			// everything, for a call outside any chat); other chats go on.
			turn.holdOff(delay)
		} else if err := sleepCtx(ctx, delay); err != nil {
			return err
		}
		wait = min(wait*2, 2*time.Second)
	}
	return err
}

// sleepCtx waits d, or fails when ctx is done first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isRefused reports an answer by which Telegram refused a call without
// carrying it out (429, 5xx): it delivered no message, so the attempt used
// none of its budgets. (A network error may have reached Telegram.)
func isRefused(err error) bool {
	tgErr := telegramError(err)
	return tgErr != nil && (tgErr.Code == http.StatusTooManyRequests || tgErr.Code >= 500)
}

// telegramError is Telegram's refusal err carries, nil for none (and
// without an allocation for no error, the common case).
func telegramError(err error) *tgbotapi.Error {
	if err == nil {
		return nil
	}
	var tgErr *tgbotapi.Error
	if errors.As(err, &tgErr) {
		return tgErr
	}
	return nil
}

// isTooMany reports Telegram's 429.
func isTooMany(err error) bool {
	tgErr := telegramError(err)
	return tgErr != nil && tgErr.Code == http.StatusTooManyRequests
}

// count records a call's result in the metrics.
func (s *sender) count(method, result string) {
	if s.calls != nil {
		s.calls.WithLabelValues(method, result).Inc()
	}
}

// retryDelay says whether err is worth another try and after how long.
func retryDelay(err error, backoff time.Duration) (time.Duration, bool) {
	var tgErr *tgbotapi.Error
	if errors.As(err, &tgErr) {
		switch {
		case tgErr.Code == http.StatusTooManyRequests:
			if tgErr.RetryAfter > 0 {
				return time.Duration(tgErr.RetryAfter) * time.Second, true
			}
			return backoff, true
		case tgErr.Code >= 500:
			return backoff, true
		default:
			return 0, false
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	// Network errors and undecodable responses: the request may not have
	// arrived; try again.
	return backoff, true
}

// isNotModified reports Telegram's answer to an edit that changes nothing,
// which for us means the edit is already in place.
func isNotModified(err error) bool {
	tgErr := telegramError(err)
	return tgErr != nil && strings.Contains(tgErr.Message, "message is not modified")
}

// isUnreachable reports a chat the bot cannot write to (never started, or
// blocked): retrying will not help, another recipient might.
func isUnreachable(err error) bool {
	var tgErr *tgbotapi.Error
	return errors.As(err, &tgErr) && (tgErr.Code == http.StatusForbidden ||
		(tgErr.Code == http.StatusBadRequest && strings.Contains(tgErr.Message, "chat not found")))
}

// methodOf names a call for logs without its content.
func methodOf(c tgbotapi.Chattable) string {
	switch c.(type) {
	case tgbotapi.MessageConfig:
		return "sendMessage"
	case tgbotapi.EditMessageTextConfig:
		return "editMessageText"
	case tgbotapi.EditMessageReplyMarkupConfig:
		return "editMessageReplyMarkup"
	case tgbotapi.CallbackConfig:
		return "answerCallbackQuery"
	case tgbotapi.SetMyCommandsConfig:
		return "setMyCommands"
	default:
		return "other"
	}
}

// sendProtectedText sends a text message, with markup's buttons when it is
// not nil, with protect_content set, so Telegram offers no forwarding or
// saving; tgbotapi v5.5.1 has no field for it, hence the raw request. It
// returns the message sent.
func (b *Bot) sendProtectedText(ctx context.Context, chatID int64, text string, markup any) (tgbotapi.Message, error) {
	f := newForm(len(text))
	f.addInt("chat_id", chatID)
	f.add("text", text)
	f.addBool("protect_content", true)
	if !f.addMarkup(markup) {
		return tgbotapi.Message{}, fmt.Errorf("telegram: reply_markup %T has no JSON", markup)
	}
	var msg tgbotapi.Message
	err := b.send.attempt(ctx, "sendMessage", callKind{chatID: chatID, message: true}, func() error {
		id, err := b.send.tg.callForm("sendMessage", &f)
		msg.MessageID = id
		return err
	})
	return msg, err
}
