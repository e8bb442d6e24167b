package bot_test

import (
	"context"
	"testing"
)

// gad7Items are distinctive words of each GAD-7 question, in order.
var gad7Items = []string{"nervous", "stop or control", "too much", "Trouble relaxing", "restless", "annoyed", "afraid"}

// phq9Items are distinctive words of each PHQ-9 question, in order.
var phq9Items = []string{"Little interest", "Feeling down", "asleep", "little energy", "appetite",
	"Feeling bad about yourself", "concentrating", "speaking so slowly", "better off dead"}

// TestInstrumentsScoredAndStored takes GAD-7 twice and PHQ-9 once through
// the emulator: results are stored with score, band and time; a rise of 5
// over the first score is ROUTINE; PHQ-9 item 9 above 0 is URGENT with
// crisis resources whatever the total.
func TestInstrumentsScoredAndStored(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	ctx := context.Background()

	takeGAD7 := func(labels ...string) {
		h.t.Helper()
		h.say(patient, "/gad7")
		for i, q := range gad7Items {
			h.answer(q, labels[i])
		}
		h.expect(patient.ID, "Thank you")
	}
	takeGAD7("Not at all", "Not at all", "Not at all", "Several days", "Not at all", "Not at all", "Not at all")
	takeGAD7("Several days", "Several days", "Several days", "Several days", "Several days", "Several days", "Not at all")
	h.expect(clinician.ID, "ROUTINE", "P-0042", "rose 5 points")

	checkins, err := h.st.CheckIns(ctx, patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkins = withoutIntake(checkins)
	if len(checkins) != 2 {
		t.Fatalf("%d check-ins recorded, want 2", len(checkins))
	}
	for i, want := range []struct {
		total int
		band  string
	}{{1, "minimal"}, {6, "mild"}} {
		c := checkins[i]
		if c.Score == nil || c.Score.Instrument != "gad7" || c.Score.Total != want.total || c.Score.Band != want.band || c.EndedAt.IsZero() {
			t.Errorf("check-in %d = %+v (score %+v), want GAD-7 %d %s", i, c, c.Score, want.total, want.band)
		}
	}

	h.say(patient, "/phq9")
	for _, q := range phq9Items[:8] {
		h.answer(q, "Not at all")
	}
	h.answer(phq9Items[8], "Several days")
	h.expect(patient.ID, "988", "911")
	h.expect(clinician.ID, "URGENT", "P-0042")
}
