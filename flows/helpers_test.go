package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// t0 is the fixed clock of every engine test.
var t0 = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)

const testOnCall = "+1 555 0100"

// testProtocol is the default protocol with an on-call number, as cmd sets it.
func testProtocol(t testing.TB) *Protocol {
	t.Helper()
	p := Default()
	p.SetOnCall(testOnCall)
	return p
}

// walker drives one session through the engine, a minute per step, and
// checks the invariants every step must keep.
type walker struct {
	t   testing.TB
	p   *Protocol
	s   Session
	now time.Time
}

func newWalker(t testing.TB, p *Protocol) *walker {
	return &walker{t: t, p: p, now: t0}
}

func (w *walker) start(flow string) Outcome {
	w.t.Helper()
	out, err := w.p.Start(w.s, flow, w.now)
	if err != nil {
		w.t.Fatalf("Start(%s): %v", flow, err)
	}
	w.check(out)
	return out
}

func (w *walker) step(in Input) Outcome {
	w.t.Helper()
	w.now = w.now.Add(time.Minute)
	out, err := w.p.Step(w.s, in, w.now)
	if err != nil {
		w.t.Fatalf("Step(%+v) at %s: %v", in, w.s.State, err)
	}
	w.check(out)
	return out
}

func (w *walker) check(out Outcome) {
	w.t.Helper()
	if len(out.Replies) == 0 {
		w.t.Fatalf("step at %q returned no reply", w.s.State)
	}
	for _, r := range out.Replies {
		if strings.TrimSpace(r.Text) == "" {
			w.t.Fatalf("empty reply text in %+v", out.Replies)
		}
		for _, row := range r.Buttons {
			for _, b := range row {
				if len(b.Data) > MaxCallbackData {
					w.t.Fatalf("button %q data is %d bytes", b.Label, len(b.Data))
				}
			}
		}
	}
	w.s = out.Session
}

// btn presses the current prompt's button with the given value.
func (w *walker) btn(value string) Outcome {
	w.t.Helper()
	return w.step(Input{Button: &ButtonPress{Run: w.s.Run, Item: w.s.State, Value: value}})
}

func (w *walker) text(s string) Outcome {
	w.t.Helper()
	return w.step(Input{Text: s})
}

// answer gives a value by button, or by typing for typed kinds.
// answerSafely answers the run in progress from safe (state -> answer)
// until it ends.
func (w *walker) answerSafely(safe map[string]string) {
	w.t.Helper()
	for w.s.Flow != "" {
		w.answer(safe[w.s.State])
	}
}

func (w *walker) answer(value string) Outcome {
	w.t.Helper()
	it := w.p.Flow(w.s.Flow).Item(w.s.State)
	switch it.Kind {
	case AnswerVitals, AnswerNumber:
		return w.text(value)
	case AnswerText:
		if value == skipValue {
			return w.btn(value)
		}
		return w.text(value)
	}
	return w.btn(value)
}

// safePreDose is a safe answer to every pre-dose item.
var safePreDose = map[string]string{
	"sitter": "yes", "no_driving": "yes", "vitals": "128/82 72", "substances": "no",
	"fasting": "no", "health_change": "no", "self_harm": "no", "setting": "yes",
}

// safePost is an unremarkable answer to every post-session item.
var safePost = map[string]string{
	"mood": "better", "nausea": "none", "dizziness": "mild", "headache": "none",
	"dissociation": "moderate", "red_flags": "no", "self_harm_now": "no",
	"sitter_present": "yes", "journal": "It was calm. I saw colours.",
}

var safeFollowUp = map[string]string{"sleep": "well", "lingering": "no", "bladder": "no", "mood_today": "good"}

// walkTo answers safely until the session reaches item stop.
func (w *walker) walkTo(stop string, safe map[string]string) {
	w.t.Helper()
	for w.s.State != stop {
		if w.s.Flow == "" {
			w.t.Fatalf("run ended before reaching %q", stop)
		}
		v, ok := safe[w.s.State]
		if !ok {
			w.t.Fatalf("no safe answer for %q", w.s.State)
		}
		w.answer(v)
	}
}

// allText joins every reply's text.
func allText(out Outcome) string {
	var b strings.Builder
	for _, r := range out.Replies {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func last(out Outcome) Reply { return out.Replies[len(out.Replies)-1] }

func levels(out Outcome) []Level {
	var ls []Level
	for _, e := range out.Escalations {
		ls = append(ls, e.Level)
	}
	return ls
}

// assertCrisis checks an URGENT reply names every crisis resource and the alert.
func assertCrisis(t testing.TB, out Outcome) {
	t.Helper()
	txt := allText(out)
	for _, want := range []string{"988", "911", testOnCall, "care team has been alerted"} {
		if !strings.Contains(txt, want) {
			t.Errorf("crisis reply lacks %q:\n%s", want, txt)
		}
	}
}

// testdataProtocol reads testdata/protocols/<name> of the repository.
func testdataProtocol(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "protocols", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseTestdata parses testdata/protocols/<name>, which must be valid.
func parseTestdata(t testing.TB, name string) *Protocol {
	t.Helper()
	p, err := Parse(name, testdataProtocol(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}
