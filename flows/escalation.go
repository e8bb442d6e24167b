package flows

import (
	"strings"
	"time"
)

// This file is the escalation lifecycle, the domain's one account of it.
// store persists it (atomically, in its Lua scripts, which follow Transition
// below; store/lifecycle_test.go checks they do) and bot
// renders and dispatches it. The engine raises escalations (Outcome.
// Escalations); from then on:
//
//	open ──Acknowledge──▶ acknowledged ──Resolve──▶ resolved ──Reopen──▶ reopened
//	  └──────────────────Resolve (acknowledges too)──▶ resolved ◀──Resolve──┘
//
// While open, URGENT and HIGH escalations are re-paged (RepageAfter);
// acknowledging stops it. A clinician reopens a resolved escalation (a
// resolution made in error, or the matter came back): it is unresolved
// again, still acknowledged (a person has seen it, so it is not re-paged),
// and waits for a new resolution. Neither acknowledging nor resolving opens the dose
// gate (gate.go): only a resolution note that starts with "clear"
// (ResolutionClears), or /clear, does, so a clinician's "I've seen it" is
// never read as "safe to dose".

// EscalationState is where an escalation is in its lifecycle; the values
// are what store keeps.
type EscalationState string

const (
	// EscalationOpen: raised, no clinician has acknowledged it yet.
	EscalationOpen EscalationState = "open"
	// EscalationAcknowledged: a clinician has seen it; re-paging stops.
	EscalationAcknowledged EscalationState = "acked"
	// EscalationResolved: closed with a clinician's note.
	EscalationResolved EscalationState = "resolved"
	// EscalationReopened: resolved, then reopened by a clinician; it is
	// unresolved and acknowledged.
	EscalationReopened EscalationState = "reopened"
)

// EscalationAction is what a clinician does to an escalation.
type EscalationAction string

const (
	ActionAcknowledge EscalationAction = "acknowledge"
	ActionResolve     EscalationAction = "resolve"
	ActionReopen      EscalationAction = "reopen"
)

// Audit events of the lifecycle (with the escalation id, who and when).
const (
	AuditEscalationRaised          = "escalation.raised"
	AuditEscalationSent            = "escalation.sent"
	AuditEscalationRepaged         = "escalation.repaged"
	AuditEscalationAcked           = "escalation.acked"
	AuditEscalationAckRepeated     = "escalation.ack_repeated"
	AuditEscalationResolved        = "escalation.resolved"
	AuditEscalationResolveRepeated = "escalation.resolve_repeated"
	AuditEscalationReopened        = "escalation.reopened"
	AuditEscalationReopenRefused   = "escalation.reopen_refused"
)

// Transition is what an action does to an escalation in state from.
type Transition struct {
	To EscalationState
	// Audit are the events it records, in order; a repeated action
	// changes nothing and records that it was repeated.
	Audit []string
	// First reports that the action changed the escalation (the first
	// acknowledgement or resolution); only then are the clinicians' copies
	// updated and the patient told.
	First bool
}

// Transition returns what action does in state s. Every action is allowed
// in every state: a clinician pressing an old button gets an answer, and
// the audit trail says what happened.
func (s EscalationState) Transition(action EscalationAction) Transition {
	switch {
	case action == ActionAcknowledge && s == EscalationOpen:
		return Transition{To: EscalationAcknowledged, Audit: []string{AuditEscalationAcked}, First: true}
	case action == ActionAcknowledge:
		return Transition{To: s, Audit: []string{AuditEscalationAckRepeated}}
	case action == ActionResolve && s == EscalationOpen:
		// Resolving what nobody acknowledged acknowledges it too, by the
		// same clinician: the re-paging must stop.
		return Transition{To: EscalationResolved, Audit: []string{AuditEscalationAcked, AuditEscalationResolved}, First: true}
	case action == ActionResolve && (s == EscalationAcknowledged || s == EscalationReopened):
		return Transition{To: EscalationResolved, Audit: []string{AuditEscalationResolved}, First: true}
	case action == ActionResolve: // resolving a resolved escalation
		return Transition{To: s, Audit: []string{AuditEscalationResolveRepeated}}
	case s == EscalationResolved: // reopen
		return Transition{To: EscalationReopened, Audit: []string{AuditEscalationReopened}, First: true}
	default: // reopening what is not resolved
		return Transition{To: s, Audit: []string{AuditEscalationReopenRefused}}
	}
}

