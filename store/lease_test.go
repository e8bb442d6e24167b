package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/store"
)

func TestLease(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		must := func(ok bool, err error) bool {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		ttl := 200 * time.Millisecond
		if !must(s.AcquireLease(ctx, "poller", "a", ttl)) {
			t.Fatal("a could not acquire a free lease")
		}
		if must(s.AcquireLease(ctx, "poller", "b", ttl)) {
			t.Fatal("b acquired a held lease")
		}
		if !must(s.AcquireLease(ctx, "poller", "a", ttl)) {
			t.Error("holder could not re-acquire")
		}
		if must(s.RenewLease(ctx, "poller", "b", ttl)) {
			t.Error("b renewed a's lease")
		}
		if !must(s.RenewLease(ctx, "poller", "a", ttl)) {
			t.Error("a could not renew")
		}
		if err := s.ReleaseLease(ctx, "poller", "b"); err != nil { // not b's: no effect
			t.Fatal(err)
		}
		if must(s.AcquireLease(ctx, "poller", "b", ttl)) {
			t.Fatal("b's release freed a's lease")
		}
		if err := s.ReleaseLease(ctx, "poller", "a"); err != nil {
			t.Fatal(err)
		}
		if !must(s.AcquireLease(ctx, "poller", "b", ttl)) {
			t.Fatal("b could not acquire a released lease")
		}
		// b dies; the lease expires and a takes over; b can no longer renew.
		b.elapse(ttl + 50*time.Millisecond)
		if !must(s.AcquireLease(ctx, "poller", "a", ttl)) {
			t.Fatal("a could not take over an expired lease")
		}
		if must(s.RenewLease(ctx, "poller", "b", ttl)) {
			t.Error("b renewed a lease it lost")
		}
	})
}
