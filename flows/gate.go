package flows

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The dose gate is the patient's safety across flows and days: whether a
// pre-dose check may start (and clear) at all. Each flow's rules only see
// their own answers; the gate remembers that on Tuesday the patient
// reported self-harm thoughts, so Wednesday's fresh check does not clear
// them. It lives in the Session, so it commits atomically with everything
// else, and every change comes with an AuditEvent for the audit stream.
//
// A closed gate holds one or more reasons; it is open when none remain.
// The engine closes it (crisis, review, dosed); only a clinician opens it
// (/clear), except `dosed`, which opens by itself when the protocol's
// minimum interval between doses has passed. Nothing in a protocol file can
// turn this off: the checks are in the engine, not in the rules.

// GateReason is why the gate is closed.
type GateReason string

// Gate reasons, in the order the patient is told about them (the most
// serious first).
const (
	GateCrisis GateReason = "crisis" // a crisis-screen match or an URGENT answer
	GateReview GateReason = "review" // a HIGH escalation, or a hold that escalated to a clinician
	GatePaused GateReason = "paused" // a clinician paused dosing by hand (/pause)
	GateIntake GateReason = "intake" // a new patient, until a clinician reviews the intake screen
	GateDosed  GateReason = "dosed"  // a dose was taken less than the minimum interval ago
)

var gateOrder = []GateReason{GateCrisis, GateReview, GatePaused, GateIntake, GateDosed}

// GateHold is one reason the gate is closed, with who closed it and when.
type GateHold struct {
	Reason GateReason `json:"reason"`
	// Detail says what closed it, for clinicians (e.g. the escalation's
	// question); never shown to the patient.
	Detail string `json:"detail,omitempty"`
	// By is the clinician's Telegram user id, "" when the engine closed it.
	By     string    `json:"by,omitempty"`
	ByName string    `json:"by_name,omitempty"`
	At     time.Time `json:"at"`
	// Until is when a `dosed` hold opens by itself.
	Until time.Time `json:"until,omitzero"`
	// Group is the crisis group of a `crisis` hold, so the patient is shown
	// the resources that fit.
	Group CrisisGroup `json:"group,omitempty"`
}

// Gate is a patient's dose gate. A nil *Gate (a session stored before the
// gate existed) is open.
type Gate struct {
	Holds []GateHold `json:"holds,omitempty"`
	// The last clinician opening: who, when and their note.
	OpenedBy     string    `json:"opened_by,omitempty"`
	OpenedByName string    `json:"opened_by_name,omitempty"`
	OpenedAt     time.Time `json:"opened_at,omitzero"`
	OpenNote     string    `json:"open_note,omitempty"`
}

// AuditEvent is one entry for the audit stream, committed with the session
// (store adds the chat and the time). Fields carry ids, reasons and who,
// never what a patient or clinician wrote.
type AuditEvent struct {
	Event  string
	Fields map[string]string
}

// Audit events of the gate.
const (
	AuditGateClosed = "gate.closed"
	AuditGateOpened = "gate.opened"
	AuditLimitsSet  = "limits.set"
)

// GateActor is who changed the gate: a clinician (ID and Name), or the
// engine when ID is "".
type GateActor struct {
	ID, Name string
}

// activeHolds returns the gate's holds still in force at now (a `dosed`
// hold past its Until has lapsed).
func (s Session) activeHolds(now time.Time) []GateHold {
	if s.Gate == nil {
		return nil
	}
	var out []GateHold
	for _, h := range s.Gate.Holds {
		if h.Reason == GateDosed && !now.Before(h.Until) {
			continue
		}
		out = append(out, h)
	}
	slices.SortStableFunc(out, func(a, b GateHold) int {
		return slices.Index(gateOrder, a.Reason) - slices.Index(gateOrder, b.Reason)
	})
	return out
}

// GateOpen reports whether a pre-dose check may start and clear at now.
func (s Session) GateOpen(now time.Time) bool { return len(s.activeHolds(now)) == 0 }

// GateHolds returns the reasons the gate is closed at now, the most serious
// first; none when it is open.
func (s Session) GateHolds(now time.Time) []GateHold { return s.activeHolds(now) }

