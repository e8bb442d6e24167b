package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

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
