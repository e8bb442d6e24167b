package flows

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/internal/goldentest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, filepath.Join("testdata", name), got, *update)
}

func TestDefaultIsValid(t *testing.T) {
	if _, err := Parse("default.yaml", DefaultYAML()); err != nil {
		t.Fatalf("embedded default protocol is invalid:\n%v", err)
	}
	p := Default()
	if p.Version == "" || p.Thresholds.Vitals.String() != DefaultVitalLimits.String() {
		t.Fatalf("version %q limits %+v", p.Version, p.Thresholds.Vitals)
	}
	for _, id := range []string{FlowPreDose, FlowPostSession, FlowFollowUp, FlowPHQ9, FlowGAD7} {
		if p.Flow(id) == nil {
			t.Errorf("default protocol lacks flow %q", id)
		}
	}
	tl := p.Timeline
	if tl.PingAfterDose.D() != time.Hour || tl.PingRetry.D() != 30*time.Minute || tl.NoResponse.D() != 15*time.Minute ||
		tl.PostSession.D() != 2*time.Hour || tl.FollowUpAt.String() != "10:00" || tl.Instruments.D() != 7*24*time.Hour {
		t.Fatalf("timeline = %+v", tl)
	}
	if Default() == p {
		t.Fatal("Default must return a fresh copy, so SetOnCall cannot leak")
	}
}

func TestDefaultItemsHaveSummaries(t *testing.T) {
	for _, f := range Default().Flows {
		for _, it := range f.Items {
			if it.Summary == "" {
				t.Errorf("%s/%s has no summary", f.ID, it.ID)
			}
		}
	}
}

func TestSetOnCall(t *testing.T) {
	p := Default()
	p.SetOnCall("  +1 555 0199 ")
	if txt := crisisText(p.Crisis); !strings.Contains(txt, "+1 555 0199") || strings.Contains(txt, "{oncall}") {
		t.Fatalf("crisis text = %q", txt)
	}
	if strings.Contains(crisisText(Default().Crisis), "0199") {
		t.Fatal("SetOnCall leaked into another Default()")
	}
}

func TestParseProblems(t *testing.T) {
	p, err := Parse("broken.yaml", testdataProtocol(t, "broken.yaml"))
	var ps Problems
	if p != nil || !errors.As(err, &ps) {
		t.Fatalf("Parse = %v, %v; want Problems", p, err)
	}
	for _, pr := range ps {
		if pr.Line == 0 || pr.File != "broken.yaml" {
			t.Errorf("problem without a line: %+v", pr)
		}
	}
	golden(t, "broken.golden", err.Error()+"\n")
}

func TestParseSmallProblems(t *testing.T) {
	base := func(items string) string {
		return "version: x\ncrisis: {resources: [call 988]}\nflows:\n  - id: f\n    items:\n" + items
	}
	tests := []struct{ name, yaml, want string }{
		{"syntax", "version: [", "did not find expected node content"},
		{"empty", "", "the file is empty"},
		{"no flows", "version: x\ncrisis: {resources: [a]}\n", "no flows"},
		{"bad clock", "version: x\ntimeline: {follow_up_at: noon}\nflows: []\n", "time of day"},
		{"self-harm in choice", base("      - {id: q, kind: choice, text: 'Thoughts of suicide?', choices: [{id: a, label: A}, {id: b, label: B}]}\n"), "asks about self-harm"},
		{"self-harm high only", base("      - {id: self_harm, kind: yesno, text: 'Q?', summary: s, rules: [{when: 'yes', escalate: high}]}\n"), "asks about self-harm"},
		{"when not a choice", base("      - {id: q, kind: yesno, text: 'Q?', rules: [{when: maybe, advise: hi}]}\n"), `when "maybe" cannot match`},
		{"rule does nothing", base("      - {id: q, kind: yesno, text: 'Q?', rules: [{when: 'yes'}]}\n"), "does nothing"},
		{"number without bounds", base("      - {id: q, kind: number, text: 'Q?'}\n"), "needs min and max"},
		{"next unknown", base("      - {id: q, kind: yesno, text: 'Q?', next: zz}\n"), `next "zz" is not an item`},
		{"reserved id", base("      - {id: held, kind: yesno, text: 'Q?'}\n"), "reserved"},
		{"not a mapping", base("      - just a string\n"), "expected a item"},
		{"instrument count", "version: x\ncrisis: {resources: [a]}\nflows:\n  - {id: g, kind: instrument, instrument: gad7, items: [{id: q, kind: yesno, text: 'Q?'}]}\n", "needs exactly 7"},
		{"missing hold next", "version: x\ncrisis: {resources: [a]}\nflows:\n  - {id: g, kind: check, items: [{id: q, kind: yesno, text: 'Q?', rules: [{when: 'no', hold: {reason: r}}]}]}\n", "needs both reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDiagrams(t *testing.T) {
	p := Default()
	for _, f := range p.Flows {
		d, err := p.Diagram(f.ID)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "diagram_"+f.ID+".mmd", d)
	}
	if _, err := p.Diagram("nope"); err == nil {
		t.Fatal("Diagram of an unknown flow succeeded")
	}
}

func TestDurationYAML(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "60m": time.Hour, "2h": 2 * time.Hour, "7d": 7 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "-5m", "xd", "1000d"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) succeeded", in)
		}
	}
}

