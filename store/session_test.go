package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func sampleSession() flows.Session {
	return flows.Session{
		Flow: flows.FlowPreDose, State: "bp", Run: "r1", ProtocolVersion: "1",
		StartedAt: t0,
		Answers:   []flows.Answer{{Flow: flows.FlowPreDose, Run: "r1", Item: "fasted", Value: "yes", Display: "Yes", At: t0, ProtocolVersion: "1"}},
		Tries:     map[string]int{"bp": 1},
		Prompt:    &flows.Reply{Text: "Your blood pressure?", Buttons: [][]flows.Button{{{Label: "Skip", Data: "x"}}}},
	}
}

func TestLoadUnknownChatWritesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		before := keys(t, s)
		snap, err := s.Load(ctx, 4242, 7)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Version != 0 || snap.Seen || snap.Patient != "" || !reflect.DeepEqual(snap.Session, flows.Session{}) {
			t.Errorf("unknown chat: got %+v", snap)
		}
		if after := keys(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("Load wrote keys: before %v, after %v", before, after)
		}
	})
}

func TestCommitLoadRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		const chat = -1001234567890
		sess := sampleSession()
		res, err := s.Commit(ctx, store.Commit{ChatID: chat, UpdateID: 10, Version: 0, Session: sess,
			Answers: sess.Answers})
		if err != nil {
			t.Fatal(err)
		}
		if res.Version != 1 || len(res.EscalationIDs) != 0 {
			t.Errorf("result %+v", res)
		}
		snap, err := s.Load(ctx, chat, 11)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Version != 1 || snap.Seen || snap.ChatID != chat {
			t.Errorf("snapshot %+v", snap)
		}
		if !reflect.DeepEqual(snap.Session, sess) {
			t.Errorf("session:\n got %+v\nwant %+v", snap.Session, sess)
		}
		// A commit with no update id bumps the version only.
		sess.State = "vitals"
		if res, err = s.Commit(ctx, store.Commit{ChatID: chat, Version: 1, Session: sess}); err != nil || res.Version != 2 {
			t.Fatalf("save session: %+v %v", res, err)
		}
		snap, _ = s.Load(ctx, chat, 10)
		if snap.Session.State != "vitals" || !snap.Seen {
			t.Errorf("after save: %+v", snap)
		}
		for _, k := range keys(t, s) {
			if k == "ck:{c:-1001234567890}:session" {
				return
			}
		}
		t.Errorf("session key not under the chat's hash tag: %v", keys(t, s))
	})
}

func TestCommitConflictWritesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		if _, err := s.Commit(ctx, store.Commit{ChatID: 1, UpdateID: 1, Session: sampleSession()}); err != nil {
			t.Fatal(err)
		}
		before := dump(t, s)
		_, err := s.Commit(ctx, store.Commit{
			ChatID: 1, UpdateID: 2, Version: 0, // stale: the stored version is 1
			Session:     flows.Session{Flow: "other"},
			Answers:     []flows.Answer{{Item: "x"}},
			Completion:  &flows.Completion{Flow: "f"},
			Escalations: []store.NewEscalation{{Escalation: flows.Escalation{Level: flows.Urgent}, ChatID: 1}},
			Jobs:        []flows.Job{{Kind: "k", Due: t0}},
		})
		isErr(t, err, store.ErrConflict)
		if after := dump(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("conflicting commit wrote:\nbefore %v\nafter  %v", before, after)
		}
	})
}

// dump returns every key with its type and size, to compare database states.
func dump(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range keys(t, s) {
		typ := s.Client().Type(ctx, k).Val()
		var v any
		switch typ {
		case "hash":
			v = s.Client().HGetAll(ctx, k).Val()
		case "list":
			v = s.Client().LRange(ctx, k, 0, -1).Val()
		case "zset":
			v = s.Client().ZRangeWithScores(ctx, k, 0, -1).Val()
		case "stream":
			v = s.Client().XLen(ctx, k).Val()
		default:
			v = s.Client().Get(ctx, k).Val()
		}
		out[k] = typ + " " + fmtAny(v)
	}
	return out
}

