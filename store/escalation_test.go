package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

func raise(t *testing.T, s *store.Store, chat int64, levels ...flows.Level) []string {
	t.Helper()
	ctx := context.Background()
	snap, err := s.Load(ctx, chat, 0)
	if err != nil {
		t.Fatal(err)
	}
	var es []store.NewEscalation
	for _, l := range levels {
		es = append(es, store.NewEscalation{Patient: "P-17", ChatID: chat, Escalation: flows.Escalation{
			Level: l, Flow: flows.FlowPostSession, Item: "selfharm", Question: "Thoughts of self-harm",
			Answer: "Yes", Reason: "self-harm answer", At: t0}})
	}
	res, err := s.Commit(ctx, store.Commit{ChatID: chat, Version: snap.Version, Session: sampleSession(), Escalations: es})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.EscalationIDs) != len(levels) {
		t.Fatalf("ids %v for %d escalations", res.EscalationIDs, len(levels))
	}
	return res.EscalationIDs
}

func TestEscalationOutbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		ids := raise(t, s, 21, flows.Urgent, flows.Routine)
		if ids[0] == ids[1] {
			t.Fatalf("duplicate ids %v", ids)
		}
		rec, err := s.Escalation(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		want := store.EscalationRecord{ID: ids[0], Level: flows.Urgent, Patient: "P-17", ChatID: 21,
			Flow: flows.FlowPostSession, Item: "selfharm", Question: "Thoughts of self-harm", Answer: "Yes",
			Reason: "self-harm answer", At: t0, State: store.EscalationOpen}
		if fmtAny(rec) != fmtAny(want) {
			t.Errorf("record:\n got %+v\nwant %+v", rec, want)
		}
		if open, _ := s.OpenEscalations(ctx); len(open) != 2 {
			t.Errorf("open escalations %v", open)
		}

		got, err := s.ReadOutbox(ctx, "a", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].EscalationID != ids[0] || got[1].EscalationID != ids[1] {
			t.Fatalf("outbox: %+v", got)
		}
		for _, e := range got {
			if err := s.AckOutbox(ctx, e.StreamID); err != nil {
				t.Fatal(err)
			}
		}
		if again, _ := s.ReadOutbox(ctx, "a", 10, 0); len(again) != 0 {
			t.Errorf("acked entries delivered again: %+v", again)
		}
		_, err = s.Escalation(ctx, "999")
		isErr(t, err, store.ErrNotFound)
	})
}

func TestOutboxBlocksForNewEntries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		done := make(chan []store.OutboxEntry)
		go func() {
			got, err := s.ReadOutbox(ctx, "a", 10, 5*time.Second)
			if err != nil {
				t.Error(err)
			}
			done <- got
		}()
		time.Sleep(50 * time.Millisecond) // let the reader block first
		ids := raise(t, s, 22, flows.High)
		select {
		case got := <-done:
			if len(got) != 1 || got[0].EscalationID != ids[0] {
				t.Errorf("got %+v", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("blocked reader did not receive the new entry")
		}
	})
}

func TestOutboxReclaimsUnacked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.OutboxMinIdle = 50 * time.Millisecond
		ids := raise(t, s, 23, flows.Urgent)
		got, err := s.ReadOutbox(ctx, "crashed", 10, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("first read: %+v %v", got, err)
		}
		// Not idle long enough yet: another consumer gets nothing.
		if early, _ := s.ReadOutbox(ctx, "b", 10, 0); len(early) != 0 {
			t.Fatalf("reclaimed before min-idle: %+v", early)
		}
		var re []store.OutboxEntry
		waitFor(t, "reclaim", func() bool {
			re, err = s.ReadOutbox(ctx, "b", 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			return len(re) > 0
		})
		if len(re) != 1 || re[0].EscalationID != ids[0] || re[0].StreamID != got[0].StreamID {
			t.Fatalf("reclaimed %+v, want %+v", re, got)
		}
		if err := s.AckOutbox(ctx, re[0].StreamID); err != nil {
			t.Fatal(err)
		}
		// Acknowledged, it is no longer pending: nothing can reclaim it.
		if n, err := s.OutboxPending(ctx); err != nil || n != 0 {
			t.Errorf("%d entries pending after the ack (err %v), want 0", n, err)
		}
		if again, _ := s.ReadOutbox(ctx, "c", 10, 0); len(again) != 0 {
			t.Errorf("acked entry reclaimed: %+v", again)
		}
	})
}