// closeGate adds reason r to the gate (a reason already there keeps its
// first record, except a later `dosed`, which moves Until on). A closed
// gate voids an unused clearance: the patient must not dose on it.
func closeGate(s *Session, h GateHold) []AuditEvent {
	g := Gate{}
	if s.Gate != nil {
		g = *s.Gate
	}
	holds := slices.Clone(g.Holds)
	for i, old := range holds {
		if old.Reason != h.Reason {
			continue
		}
		if h.Reason != GateDosed || !h.Until.After(old.Until) {
			return nil
		}
		holds = slices.Delete(holds, i, i+1)
		break
	}
	g.Holds = append(holds, h)
	s.Gate = &g
	if h.Reason != GateDosed && s.Dose != nil && s.Dose.TakenAt.IsZero() {
		s.Dose = nil
	}
	f := map[string]string{"reason": string(h.Reason), "by": byOrEngine(h.By)}
	if !h.Until.IsZero() {
		f["until"] = h.Until.UTC().Format(time.RFC3339)
	}
	return []AuditEvent{{Event: AuditGateClosed, Fields: f}}
}

func byOrEngine(by string) string {
	if by == "" {
		return "engine"
	}
	return by
}

// expireGate drops `dosed` holds whose interval has passed, with their
// audit entry: the gate opens by itself there.
func expireGate(s *Session, now time.Time) []AuditEvent {
	if s.Gate == nil {
		return nil
	}
	var keep []GateHold
	var audit []AuditEvent
	for _, h := range s.Gate.Holds {
		if h.Reason == GateDosed && !now.Before(h.Until) {
			audit = append(audit, AuditEvent{Event: AuditGateOpened, Fields: map[string]string{"reason": string(GateDosed), "by": "interval"}})
			continue
		}
		keep = append(keep, h)
	}
	if audit != nil {
		g := *s.Gate
		g.Holds = keep
		s.Gate = &g
	}
	return audit
}

// openGate removes every reason a clinician may clear (all but `dosed`,
// which only time opens) and returns the reasons it removed.
func openGate(s *Session, by GateActor, note string, now time.Time) ([]GateReason, []AuditEvent) {
	if s.Gate == nil {
		return nil, nil
	}
	g := *s.Gate
	var keep []GateHold
	var opened []GateReason
	for _, h := range g.Holds {
		if h.Reason == GateDosed {
			keep = append(keep, h)
			continue
		}
		opened = append(opened, h.Reason)
	}
	if len(opened) == 0 {
		return nil, nil
	}
	g.Holds = keep
	g.OpenedBy, g.OpenedByName, g.OpenedAt, g.OpenNote = by.ID, by.Name, now, note
	s.Gate = &g
	names := make([]string, len(opened))
	for i, r := range opened {
		names[i] = string(r)
	}
	return opened, []AuditEvent{{Event: AuditGateOpened, Fields: map[string]string{"reason": strings.Join(names, ","), "by": by.ID}}}
}

// guard closes the gate for what one step decided, whatever the protocol
// says: an URGENT escalation (crisis), a HIGH one (review). A hold that
// escalates closes it too (review), in accept, when the hold is decided.
func (p *Protocol) guard(out *Outcome, now time.Time) {
	out.Audit = append(out.Audit, expireGate(&out.Session, now)...)
	for i, e := range out.Escalations {
		h := GateHold{Detail: e.Question, At: now}
		switch e.Level {
		case Urgent:
			h.Reason, h.Group = GateCrisis, p.groupOf(e)
		case High:
			h.Reason = GateReview
		default:
			continue
		}
		out.Audit = append(out.Audit, closeGate(&out.Session, h)...)
		out.Escalations[i].Reason = withGateNote(e.Reason, h.Reason)
	}
}

// withGateNote tells the clinicians, in the escalation, that it closed the
// dose gate and how to open it; bot fills in the label.
func withGateNote(reason string, r GateReason) string {
	note := " · Doses on hold (" + string(r) + ") until a clinician sends " + ClearCommandHint
	if strings.Contains(reason, note) {
		return reason
	}
	return reason + note
}

// groupOf picks the crisis group of an URGENT escalation from a rule or the
// timeline: self-harm items (by id or wording, as validation spots them)
// lead with 988, everything else (red-flag symptoms, "I need help" after a
// dose) with emergency services.
func (p *Protocol) groupOf(e Escalation) CrisisGroup {
	if f := p.Flow(e.Flow); f != nil {
		if it := f.Item(e.Item); it != nil && isSelfHarmItem(it) {
			return GroupSelfHarm
		}
	}
	if e.Question == screenQuestion {
		if m, ok := p.Crisis.Screen(e.Answer); ok {
			return m.Group
		}
	}
	return GroupMedical
}

// isSelfHarmItem reports whether an item asks about self-harm.
func isSelfHarmItem(it *Item) bool {
	return selfHarmPattern.MatchString(strings.ToLower(it.ID + " " + strings.ReplaceAll(it.ID, "_", " ") + " " + it.Text))
}

