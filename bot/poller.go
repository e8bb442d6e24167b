package bot

import (
	"context"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// allowedUpdates are the only update kinds the bot asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// pollLoop is long polling written around getUpdates rather than tgbotapi's
// GetUpdatesChan, which confirms updates before they are handled and so loses
// them on a crash. The intake (intake.go) queues each chat's updates on its
// own and confirms an update (by the next offset asked for) only once it and
// every earlier one are settled, so a busy chat holds no other up.
//
// Telegram allows one long poller per bot token, so with several instances
// the poller is chosen by a lease in Redis; the others stand by (they still
// dispatch escalations and run timed jobs) and take over if it goes away.
func (b *Bot) pollLoop(ctx context.Context) error {
	backoff := time.Second
	defer b.releasePollLease()
	// getUpdates is refused while a webhook is set (say, by an earlier
	// deployment in webhook mode); remove it, keeping waiting updates.
	if err := b.deleteWebhook(ctx); err != nil && ctx.Err() == nil {
		b.log.Warn("deleteWebhook failed", "error", err.Error())
	}
	go b.intake.flood.sweepEvery(ctx, floodQuiet/2)
	for ctx.Err() == nil {
		if !b.holdPollLease(ctx) {
			sleep(ctx, standbyInterval)
			continue
		}
		if err := b.intake.pollOnce(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			delay, _ := retryDelay(err, backoff)
			b.log.Warn("getUpdates failed", "error", err.Error(), "retry_in", delay)
			sleep(ctx, delay)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
	}
	// Updates not settled yet stay unconfirmed: the next start (or
	// instance) gets them again.
	b.confirm(b.intake.shutdown())
	return nil
}

// pollLeaseTTL is how long the poller's lease lasts without renewal (it is
// renewed every leaseRenewEvery). After a crash, a restart under the same
// instance name takes it back at once; another instance waits this long.
const pollLeaseTTL = 60 * time.Second

// holdPollLease takes or extends the poller lease, reporting whether this
// instance may poll now. A Redis error counts as not holding it (polling
// without the lease could race another instance), except that a poller
// that holds the lease keeps polling until shortly before it would run out
// (nobody can take it sooner): intake, and so the crisis screen, must not
// wait for storage.
func (b *Bot) holdPollLease(ctx context.Context) bool {
	if b.polling && time.Until(b.leaseUntil) > pollLeaseTTL-leaseRenewEvery {
		return true // renewed a moment ago
	}
	asked := time.Now()
	lctx, cancel := context.WithTimeout(ctx, leaseCallTimeout)
	held, err := b.store.AcquireLease(lctx, pollLease, b.consumer, pollLeaseTTL)
	cancel()
	switch {
	case err == nil && held:
		b.leaseUntil = asked.Add(pollLeaseTTL)
	case err != nil:
		if ctx.Err() == nil {
			b.log.Warn("cannot take the poller lease", "error", err.Error())
		}
		held = b.polling && time.Now().Add(time.Duration(pollTimeout)*time.Second+leaseMargin).Before(b.leaseUntil)
	}
	if held != b.polling {
		b.polling = held
		b.log.Info("poller lease", "held", held)
	}
	return held
}

// releasePollLease lets another instance take over polling at once.
func (b *Bot) releasePollLease() {
	if !b.polling {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.store.ReleaseLease(ctx, pollLease, b.consumer); err != nil {
		b.log.Warn("cannot release the poller lease", "error", err.Error())
	}
}

// The poller renews its lease every leaseRenewEvery (not before every
// poll: one Redis call fewer, and a hung Redis does not hold intake up);
// leaseCallTimeout bounds the call, and leaseMargin is how long before the
// lease runs out a poller that cannot renew it stops.
const (
	leaseRenewEvery  = 5 * time.Second
	leaseCallTimeout = 500 * time.Millisecond
	leaseMargin      = 5 * time.Second
)

// standbyInterval is how often an instance without the poller lease tries
// to take it: how soon it takes over after the poller stops.
const standbyInterval = 2 * time.Second

// pollLease names the poller lease in Redis.
const pollLease = "poller"

// confirm tells Telegram the settled updates are done, so a restart does not see it
// again (it would be de-duplicated, but there is no need to).
func (b *Bot) confirm(offset int) {
	if offset == 0 {
		return
	}
	if c, ok := b.api.Client.(*apiClient); ok {
		c.draining.Store(true)
	}
	_, _ = b.api.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 1, Timeout: 0, AllowedUpdates: allowedUpdates})
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