func TestUpdateDeduplication(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		if _, err := s.Commit(ctx, store.Commit{ChatID: 5, UpdateID: 100, Session: sampleSession()}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			update int
			seen   bool
		}{{99, true}, {100, true}, {101, false}, {0, false}} {
			snap, err := s.Load(ctx, 5, tc.update)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Seen != tc.seen {
				t.Errorf("update %d: Seen = %v, want %v", tc.update, snap.Seen, tc.seen)
			}
		}
		// Another chat's update ids are independent.
		if snap, _ := s.Load(ctx, 6, 50); snap.Seen {
			t.Error("chat 6 sees chat 5's updates")
		}
		// Committing an update already committed is refused even at the right version.
		_, err := s.Commit(ctx, store.Commit{ChatID: 5, UpdateID: 100, Version: 1, Session: sampleSession()})
		isErr(t, err, store.ErrDuplicate)
	})
}

func TestHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		v := int64(0)
		var answers []flows.Answer
		for i := range 5 {
			a := flows.Answer{Flow: flows.FlowPHQ9, Run: "r", Item: "q" + string(rune('1'+i)), Value: "2", At: t0.Add(time.Duration(i) * time.Minute)}
			answers = append(answers, a)
			c := store.Commit{ChatID: 9, UpdateID: i + 1, Version: v, Session: sampleSession(), Answers: []flows.Answer{a}}
			if i == 4 {
				c.Completion = &flows.Completion{Flow: flows.FlowPHQ9, Run: "r", Outcome: flows.OutcomeCompleted,
					Score: &flows.Score{Instrument: "PHQ-9", Total: 10, Band: "moderate"}, StartedAt: t0, EndedAt: a.At, Answers: answers}
			}
			res, err := s.Commit(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			v = res.Version
		}
		got, err := s.Answers(ctx, 9, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, answers[3:]) {
			t.Errorf("last 2 answers: got %+v", got)
		}
		if all, _ := s.Answers(ctx, 9, 0); len(all) != 5 {
			t.Errorf("all answers: %d", len(all))
		}
		cs, err := s.CheckIns(ctx, 9, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Score.Total != 10 || len(cs[0].Answers) != 5 || !cs[0].EndedAt.Equal(answers[4].At) {
			t.Errorf("check-ins: %+v", cs)
		}
	})
}

func TestRoundTrips(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		// Warm up: a fresh connection's handshake (HELLO) is not per-update cost.
		if _, err := s.Load(ctx, 3, 0); err != nil {
			t.Fatal(err)
		}
		c := store.Commit{ChatID: 3, UpdateID: 1, Session: sampleSession(), Answers: sampleSession().Answers,
			Escalations: []store.NewEscalation{{Escalation: flows.Escalation{Level: flows.High, At: t0}, Patient: "P-1", ChatID: 3}},
			Jobs:        []flows.Job{{Kind: "followup", Due: t0.Add(time.Hour)}}}
		for i := 1; i <= 3; i++ {
			before := s.RoundTrips()
			snap, err := s.Load(ctx, 3, i)
			if err != nil {
				t.Fatal(err)
			}
			if n := s.RoundTrips() - before; n != 1 {
				t.Errorf("Load took %d round trips, want 1", n)
			}
			before = s.RoundTrips()
			c.UpdateID, c.Version = i, snap.Version
			if _, err := s.Commit(ctx, c); err != nil {
				t.Fatal(err)
			}
			if n := s.RoundTrips() - before; n != 1 {
				t.Errorf("Commit took %d round trips, want 1", n)
			}
		}
	})
}

// BenchmarkLoadCommit measures one update's storage cost; the "+key" runs
// seal the session and the answer (DATA_KEYS set).
func BenchmarkLoadCommit(b *testing.B) {
	for _, name := range []string{"redis", "miniredis", "redis+key", "miniredis+key"} {
		b.Run(name, func(b *testing.B) {
			var url string
			if strings.HasPrefix(name, "redis") {
				url = redistest.Start(b)
			} else {
				url, _ = redistest.StartMini(b)
			}
			s := mustOpen(b, url)
			if strings.HasSuffix(name, "+key") {
				c, err := store.NewCipher(testKey(1))
				if err != nil {
					b.Fatal(err)
				}
				s.Cipher = c
			}
			ctx := context.Background()
			sess := sampleSession()
			ans := sess.Answers
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				snap, err := s.Load(ctx, 77, i+1)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Commit(ctx, store.Commit{ChatID: 77, UpdateID: i + 1, Version: snap.Version, Session: sess, Answers: ans}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestScriptCacheLost(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		// A restarted or failed-over Redis has no scripts: EVALSHA falls back to EVAL.
		if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, store.Commit{ChatID: 1, UpdateID: 1, Session: sampleSession()}); err != nil {
			t.Fatalf("commit after SCRIPT FLUSH: %v", err)
		}
	})
}
