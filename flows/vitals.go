package flows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Vitals is one blood pressure and pulse reading.
type Vitals struct {
	Systolic, Diastolic, Pulse int
}

// String renders the reading in the canonical form "128/82 72".
func (v Vitals) String() string { return fmt.Sprintf("%d/%d %d", v.Systolic, v.Diastolic, v.Pulse) }

// Plausible ranges for a typed reading (docs/clinical-basis.md); outside them we assume a
// typo and ask again rather than act on it.
const (
	SystolicMin, SystolicMax   = 70, 250
	DiastolicMin, DiastolicMax = 40, 150
	PulseMin, PulseMax         = 30, 220
)

// errVitals is returned for any unreadable reading, and errImplausible for
// a readable one outside the plausible ranges; the patient never sees them.
var (
	errVitals      = errors.New("flows: unreadable vitals")
	errImplausible = errors.New("flows: implausible vitals")
)

// words patients add around the numbers, dropped before reading them.
var vitalsWords = strings.NewReplacer(
	"mmhg", " ", "bpm", " ", "bp", " ", "pulse", " ", "hr", " ", "heart rate", " ",
	"blood pressure", " ", ",", " ", ";", " ", ":", " ", "=", " ",
)

// ParseVitals reads a typed reading like "128/82 72" (also "128 / 82, pulse 72"
// or "128/82/72") and checks it is plausible: systolic 70–250, diastolic
// 40–150, systolic above diastolic, pulse 30–220.
func ParseVitals(s string) (Vitals, error) {
	if len(s) > 100 {
		return Vitals{}, errVitals
	}
	s = vitalsWords.Replace(strings.ToLower(s))
	// The slash between systolic and diastolic is required: "128 82 72" is
	// more likely a typo than a reading.
	sys, rest, ok := strings.Cut(s, "/")
	if !ok {
		return Vitals{}, errVitals
	}
	rest = strings.Replace(rest, "/", " ", 1)
	fields := append(strings.Fields(sys), strings.Fields(rest)...)
	if len(fields) != 3 || len(strings.Fields(sys)) != 1 {
		return Vitals{}, errVitals
	}
	var n [3]int
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil || len(f) > 3 {
			return Vitals{}, errVitals
		}
		n[i] = v
	}
	v := Vitals{Systolic: n[0], Diastolic: n[1], Pulse: n[2]}
	switch {
	case v.Systolic < SystolicMin || v.Systolic > SystolicMax,
		v.Diastolic < DiastolicMin || v.Diastolic > DiastolicMax,
		v.Systolic <= v.Diastolic,
		v.Pulse < PulseMin || v.Pulse > PulseMax:
		// Read, but not believable: a typo or a faulty cuff, or a real
		// emergency. The patient is asked to measure again and to call
		// if the monitor shows it again, never told "couldn't read".
		return Vitals{}, errImplausible
	}
	return v, nil
}

// Within reports whether the reading is at or below every limit.
func (l VitalLimits) Within(v Vitals) bool {
	return v.Systolic <= l.SystolicMax && v.Diastolic <= l.DiastolicMax && v.Pulse <= l.PulseMax
}

// String renders the limits for a clinician, e.g. "160/90, pulse 100".
func (l VitalLimits) String() string {
	return fmt.Sprintf("%d/%d, pulse %d", l.SystolicMax, l.DiastolicMax, l.PulseMax)
}