func TestClockNext(t *testing.T) {
	c := ClockTime{Hour: 10, Set: true}
	if got := c.Next(t0); !got.Equal(time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Next(14:00) = %v", got)
	}
	if got := c.Next(t0.Add(-5 * time.Hour)); !got.Equal(time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Next(09:00) = %v", got)
	}
}

// TestAltProtocol walks a quite different clinic protocol: other limits, two
// re-measures, number and scale answers, and a goto branch.
func TestAltProtocol(t *testing.T) {
	p := parseTestdata(t, "alt.yaml")
	p.SetOnCall("+1 555 0142")
	if p.Messages.Yes != "Yes, I do" || !strings.HasPrefix(p.Messages.Help, strings.TrimSuffix(DefaultMessages.Help, "{commands}")+"/checkin – Riverside pre-dose check") {
		t.Fatalf("message overrides: yes %q", p.Messages.Yes)
	}
	if p.Timeline.PingAfterDose.D() != 45*time.Minute || p.Timeline.PingRetry.D() != 30*time.Minute {
		t.Fatalf("timeline defaults: %+v", p.Timeline)
	}

	t.Run("branch through new meds and clear", func(t *testing.T) {
		w := newWalker(t, p)
		out := w.start("precheck")
		if last(out).Buttons[0][0].Label != "Yes, I do" {
			t.Fatalf("buttons = %+v", last(out).Buttons)
		}
		w.btn("yes")
		w.text("138/80 70") // above the item's own 135 limit: re-measure 1
		w.text("137/80 70") // re-measure 2
		if w.s.Tries["bp"] != 2 || w.s.State != "bp" {
			t.Fatalf("tries = %v state %q", w.s.Tries, w.s.State)
		}
		w.text("130/80 70")
		if w.s.State != "sleep_hours" {
			t.Fatalf("state = %q", w.s.State)
		}
		if out := w.text("twenty"); w.s.State != "sleep_hours" || !strings.Contains(out.Replies[0].Text, "from 0 to 24") {
			t.Fatalf("number re-ask = %+v", out.Replies)
		}
		w.text("7,5")
		if out := w.btn("9"); !slices.Equal(levels(out), []Level{Routine}) {
			t.Fatalf("pain 9 = %+v", out.Escalations)
		}
		w.btn("yes")
		if w.s.State != "which_meds" {
			t.Fatalf("goto: state = %q", w.s.State)
		}
		if out := w.text("sertraline, since Monday"); !slices.Equal(levels(out), []Level{Routine}) || out.Escalations[0].Reason != "New medication reported" {
			t.Fatalf("meds = %+v", out.Escalations)
		}
		out = w.btn("go")
		if out.Completion == nil || out.Completion.Outcome != OutcomeCleared || w.s.Dose == nil {
			t.Fatalf("completion = %+v", out.Completion)
		}
		bp, _ := DecodeAnswer(last(out).Buttons[0][0].Data)
		out = w.step(Input{Button: &bp})
		if out.Jobs[0].Due.Sub(w.now) != 45*time.Minute || out.Jobs[1].Due.Sub(w.now) != 90*time.Minute || out.Jobs[2].Due.Hour() != 9 {
			t.Fatalf("jobs = %+v", out.Jobs)
		}
	})
	t.Run("no new meds skips the text item", func(t *testing.T) {
		w := newWalker(t, p)
		w.start("precheck")
		w.btn("yes")
		w.text("120/80 70")
		w.text("8")
		if out := w.btn("7"); len(out.Escalations) != 0 {
			t.Fatalf("pain 7 is not above 7: %+v", out.Escalations)
		}
		w.btn("no")
		if w.s.State != "ready" {
			t.Fatalf("state = %q", w.s.State)
		}
		if out := w.btn("wait"); out.Completion == nil || out.Completion.Outcome != OutcomeHeld {
			t.Fatalf("wait = %+v", out.Completion)
		}
	})
	t.Run("bp high three times holds", func(t *testing.T) {
		w := newWalker(t, p)
		w.start("precheck")
		w.btn("yes")
		var out Outcome
		for _, r := range []string{"150/80 70", "150/80 70", "150/80 70"} {
			out = w.text(r)
		}
		if out.Completion == nil || out.Completion.Outcome != OutcomeHeld || !slices.Equal(levels(out), []Level{High}) {
			t.Fatalf("out = %+v", out)
		}
		if !strings.Contains(out.Escalations[0].Reason, "135/85") {
			t.Fatalf("reason should name the item's limits: %q", out.Escalations[0].Reason)
		}
	})
	t.Run("short sleep holds", func(t *testing.T) {
		w := newWalker(t, p)
		w.start("precheck")
		w.btn("yes")
		w.text("120/80 70")
		if out := w.text("3"); out.Completion == nil || out.Completion.Outcome != OutcomeHeld {
			t.Fatalf("out = %+v", out)
		}
	})
	t.Run("evening urgent and skip", func(t *testing.T) {
		w := newWalker(t, p)
		w.start("evening")
		if out := w.text("2"); !slices.Equal(levels(out), []Level{Routine}) {
			t.Fatalf("feeling 2 = %+v", out.Escalations)
		}
		out := w.btn("yes")
		if !slices.Equal(levels(out), []Level{Urgent}) || !strings.Contains(allText(out), "+1 555 0142") ||
			out.Completion == nil || out.Completion.Outcome != OutcomeStopped {
			t.Fatalf("harm = %+v", out) // URGENT ends the run at once
		}
		w.start("evening")
		w.text("5")
		w.btn("no")
		if out := w.text("x" + strings.Repeat("y", 500)); w.s.State != "note" || !strings.Contains(out.Replies[0].Text, "500") {
			t.Fatalf("over-length note = %+v", out.Replies)
		}
		if out := w.btn("skip"); out.Completion == nil || out.Completion.Outcome != OutcomeCompleted {
			t.Fatalf("skip = %+v", out.Completion)
		}
	})
}

