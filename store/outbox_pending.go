package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// PendingOutbox returns up to count escalation outbox entries after the
// stream id after ("0" for all) that were delivered to consumer and never
// acknowledged: an earlier run of this
// instance (same consumer name) read them and stopped before delivering.
// A restart delivers them at once instead of waiting for OutboxMinIdle.
func (s *Store) PendingOutbox(ctx context.Context, consumer, after string, count int) ([]OutboxEntry, error) {
	streams, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: outboxGroup, Consumer: consumer, Streams: []string{keyOutbox, after},
		Count: int64(count), Block: -1,
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store.PendingOutbox: %w", err)
	}
	var out []OutboxEntry
	for _, st := range streams {
		out = append(out, outboxEntries(st.Messages)...)
	}
	return out, nil
}

// OutboxPending counts the escalation outbox entries read and not yet
// acknowledged (delivered), by any consumer.
func (s *Store) OutboxPending(ctx context.Context) (int64, error) {
	p, err := s.rdb.XPending(ctx, keyOutbox, outboxGroup).Result()
	if err != nil {
		return 0, fmt.Errorf("store.OutboxPending: %w", err)
	}
	return p.Count, nil
}
