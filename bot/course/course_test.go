package course_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/course"
	"github.com/checkinbot/checkinbot/flows"
)

var update = flag.Bool("update", false, "rewrite the golden chart and digest in testdata/ (and the chart in docs/)")

var (
	chicago = mustLoad("America/Chicago")
	day0    = time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// fixture is four weeks of a course: a weekly PHQ-9 and GAD-7 that fall,
// a dose day twice a week with a reading each, two holds and three
// escalations. want counts what it holds.
func fixture() (course.Course, course.Points) {
	var checkins []flows.Completion
	var answers []flows.Answer
	var want course.Points
	at := func(d int, h time.Duration) time.Time { return day0.AddDate(0, 0, d).Add(h) }
	instrument := func(d int, id, prefix string, items []int, band string) {
		run := fmt.Sprintf("%s-%d", id, d)
		ci := flows.Completion{Flow: id, Run: run, Outcome: flows.OutcomeCompleted, StartedAt: at(d, 0), EndedAt: at(d, 5*time.Minute), ProtocolVersion: "v1"}
		total := 0
		for i, v := range items {
			total += v
			ci.Answers = append(ci.Answers, flows.Answer{Flow: id, Run: run, Item: fmt.Sprintf("%s%d", prefix, i+1),
				Value: fmt.Sprint(v), Display: fmt.Sprint("score ", v), At: at(d, time.Duration(i)*time.Second), ProtocolVersion: "v1"})
		}
		ci.Score = &flows.Score{Instrument: id, Total: total, Band: band}
		checkins = append(checkins, ci)
	}
	for w := range 4 {
		instrument(7*w, flows.InstrumentPHQ9, "phq", []int{3, 3, 2, 2, 2, 2, 1, 1, 0}[:9-w], "moderate")
		instrument(7*w, flows.InstrumentGAD7, "gad", []int{3, 2, 2, 2, 1, 1, 0}[:7-w], "mild")
		want.PHQ9++
		want.GAD7++
		for _, d := range []int{7*w + 1, 7*w + 4} {
			run := fmt.Sprintf("dose-%d", d)
			v := flows.Vitals{Systolic: 120 + 2*d, Diastolic: 80 + d/2, Pulse: 70 + d}
			a := flows.Answer{Flow: flows.FlowPreDose, Run: run, Item: "vitals", Value: v.String(), Display: v.String(), At: at(d, time.Hour)}
			answers = append(answers, a)
			want.Readings++
			outcome, reason := flows.OutcomeCleared, ""
			if d == 8 || d == 22 {
				outcome, reason = flows.OutcomeHeld, "no sitter"
				want.Holds++
			}
			checkins = append(checkins, flows.Completion{Flow: flows.FlowPreDose, Run: run, Outcome: outcome, Reason: reason,
				StartedAt: at(d, time.Hour), EndedAt: at(d, time.Hour+time.Minute), Answers: []flows.Answer{a}})
			if outcome == flows.OutcomeCleared {
				answers = append(answers, flows.Answer{Flow: flows.FlowPreDose, Run: run, Item: flows.DoseItem, Value: flows.DoseTaken, Display: "I've taken my dose", At: at(d, 2*time.Hour)})
				want.Doses++
			}
		}
	}
	escs := []course.Escalation{
		{ID: "3", Level: flows.Routine, At: at(12, 0)},
		{ID: "1", Level: flows.Urgent, At: at(3, 0)},
		{ID: "2", Level: flows.High, At: at(8, time.Hour)},
	}
	want.Escalations = len(escs)
	return course.Build("P-0042", checkins, answers, escs), want
}

func TestChartSizeAndPoints(t *testing.T) {
	c, want := fixture()
	data, got, err := c.Chart(chicago)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("points = %+v, want %+v", got, want)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != course.ChartWidth || b.Dy() != course.ChartHeight {
		t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), course.ChartWidth, course.ChartHeight)
	}
}

func TestChartGolden(t *testing.T) {
	c, _ := fixture()
	data, _, err := c.Chart(chicago)
	if err != nil {
		t.Fatal(err)
	}
	// The README shows the same picture, from docs/.
	for _, golden := range []string{filepath.Join("testdata", "trend.golden.png"), filepath.Join("..", "..", "docs", "trend-example.png")} {
		if *update {
			if err := os.WriteFile(golden, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		// Pixels, not bytes: the encoder's compression may change between
		// library versions while the picture does not.
		if diff := pixelDiff(t, want, data); diff > 0 {
			t.Errorf("the chart differs from %s in %d pixels; look at it, then run with -update if the change is meant", golden, diff)
		}
	}
}

func pixelDiff(t *testing.T, a, b []byte) int {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ia.Bounds() != ib.Bounds() {
		return ia.Bounds().Dx() * ia.Bounds().Dy()
	}
	n := 0
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !samePixel(ia, ib, x, y) {
				n++
			}
		}
	}
	return n
}

