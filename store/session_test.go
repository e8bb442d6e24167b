package store_test

import (
	"context"
	"errors"
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

// TestLoadUnknownChatWritesNothing: a Load writes no data; the one thing
// it writes, the chat's mark for the sweeper (relay.go), goes at the first
// sweep after its grace.
func TestLoadUnknownChatWritesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		now := t0
		s.Now = func() time.Time { return now }
		before := dump(t, s)
		snap, err := s.Load(ctx, 4242, 7)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Version != 0 || snap.Seen || snap.Patient != "" || !reflect.DeepEqual(snap.Session, flows.Session{}) {
			t.Errorf("unknown chat: got %+v", snap)
		}
		if chats, err := s.ChatsWithUnsentReplies(ctx); err != nil || len(chats) != 0 {
			t.Errorf("chats with unsent replies %v (err %v), want none", chats, err)
		}
		now = now.Add(s.UnsentGrace() + time.Second)
		if chats, err := s.ClaimUnsentReplies(ctx, 10); err != nil || len(chats) != 0 {
			t.Errorf("claimed %v (err %v), want none", chats, err)
		}
		if after := dump(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("Load and a sweep wrote: before %v, after %v", before, after)
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
			Marked:      true, // as after the Load of an enrolled chat (an unmarked commit marks the chat first)
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
		isErr(t, errOf(s.Commit(ctx, store.Commit{ChatID: 5, UpdateID: 100, Version: 1, Session: sampleSession()})), store.ErrDuplicate)
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
		// An enrolled chat: its Load marks it for the sweeper, so its commit
		// need not. Warm up too: a fresh connection's handshake (HELLO) is
		// not per-update cost.
		if _, err := s.Redeem(ctx, mustInvite(t, s, "P-3", time.Hour), 3); err != nil {
			t.Fatal(err)
		}
		c := store.Commit{ChatID: 3, UpdateID: 1, Session: sampleSession(), Answers: sampleSession().Answers,
			Escalations: []store.NewEscalation{{Escalation: flows.Escalation{Level: flows.High, At: t0}, Patient: "P-1", ChatID: 3}},
			Jobs:        []flows.Job{{Kind: "followup", Due: t0.Add(time.Hour)}}}
		// A commit with global effects (an escalation, a job) takes a
		// second round trip, its relay (relay.go); one without, none.
		want := 2
		for i := 1; i <= 4; i++ {
			if i == 4 {
				c.Escalations, c.Jobs, want = nil, nil, 1
			}
			before := s.RoundTrips()
			snap, err := s.Load(ctx, 3, i)
			if err != nil {
				t.Fatal(err)
			}
			if n := s.RoundTrips() - before; n != 1 {
				t.Errorf("Load took %d round trips, want 1", n)
			}
			before = s.RoundTrips()
			if !snap.Marked {
				t.Errorf("the Load of an enrolled chat did not mark it")
			}
			c.UpdateID, c.Version, c.RelayedUpTo, c.Marked = i, snap.Version, snap.RelayedUpTo, snap.Marked
			if _, err := s.Commit(ctx, c); err != nil {
				t.Fatal(err)
			}
			if n := s.RoundTrips() - before; n != int64(want) {
				t.Errorf("Commit %d took %d round trips, want %d", i, n, want)
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
		// Load and the sweeper pipeline their scripts: they load them again.
		for _, f := range []func() error{
			func() error { return errOf(s.Load(ctx, 1, 0)) },
			func() error { return s.MarkRepliesSent(ctx, map[int64]int64{1: 1}) },
			func() error { return errOf(s.ChatsWithUnsentReplies(ctx)) },
		} {
			if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := f(); err != nil {
				t.Fatalf("after SCRIPT FLUSH: %v", err)
			}
		}
	})
}

// TestCommitWritesAuditEvents: a gate change reaches the audit stream in
// the commit that makes it, with the chat and the time, and a conflicting
// commit writes neither.
func TestCommitWritesAuditEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		audit := []flows.AuditEvent{
			{Event: flows.AuditGateClosed, Fields: map[string]string{"reason": "crisis", "by": "engine"}},
			{Event: flows.AuditGateOpened, Fields: map[string]string{"reason": "dosed", "by": "interval", "chat": "forged"}},
		}
		sess := sampleSession()
		if _, err := s.Commit(ctx, store.Commit{ChatID: 77, UpdateID: 1, Session: sess, Audit: audit,
			Jobs: []flows.Job{{Kind: "k", Due: t0}}}); err != nil {
			t.Fatal(err)
		}
		isErr(t, errOf(s.Commit(ctx, store.Commit{ChatID: 77, UpdateID: 2, Version: 0, Session: sess, Audit: audit})), store.ErrConflict)
		log, err := s.AuditLog(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 {
			t.Fatalf("audit log = %+v, want the first commit's 2 events", log)
		}
		for i, want := range []map[string]string{{"reason": "crisis", "by": "engine"}, {"reason": "dosed", "by": "interval"}} {
			e := log[i]
			if e.Event != audit[i].Event || e.Fields["chat"] != "77" || e.Fields["at"] == "" {
				t.Errorf("event %d = %+v", i, e)
			}
			for k, v := range want {
				if e.Fields[k] != v {
					t.Errorf("event %d field %s = %q, want %q", i, k, e.Fields[k], v)
				}
			}
		}
	})
}

