package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var errBadLease = errors.New("store: a lease needs an owner and a ttl of at least 1ms")

func redisZ(at time.Time, member string) redis.Z {
	return redis.Z{Score: float64(at.UnixMilli()), Member: member}
}

// AcquireLease takes the named lease for owner for ttl, reporting whether
// owner holds it now; an owner that already holds it extends it.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	return s.runLease(ctx, "store.AcquireLease", scriptAcquire, name, owner, ttl)
}

// RenewLease extends the named lease to ttl if owner still holds it, and
// reports whether it did.
func (s *Store) RenewLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	return s.runLease(ctx, "store.RenewLease", scriptRenew, name, owner, ttl)
}

// runLease runs a lease script that sets the named lease's ttl for owner
// and reports whether it did.
func (s *Store) runLease(ctx context.Context, op string, script *redis.Script, name, owner string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond || owner == "" {
		return false, errBadLease
	}
	ok, err := script.Run(ctx, s.rdb, []string{leaseKey(name)}, owner, ttl.Milliseconds()).Bool()
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	return ok, nil
}

// ReleaseLease gives up the named lease if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := scriptRelease.Run(ctx, s.rdb, []string{leaseKey(name)}, owner).Err(); err != nil {
		return fmt.Errorf("store.ReleaseLease: %w", err)
	}
	return nil
}
