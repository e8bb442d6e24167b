package flows

import (
	"slices"
	"strings"
	"testing"
)

func TestBands(t *testing.T) {
	phq := map[int]string{0: BandMinimal, 4: BandMinimal, 5: BandMild, 9: BandMild, 10: BandModerate, 14: BandModerate,
		15: BandModeratelySevere, 19: BandModeratelySevere, 20: BandSevere, 27: BandSevere}
	for total, want := range phq {
		if got := PHQ9Band(total); got != want {
			t.Errorf("PHQ9Band(%d) = %q, want %q", total, got, want)
		}
	}
	gad := map[int]string{0: BandMinimal, 4: BandMinimal, 5: BandMild, 9: BandMild, 10: BandModerate, 14: BandModerate, 15: BandSevere, 21: BandSevere}
	for total, want := range gad {
		if got := GAD7Band(total); got != want {
			t.Errorf("GAD7Band(%d) = %q, want %q", total, got, want)
		}
	}
}

// spread returns n item scores summing to total (each 0–3).
func spread(n, total int) []int {
	items := make([]int, n)
	for i := range items {
		v := min(3, total)
		items[i], total = v, total-v
	}
	return items
}

func TestScorers(t *testing.T) {
	for total := 0; total <= 27; total++ {
		s, err := ScorePHQ9(spread(9, total))
		if err != nil || s.Total != total || s.Band != PHQ9Band(total) || s.Instrument != InstrumentPHQ9 {
			t.Errorf("ScorePHQ9 total %d = %+v, %v", total, s, err)
		}
	}
	for total := 0; total <= 21; total++ {
		s, err := ScoreGAD7(spread(7, total))
		if err != nil || s.Total != total || s.Band != GAD7Band(total) {
			t.Errorf("ScoreGAD7 total %d = %+v, %v", total, s, err)
		}
	}
	for _, bad := range [][]int{nil, spread(8, 3), append(spread(8, 0), 4), append(spread(8, 0), -1)} {
		if _, err := ScorePHQ9(bad); err == nil {
			t.Errorf("ScorePHQ9(%v) succeeded", bad)
		}
	}
	if _, err := ScoreGAD7(spread(9, 0)); err == nil {
		t.Error("ScoreGAD7 with 9 items succeeded")
	}
}

func TestPHQHelpers(t *testing.T) {
	if !PHQ9SelfHarm([]int{0, 0, 0, 0, 0, 0, 0, 0, 1}) || PHQ9SelfHarm(spread(9, 24)) || PHQ9SelfHarm(nil) {
		t.Error("PHQ9SelfHarm")
	}
	if !PHQ2Positive([]int{1, 2}) || PHQ2Positive([]int{1, 1, 3}) {
		t.Error("PHQ2Positive")
	}
	base := Score{Instrument: InstrumentPHQ9, Total: 6}
	if !Worsened(base, Score{Instrument: InstrumentPHQ9, Total: 11}) || Worsened(base, Score{Instrument: InstrumentPHQ9, Total: 10}) ||
		Worsened(base, Score{Instrument: InstrumentGAD7, Total: 20}) {
		t.Error("Worsened")
	}
}

// TestBaselineWorsening: the first total on an instrument is the baseline;
// a later total 5 or more points above it raises a ROUTINE escalation.
func TestBaselineWorsening(t *testing.T) {
	take := func(w *walker, answers ...string) Outcome {
		w.start(FlowGAD7)
		var out Outcome
		for _, v := range answers {
			out = w.btn(v)
		}
		return out
	}
	tests := []struct {
		name        string
		first, then []string
		escalate    bool
	}{
		{"first score is only the baseline", []string{"0", "0", "0", "0", "0", "0", "0"}, nil, false},
		{"rise of 4 is not worth a note", []string{"1", "0", "0", "0", "0", "0", "0"}, []string{"1", "1", "1", "1", "1", "0", "0"}, false},
		{"rise of exactly 5", []string{"1", "0", "0", "0", "0", "0", "0"}, []string{"1", "1", "1", "1", "1", "1", "0"}, true},
		{"a fall is fine", []string{"2", "2", "2", "2", "2", "2", "2"}, []string{"0", "0", "0", "0", "0", "0", "0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWalker(t, testProtocol(t))
			out := take(w, tt.first...)
			if len(out.Escalations) != 0 {
				t.Fatalf("first score escalated: %+v", out.Escalations)
			}
			if tt.then == nil {
				if w.s.Baselines[InstrumentGAD7] != 0 || len(w.s.Baselines) != 1 {
					t.Fatalf("baselines = %v", w.s.Baselines)
				}
				return
			}
			out = take(w, tt.then...)
			got := levels(out)
			if tt.escalate != slices.Contains(got, Routine) {
				t.Fatalf("escalations %v, want ROUTINE = %v", got, tt.escalate)
			}
			if tt.escalate && !strings.Contains(out.Escalations[0].Reason, "rose 5 points") {
				t.Fatalf("reason = %q", out.Escalations[0].Reason)
			}
		})
	}
}