func outReplies(texts ...string) []store.OutboxReply {
	out := make([]store.OutboxReply, len(texts))
	for i, t := range texts {
		out[i] = store.OutboxReply{Reply: flows.Reply{Text: t}, Owner: "test/run"}
	}
	return out
}

func replyTexts(rs []store.PendingReply) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.Reply.Text)
	}
	return strings.Join(parts, ",")
}

// TestReplyOutbox: a commit writes its replies to the chat's outbox,
// numbered on from the last; a later commit drops those confirmed sent
// (the lazy mark), MarkRepliesSent drops them in one batch, and a chat
// with nothing unsent leaves the sweeper's index.
func TestReplyOutbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		const chat = 77
		if _, err := s.Commit(ctx, store.Commit{ChatID: chat, UpdateID: 1, Replies: outReplies("a", "b")}); err != nil {
			t.Fatal(err)
		}
		snap, err := s.Load(ctx, chat, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := replyTexts(snap.Unsent); got != "a,b" || snap.ReplySeq != 2 || snap.Unsent[0].Seq != 1 || snap.Unsent[1].Seq != 2 {
			t.Fatalf("after the first commit: unsent %q (seqs %+v), reply seq %d; want a,b and 2", got, snap.Unsent, snap.ReplySeq)
		}
		if snap.Unsent[0].Owner != "test/run" || snap.Unsent[0].At.IsZero() {
			t.Errorf("reply lost its owner or time: %+v", snap.Unsent[0])
		}
		// The next update confirms a (seq 1) and adds c.
		if _, err := s.Commit(ctx, store.Commit{ChatID: chat, UpdateID: 2, Version: snap.Version,
			Replies: outReplies("c"), RepliesSentUpTo: 1}); err != nil {
			t.Fatal(err)
		}
		snap, err = s.Load(ctx, chat, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := replyTexts(snap.Unsent); got != "b,c" || snap.Unsent[1].Seq != 3 {
			t.Fatalf("after the lazy mark: unsent %q %+v, want b,c with c seq 3", got, snap.Unsent)
		}
		chats, err := s.ChatsWithUnsentReplies(ctx)
		if err != nil || len(chats) != 1 || chats[0] != chat {
			t.Fatalf("index %v (err %v), want [%d]", chats, err, chat)
		}
		// A duplicate commit writes no replies.
		if _, err := s.Commit(ctx, store.Commit{ChatID: chat, UpdateID: 2, Version: snap.Version, Replies: outReplies("dup")}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate commit: %v", err)
		}
		if err := s.MarkRepliesSent(ctx, map[int64]int64{chat: 3, 78: 5}); err != nil {
			t.Fatal(err)
		}
		left, err := s.UnsentReplies(ctx, chat)
		if err != nil || len(left) != 0 {
			t.Fatalf("after the mark: %+v (err %v), want none", left, err)
		}
		if chats, err := s.ChatsWithUnsentReplies(ctx); err != nil || len(chats) != 0 {
			t.Errorf("index after the mark: %v (err %v), want empty", chats, err)
		}
	})
}

