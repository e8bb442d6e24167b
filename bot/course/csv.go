package course

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// CSVColumns are the export's columns, one row per recorded answer:
//
//	patient           the patient's label (never a name)
//	flow              the flow id (predose, postsession, phq9, …; "timeline" for the ping)
//	run               the run id the answer belongs to (one check-in, one dose)
//	outcome           how the check-in ended (cleared, held, completed, cancelled, stopped); empty for
//	                  answers outside a completed check-in (the dose button, the ping)
//	reason            why it ended so (e.g. the hold's reason)
//	score_instrument  phq9 or gad7 for a scored instrument
//	score_total       its total
//	score_band        its severity band
//	started_at        when the check-in started (RFC 3339, clinic time zone)
//	ended_at          when it ended
//	protocol_version  the protocol version it ran under
//	item              the question's id in the protocol (e.g. vitals, phq9)
//	value             the canonical answer ("yes", a choice id, "128/82 72", a number, text)
//	display           the answer as the clinician reads it (the choice label)
//	answered_at       when it was answered
//
// A check-in with no answers is one row with the item columns empty.
var CSVColumns = []string{
	"patient", "flow", "run", "outcome", "reason", "score_instrument", "score_total", "score_band",
	"started_at", "ended_at", "protocol_version", "item", "value", "display", "answered_at",
}

// CSV writes every check-in and answer of the course as RFC 4180 CSV with
// a header row, times in loc, oldest first.
func (c Course) CSV(loc *time.Location) ([]byte, error) {
	type row struct {
		at     time.Time
		fields []string
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	var rows []row
	inCheckIn := map[string]bool{}
	key := func(a flows.Answer) string {
		return a.Flow + "\x00" + a.Run + "\x00" + a.Item + "\x00" + strconv.FormatInt(a.At.UnixNano(), 10)
	}
	for _, ci := range c.CheckIns {
		head := []string{c.Label, ci.Flow, ci.Run, ci.Outcome, cell(ci.Reason), "", "", "",
			ts(ci.StartedAt), ts(ci.EndedAt), ci.ProtocolVersion}
		if ci.Score != nil {
			head[5], head[6], head[7] = ci.Score.Instrument, strconv.Itoa(ci.Score.Total), ci.Score.Band
		}
		if len(ci.Answers) == 0 {
			rows = append(rows, row{ci.EndedAt, append(head, "", "", "", "")})
		}
		for _, a := range ci.Answers {
			inCheckIn[key(a)] = true
			rows = append(rows, row{a.At, append(slices.Clone(head), a.Item, cell(a.Value), cell(a.Display), ts(a.At))})
		}
	}
	// Answers outside a completed check-in: the dose button, the ping, a
	// check-in still in progress or abandoned.
	for _, a := range c.Answers {
		if inCheckIn[key(a)] {
			continue
		}
		rows = append(rows, row{a.At, []string{c.Label, a.Flow, a.Run, "", "", "", "", "", "", "", a.ProtocolVersion,
			a.Item, cell(a.Value), cell(a.Display), ts(a.At)}})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.at.Compare(b.at) })

	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true // RFC 4180
	if err := w.Write(CSVColumns); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if err := w.Write(r.fields); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// cell guards a free-text cell against formula injection: a spreadsheet
// would run a patient's journal entry starting with "=" as a formula, so
// such a cell gets a leading apostrophe (OWASP's advice).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
