package flows

import (
	"slices"
	"testing"
	"time"
)

func TestEscalationLifecycle(t *testing.T) {
	for _, c := range []struct {
		from   EscalationState
		action EscalationAction
		want   Transition
	}{
		{EscalationOpen, ActionAcknowledge, Transition{EscalationAcknowledged, []string{AuditEscalationAcked}, true}},
		{EscalationAcknowledged, ActionAcknowledge, Transition{EscalationAcknowledged, []string{AuditEscalationAckRepeated}, false}},
		{EscalationResolved, ActionAcknowledge, Transition{EscalationResolved, []string{AuditEscalationAckRepeated}, false}},
		{EscalationOpen, ActionResolve, Transition{EscalationResolved, []string{AuditEscalationAcked, AuditEscalationResolved}, true}},
		{EscalationAcknowledged, ActionResolve, Transition{EscalationResolved, []string{AuditEscalationResolved}, true}},
		{EscalationResolved, ActionResolve, Transition{EscalationResolved, []string{AuditEscalationResolveRepeated}, false}},
		{EscalationResolved, ActionReopen, Transition{EscalationReopened, []string{AuditEscalationReopened}, true}},
		{EscalationOpen, ActionReopen, Transition{EscalationOpen, []string{AuditEscalationReopenRefused}, false}},
		{EscalationAcknowledged, ActionReopen, Transition{EscalationAcknowledged, []string{AuditEscalationReopenRefused}, false}},
		{EscalationReopened, ActionReopen, Transition{EscalationReopened, []string{AuditEscalationReopenRefused}, false}},
		{EscalationReopened, ActionAcknowledge, Transition{EscalationReopened, []string{AuditEscalationAckRepeated}, false}},
		{EscalationReopened, ActionResolve, Transition{EscalationResolved, []string{AuditEscalationResolved}, true}},
	} {
		got := c.from.Transition(c.action)
		if got.To != c.want.To || got.First != c.want.First || !slices.Equal(got.Audit, c.want.Audit) {
			t.Errorf("%s, %s: got %+v, want %+v", c.from, c.action, got, c.want)
		}
	}
}

func TestEscalationRepaging(t *testing.T) {
	for _, c := range []struct {
		state EscalationState
		level Level
		every time.Duration
		want  bool
	}{
		{EscalationOpen, Urgent, 5 * time.Minute, true},
		{EscalationOpen, High, 30 * time.Minute, true},
		{EscalationOpen, Routine, 0, false},
		{EscalationAcknowledged, Urgent, 5 * time.Minute, false},
		{EscalationResolved, High, 30 * time.Minute, false},
		{EscalationReopened, Urgent, 5 * time.Minute, false},
	} {
		if got := c.state.Repages(c.level); got != c.want {
			t.Errorf("%s %s: repages %v, want %v", c.state, c.level, got, c.want)
		}
		if got := RepageAfter(c.level); got != c.every {
			t.Errorf("%s: re-paged every %v, want %v", c.level, got, c.every)
		}
	}
}

func TestResolutionClears(t *testing.T) {
	for _, c := range []struct {
		note   string
		clears bool
		rest   string
	}{
		{"clear called, safe", true, "called, safe"},
		{"Clear: spoke to sitter", true, "spoke to sitter"},
		{"CLEAR", true, ""},
		{"clearly fine, will call back", false, "clearly fine, will call back"},
		{"called, not clear yet", false, "called, not clear yet"},
		{"", false, ""},
	} {
		if clears, rest := ResolutionClears(c.note); clears != c.clears || rest != c.rest {
			t.Errorf("ResolutionClears(%q) = %v, %q; want %v, %q", c.note, clears, rest, c.clears, c.rest)
		}
	}
}

func TestClinicalFlowName(t *testing.T) {
	p := Default()
	for flow, want := range map[string]string{
		FlowPreDose: "Pre-dose safety check", FlowPostSession: "Post-session questionnaire",
		FlowFollowUp: "Next-day follow-up", FlowPHQ9: "PHQ-9 (depression)", FlowGAD7: "GAD-7 (anxiety)",
		"intake": "Intake screen", FlowMessage: "Message outside a check-in",
		FlowTimeline: "Session timeline after the dose", "retired": "retired",
	} {
		if got := p.ClinicalFlowName(flow); got != want {
			t.Errorf("%s: %q, want %q", flow, got, want)
		}
	}
	p.Flow(FlowPreDose).ClinicalName = "Riverside pre-dose screen" // the protocol file's own name wins
	if got := p.ClinicalFlowName(FlowPreDose); got != "Riverside pre-dose screen" {
		t.Errorf("clinical_name ignored: %q", got)
	}
}

func TestLastDoseBefore(t *testing.T) {
	dose := time.Date(2025, 6, 7, 9, 12, 0, 0, time.UTC)
	earlier := dose.Add(-7 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		s    Session
		at   time.Time
		want time.Time
		ok   bool
	}{
		{"none", Session{}, dose, time.Time{}, false},
		{"taken", Session{Dose: &Dose{TakenAt: dose}}, dose.Add(time.Minute), dose, true},
		{"taken after the escalation", Session{Dose: &Dose{TakenAt: dose}}, dose.Add(-time.Minute), time.Time{}, false},
		{"cleared, not taken: the gate's dosed hold", Session{Dose: &Dose{ClearedAt: dose},
			Gate: &Gate{Holds: []GateHold{{Reason: GateDosed, At: earlier}}}}, dose, earlier, true},
	} {
		got, ok := c.s.LastDoseBefore(c.at)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
