package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
		isErr(t, errOf(s.Escalation(ctx, "999")), store.ErrNotFound)
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

// TestChatEscalations: a chat's escalations come back oldest first with
// their level and state, another chat's are left out, and a store with no
// escalation at all answers with none.
func TestChatEscalations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		if got, err := s.ChatEscalations(ctx, 31); err != nil || len(got) != 0 {
			t.Fatalf("before any escalation: %v, %v", got, err)
		}
		mine := raise(t, s, 31, flows.Urgent)
		raise(t, s, 32, flows.High)
		mine = append(mine, raise(t, s, 31, flows.Routine)...)
		if _, _, err := s.Acknowledge(ctx, mine[0], 500, "Dana", t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.ChatEscalations(ctx, 31)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != mine[0] || got[1].ID != mine[1] {
			t.Fatalf("escalations of chat 31 = %+v, want ids %v", got, mine)
		}
		if got[0].Level != flows.Urgent || got[0].State != store.EscalationAcked || !got[0].At.Equal(t0) ||
			got[1].Level != flows.Routine || got[1].State != store.EscalationOpen || got[1].Flow != flows.FlowPostSession {
			t.Errorf("escalations of chat 31 = %+v", got)
		}
	})
}

// TestRepageScheduledWithEscalation checks that the commit that raises an
// escalation also schedules its first re-page (URGENT after 5 min, HIGH after
// 30, ROUTINE never), so no crash can separate the two.
func TestRepageScheduledWithEscalation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		ids := raise(t, s, 31, flows.Urgent, flows.High, flows.Routine)
		if sc, cl, err := s.PendingJobs(ctx); err != nil || sc != 2 || cl != 0 {
			t.Fatalf("pending jobs %d %d %v, want 2 re-pages", sc, cl, err)
		}
		if js, err := s.ScheduledJobs(ctx, 31); err != nil || len(js) != 2 || js[0].Run != ids[0] || js[1].Run != ids[1] {
			t.Fatalf("scheduled for chat 31: %+v %v", js, err)
		}
		if js, _ := s.ScheduledJobs(ctx, 3); len(js) != 0 {
			t.Fatalf("scheduled for chat 3: %+v", js)
		}
		if got, _ := s.ClaimDue(ctx, t0.Add(5*time.Minute-time.Millisecond), 10); len(got) != 0 {
			t.Fatalf("re-page before 5 min: %+v", got)
		}
		got, err := s.ClaimDue(ctx, t0.Add(5*time.Minute), 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claimed %+v %v", got, err)
		}
		j := got[0]
		if j.ChatID != 31 || j.Job.Kind != flows.JobRepage || j.Job.Run != ids[0] || !j.Job.Due.Equal(t0.Add(5*time.Minute)) {
			t.Fatalf("URGENT re-page job %+v", j)
		}
		// Done, with the next re-page in one step.
		next := flows.Job{Kind: flows.JobRepage, Due: t0.Add(10 * time.Minute), Run: ids[0]}
		if err := s.DoneJob(ctx, j, next); err != nil {
			t.Fatal(err)
		}
		if sc, cl, _ := s.PendingJobs(ctx); sc != 2 || cl != 0 {
			t.Fatalf("after DoneJob: scheduled %d claimed %d", sc, cl)
		}
		got, _ = s.ClaimDue(ctx, t0.Add(30*time.Minute), 10)
		if len(got) != 2 || got[0].Job != next || got[1].Job.Run != ids[1] || !got[1].Job.Due.Equal(t0.Add(30*time.Minute)) {
			t.Fatalf("claimed %+v", got)
		}
	})
}

func TestResolve(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		ids := raise(t, s, 32, flows.Urgent, flows.High, flows.Routine)
		recs, total, err := s.UnresolvedEscalations(ctx, 2)
		if err != nil || total != 3 || len(recs) != 2 || recs[0].ID != ids[0] || recs[1].ID != ids[1] {
			t.Fatalf("unresolved %+v %d %v", recs, total, err)
		}
		if n, err := s.RecordRepage(ctx, ids[0]); err != nil || n != 1 {
			t.Fatalf("repage %d %v", n, err)
		}
		if n, _ := s.RecordRepage(ctx, ids[0]); n != 2 {
			t.Fatalf("second repage %d", n)
		}

		// Resolving an unacknowledged escalation acknowledges it too.
		at := t0.Add(10 * time.Minute)
		rec, first, wasOpen, err := s.Resolve(ctx, ids[0], 600, "Dr Lee", "Called the patient; safe at home.", at)
		if err != nil {
			t.Fatal(err)
		}
		if !first || !wasOpen || rec.State != store.EscalationResolved || rec.ResolvedBy != 600 || rec.ResolvedByName != "Dr Lee" ||
			!rec.ResolvedAt.Equal(at) || rec.Note != "Called the patient; safe at home." || rec.AckedBy != 600 || rec.Repages != 2 {
			t.Errorf("resolve: first=%v wasOpen=%v %+v", first, wasOpen, rec)
		}
		// An acknowledgement after that changes nothing; nor does a second resolution.
		if rec, first, _ := s.Acknowledge(ctx, ids[0], 700, "Dr Kim", at); first || rec.State != store.EscalationResolved {
			t.Errorf("ack after resolve: first=%v %+v", first, rec)
		}
		if rec, first, _, _ := s.Resolve(ctx, ids[0], 700, "Dr Kim", "again", at); first || rec.Note != "Called the patient; safe at home." {
			t.Errorf("second resolve: first=%v %+v", first, rec)
		}
		// Acknowledged, then resolved.
		if _, _, err := s.Acknowledge(ctx, ids[1], 700, "Dr Kim", at); err != nil {
			t.Fatal(err)
		}
		if _, first, wasOpen, _ := s.Resolve(ctx, ids[1], 600, "Dr Lee", "ok", at); !first || wasOpen {
			t.Errorf("resolve acked: first=%v wasOpen=%v", first, wasOpen)
		}
		recs, total, _ = s.UnresolvedEscalations(ctx, 10)
		if total != 1 || len(recs) != 1 || recs[0].ID != ids[2] || recs[0].State != store.EscalationOpen {
			t.Errorf("unresolved after: %+v", recs)
		}
		if open, _ := s.OpenEscalations(ctx); len(open) != 1 || open[0] != ids[2] {
			t.Errorf("open after: %v", open)
		}
		_, _, _, err = s.Resolve(ctx, "nope", 1, "x", "n", at)
		isErr(t, err, store.ErrNotFound)
		if _, _, _, err := s.Resolve(ctx, ids[2], 1, "x", string(make([]byte, store.MaxNote+1)), at); err == nil {
			t.Error("over-long note accepted")
		}

		// Every change of state is audited with who and when, never the note.
		log, _ := s.AuditLog(ctx, 0)
		var events []string
		for _, e := range log {
			events = append(events, e.Event)
			for _, v := range e.Fields {
				if v == "Called the patient; safe at home." {
					t.Errorf("audit carries the note: %+v", e)
				}
			}
		}
		want := "[escalation.raised escalation.raised escalation.raised escalation.repaged escalation.repaged " +
			"escalation.acked escalation.resolved escalation.ack_repeated escalation.resolve_repeated " +
			"escalation.acked escalation.resolved]"
		if fmtAny(events) != want {
			t.Errorf("audit events\n got %v\nwant %s", events, want)
		}
		if e := log[6]; e.Fields["esc"] != ids[0] || e.Fields["by"] != "600" || e.Fields["at"] == "" {
			t.Errorf("resolve audit entry %+v", e)
		}
	})
}

// TestPendingNote: a prompt for a resolution note is kept per clinician and
// chat, names its message and escalation, and expires; a written
// resolution waits under a token until one confirmation (or cancel) drops it.
func TestPendingNote(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		if err := s.SetNotePrompt(ctx, 600, -100500, 41, "7", 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if msg, id, _ := s.NotePrompt(ctx, 600, 600); id != "" || msg != 0 {
			t.Errorf("prompt in another chat: %d %q", msg, id)
		}
		if msg, id, err := s.NotePrompt(ctx, 600, -100500); err != nil || id != "7" || msg != 41 {
			t.Fatalf("prompt: %d %q %v", msg, id, err)
		}
		if err := s.ClearNotePrompt(ctx, 600, -100500); err != nil {
			t.Fatal(err)
		}
		if _, id, _ := s.NotePrompt(ctx, 600, -100500); id != "" {
			t.Errorf("cleared prompt still there: %q", id)
		}
		_ = s.SetNotePrompt(ctx, 600, 600, 42, "8", 100*time.Millisecond)
		token, err := s.SetPendingResolution(ctx, store.PendingResolution{EscalationID: "8", By: 600, Note: "called, safe"}, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := s.PendingResolution(ctx, token); err != nil || r != (store.PendingResolution{EscalationID: "8", By: 600, Note: "called, safe"}) {
			t.Fatalf("pending resolution %+v %v", r, err)
		}
		if taken, err := s.DropPendingResolution(ctx, token); err != nil || !taken {
			t.Fatalf("drop: %v %v", taken, err)
		}
		if taken, _ := s.DropPendingResolution(ctx, token); taken {
			t.Error("dropped twice")
		}
		token, _ = s.SetPendingResolution(ctx, store.PendingResolution{EscalationID: "8", By: 600, Note: "x"}, 100*time.Millisecond)
		b.elapse(150 * time.Millisecond)
		if _, id, _ := s.NotePrompt(ctx, 600, 600); id != "" {
			t.Errorf("expired prompt still there: %q", id)
		}
		if _, err := s.PendingResolution(ctx, token); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired resolution: %v", err)
		}
	})
}

// TestEscalationLifecycleAsFlowsDefinesIt: the scripts that persist an
// escalation's acknowledgement and resolution make exactly the transitions
// of flows' lifecycle (flows/escalation.go): the state after, whether it
// was the first, and the audit events recorded.
func TestEscalationLifecycleAsFlowsDefinesIt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ backend, s *store.Store) { checkLifecycle(t, s) })
}