func samePixel(a, b image.Image, x, y int) bool {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func TestChartOfNothingIsAnError(t *testing.T) {
	if _, _, err := course.Build("P-1", nil, nil, nil).Chart(time.UTC); err == nil {
		t.Error("a chart of an empty course: want an error (the bot answers in words)")
	}
}

func TestSummary(t *testing.T) {
	c, _ := fixture()
	got := c.Summary(chicago)
	for _, want := range []string{
		"Summary of P-0042 since Mon Nov 2",
		"Doses taken: 6",
		"Holds: 2 (no sitter 2)",
		"PHQ-9: 14 (moderate) on Nov 23, down 2 from 16 on Nov 2 (4 taken)",
		"GAD-7: 9 (mild) on Nov 23, down 2 from 11 on Nov 2 (4 taken)",
		"Escalations: 3 (HIGH 1, ROUTINE 1, URGENT 1)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if got := course.Build("P-1", nil, nil, nil).Summary(chicago); !strings.Contains(got, "nothing recorded") {
		t.Errorf("empty summary = %q", got)
	}
}

func TestCSV(t *testing.T) {
	c, _ := fixture()
	// A journal entry that a spreadsheet would run as a formula.
	c.Answers = append(c.Answers, flows.Answer{Flow: "postsession", Run: "ps-1", Item: "journal", Value: "=HYPERLINK(\"x\")", Display: "=HYPERLINK(\"x\")", At: day0})
	data, err := c.CSV(chicago)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\r\n")) {
		t.Error("rows not ended by CRLF (RFC 4180)")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	if got := strings.Join(rows[0], ","); got != strings.Join(course.CSVColumns, ",") {
		t.Errorf("header = %s", got)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	var instrumentRows, doses, journal int
	for _, r := range rows[1:] {
		if r[col["patient"]] != "P-0042" {
			t.Errorf("row without the label: %v", r)
		}
		if r[col["score_instrument"]] != "" {
			instrumentRows++
		}
		if r[col["item"]] == flows.DoseItem {
			doses++
		}
		if r[col["item"]] == "journal" {
			journal++
			if !strings.HasPrefix(r[col["value"]], "'=") {
				t.Errorf("formula not defused: %q", r[col["value"]])
			}
		}
	}
	// PHQ-9 answers 9+8+7+6, GAD-7 7+6+5+4.
	if instrumentRows != 30+22 || doses != 6 || journal != 1 {
		t.Errorf("instrument rows %d, dose rows %d, journal rows %d; want 52, 6, 1", instrumentRows, doses, journal)
	}
}

// The published examples' structure (hl7.org/fhir/R4: observation-example-
// bloodpressure.json, observation-example-heart-rate.json, and the PHQ-9
// QuestionnaireResponse examples): these are the fields a receiving EHR reads.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Timestamp    string `json:"timestamp"`
	Entry        []struct {
		FullURL  string   `json:"fullUrl"`
		Resource resource `json:"resource"`
	} `json:"entry"`
}

type coding struct {
	System, Code string
}

type concept struct {
	Coding []coding `json:"coding"`
}

type quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	System string  `json:"system"`
	Code   string  `json:"code"`
}

type resource struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Category     []concept `json:"category"`
	Code         concept   `json:"code"`
	Subject      struct {
		Identifier struct{ System, Value string } `json:"identifier"`
	} `json:"subject"`
	EffectiveDateTime string    `json:"effectiveDateTime"`
	ValueQuantity     *quantity `json:"valueQuantity"`
	ValueInteger      *int      `json:"valueInteger"`
	Component         []struct {
		Code          concept   `json:"code"`
		ValueQuantity *quantity `json:"valueQuantity"`
	} `json:"component"`
	Questionnaire string `json:"questionnaire"`
	Authored      string `json:"authored"`
	Item          []struct {
		LinkID string `json:"linkId"`
		Answer []struct {
			ValueCoding  *coding `json:"valueCoding"`
			ValueInteger *int    `json:"valueInteger"`
		} `json:"answer"`
	} `json:"item"`
}

