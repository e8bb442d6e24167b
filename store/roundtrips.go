package store

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// roundTripCounter is a go-redis hook counting network round trips: a
// single command or a whole pipeline is one. It is what the "at most two
// round trips per update" budget is measured with.
type roundTripCounter struct{ n atomic.Int64 }

func (h *roundTripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// RoundTrips returns how many round trips to Redis this Store has made.
// A connection's opening handshake is not counted.
func (s *Store) RoundTrips() int64 { return s.trips.n.Load() }