// gateRefusal is the one kind message a patient gets when a check cannot
// start: why, in plain words, and what happens next; with the crisis
// resources when the reason is a crisis.
func (p *Protocol) gateRefusal(s Session, now time.Time) Reply {
	m := &p.Messages
	hs := s.activeHolds(now)
	h := hs[0]
	var text string
	switch h.Reason {
	case GateCrisis:
		text = m.GateCrisis + "\n\n" + p.Crisis.Text(h.Group)
	case GateReview:
		text = m.GateReview
	case GatePaused:
		text = m.GatePaused
	case GateIntake:
		text = m.GateIntake
		if f := p.Flow(s.Flow); f != nil && f.Kind == KindIntake {
			text = m.GateIntakeRunning
		}
	default:
		text = p.dosedText(s, h)
	}
	return Reply{Text: text}
}

// unfinishedIntake returns the protocol's intake flow when the gate holds
// for intake and the patient has never finished it; else nil.
func (p *Protocol) unfinishedIntake(s Session, now time.Time) *Flow {
	if hs := s.activeHolds(now); len(hs) == 0 || !slices.ContainsFunc(hs, func(h GateHold) bool { return h.Reason == GateIntake }) {
		return nil
	}
	for _, f := range p.Flows {
		if f != nil && f.Kind == KindIntake {
			if _, done := s.Done[f.ID]; !done {
				return f
			}
			return nil
		}
	}
	return nil
}

// dosedText tells the patient when the next dose may be.
func (p *Protocol) dosedText(s Session, h GateHold) string {
	loc := s.Location(h.At.Location())
	taken := h.Until.Add(-p.Timeline.MinDoseInterval.D())
	if s.Dose != nil && !s.Dose.TakenAt.IsZero() {
		taken = s.Dose.TakenAt
	}
	return fill(p.Messages.GateDosed, "taken", p.localTime(taken.In(loc)), "next", p.localTime(h.Until.In(loc)))
}

// GateStatus describes the gate for the patient (/status), in plain words.
func (p *Protocol) GateStatus(s Session, now time.Time) string {
	hs := s.activeHolds(now)
	if len(hs) == 0 {
		return p.Messages.StatusReady
	}
	m := p.Messages
	words := map[GateReason]string{GateCrisis: m.StatusGateCrisis, GateReview: m.StatusGateReview, GatePaused: m.StatusGatePaused, GateIntake: m.StatusGateIntake}
	var parts []string
	for _, h := range hs {
		if h.Reason == GateDosed {
			parts = append(parts, fill(m.StatusGateDosed, "next", p.localTime(h.Until.In(s.Location(now.Location())))))
			continue
		}
		parts = append(parts, words[h.Reason])
	}
	return fill(m.StatusGate, "reasons", strings.Join(parts, "; "))
}

// GateSummary describes the gate for clinicians (/open, /history): each
// reason with who closed it and when, or who last opened it.
func GateSummary(s Session, now time.Time, loc *time.Location) string {
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") } // clinicians read the zone
	hs := s.activeHolds(now)
	if len(hs) == 0 {
		line := "Dose gate: open"
		if g := s.Gate; g != nil && !g.OpenedAt.IsZero() {
			line += fmt.Sprintf(" (cleared by %s at %s)", nameOr(g.OpenedByName, g.OpenedBy), stamp(g.OpenedAt))
		}
		return line
	}
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		part := string(h.Reason)
		if h.Detail != "" {
			part += ": " + h.Detail
		}
		if h.By != "" {
			part += ", by " + nameOr(h.ByName, h.By)
		}
		part += ", " + stamp(h.At)
		if h.Reason == GateDosed {
			part += ", opens " + stamp(h.Until)
		}
		parts = append(parts, part)
	}
	return "Dose gate: CLOSED (" + strings.Join(parts, "; ") + ")"
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// ClearGate opens the gate as a clinician decided (/clear, or "clear" when
// resolving an escalation), with their note. A `dosed` hold stays: only the
// minimum interval opens it. The patient is told in plain words. cleared is
// what was opened; empty when there was nothing a clinician could open.
func (p *Protocol) ClearGate(s Session, by GateActor, note string, now time.Time) (Outcome, []GateReason) {
	out := Outcome{Session: s}
	out.Audit = expireGate(&out.Session, now)
	opened, audit := openGate(&out.Session, by, note, now)
	out.Audit = append(out.Audit, audit...)
	if len(opened) == 0 {
		return out, nil
	}
	text := p.Messages.GateCleared
	if hs := out.Session.activeHolds(now); len(hs) > 0 {
		text = p.Messages.GateClearedDosed + "\n\n" + p.dosedText(out.Session, hs[0])
	}
	out.Replies = append([]Reply{{Text: text}}, p.reshow(out.Session)...)
	return out, opened
}