func TestFlowCommands(t *testing.T) {
	p := Default()
	for cmd, flow := range map[string]string{"checkin": FlowPreDose, "after": FlowPostSession,
		"followup": FlowFollowUp, "phq9": FlowPHQ9, "gad7": FlowGAD7} {
		if f := p.FlowForCommand(cmd); f == nil || f.ID != flow {
			t.Errorf("/%s starts %v, want flow %s", cmd, f, flow)
		}
	}
	if f := p.FlowForCommand("nope"); f != nil {
		t.Errorf("unknown command starts flow %s", f.ID)
	}

	const base = `version: "v"
crisis: {resources: ["Call or text 988.", "Call 911."]}
flows:
  - id: one
    command: %s
    items: [{id: a, kind: yesno, text: "A?"}]
  - id: two
    command: %s
    items: [{id: b, kind: yesno, text: "B?"}]
`
	cases := []struct{ one, two, want string }{
		{"go", "go", `command /go is already used by flow "one"`},
		{"help", "two", "command /help is one of the bot's own"},
		{"Check-In", "two", `command "Check-In" must be 1–32 lowercase letters`},
		{"/checkin", "two", "without the slash"},
	}
	for _, c := range cases {
		_, err := Parse("cmd.yaml", []byte(fmt.Sprintf(base, c.one, c.two)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("commands %q, %q: error %v, want it to say %q", c.one, c.two, err, c.want)
		}
	}
}
