package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

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
