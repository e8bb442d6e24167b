package store_test

import (
	"context"
	"testing"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

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
