package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// fakeClock is a settable clock for Store.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// commitDay commits one answer (and, when done, a check-in) for chat at the
// clock's time.
func commitDay(t *testing.T, s *store.Store, chat int64, item string, done bool) {
	t.Helper()
	ctx := context.Background()
	snap, err := s.Load(ctx, chat, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := flows.Answer{Flow: "f", Run: item, Item: item, Value: "v", At: s.Now()}
	c := store.Commit{ChatID: chat, Version: snap.Version, Session: sampleSession(), Answers: []flows.Answer{a}}
	if done {
		c.Completion = &flows.Completion{Flow: "f", Run: item, Outcome: flows.OutcomeCompleted, EndedAt: s.Now()}
	}
	if _, err := s.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func items(t *testing.T, s *store.Store, chat int64) (answers, checkins []string) {
	t.Helper()
	ctx := context.Background()
	as, err := s.Answers(ctx, chat, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		answers = append(answers, a.Item)
	}
	cs, err := s.CheckIns(ctx, chat, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		checkins = append(checkins, c.Run)
	}
	return answers, checkins
}

func TestRetention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		for _, withKey := range []bool{false, true} {
			t.Run(fmt.Sprint("key=", withKey), func(t *testing.T) {
				flushAll(t, s)
				clock := &fakeClock{t: t0}
				s.Now = clock.Now
				s.Retention = 30 * 24 * time.Hour
				s.Cipher = nil
				if withKey {
					s.Cipher = testCipher(t, 1)
				}
				day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
				// Chat 1 checks in on days 0, 10, 20 and 40; chat 2 on day 5 only.
				for _, d := range []int{0, 10, 20, 40} {
					clock.Set(day(d))
					commitDay(t, s, 1, fmt.Sprint("d", d), d != 10)
				}
				clock.Set(day(5))
				commitDay(t, s, 2, "d5", true)

				// Day 45: the cutoff is day 15.
				clock.Set(day(45))
				pruned(t, s, 3, 2)
				as, cs := items(t, s, 1)
				if !slices.Equal(as, []string{"d20", "d40"}) || !slices.Equal(cs, []string{"d20", "d40"}) {
					t.Errorf("chat 1 kept answers %v, check-ins %v", as, cs)
				}
				if as, cs := items(t, s, 2); len(as)+len(cs) != 0 {
					t.Errorf("chat 2 kept %v %v", as, cs)
				}
				for _, k := range keys(t, s) {
					if k == "ck:{c:2}:answers" || k == "ck:{c:2}:checkins" {
						t.Errorf("emptied list %s left behind", k)
					}
				}
				// The session is state, not history: it stays.
				if snap, _ := s.Load(ctx, 2, 0); snap.Version != 1 {
					t.Errorf("chat 2 session version %d", snap.Version)
				}
				// Idempotent; a day later nothing more is due.
				clock.Set(day(46))
				if res, err := s.Prune(ctx); err != nil || res != (store.PruneResult{}) {
					t.Errorf("second prune %+v %v", res, err)
				}
				// Day 51: the day-20 entries go; chat 2 commits again and is kept.
				clock.Set(day(51))
				commitDay(t, s, 2, "d51", false)
				pruned(t, s, 1, 1)
				if as, _ := items(t, s, 1); !slices.Equal(as, []string{"d40"}) {
					t.Errorf("chat 1 on day 51: %v", as)
				}
				if as, _ := items(t, s, 2); !slices.Equal(as, []string{"d51"}) {
					t.Errorf("chat 2 on day 51: %v", as)
				}
			})
		}
	})
}

// TestRetentionLegacyEntries: history written before entries carried their
// time (plain JSON, no index) is dated from its JSON, including in a chat
// that never commits again.
func TestRetentionLegacyEntries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		clock := &fakeClock{t: t0}
		s.Now = clock.Now
		s.Retention = 7 * 24 * time.Hour
		s.Cipher = testCipher(t, 1)
		rdb := s.Client()
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		for _, d := range []int{0, 5, 9} {
			js, _ := json.Marshal(flows.Answer{Item: fmt.Sprint("d", d), At: day(d)})
			rdb.RPush(ctx, "ck:{c:7}:answers", js) // an idle chat
			rdb.RPush(ctx, "ck:{c:8}:answers", js) // a chat that commits again
			cs, _ := json.Marshal(flows.Completion{Run: fmt.Sprint("d", d), EndedAt: day(d)})
			rdb.RPush(ctx, "ck:{c:7}:checkins", cs)
		}
		clock.Set(day(10))
		commitDay(t, s, 8, "d10", false)

		clock.Set(day(14)) // the cutoff is day 7
		pruned(t, s, 4, 2)
		as, cs := items(t, s, 7)
		if !slices.Equal(as, []string{"d9"}) || !slices.Equal(cs, []string{"d9"}) {
			t.Errorf("idle chat kept %v %v", as, cs)
		}
		if as, _ := items(t, s, 8); !slices.Equal(as, []string{"d9", "d10"}) {
			t.Errorf("active chat kept %v", as)
		}
		clock.Set(day(17))
		pruned(t, s, 2, 1)
		if as, _ := items(t, s, 8); !slices.Equal(as, []string{"d10"}) {
			t.Errorf("active chat on day 17: %v", as)
		}
	})
}

// TestRetentionAudit: audit entries are trimmed by their stream id, the
// server's clock; the store's clock is moved past the period to test it.
func TestRetentionAudit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.Retention = 7 * 24 * time.Hour
		for i := range 3 {
			if err := s.Audit(ctx, "test.event", map[string]string{"n": fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		s.Now = func() time.Time { return now.Add(s.Retention - time.Hour) }
		if res, err := s.Prune(ctx); err != nil || res.Audit != 0 {
			t.Fatalf("within the period: %+v %v", res, err)
		}
		if log, _ := s.AuditLog(ctx, 0); len(log) != 3 {
			t.Fatalf("audit kept %d", len(log))
		}
		s.Now = func() time.Time { return now.Add(s.Retention + time.Hour) }
		if res, err := s.Prune(ctx); err != nil || res.Audit != 3 {
			t.Fatalf("past the period: %+v %v", res, err)
		}
		if log, _ := s.AuditLog(ctx, 0); len(log) != 0 {
			t.Fatalf("audit kept %d", len(log))
		}
	})
}

// pruned prunes once and checks how many answers and check-ins went.
func pruned(t *testing.T, s *store.Store, answers, checkIns int64) {
	t.Helper()
	res, err := s.Prune(context.Background())
	if err != nil || res.Answers != answers || res.CheckIns != checkIns {
		t.Errorf("pruned %+v (%v), want %d answers and %d check-ins", res, err, answers, checkIns)
	}
}
