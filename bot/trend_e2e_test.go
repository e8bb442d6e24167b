package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/course"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
)

// courseScenario gives P-0042 a course: the intake, one dose with its
// reading, a GAD-7 and a PHQ-9 whose item 9 raises an URGENT escalation.
func courseScenario(t *testing.T) *harness {
	h := newPatientHarness(t)
	h.takeDose()
	h.say(patient, "/gad7")
	for _, q := range gad7Items {
		h.answer(q, "Several days")
	}
	h.expect(patient.ID, "Thank you")
	h.phq9WithItem9("More than half the days")
	return h
}

// phq9WithItem9 answers a PHQ-9 with label for the first eight items and
// "Several days" for item 9, which is URGENT: crisis resources for the
// patient, an escalation for the clinician.
func (h *harness) phq9WithItem9(label string) {
	h.t.Helper()
	h.say(patient, "/phq9")
	for _, q := range phq9Items[:8] {
		h.answer(q, label)
	}
	h.answer(phq9Items[8], "Several days")
	h.expect(patient.ID, "988", "911")
	h.expect(clinician.ID, "URGENT", "P-0042")
}

// sentFile waits for the next file the bot sends to chat whose caption
// contains every part, and returns it with the call that sent it.
func (h *harness) sentFile(chat int64, method string, parts ...string) (telegramtest.Message, telegramtest.Call) {
	h.t.Helper()
	m := h.expectMatch(chat, func(m telegramtest.Message) bool {
		if m.File == nil {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(m.Text, p) {
				return false
			}
		}
		return true
	})
	// The emulator records the call as it answers it, just after the
	// message shows.
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, c := range h.tg.Calls(method) {
			if len(c.Files) == 1 && c.Files[0].Name == m.File.Name && c.Status == 200 {
				return m, c
			}
		}
	}
	h.t.Fatalf("no %s call sent %s", method, m.File.Name)
	return m, telegramtest.Call{}
}

// byClinician are the audit fields of a view of P-0042 by the clinician.
var byClinician = map[string]string{"by": "500", "patient": "P-0042"}

// TestTrendChart: /trend sends a protected PNG of the course, of the chart's
// size, with one point per recorded score, reading, dose and escalation;
// the view is audited.
func TestTrendChart(t *testing.T) {
	h := courseScenario(t)
	escs, err := h.st.ChatEscalations(context.Background(), patient.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(escs) < 2 { // the intake's ROUTINE and item 9's URGENT
		t.Fatalf("escalations of the patient: %+v", escs)
	}

	h.say(clinician, "/trend P-0042")
	m, call := h.sentFile(clinician.ID, "sendPhoto", "P-0042")
	if call.Params["protect_content"] != "true" {
		t.Errorf("chart sent without protect_content: %v", call.Params)
	}
	img, err := png.Decode(bytes.NewReader(call.Uploads[0]))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != course.ChartWidth || b.Dy() != course.ChartHeight {
		t.Errorf("chart is %dx%d, want %dx%d", b.Dx(), b.Dy(), course.ChartWidth, course.ChartHeight)
	}
	// The caption states the plotted points (course.Points).
	for _, want := range []string{"1 PHQ-9", "1 GAD-7", "1 readings", "1 doses", "0 holds",
		strconv.Itoa(len(escs)) + " escalations"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("caption %q lacks %q", m.Text, want)
		}
	}
	if n := h.auditCount("trend.viewed", byClinician); n != 1 {
		t.Errorf("%d trend.viewed audit entries, want 1", n)
	}

	h.exchange(clinician, "/trend", "Usage: /trend")
	h.exchange(clinician, "/trend P-9999", "No patient is enrolled as P-9999")
}

