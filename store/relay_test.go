package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// TestRelayAfterCrash: a commit whose relay never reaches Redis (its
// process died) loses nothing: a sweeper relays it once its mark is past
// the grace, and a start (ChatsWithUnsentReplies) at once; the entry is
// applied exactly once however often it is relayed, and the chat's next
// commit drops it.
func TestRelayAfterCrash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		now := t0
		dying := mustOpen(t, b.url)
		redistest.FailScripts(dying.Client(), "ck:{g}:relayed")
		for _, st := range []*store.Store{s, dying} {
			st.Now = func() time.Time { return now }
		}
		snap, err := dying.Load(ctx, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		c := store.Commit{ChatID: 8, UpdateID: 1, Version: snap.Version, Session: sampleSession(),
			Escalations: []store.NewEscalation{{Escalation: flows.Escalation{Level: flows.Urgent, At: t0}, Patient: "P-8", ChatID: 8}},
			Jobs:        []flows.Job{{Kind: "followup", Due: t0.Add(time.Hour)}}}
		if res, err := dying.Commit(ctx, c); err != nil || len(res.EscalationIDs) != 0 {
			t.Fatalf("commit without its relay: %+v, %v", res, err)
		}
		open := func() int {
			ids, err := s.OpenEscalations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(ids)
		}
		if n := open(); n != 0 {
			t.Fatalf("%d escalations raised without a relay", n)
		}
		// Within the grace, a sweeper leaves the chat to its process.
		if _, err := s.ClaimUnsentReplies(ctx, 10); err != nil || open() != 0 {
			t.Fatalf("relayed within the grace (err %v)", err)
		}
		// After it, the sweeper relays; again and again, once.
		now = now.Add(s.UnsentGrace() + time.Second)
		for i := 0; i < 2; i++ {
			if _, err := s.ClaimUnsentReplies(ctx, 10); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ChatsWithUnsentReplies(ctx); err != nil {
				t.Fatal(err)
			}
			if n := open(); n != 1 {
				t.Fatalf("sweep %d: %d escalations open, want 1", i, n)
			}
		}
		entries, err := s.ReadOutbox(ctx, "t", 10, 0)
		if err != nil || len(entries) != 1 {
			t.Fatalf("outbox %v (err %v), want one entry", entries, err)
		}
		if jobs, err := s.ScheduledJobs(ctx, 8); err != nil || len(jobs) != 2 { // the follow-up and the first re-page
			t.Fatalf("jobs %+v (err %v), want 2", jobs, err)
		}
		// The next commit drops the applied entry from the chat's relay list.
		snap, err = s.Load(ctx, 8, 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, store.Commit{ChatID: 8, UpdateID: 2, Version: snap.Version, Session: sampleSession(), RelayedUpTo: snap.RelayedUpTo}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Client().LLen(ctx, "ck:{c:8}:relay").Result(); err != nil || n != 0 {
			t.Fatalf("relay list holds %d entries (err %v), want none", n, err)
		}
		// Nothing is left to do for the chat: the next sweep unmarks it,
		// and drops the entry applied from an idle chat's relay list.
		if _, err := s.Load(ctx, 8, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, store.Commit{ChatID: 8, Version: 2, Session: sampleSession(), Jobs: c.Jobs}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Client().LLen(ctx, "ck:{c:8}:relay").Result(); err != nil || n != 1 {
			t.Fatalf("relay list holds %d entries (err %v), want the last one", n, err)
		}
		now = now.Add(s.UnsentGrace() + time.Second)
		if _, err := s.ClaimUnsentReplies(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Client().LLen(ctx, "ck:{c:8}:relay").Result(); err != nil || n != 0 {
			t.Fatalf("relay list of an idle chat holds %d entries (err %v), want none", n, err)
		}
		if n, err := s.Client().ZCard(ctx, "ck:{g}:replies:unsent").Result(); err != nil || n != 0 {
			t.Fatalf("index holds %d chats (err %v), want none", n, err)
		}
		if n := open(); n != 1 {
			t.Fatalf("%d escalations open, want 1", n)
		}
	})
}

// TestDataKeyOfAnUnrelayedEscalation: an escalation waiting in a relay
// entry (its process died before the relay) is sealed data too: the key
// that sealed it is not forgotten at a start that lacks it.
func TestDataKeyOfAnUnrelayedEscalation(t *testing.T) {
	url := redistest.Start(t)
	ctx := context.Background()
	old := mustOpen(t, url)
	old.Cipher = testCipher(t, 1)
	if err := old.CheckDataKeys(ctx); err != nil {
		t.Fatal(err)
	}
	redistest.FailScripts(old.Client(), "ck:{g}:relayed")
	if _, err := old.RaiseEscalation(ctx, 12, "P-12", flows.Escalation{Level: flows.Urgent, Answer: escAnswer}); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, url)
	s.Cipher = testCipher(t, 2)
	if err := s.CheckDataKeys(ctx); !errors.Is(err, store.ErrUnknownDataKey) {
		t.Fatalf("CheckDataKeys = %v, want ErrUnknownDataKey: the relay entry is sealed with the old key", err)
	}
}