func TestEscalationRaisedBeforeGroupExists(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		// Simulate a Redis that lost the group (e.g. restored from an old
		// snapshot): the escalation must still be delivered.
		if err := s.Client().Del(ctx, "ck:{g}:outbox").Err(); err != nil {
			t.Fatal(err)
		}
		ids := raise(t, s, 24, flows.Urgent)
		got, err := s.ReadOutbox(ctx, "a", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].EscalationID != ids[0] {
			t.Fatalf("got %+v", got)
		}
	})
}

func TestAcknowledge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		id := raise(t, s, 25, flows.Urgent)[0]
		refs := []store.MessageRef{{ChatID: -100500, MessageID: 7}, {ChatID: 600, MessageID: 8}}
		for _, r := range refs {
			if err := s.AddEscalationMessage(ctx, id, r); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.UnacknowledgedCount(ctx); err != nil || n != 1 {
			t.Errorf("unacknowledged before the ack: %d %v", n, err)
		}
		at := t0.Add(3 * time.Minute)
		rec, first, err := s.Acknowledge(ctx, id, 600, "Dr Lee", at)
		if err != nil {
			t.Fatal(err)
		}
		if !first || rec.State != store.EscalationAcked || rec.AckedBy != 600 || rec.AckedByName != "Dr Lee" ||
			!rec.AckedAt.Equal(at) || fmtAny(rec.Messages) != fmtAny(refs) || rec.Patient != "P-17" {
			t.Errorf("first ack: first=%v %+v", first, rec)
		}
		rec2, first, err := s.Acknowledge(ctx, id, 700, "Dr Kim", at.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if first || rec2.AckedBy != 600 || !rec2.AckedAt.Equal(at) {
			t.Errorf("second ack: first=%v %+v", first, rec2)
		}
		if open, _ := s.OpenEscalations(ctx); len(open) != 0 {
			t.Errorf("still open: %v", open)
		}
		if n, err := s.UnacknowledgedCount(ctx); err != nil || n != 0 {
			t.Errorf("unacknowledged after the ack: %d %v", n, err)
		}
		_, _, err = s.Acknowledge(ctx, "nope", 1, "x", at)
		isErr(t, err, store.ErrNotFound)

		log, err := s.AuditLog(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, e := range log {
			events = append(events, e.Event)
		}
		want := "[escalation.raised escalation.sent escalation.sent escalation.acked escalation.ack_repeated]"
		if fmtAny(events) != want {
			t.Errorf("audit events %v, want %s", events, want)
		}
		if e := log[3]; e.Fields["esc"] != id || e.Fields["by"] != "600" || e.Fields["at"] == "" {
			t.Errorf("ack audit entry %+v", e)
		}
	})
}

func TestAudit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.Now = func() time.Time { return t0 }
		for _, ev := range []string{"a", "b", "c"} {
			if err := s.Audit(ctx, "viewed."+ev, map[string]string{"by": "5", "chat": "9"}); err != nil {
				t.Fatal(err)
			}
		}
		log, err := s.AuditLog(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 || log[0].Event != "viewed.b" || log[1].Event != "viewed.c" ||
			log[1].Fields["by"] != "5" || log[1].Fields["at"] != "2025-03-01T09:00:00Z" {
			t.Errorf("audit log %+v", log)
		}
	})
}
