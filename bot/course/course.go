// Package course turns a patient's recorded check-ins, answers and
// escalations into what a clinician reviews over weeks: a chart (/trend),
// a one-screen summary (/history) and exports a clinic can file (/export:
// CSV and a FHIR R4 bundle). It is pure: it imports flows and the drawing
// and FHIR model libraries, never Telegram or Redis, so every output is
// tested from fixed data.
package course

import (
	"slices"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// Escalation is the plain part of an escalation on a patient's course.
type Escalation struct {
	ID    string
	Level flows.Level
	At    time.Time
	State string
	// Item and Reason are read for the weekly digest only: the missed dose
	// days (flows.ItemDoseDay) and why each ROUTINE item was raised.
	Item   string
	Reason string
}

// ScorePoint is one scored instrument (PHQ-9 or GAD-7).
type ScorePoint struct {
	At    time.Time
	Total int
	Band  string
}

// Reading is one blood pressure and pulse reading.
type Reading struct {
	At time.Time
	flows.Vitals
}

// Hold is a pre-dose check that ended with "do not take the dose now".
type Hold struct {
	At     time.Time
	Reason string
}

// Course is a patient's course, every list oldest first.
type Course struct {
	Label       string
	CheckIns    []flows.Completion
	Answers     []flows.Answer // every recorded answer, the dose button included
	PHQ9, GAD7  []ScorePoint
	Readings    []Reading
	Doses       []time.Time
	Holds       []Hold
	Escalations []Escalation
}

// Build assembles a course from the recorded check-ins and answers (oldest
// first, as store returns them) and the patient's escalations.
func Build(label string, checkins []flows.Completion, answers []flows.Answer, escs []Escalation) Course {
	c := Course{Label: label, CheckIns: checkins, Answers: answers, Escalations: slices.Clone(escs)}
	slices.SortStableFunc(c.Escalations, func(a, b Escalation) int { return a.At.Compare(b.At) })
	for _, ci := range checkins {
		if ci.Outcome == flows.OutcomeHeld {
			c.Holds = append(c.Holds, Hold{At: ci.EndedAt, Reason: ci.Reason})
		}
		// The engine scores an instrument only when every scored item was
		// answered: a PHQ-9 stopped by item 9's crisis still has its total.
		if ci.Score == nil {
			continue
		}
		p := ScorePoint{At: ci.EndedAt, Total: ci.Score.Total, Band: ci.Score.Band}
		switch ci.Score.Instrument {
		case flows.InstrumentPHQ9:
			c.PHQ9 = append(c.PHQ9, p)
		case flows.InstrumentGAD7:
			c.GAD7 = append(c.GAD7, p)
		}
	}
	for _, a := range answers {
		if a.Item == flows.DoseItem && a.Value == flows.DoseTaken {
			c.Doses = append(c.Doses, a.At)
			continue
		}
		// A reading is any answer whose canonical value is "SYS/DIA PULSE"
		// (vitals items store exactly that), whatever the item is called.
		if v, err := flows.ParseVitals(a.Value); err == nil {
			c.Readings = append(c.Readings, Reading{At: a.At, Vitals: v})
		}
	}
	return c
}

// Span returns the first and last time on the course; ok is false when
// nothing is recorded.
func (c Course) Span() (first, last time.Time, ok bool) {
	var times []time.Time
	for _, ci := range c.CheckIns {
		times = append(times, ci.EndedAt)
	}
	for _, a := range c.Answers {
		times = append(times, a.At)
	}
	for _, e := range c.Escalations {
		times = append(times, e.At)
	}
	if len(times) == 0 {
		return time.Time{}, time.Time{}, false
	}
	return slices.MinFunc(times, time.Time.Compare), slices.MaxFunc(times, time.Time.Compare), true
}