func TestFHIRBundle(t *testing.T) {
	c, want := fixture()
	data, err := c.FHIR(day0)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" || b.Timestamp == "" {
		t.Errorf("bundle = %s/%s at %q, want Bundle/collection with a timestamp", b.ResourceType, b.Type, b.Timestamp)
	}
	byCode := map[string]int{}
	ids := map[string]bool{}
	for _, e := range b.Entry {
		r := e.Resource
		if e.FullURL != "urn:uuid:"+r.ID || ids[r.ID] {
			t.Errorf("entry %s: fullUrl %s, duplicate %v", r.ID, e.FullURL, ids[r.ID])
		}
		ids[r.ID] = true
		if r.Subject.Identifier.Value != "P-0042" || r.Subject.Identifier.System != course.SystemLabel {
			t.Errorf("%s %s: subject %+v, want the label", r.ResourceType, r.ID, r.Subject)
		}
		switch r.ResourceType {
		case "QuestionnaireResponse":
			byCode[r.Questionnaire]++
			if (r.Status != "completed" && r.Status != "stopped") || r.Authored == "" || len(r.Item) < 2 {
				t.Errorf("QuestionnaireResponse %s: status %s, authored %q, %d items", r.ID, r.Status, r.Authored, len(r.Item))
			}
			first, last := r.Item[0], r.Item[len(r.Item)-1]
			if first.LinkID != "44250-9" && first.LinkID != "69725-0" {
				t.Errorf("first item linkId %s, want PHQ-9 #1 44250-9 or GAD-7 #1 69725-0", first.LinkID)
			}
			if a := first.Answer[0].ValueCoding; a == nil || a.System != course.SystemLOINC || !strings.HasPrefix(a.Code, "LA") {
				t.Errorf("first item's answer %+v, want a LOINC answer code", a)
			}
			if (last.LinkID != course.LOINCPHQ9Total && last.LinkID != course.LOINCGAD7Total) || last.Answer[0].ValueInteger == nil {
				t.Errorf("last item %+v, want the total", last)
			}
		case "Observation":
			if r.Status != "final" || r.EffectiveDateTime == "" || len(r.Code.Coding) != 1 || r.Code.Coding[0].System != course.SystemLOINC || len(r.Category) != 1 {
				t.Errorf("Observation %s: %+v", r.ID, r)
				continue
			}
			code := r.Code.Coding[0].Code
			byCode[code]++
			switch code {
			case course.LOINCPHQ9Total, course.LOINCGAD7Total:
				if r.ValueInteger == nil {
					t.Errorf("score %s without valueInteger", r.ID)
				}
			case course.LOINCBPPanel:
				if len(r.Component) != 2 || r.Component[0].Code.Coding[0].Code != course.LOINCSystolic ||
					r.Component[1].Code.Coding[0].Code != course.LOINCDiastolic ||
					r.Component[0].ValueQuantity.Code != "mm[Hg]" || r.Component[0].ValueQuantity.System != course.SystemUCUM ||
					r.Component[0].ValueQuantity.Value <= r.Component[1].ValueQuantity.Value {
					t.Errorf("blood pressure %s: components %+v", r.ID, r.Component)
				}
			case course.LOINCHeartRate:
				if q := r.ValueQuantity; q == nil || q.Code != "/min" || q.System != course.SystemUCUM || q.Value < 30 {
					t.Errorf("heart rate %s: %+v", r.ID, q)
				}
			default:
				t.Errorf("unexpected code %s", code)
			}
		default:
			t.Errorf("unexpected resource %s", r.ResourceType)
		}
	}
	wantCodes := map[string]int{
		"http://loinc.org/q/" + course.LOINCPHQ9Panel: want.PHQ9, "http://loinc.org/q/" + course.LOINCGAD7Panel: want.GAD7,
		course.LOINCPHQ9Total: want.PHQ9, course.LOINCGAD7Total: want.GAD7,
		course.LOINCBPPanel: want.Readings, course.LOINCHeartRate: want.Readings,
	}
	for code, n := range wantCodes {
		if byCode[code] != n {
			t.Errorf("%s: %d resources, want %d", code, byCode[code], n)
		}
	}
	// Stable ids: a second export files over the first, not beside it.
	again, _ := c.FHIR(day0)
	if !bytes.Equal(again, data) {
		t.Error("two exports of the same data differ")
	}
}

// BenchmarkChart measures drawing and encoding the four-week chart.
func BenchmarkChart(b *testing.B) {
	c, _ := fixture()
	var size int
	for b.Loop() {
		data, _, err := c.Chart(chicago)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "png-bytes")
}

// BenchmarkExports measures both exports of the four-week course.
func BenchmarkExports(b *testing.B) {
	c, _ := fixture()
	for b.Loop() {
		if _, err := c.CSV(chicago); err != nil {
			b.Fatal(err)
		}
		if _, err := c.FHIR(day0); err != nil {
			b.Fatal(err)
		}
	}
}
