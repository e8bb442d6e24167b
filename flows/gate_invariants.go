package flows

import (
	"fmt"
	"time"
)

// The safety invariants: what the engine does whatever a clinic's protocol
// file says, so that no file can switch them off (README, "The dose gate and
// the safety invariants").

// Hypertensive urgency (American Heart Association): at or above 180
// systolic or 120 diastolic. No dose, no "rest and re-measure".
const (
	UrgencySystolic  = 180
	UrgencyDiastolic = 120
)

// HypertensiveUrgency reports whether the reading is in the hypertensive
// crisis range.
func (v Vitals) HypertensiveUrgency() bool {
	return v.Systolic >= UrgencySystolic || v.Diastolic >= UrgencyDiastolic
}

// hypertensiveUrgency is the engine's response to such a reading, in place
// of the item's rules and re-measure: HIGH, advice to seek care if there
// are symptoms, and in a check an immediate hold.
func (p *Protocol) hypertensiveUrgency(f *Flow, it *Item, a reading, now time.Time) effects {
	m := &p.Messages
	e := effects{
		escalate: []Escalation{{
			Level: High, Flow: f.ID, Item: it.ID, Question: it.Summary, Answer: a.display,
			Reason: fmt.Sprintf("Hypertensive urgency range (%s; at or above %d/%d): held at once, no re-measure", a.display, UrgencySystolic, UrgencyDiastolic),
			At:     now,
		}},
		event: evAnswer,
	}
	if f.Kind == KindCheck {
		e.hold = &Hold{Reason: m.BPUrgencyReason, Next: m.BPUrgencyNext}
		e.event, e.forced = evHold, true
	} else {
		e.advise = []string{m.BPUrgencyReason + " " + m.BPUrgencyNext}
	}
	return e
}

// invariants adds what an answer must raise whatever the item's rules say:
// PHQ-9 item 9 above 0 is URGENT with the crisis resources; a rule that
// shows the crisis resources tells a clinician (ROUTINE at least).
func (p *Protocol) invariants(f *Flow, it *Item, a reading, e *effects, now time.Time) {
	if isPHQ9Item9(f, it) {
		if ch := it.choice(a.value); ch != nil && ch.Score != nil && *ch.Score > 0 && e.urgent() == nil {
			e.escalate = append(e.escalate, Escalation{
				Level: Urgent, Flow: f.ID, Item: it.ID, Question: it.Summary, Answer: a.display,
				Reason: "PHQ-9 item 9 above 0 (thoughts of being better off dead or of self-harm)", At: now,
			})
			e.crisis = true
		}
	}
	if e.crisis && len(e.escalate) == 0 {
		e.escalate = append(e.escalate, Escalation{
			Level: Routine, Flow: f.ID, Item: it.ID, Question: it.Summary, Answer: a.display,
			Reason: "crisis resources shown to the patient for this answer", At: now,
		})
	}
}

// isPHQ9Item9 reports whether it is the ninth scored item of a PHQ-9 flow,
// whatever its id.
func isPHQ9Item9(f *Flow, it *Item) bool {
	if f.Kind != KindInstrument || f.Instrument != InstrumentPHQ9 {
		return false
	}
	n := 0
	for _, x := range f.Items {
		if len(x.Choices) > 0 && x.Choices[0].Score != nil {
			n++
			if x == it {
				return n == phq9Items
			}
		}
	}
	return false
}

// severeBand is the ROUTINE escalation of a severe PHQ-9 or GAD-7 total,
// raised even on the first score (there is no baseline to compare yet).
func severeBand(f *Flow, sc *Score, now time.Time) *Escalation {
	if sc == nil || sc.Band != BandSevere {
		return nil
	}
	return &Escalation{
		Level: Routine, Flow: f.ID, Item: "total", Question: f.Title + ": total score",
		Answer: fmt.Sprintf("%d (%s)", sc.Total, sc.Band),
		Reason: "total in the severe band", At: now,
	}
}
