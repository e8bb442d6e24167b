package store_test

import (
	"context"
	"testing"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

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
		_, err := s.Commit(ctx, store.Commit{ChatID: 77, UpdateID: 2, Version: 0, Session: sess, Audit: audit})
		isErr(t, err, store.ErrConflict)
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
