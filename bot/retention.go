package bot

import (
	"context"
	"time"

	"github.com/checkinbot/checkinbot/store"
)

// Retention runs hourly, in the instance holding the "retention" lease
// (longer than the period, so the holder keeps it and another instance
// takes over only when it is gone). A prune is idempotent, so a lease
// that changes hands mid-prune costs only duplicate work.
const (
	retentionFirst = time.Minute
	retentionEvery = time.Hour
	retentionLease = 90 * time.Minute
	retentionName  = "retention"
)

// retentionLoop deletes what is past the store's retention period,
// periodically, until ctx is cancelled; it releases the lease when it stops.
func (b *Bot) retentionLoop(ctx context.Context) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = b.store.ReleaseLease(rctx, retentionName, b.consumer)
	}()
	sleep(ctx, retentionFirst)
	for ctx.Err() == nil {
		b.pruneOnce(ctx)
		sleep(ctx, retentionEvery)
	}
}

func (b *Bot) pruneOnce(ctx context.Context) {
	held, err := b.store.AcquireLease(ctx, retentionName, b.consumer, retentionLease)
	if err != nil {
		b.log.Warn("retention: lease", "error", err.Error())
		return
	}
	if !held {
		return // another instance prunes
	}
	res, err := b.store.Prune(ctx)
	if err != nil {
		b.log.Error("retention: prune failed", "error", err.Error())
		return
	}
	if res != (store.PruneResult{}) {
		b.log.Info("retention: deleted", "answers", res.Answers, "checkins", res.CheckIns, "audit", res.Audit)
	}
}