// PauseGate closes the gate by a clinician's hand (/pause), with a reason
// for the record; the patient is told plainly, without the clinician's
// wording. A check in progress can no longer clear.
func (p *Protocol) PauseGate(s Session, by GateActor, reason string, now time.Time) Outcome {
	out := Outcome{Session: s}
	out.Audit = closeGate(&out.Session, GateHold{Reason: GatePaused, Detail: reason, By: by.ID, ByName: by.Name, At: now})
	out.Replies = append([]Reply{{Text: p.Messages.GatePausedNow}}, p.reshow(out.Session)...)
	return out
}

// SetLimits sets (or, with nil, removes) the patient's own vitals limits,
// which the engine uses over the protocol's. They must be within the
// validator's ranges; the error says what is wrong and nothing changes.
func (p *Protocol) SetLimits(s Session, lim *VitalLimits, by GateActor) (Outcome, error) {
	if lim != nil {
		if err := lim.Check(); err != nil {
			return Outcome{Session: s}, err
		}
		l := VitalLimits{SystolicMax: lim.SystolicMax, DiastolicMax: lim.DiastolicMax, PulseMax: lim.PulseMax}
		lim = &l
	}
	s.Limits = lim
	f := map[string]string{"by": by.ID, "limits": "protocol"}
	if lim != nil {
		f["limits"] = lim.String()
	}
	return Outcome{Session: s, Audit: []AuditEvent{{Event: AuditLimitsSet, Fields: f}},
		Replies: append([]Reply{{Text: p.Messages.LimitsSet}}, p.reshow(s)...)}, nil
}

// limitRanges are the ranges a vitals limit may take, in the protocol file
// and per patient.
var limitRanges = []struct {
	name     string
	min, max int
	get      func(*VitalLimits) *int
}{
	{"systolic_max", 90, SystolicMax, func(l *VitalLimits) *int { return &l.SystolicMax }},
	{"diastolic_max", 50, DiastolicMax, func(l *VitalLimits) *int { return &l.DiastolicMax }},
	{"pulse_max", 40, PulseMax, func(l *VitalLimits) *int { return &l.PulseMax }},
}

// Check reports the first limit out of its range, or diastolic not below
// systolic, in words a clinician can act on.
func (l *VitalLimits) Check() error {
	for _, r := range limitRanges {
		if v := *r.get(l); v < r.min || v > r.max {
			return fmt.Errorf("%s is %d; it must be between %d and %d", r.name, v, r.min, r.max)
		}
	}
	if l.DiastolicMax >= l.SystolicMax {
		return fmt.Errorf("diastolic_max (%d) must be below systolic_max (%d)", l.DiastolicMax, l.SystolicMax)
	}
	return nil
}

// Enrol starts a new patient: the gate closes with `intake`, and the
// protocol's intake flow (kind: intake) starts. Its end tells the
// clinicians; without one, they are told at once that the patient awaits
// review. Either way only a clinician's /clear opens the gate.
func (p *Protocol) Enrol(s Session, now time.Time) Outcome {
	audit := closeGate(&s, GateHold{Reason: GateIntake, At: now})
	for _, f := range p.Flows {
		if f != nil && f.Kind == KindIntake {
			out, err := p.Start(s, f.ID, now)
			if err == nil {
				out.Audit = append(audit, out.Audit...)
				return out
			}
		}
	}
	esc := Escalation{Level: Routine, Flow: FlowIntake, Item: "intake", Question: "New patient: intake review",
		Answer: "no intake screen in this protocol", Reason: "New patient enrolled: review before the first dose, then " + ClearCommandHint, At: now}
	return Outcome{Session: s, Audit: audit, Escalations: []Escalation{esc}, Replies: []Reply{{Text: p.Messages.GateIntake}}}
}

// FlowIntake names the intake escalation's flow when the protocol has no
// intake flow.
const FlowIntake = "intake"

// ClearCommandHint is how clinicians are told to open the gate; bot puts
// the patient's label in the escalation text ("<label>" here).
const ClearCommandHint = "/clear <label> <note>"

// intakeDone is the ROUTINE escalation at the end of an intake flow: the
// positive answers (or none) and the command that opens the gate.
func intakeDone(f *Flow, answers []Answer, now time.Time) Escalation {
	var pos []string
	for _, a := range answers {
		if a.Value == "yes" {
			q := a.Item
			if it := f.Item(a.Item); it != nil && it.Summary != "" {
				q = it.Summary
			}
			pos = append(pos, q)
		}
	}
	answer := "no positives"
	if len(pos) > 0 {
		answer = "positive: " + strings.Join(pos, "; ")
	}
	return Escalation{Level: Routine, Flow: f.ID, Item: "intake", Question: f.Title + ": intake screen",
		Answer: answer, Reason: "New patient's intake screen: review before the first dose, then " + ClearCommandHint, At: now}
}
