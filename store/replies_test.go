package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

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
