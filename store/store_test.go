package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// backend is one Redis engine the suite runs against.
type backend struct {
	url  string
	mini *miniredis.Miniredis // nil for a real redis-server
}

// elapse lets d pass for key expiry: miniredis's clock is moved, a real
// server's TTLs run on the wall clock.
func (b backend) elapse(d time.Duration) {
	if b.mini != nil {
		b.mini.FastForward(d)
		return
	}
	time.Sleep(d)
}

// forEachBackend runs f against a fresh real redis-server and a fresh
// miniredis, with a store opened on each.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend, s *store.Store)) {
	t.Helper()
	engines := map[string]func(t *testing.T) backend{
		"redis": func(t *testing.T) backend { return backend{url: redistest.Start(t)} },
		"miniredis": func(t *testing.T) backend {
			url, m := redistest.StartMini(t)
			return backend{url: url, mini: m}
		},
		// A Redis Cluster refuses a script or a MULTI whose keys are in more
		// than one slot (CROSSSLOT): the suite on it checks that every one
		// of them touches one slot.
		"cluster": sharedCluster,
	}
	for _, name := range []string{"redis", "miniredis", "cluster"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := engines[name](t)
			f(t, b, mustOpen(t, b.url))
		})
	}
}

// cluster is the one Redis Cluster of the suite's "cluster" backend: a
// cluster takes two seconds to form, so the tests take turns on one,
// flushed for each.
var cluster struct {
	once sync.Once
	c    *redistest.Cluster
	err  error
	turn sync.Mutex
}

func sharedCluster(t *testing.T) backend {
	cluster.once.Do(func() { cluster.c, cluster.err = redistest.NewCluster() })
	if cluster.err != nil {
		t.Fatalf("redistest: %v", cluster.err)
	}
	cluster.turn.Lock()
	t.Cleanup(cluster.turn.Unlock) // after the test's store is closed
	if err := cluster.c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return backend{url: cluster.c.URL}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cluster.c != nil {
		cluster.c.Close()
	}
	os.Exit(code)
}

func mustOpen(tb testing.TB, url string) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// keys lists every key in the database.
func keys(t *testing.T, s *store.Store) []string {
	t.Helper()
	return allKeys(t, s.Client())
}

// flushAll deletes every key s reaches: on a cluster, every master's.
func flushAll(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	var err error
	if cc, ok := s.Client().(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.FlushDB(ctx).Err() })
	} else {
		err = s.Client().FlushDB(ctx).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// allKeys returns every key c reaches: on a cluster, every master's.
func allKeys(t *testing.T, c redis.UniversalClient) []string {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var out []string
	each := func(ctx context.Context, n *redis.Client) error {
		ks, err := n.Keys(ctx, "*").Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, each)
	} else {
		err = each(ctx, c.(*redis.Client))
	}
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	redistest.WaitFor(t, 5*time.Second, what, cond)
}

func TestOpenErrorHidesPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, url := range []string{
		"redis://:hunter2secret@127.0.0.1:1/0",         // nothing listens on port 1
		"redis://user:hunter2secret@127.0.0.1:1/0\x7f", // invalid URL
		"redis://user:hunter2secret@[::1/0",            // invalid URL
	} {
		_, err := store.Open(ctx, url)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("Open error leaks the password: %v", err)
		}
	}
}

func TestOpenPrepareIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		if err := s.Prepare(context.Background()); err != nil {
			t.Fatalf("second Prepare: %v", err)
		}
		s2 := mustOpen(t, b.url)
		if err := s2.Prepare(context.Background()); err != nil {
			t.Fatalf("Prepare on a second store: %v", err)
		}
	})
}

// errOf is the error of a call whose value a test does not need.
func errOf[T any](_ T, err error) error { return err }

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }

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

func TestSaveProtocol(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ backend, s *store.Store) {
		ctx := context.Background()
		if _, err := s.Protocol(ctx, "v1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown version: %v, want ErrNotFound", err)
		}
		v1 := []byte("version: v1\n")
		if err := s.SaveProtocol(ctx, "v1", v1); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveProtocol(ctx, "v1", v1); err != nil {
			t.Fatalf("saving the same content again: %v", err)
		}
		if err := s.SaveProtocol(ctx, "v1", []byte("version: v1\n# edited\n")); !errors.Is(err, store.ErrVersionReused) {
			t.Fatalf("other content under v1: %v, want ErrVersionReused", err)
		}
		got, err := s.Protocol(ctx, "v1")
		if err != nil || string(got) != string(v1) {
			t.Fatalf("Protocol(v1) = %q, %v", got, err)
		}
	})
}
