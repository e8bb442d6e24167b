package course_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/course"
	"github.com/checkinbot/checkinbot/flows"
)

// FuzzExports feeds arbitrary stored answers (a journal entry, a typed
// reading, a choice id) through the exports: the CSV reads back with the
// same cell (a leading formula character defused with '), the bundle is
// JSON, and nothing panics.
func FuzzExports(f *testing.F) {
	for _, seed := range []string{"128/82 72", "=1+1", "-2", "3", "line\nbreak, \"quoted\"", "", "\xff\xfe", "250/150/220"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		a := flows.Answer{Flow: flows.InstrumentPHQ9, Run: "r1", Item: "phq1", Value: value, Display: value, At: day0}
		ci := flows.Completion{Flow: flows.InstrumentPHQ9, Run: "r1", Outcome: flows.OutcomeCompleted, EndedAt: day0,
			Score: &flows.Score{Instrument: flows.InstrumentPHQ9, Total: 1, Band: "minimal"}, Answers: []flows.Answer{a}}
		c := course.Build("P-1", []flows.Completion{ci}, []flows.Answer{a}, nil)
		data, err := c.CSV(time.UTC)
		if err != nil {
			return // encoding/csv refuses only what it cannot write; nothing to read back
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not read back: %v", err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows, want the header and one", len(rows))
		}
		// encoding/csv's reader drops carriage returns inside quoted
		// fields (\r\n reads as \n), so compare without them.
		got := strings.ReplaceAll(rows[1][12], "\r", "")
		want := strings.ReplaceAll(value, "\r", "")
		if got != want && got != "'"+want {
			t.Errorf("value cell %q, want %q", got, want)
		}
		bundle, err := c.FHIR(day0)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(bundle) {
			t.Error("bundle is not JSON")
		}
	})
}