// Unresolved reports whether an escalation in state s still waits for a
// clinician's resolution (and is listed by /open).
func (s EscalationState) Unresolved() bool { return s != EscalationResolved }

// Repages reports whether an escalation of level l in state s is still
// paged again: only while nobody has acknowledged it, and never ROUTINE.
func (s EscalationState) Repages(l Level) bool {
	return s == EscalationOpen && RepageAfter(l) > 0
}

// RepageAfter is how long an unacknowledged escalation of level l waits
// before clinicians are paged again, and again after each re-page (URGENT
// every 5 minutes, HIGH every 30); 0 means it is never re-paged (ROUTINE).
// The first re-page is scheduled in the commit that raises the escalation,
// so it cannot be lost.
func RepageAfter(l Level) time.Duration {
	switch l {
	case Urgent:
		return 5 * time.Minute
	case High:
		return 30 * time.Minute
	}
	return 0
}

// ResolutionClears reports whether a resolution note also clears the
// patient to dose (its first word is "clear", any case, e.g. "Clear to
// dose"), and the rest of the note. Resolving without it leaves the dose
// gate as it is.
func ResolutionClears(note string) (clears bool, rest string) {
	word, rest, _ := strings.Cut(strings.TrimSpace(note), " ")
	if strings.EqualFold(strings.TrimRight(word, ":"), "clear") {
		return true, strings.TrimSpace(rest)
	}
	return false, note
}

// ClinicalFlowName names the flow of an escalation (or an answer) for
// clinicians, in clinical words rather than the patient's: the flow's
// clinical_name from the protocol file, else a default by what the flow
// is. The escalations raised outside any flow have names of their own.
func (p *Protocol) ClinicalFlowName(flowID string) string {
	switch flowID {
	case FlowMessage:
		return "Message outside a check-in"
	case FlowTimeline:
		return "Session timeline after the dose"
	}
	f := p.Flow(flowID)
	switch {
	case f == nil && flowID == FlowIntake: // a protocol without an intake flow
		return "Intake review"
	case f == nil:
		return flowID // a flow of an earlier protocol version
	case f.ClinicalName != "":
		return f.ClinicalName
	case f.Kind == KindCheck:
		return "Pre-dose safety check"
	case f.Kind == KindIntake:
		return "Intake screen"
	case f.Kind == KindInstrument && f.Instrument == "phq9":
		return "PHQ-9 (depression)"
	case f.Kind == KindInstrument && f.Instrument == "gad7":
		return "GAD-7 (anxiety)"
	case f.ID == p.Timeline.PostSessionFlow():
		return "Post-session questionnaire"
	case f.ID == p.Timeline.FollowUpFlow():
		return "Next-day follow-up"
	}
	return "Questionnaire: " + f.Title
}

// LastDoseBefore is when the patient last took a dose, at or before t, as
// far as the session knows: the latest dose's time, else the start of a
// `dosed` hold of the gate. ok is false when none is known.
func (s Session) LastDoseBefore(t time.Time) (taken time.Time, ok bool) {
	if d := s.Dose; d != nil && !d.TakenAt.IsZero() && !d.TakenAt.After(t) {
		return d.TakenAt, true
	}
	if s.Gate != nil {
		for _, h := range s.Gate.Holds {
			if h.Reason == GateDosed && !h.At.After(t) && h.At.After(taken) {
				taken, ok = h.At, true
			}
		}
	}
	return taken, ok
}
