package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
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
	}
	for _, name := range []string{"redis", "miniredis"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := engines[name](t)
			f(t, b, mustOpen(t, b.url))
		})
	}
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
	ks, err := s.Client().Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
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

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }
