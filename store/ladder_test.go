package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

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