// TestExport: /export sends a CSV of every check-in and answer and a FHIR R4
// bundle with the LOINC codes, both protected; audited.
func TestExport(t *testing.T) {
	h := courseScenario(t)
	h.say(clinician, "/export P-0042")
	_, csvCall := h.sentFile(clinician.ID, "sendDocument", "P-0042", "CSV")
	_, fhirCall := h.sentFile(clinician.ID, "sendDocument", "P-0042", "FHIR R4")
	for _, c := range []telegramtest.Call{csvCall, fhirCall} {
		if c.Params["protect_content"] != "true" {
			t.Errorf("%s sent without protect_content", c.Files[0].Name)
		}
	}

	rows, err := csv.NewReader(bytes.NewReader(csvCall.Uploads[0])).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if !slices.Equal(rows[0], course.CSVColumns) {
		t.Errorf("CSV header %v", rows[0])
	}
	items := map[string]int{}
	for _, r := range rows[1:] {
		items[r[slices.Index(course.CSVColumns, "item")]]++
	}
	answers, err := h.st.Answers(context.Background(), patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 < len(answers) || items["vitals"] != 1 || items[flows.DoseItem] != 1 || items["phq9"] != 1 || items["gad7"] != 1 {
		t.Errorf("CSV has %d rows for %d answers; by item %v", len(rows)-1, len(answers), items)
	}

	var b struct {
		ResourceType, Type string
		Entry              []struct {
			Resource struct {
				ResourceType string
				Code         struct {
					Coding []struct{ System, Code string }
				}
				Questionnaire string
			}
		}
	}
	if err := json.Unmarshal(fhirCall.Uploads[0], &b); err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, e := range b.Entry {
		r := e.Resource
		switch r.ResourceType {
		case "Observation":
			codes[r.Code.Coding[0].Code]++
		case "QuestionnaireResponse":
			codes[r.Questionnaire]++
		}
	}
	want := map[string]int{course.LOINCPHQ9Total: 1, course.LOINCGAD7Total: 1, course.LOINCBPPanel: 1, course.LOINCHeartRate: 1,
		"http://loinc.org/q/" + course.LOINCPHQ9Panel: 1, "http://loinc.org/q/" + course.LOINCGAD7Panel: 1}
	if b.ResourceType != "Bundle" || b.Type != "collection" || len(b.Entry) != 6 {
		t.Errorf("bundle %s/%s with %d entries, want Bundle/collection with 6", b.ResourceType, b.Type, len(b.Entry))
	}
	for code, n := range want {
		if codes[code] != n {
			t.Errorf("%s: %d resources, want %d (all: %v)", code, codes[code], n, codes)
		}
	}
	if n := h.auditCount("export.sent", byClinician); n != 1 {
		t.Errorf("%d export.sent audit entries, want 1", n)
	}
}

// TestCourseOnlyInPrivate: charts, exports and /history are refused in a
// group, with a clear answer, nothing sent and nothing audited.
func TestCourseOnlyInPrivate(t *testing.T) {
	const group = -100700
	h := courseScenario(t)
	for _, cmd := range []string{"/trend P-0042", "/export P-0042", "/history P-0042"} {
		h.tg.SendGroupText(clinician, group, cmd)
		h.expect(group, "only in a private chat")
	}
	if n := len(h.tg.Calls("sendPhoto")) + len(h.tg.Calls("sendDocument")); n != 0 {
		t.Errorf("%d files sent after refusals", n)
	}
	for _, event := range []string{"trend.viewed", "export.sent", "history.viewed"} {
		if n := h.auditCount(event, byClinician); n != 0 {
			t.Errorf("%d %s audit entries after a refusal", n, event)
		}
	}
}

// TestHistorySummary: /history starts with the course summary: doses, holds,
// the last scores and their change.
func TestHistorySummary(t *testing.T) {
	h := courseScenario(t)
	h.say(patient, "/gad7")
	for _, q := range gad7Items {
		h.answer(q, "Not at all")
	}
	h.expect(patient.ID, "Thank you")
	h.say(clinician, "/history P-0042")
	m := h.expect(clinician.ID, "Summary of P-0042")
	for _, want := range []string{"Doses taken: 1", "Holds: 0", "PHQ-9: 17 (moderately severe)", "the first",
		"GAD-7: 0 (minimal)", "down 7 from 7", "URGENT 1", "Check-ins of P-0042"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("history lacks %q:\n%s", want, m.Text)
		}
	}
}

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
	h := newPatientHarness(t)
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

	h.phq9WithItem9("Not at all")
}