// TestClaimUnsentReplies: a chat's replies are handed to a sweeper only
// after their grace, and to one sweeper at a time.
func TestClaimUnsentReplies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		now := t0
		s.Now = func() time.Time { return now }
		s.ReplyGrace = time.Minute
		// As the bot does: Load (which marks the chat for the sweeper), then commit.
		if _, err := s.Load(ctx, 5, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, store.Commit{ChatID: 5, Replies: outReplies("x")}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimUnsentReplies(ctx, 10); err != nil || len(got) != 0 {
			t.Fatalf("within the grace: claimed %v (err %v), want none", got, err)
		}
		now = now.Add(time.Minute + time.Second)
		if got, err := s.ClaimUnsentReplies(ctx, 10); err != nil || len(got) != 1 || got[0] != 5 {
			t.Fatalf("after the grace: claimed %v (err %v), want [5]", got, err)
		}
		if got, err := s.ClaimUnsentReplies(ctx, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed twice: %v (err %v)", got, err)
		}
	})
}

// TestRepliesSealed: with a data key, replies are encrypted at rest.
func TestRepliesSealed(t *testing.T) {
	s := mustOpen(t, redistest.Start(t))
	s.Cipher = testCipher(t, 1)
	ctx := context.Background()
	if _, err := s.Commit(ctx, store.Commit{ChatID: 9, Replies: outReplies(journalText)}); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Client().LRange(ctx, "ck:{c:9}:replies", 0, -1).Result()
	if err != nil || len(raw) != 1 || strings.Contains(raw[0], "JOURNAL") {
		t.Fatalf("stored reply %q (err %v): want one, sealed", raw, err)
	}
	got, err := s.UnsentReplies(ctx, 9)
	if err != nil || replyTexts(got) != journalText {
		t.Fatalf("opened %q (err %v)", replyTexts(got), err)
	}
}

// TestRaiseEscalationWithoutSession: a crisis is recorded and queued for
// the clinicians even when the chat's session cannot be read.
func TestRaiseEscalationWithoutSession(t *testing.T) {
	s := mustOpen(t, redistest.Start(t))
	ctx := context.Background()
	const chat = 31
	s.Cipher = testCipher(t, 1)
	sess := sampleSession()
	if _, err := s.Commit(ctx, store.Commit{ChatID: chat, Session: sess}); err != nil {
		t.Fatal(err)
	}
	s.Cipher = testCipher(t, 2) // the key that sealed the session is gone
	if _, err := s.Load(ctx, chat, 0); !errors.Is(err, store.ErrUndecryptable) {
		t.Fatalf("Load: %v, want ErrUndecryptable", err)
	}
	res, err := s.RaiseEscalation(ctx, chat, "", flows.Escalation{Level: flows.Urgent, Flow: flows.FlowMessage,
		Question: "Typed message", Answer: "I want to die", At: t0})
	if err != nil || len(res.EscalationIDs) != 1 {
		t.Fatalf("RaiseEscalation: %+v, %v", res, err)
	}
	rec, err := s.Escalation(ctx, res.EscalationIDs[0])
	if err != nil || rec.Level != flows.Urgent || rec.Answer != "I want to die" || rec.ChatID != chat {
		t.Fatalf("recorded %+v (err %v)", rec, err)
	}
	entries, err := s.ReadOutbox(ctx, "c", 10, 0)
	if err != nil || len(entries) != 1 || entries[0].EscalationID != rec.ID {
		t.Fatalf("outbox %+v (err %v), want the escalation", entries, err)
	}
	// The session is untouched (still sealed with the old key).
	s.Cipher = testCipher(t, 1)
	snap, err := s.Load(ctx, chat, 0)
	if err != nil || snap.Version != 1 || snap.Session.State != sess.State {
		t.Fatalf("session after RaiseEscalation: %+v (err %v)", snap, err)
	}
}

