package flows

import (
	"math"
	"os"
	"testing"
	"time"
)

func FuzzParseVitals(f *testing.F) {
	for _, s := range []string{"128/82 72", "128/82/72", "BP 120/80 pulse 60", "", "/", "999/999 999", "120/80 mmhg 60 bpm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVitals(s)
		if err != nil {
			return
		}
		if v.Systolic < SystolicMin || v.Systolic > SystolicMax || v.Diastolic < DiastolicMin || v.Diastolic > DiastolicMax ||
			v.Systolic <= v.Diastolic || v.Pulse < PulseMin || v.Pulse > PulseMax {
			t.Fatalf("implausible reading accepted: %q -> %v", s, v)
		}
		if again, err := ParseVitals(v.String()); err != nil || again != v {
			t.Fatalf("canonical form %q does not round-trip", v.String())
		}
	})
}

func FuzzParse(f *testing.F) {
	// Small seeds only: the fuzzer minimises every new input, which takes
	// minutes on a file the size of default.yaml (TestDefaultIsValid covers that one).
	if b, err := os.ReadFile("../testdata/protocols/alt.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("version: x\nflows: [{id: a, items: [{id: b, kind: yesno, text: q, next: b}]}]"))
	f.Add([]byte("version: x\ncrisis: {resources: [a]}\ntimeline: {post_session: 2h}\nflows:\n- id: c\n  kind: check\n  items:\n  - {id: v, kind: vitals, text: t, remeasure: {times: 1, advise: r}, rules: [{when: out_of_range, escalate: high, hold: {reason: r, next: n}}]}\n  - {id: s, kind: scale, text: t, rules: [{above: 5, goto: end}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(Problems); !ok || err.Error() == "" {
				t.Fatalf("error is %T %q, want non-empty Problems", err, err)
			}
			return
		}
		// A protocol that validates must be walkable: every flow starts and
		// answers its first question without fault.
		for _, fl := range p.Flows {
			out, err := p.Start(Session{}, fl.ID, t0)
			if err != nil || len(out.Replies) == 0 {
				t.Fatalf("Start(%s): %v", fl.ID, err)
			}
			if _, err := p.Diagram(fl.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{EncodeAnswer("mbf5s5hc", "sitter", "yes"), "", "a:", "a:::", "a:r:i:v:w", "ack:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		bp, ok := DecodeAnswer(data)
		if !ok {
			return
		}
		if len(data) > MaxCallbackData || bp.Run == "" || bp.Item == "" || bp.Value == "" {
			t.Fatalf("accepted %q as %+v", data, bp)
		}
		if EncodeAnswer(bp.Run, bp.Item, bp.Value) != data {
			t.Fatalf("%q does not round-trip", data)
		}
	})
}

// FuzzStep feeds arbitrary text and buttons into every flow: no input may
// panic, and every step must reply.
func FuzzStep(f *testing.F) {
	f.Add(uint8(0), uint8(0), "yes", false, "", "", "")
	f.Add(uint8(0), uint8(2), "172/95 80", false, "", "", "")
	f.Add(uint8(1), uint8(8), "", true, "r", "journal", "skip")
	f.Add(uint8(3), uint8(9), "", true, "", "phq9", "2")
	f.Add(uint8(0), uint8(0), "", true, "x", DoseItem, DoseTaken)
	f.Add(uint8(0), uint8(2), "I want to die", false, "", "", "")
	f.Add(uint8(0), uint8(2), "185/100 80", false, "", "", "")
	p := Default()
	p.SetOnCall("+1 555 0100")
	f.Fuzz(func(t *testing.T, flow, skip uint8, text string, button bool, run, item, value string) {
		fl := p.Flows[int(flow)%len(p.Flows)]
		s := Session{}
		now := t0
		if flow%7 != 6 { // sometimes step an idle session
			out, err := p.Start(s, fl.ID, now)
			if err != nil {
				t.Fatal(err)
			}
			s = out.Session
		}
		// Walk a few items with the first button of each prompt, to reach deeper states.
		for i := 0; i < int(skip)%12 && s.Flow != "" && s.Prompt != nil && len(s.Prompt.Buttons) > 0; i++ {
			bp, _ := DecodeAnswer(s.Prompt.Buttons[0][0].Data)
			now = now.Add(time.Second)
			out, _ := p.Step(s, Input{Button: &bp}, now)
			s = out.Session
		}
		in := Input{Text: text}
		if button {
			if run == "" {
				run = s.Run
			}
			in = Input{Button: &ButtonPress{Run: run, Item: item, Value: value}}
		}
		out, _ := p.Step(s, in, now.Add(time.Minute))
		if len(out.Replies) == 0 {
			t.Fatalf("no reply to %+v in %s/%s", in, s.Flow, s.State)
		}
		for _, r := range out.Replies {
			if r.Text == "" {
				t.Fatalf("empty reply to %+v", in)
			}
		}
		if out.Session.Flow != "" && out.Session.Prompt == nil {
			t.Fatalf("in a flow without a prompt after %+v", in)
		}
		// A crisis ends the run and closes the gate, whatever the input.
		for _, e := range out.Escalations {
			if e.Level == Urgent && (out.Session.Flow != "" || out.Session.GateOpen(now.Add(time.Minute))) {
				t.Fatalf("URGENT left the run %q going or the gate open after %+v", out.Session.Flow, in)
			}
		}
		if out.Completion != nil && out.Completion.Outcome == OutcomeCleared && !s.GateOpen(now) {
			t.Fatalf("cleared through a closed gate after %+v", in)
		}
	})
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"7", "7,5", " 24 ", "-1", "25", "NaN", "Inf", "1e400", "0x10", "", "seven"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		x, ok := ParseNumber(text, 0, 24)
		if ok && (math.IsNaN(x) || x < 0 || x > 24) {
			t.Fatalf("ParseNumber(%q) accepted %v outside [0, 24]", text, x)
		}
	})
}