func checkLifecycle(t *testing.T, s *store.Store) {
	ctx := context.Background()
	chat := int64(40)
	for _, from := range []flows.EscalationState{flows.EscalationOpen, flows.EscalationAcknowledged, flows.EscalationResolved, flows.EscalationReopened} {
		for _, action := range []flows.EscalationAction{flows.ActionAcknowledge, flows.ActionResolve, flows.ActionReopen} {
			chat++
			id := raise(t, s, chat, flows.Urgent)[0]
			switch from { // bring it to the state under test
			case flows.EscalationAcknowledged:
				if _, _, err := s.Acknowledge(ctx, id, 600, "Dr Lee", t0); err != nil {
					t.Fatal(err)
				}
			case flows.EscalationResolved, flows.EscalationReopened:
				if _, _, _, err := s.Resolve(ctx, id, 600, "Dr Lee", "called", t0); err != nil {
					t.Fatal(err)
				}
				if from == flows.EscalationReopened {
					if _, _, err := s.Reopen(ctx, id, 600, "Dr Lee", t0); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := auditOf(t, s, id)
			var rec store.EscalationRecord
			var first bool
			var err error
			switch action {
			case flows.ActionAcknowledge:
				rec, first, err = s.Acknowledge(ctx, id, 700, "Dr Kim", t0)
			case flows.ActionResolve:
				rec, first, _, err = s.Resolve(ctx, id, 700, "Dr Kim", "safe", t0)
			default:
				rec, first, err = s.Reopen(ctx, id, 700, "Dr Kim", t0)
			}
			if err != nil {
				t.Fatal(err)
			}
			want := from.Transition(action)
			recorded := auditOf(t, s, id)[len(before):]
			if flows.EscalationState(rec.State) != want.To || first != want.First || !slices.Equal(recorded, want.Audit) {
				t.Errorf("%s, %s: stored %s, first %v, audit %v; flows says %s, first %v, audit %v",
					from, action, rec.State, first, recorded, want.To, want.First, want.Audit)
			}
			if unresolved := unresolvedIDs(t, s); slices.Contains(unresolved, id) != want.To.Unresolved() {
				t.Errorf("%s, %s: listed as unresolved %v; flows says %v", from, action, !want.To.Unresolved(), want.To.Unresolved())
			}
		}
	}
}

// auditOf lists the audit events of escalation id, oldest first.
func auditOf(t *testing.T, s *store.Store, id string) []string {
	t.Helper()
	log, err := s.AuditLog(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range log {
		if e.Fields["esc"] == id && e.Event != flows.AuditEscalationRaised {
			events = append(events, e.Event)
		}
	}
	return events
}

// unresolvedIDs lists the escalations /open would show.
func unresolvedIDs(t *testing.T, s *store.Store) []string {
	t.Helper()
	recs, _, err := s.UnresolvedEscalations(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

// TestWeekEscalations: the escalations raised in the week come back oldest
// first with their reason opened; those before and after are left out.
func TestWeekEscalations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		from := t0.Add(24 * time.Hour)
		to := from.Add(7 * 24 * time.Hour)
		var es []store.NewEscalation
		for i, at := range []time.Time{t0, from, from.Add(time.Hour), to} {
			es = append(es, store.NewEscalation{Patient: "P-17", ChatID: 31, Escalation: flows.Escalation{
				Level: flows.Routine, Flow: flows.FlowTimeline, Item: flows.ItemDoseDay, Reason: fmt.Sprintf("reason %d", i), At: at}})
		}
		if _, err := s.Commit(ctx, store.Commit{ChatID: 31, Session: sampleSession(), Escalations: es}); err != nil {
			t.Fatal(err)
		}
		got, err := s.WeekEscalations(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Reason != "reason 1" || got[1].Reason != "reason 2" || got[0].ChatID != 31 || got[1].Item != flows.ItemDoseDay {
			t.Fatalf("week's escalations %+v", got)
		}
	})
}

// TestPatientHistories: every check-in of each chat, and the answers
// recorded since the week began, however many (read past the first page).
func TestPatientHistories(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		now := t0
		s.Now = func() time.Time { return now }
		answers := func(n int) []flows.Answer {
			as := make([]flows.Answer, n)
			for i := range as {
				as[i] = flows.Answer{Flow: "precheck", Item: fmt.Sprintf("q%d", i), Value: "yes", At: now}
			}
			return as
		}
		commit := func(chat int64, n int) {
			snap, err := s.Load(ctx, chat, 0)
			if err != nil {
				t.Fatal(err)
			}
			c := store.Commit{ChatID: chat, Version: snap.Version, Session: sampleSession(), Answers: answers(n),
				Completion: &flows.Completion{Flow: "precheck", Outcome: flows.OutcomeCleared, EndedAt: now}}
			if _, err := s.Commit(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		commit(31, 300) // before the week
		commit(32, 5)
		now = t0.Add(48 * time.Hour)
		commit(31, 600) // in the week: more than two pages
		got, err := s.PatientHistories(ctx, []int64{31, 32, 33}, t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if h := got[31]; len(h.Answers) != 600 || len(h.CheckIns) != 2 || h.Answers[0].Item != "q0" || h.Answers[599].Item != "q599" {
			t.Errorf("chat 31: %d answers, %d check-ins", len(h.Answers), len(h.CheckIns))
		}
		if h := got[32]; len(h.Answers) != 0 || len(h.CheckIns) != 1 {
			t.Errorf("chat 32: %d answers, %d check-ins; want none of the week, and its one check-in", len(h.Answers), len(h.CheckIns))
		}
		if h := got[33]; len(h.Answers) != 0 || len(h.CheckIns) != 0 {
			t.Errorf("chat 33, with nothing recorded: %+v", h)
		}
	})
}