// TestCheckDataKeys: a start with data sealed under a key it lacks (or
// with no keys) is refused; with the key, or on plaintext data, it runs.
func TestCheckDataKeys(t *testing.T) {
	url := redistest.Start(t)
	ctx := context.Background()
	legacy := mustOpen(t, url)
	legacy.Cipher = testCipher(t, 1)
	// Sealed data from before the key registry existed.
	if _, err := legacy.Commit(ctx, store.Commit{ChatID: 1, Session: sampleSession()}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		cipher *store.Cipher
		ok     bool
	}{
		{"no keys", nil, false},
		{"another key", testCipher(t, 2), false},
		{"the key", testCipher(t, 1), true},
		{"rotated: new key first, old one kept", testCipher(t, 3, 1), true},
		{"rotated key only, old data remains", testCipher(t, 3), false},
	} {
		s := mustOpen(t, url)
		s.Cipher = c.cipher
		err := s.CheckDataKeys(ctx)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, store.ErrUnknownDataKey)) {
			t.Errorf("%s: CheckDataKeys = %v, want ok %v", c.name, err, c.ok)
		}
	}
	// Once nothing sealed with key 1 remains (retention deleted it), the
	// new key alone starts, and key 1 is forgotten.
	if err := legacy.Client().Del(ctx, "ck:{c:1}:session").Err(); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, url)
	s.Cipher = testCipher(t, 3)
	if err := s.CheckDataKeys(ctx); err != nil {
		t.Errorf("key 1's data gone: CheckDataKeys = %v, want ok", err)
	}
	if _, err := s.Commit(ctx, store.Commit{ChatID: 2, Session: sampleSession()}); err != nil {
		t.Fatal(err)
	}
	s.Cipher = nil
	if err := s.CheckDataKeys(ctx); !errors.Is(err, store.ErrUnknownDataKey) || !strings.Contains(err.Error(), testCipher(t, 3).KeyIDs()[0]) {
		t.Errorf("data sealed with key 3, no keys: CheckDataKeys = %v, want key 3 named", err)
	}

	fresh := mustOpen(t, redistest.Start(t))
	if err := fresh.CheckDataKeys(ctx); err != nil {
		t.Errorf("plaintext database without keys: %v", err)
	}
}

// TestCommitDigestOnce: a week's digest is committed to a chat's reply
// outbox once, protected and audited; a second commit of the same week adds
// nothing, and an update of the chat loaded before it fails its
// compare-and-set (so it numbers its replies after the digest's).
func TestCommitDigestOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		const chat = 500
		week := time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
		before, err := s.Load(ctx, chat, 0)
		if err != nil {
			t.Fatal(err)
		}
		parts := func() []store.OutboxReply {
			return []store.OutboxReply{{Reply: flows.Reply{Text: "part 1"}, Protect: true}, {Reply: flows.Reply{Text: "part 2"}, Protect: true}}
		}
		got, err := s.CommitDigest(ctx, week, chat, parts())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 2 || got[1].Reply.Text != "part 2" {
			t.Fatalf("committed %+v", got)
		}
		again, err := s.CommitDigest(ctx, week, chat, parts())
		if err != nil || len(again) != 0 {
			t.Fatalf("second commit of the week: %+v, %v", again, err)
		}
		unsent, err := s.UnsentReplies(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		if len(unsent) != 2 || !unsent[0].Protect || !unsent[1].Protect {
			t.Fatalf("outbox %+v, want the two parts, protected", unsent)
		}
		_, err = s.Commit(ctx, store.Commit{ChatID: chat, Version: before.Version, Replies: []store.OutboxReply{{Reply: flows.Reply{Text: "reply"}}}})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a commit loaded before the digest: %v, want a conflict", err)
		}
		next, err := s.CommitDigest(ctx, week.Add(7*24*time.Hour), chat, parts())
		if err != nil || len(next) != 2 || next[0].Seq != 3 {
			t.Fatalf("next week's digest: %+v, %v", next, err)
		}
		log, err := s.AuditLog(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Event == "digest.sent" && e.Fields["chat"] == "500" && e.Fields["messages"] == "2" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d digest.sent audit entries, want 2: %+v", n, log)
		}
	})
}
