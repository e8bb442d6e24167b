package flows

import (
	"fmt"
	"time"
)

// Instrument ids, equal to the flow ids of the default protocol.
const (
	InstrumentPHQ9 = "phq9"
	InstrumentGAD7 = "gad7"
)

// Band labels of PHQ-9 and GAD-7.
const (
	BandMinimal           = "minimal"
	BandMild              = "mild"
	BandModerate          = "moderate"
	BandModeratelySevere  = "moderately severe"
	BandSevere            = "severe"
	phq9Items, gad7Items  = 9, 7
	itemMin, itemMax      = 0, 3
	worseningRise         = 5
	phq2PositiveThreshold = 3
)

// band is a severity band: the highest total it covers, and its label.
type band struct {
	upTo  int
	label string
}

// The published cut-offs (docs/clinical-basis.md): PHQ-9 0–4, 5–9, 10–14,
// 15–19, 20–27; GAD-7 0–4, 5–9, 10–14, 15–21.
var (
	phq9Bands = []band{{4, BandMinimal}, {9, BandMild}, {14, BandModerate}, {19, BandModeratelySevere}, {27, BandSevere}}
	gad7Bands = []band{{4, BandMinimal}, {9, BandMild}, {14, BandModerate}, {21, BandSevere}}
)

// bandOf returns the label of the first band that covers total; a total
// above them all is in the last.
func bandOf(bands []band, total int) string {
	for _, b := range bands {
		if total <= b.upTo {
			return b.label
		}
	}
	return bands[len(bands)-1].label
}

// PHQ9Band returns the PHQ-9 severity band of a total (0–27).
func PHQ9Band(total int) string { return bandOf(phq9Bands, total) }

// GAD7Band returns the GAD-7 severity band of a total (0–21).
func GAD7Band(total int) string { return bandOf(gad7Bands, total) }

// ScorePHQ9 totals nine item scores (each 0–3) and bands the total.
func ScorePHQ9(items []int) (Score, error) {
	total, err := sumItems(InstrumentPHQ9, items, phq9Items)
	if err != nil {
		return Score{}, err
	}
	return Score{Instrument: InstrumentPHQ9, Total: total, Band: PHQ9Band(total)}, nil
}

// ScoreGAD7 totals seven item scores (each 0–3) and bands the total.
func ScoreGAD7(items []int) (Score, error) {
	total, err := sumItems(InstrumentGAD7, items, gad7Items)
	if err != nil {
		return Score{}, err
	}
	return Score{Instrument: InstrumentGAD7, Total: total, Band: GAD7Band(total)}, nil
}

// PHQ9SelfHarm reports whether PHQ-9 item 9 (thoughts of being better off
// dead or of self-harm) is above 0, which is URGENT whatever the total.
func PHQ9SelfHarm(items []int) bool { return len(items) == phq9Items && items[8] > 0 }

// PHQ2Positive reports whether the first two PHQ-9 items sum to 3 or more,
// the PHQ-2 positive screen.
func PHQ2Positive(items []int) bool {
	return len(items) >= 2 && items[0]+items[1] >= phq2PositiveThreshold
}

// Worsened reports whether a score rose by 5 or more over the patient's
// baseline on the same instrument, worth a ROUTINE note to the clinician.
func Worsened(baseline, current Score) bool {
	return baseline.Instrument == current.Instrument && current.Total-baseline.Total >= worseningRise
}

func sumItems(name string, items []int, want int) (int, error) {
	if len(items) != want {
		return 0, fmt.Errorf("flows: %s needs %d item scores, got %d", name, want, len(items))
	}
	total := 0
	for i, v := range items {
		if v < itemMin || v > itemMax {
			return 0, fmt.Errorf("flows: %s item %d score %d is outside 0–3", name, i+1, v)
		}
		total += v
	}
	return total, nil
}

// scorers maps a flow's instrument name to its scorer.
var scorers = map[string]func([]int) (Score, error){
	InstrumentPHQ9: ScorePHQ9,
	InstrumentGAD7: ScoreGAD7,
}

// compareBaseline records an instrument's first total as the patient's
// baseline, and returns a ROUTINE escalation when a later total has risen by
// 5 or more over it (docs/clinical-basis.md). It returns nil for non-instrument flows.
func compareBaseline(s *Session, f *Flow, score *Score, now time.Time) *Escalation {
	if score == nil {
		return nil
	}
	base, ok := s.Baselines[score.Instrument]
	if !ok {
		if s.Baselines == nil {
			s.Baselines = map[string]int{}
		}
		s.Baselines[score.Instrument] = score.Total
		return nil
	}
	if !Worsened(Score{Instrument: score.Instrument, Total: base}, *score) {
		return nil
	}
	return &Escalation{
		Level:    Routine,
		Flow:     f.ID,
		Item:     "total",
		Question: f.Title + ": total score",
		Answer:   fmt.Sprintf("%d (%s)", score.Total, score.Band),
		Reason:   fmt.Sprintf("total rose %d points over the first score of %d", score.Total-base, base),
		At:       now,
	}
}
