package flows

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPreDoseAllSafeClears(t *testing.T) {
	p := testProtocol(t)
	w := newWalker(t, p)
	out := w.start(FlowPreDose)
	if w.s.Flow != FlowPreDose || w.s.State != "sitter" || w.s.Run == "" || w.s.Prompt == nil {
		t.Fatalf("after Start: %+v", w.s)
	}
	if got := last(out); !reflect.DeepEqual(got, *w.s.Prompt) || len(got.Buttons) != 1 || got.Buttons[0][0].Label != "Yes" || got.Buttons[0][1].Label != "No" {
		t.Fatalf("first prompt = %+v", got)
	}
	run := w.s.Run
	var order []string
	for w.s.Flow != "" {
		order = append(order, w.s.State)
		out = w.answer(safePreDose[w.s.State])
		if out.Accepted == nil || len(out.Answers) != 1 || len(out.Escalations) != 0 {
			t.Fatalf("safe answer at %s: %+v", order[len(order)-1], out)
		}
	}
	want := []string{"sitter", "no_driving", "vitals", "substances", "fasting", "health_change", "self_harm", "setting"}
	if !slices.Equal(order, want) {
		t.Fatalf("item order = %v, want %v (docs/clinical-basis.md)", order, want)
	}
	c := out.Completion
	if c == nil || c.Outcome != OutcomeCleared || c.Run != run || len(c.Answers) != 8 || c.ProtocolVersion != p.Version {
		t.Fatalf("completion = %+v", c)
	}
	if w.s.Dose == nil || w.s.Dose.Run != run || !w.s.Dose.ClearedAt.Equal(w.now) {
		t.Fatalf("dose = %+v", w.s.Dose)
	}
	b := last(out).Buttons
	if len(b) != 1 || len(b[0]) != 1 || b[0][0].Label != "I've taken my dose" {
		t.Fatalf("cleared buttons = %+v", b)
	}
	if bp, ok := DecodeAnswer(b[0][0].Data); !ok || bp != (ButtonPress{Run: run, Item: DoseItem, Value: DoseTaken}) {
		t.Fatalf("dose button data %q decodes to %+v %v", b[0][0].Data, bp, ok)
	}
	if w.s.Prompt != nil || w.s.Answers != nil || w.s.Tries != nil {
		t.Fatalf("session not reset after completion: %+v", w.s)
	}
}

// TestPreDoseHolds covers every pre-dose rule: the failing answer holds the
// dose at once, with the escalation level of docs/clinical-basis.md.
func TestPreDoseHolds(t *testing.T) {
	tests := []struct {
		item   string
		answer []string // more than one: the vitals re-measure
		level  Level    // "" for no escalation
		says   string   // part of the hold reason the patient reads
	}{
		{"sitter", []string{"no"}, "", "sober"},
		{"no_driving", []string{"no"}, "", "driving"},
		{"vitals", []string{"172/95 80", "168/92 84"}, High, "still above the safe limit"},
		{"substances", []string{"yes"}, Routine, "slow your breathing"},
		{"fasting", []string{"yes"}, "", "empty stomach"},
		{"health_change", []string{"yes"}, Routine, "change in your health"},
		{"self_harm", []string{"yes"}, Urgent, "pause today's dose"},
		{"setting", []string{"no"}, "", "sitting or lying down"},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			w := newWalker(t, testProtocol(t))
			w.start(FlowPreDose)
			w.walkTo(tt.item, safePreDose)
			var out Outcome
			for _, a := range tt.answer {
				out = w.answer(a)
			}
			txt := allText(out)
			holdAt := w.now
			if w.s.State == "self_harm" {
				// The self-harm screen is asked after any earlier hold.
				if w.s.Finishing == nil || !strings.Contains(txt, "one more question") {
					t.Fatalf("screen after hold: %+v\n%s", w.s.Finishing, txt)
				}
				final := w.answer("no")
				if !strings.Contains(allText(final), "don't take your dose") {
					t.Fatalf("end of held check after screens: %s", allText(final))
				}
				out.Completion = final.Completion
			}
			c := out.Completion
			if c == nil || c.Outcome != OutcomeHeld || !strings.HasPrefix(c.Reason, tt.item+": ") {
				t.Fatalf("completion = %+v", c)
			}
			if w.s.Flow != "" || w.s.Dose != nil {
				t.Fatalf("session after hold = %+v", w.s)
			}
			if !strings.Contains(txt, "Please don't take your dose") || !strings.Contains(txt, tt.says) {
				t.Errorf("hold reply lacks reason %q:\n%s", tt.says, txt)
			}
			var want []Level
			if tt.level != "" {
				want = []Level{tt.level}
			}
			if got := levels(out); !slices.Equal(got, want) {
				t.Fatalf("escalations = %v, want %v", got, want)
			}
			if tt.level != "" {
				e := out.Escalations[0]
				if e.Flow != FlowPreDose || e.Item != tt.item || e.Question == "" || e.Answer == "" || e.Reason == "" || !e.At.Equal(holdAt) {
					t.Fatalf("escalation = %+v", e)
				}
			}
			if tt.level == Urgent {
				assertCrisis(t, out)
			}
		})
	}
}

func TestVitalsRemeasure(t *testing.T) {
	t.Run("high then high holds with HIGH", func(t *testing.T) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPreDose)
		w.walkTo("vitals", safePreDose)
		out := w.text("172/95 80")
		if w.s.State != "vitals" || w.s.Tries["vitals"] != 1 || out.Completion != nil || len(out.Escalations) != 0 {
			t.Fatalf("first high reading: state %q tries %v out %+v", w.s.State, w.s.Tries, out)
		}
		if !strings.Contains(allText(out), "10 minutes") || out.Accepted == nil || out.Accepted.Value != "172/95 80" {
			t.Fatalf("first high reading should advise rest 10 min and record: %+v", out)
		}
		out = w.text("165/85 70")
		if w.s.State != "self_harm" || !strings.Contains(allText(out), "still above") {
			t.Fatalf("the hold should explain, then ask the self-harm screen: %+v", out)
		}
		esc := out.Escalations
		out = w.btn("no")
		out.Escalations = append(esc, out.Escalations...)
		if out.Completion == nil || out.Completion.Outcome != OutcomeHeld || !slices.Equal(levels(out), []Level{High}) {
			t.Fatalf("second high reading: %+v", out)
		}
		if r := out.Escalations[0].Reason; !strings.Contains(r, "165/85") || !strings.Contains(r, "160/90") {
			t.Errorf("reason %q should name reading and limits", r)
		}
		if len(out.Completion.Answers) != 5 {
			t.Errorf("both readings and the screen should be recorded: %d answers", len(out.Completion.Answers))
		}
	})
	t.Run("high then ok continues", func(t *testing.T) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPreDose)
		w.walkTo("vitals", safePreDose)
		w.text("150/80 101") // pulse just over
		out := w.text("150/80 96")
		if w.s.State != "substances" || len(out.Escalations) != 0 || out.Completion != nil {
			t.Fatalf("after ok re-measure: state %q out %+v", w.s.State, out)
		}
	})
	t.Run("limits are inclusive", func(t *testing.T) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPreDose)
		w.walkTo("vitals", safePreDose)
		w.text("160/90 100")
		if w.s.State != "substances" {
			t.Fatalf("160/90 100 is within the limits, state %q", w.s.State)
		}
	})
	t.Run("invalid readings are re-asked", func(t *testing.T) {
		for _, in := range []string{"", "hello", "128/82", "128 82 72", "300/82 72", "128/20 72", "82/128 72",
			"128/82 10", "128/82 250", "120/120 60", "12/8 7", "128/82 72 99", "yes", "/ 72"} {
			w := newWalker(t, testProtocol(t))
			w.start(FlowPreDose)
			w.walkTo("vitals", safePreDose)
			out := w.text(in)
			if w.s.State != "vitals" || out.Accepted != nil || len(out.Replies) != 1 || !strings.Contains(out.Replies[0].Text, "128/82 72") {
				t.Errorf("%q: want a friendly re-ask with an example, got %+v", in, out.Replies)
			}
		}
	})
}

func TestSelfHarmUrgentInSameOutcome(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowPreDose)
	w.walkTo("self_harm", safePreDose)
	out := w.text("YES")
	if !slices.Equal(levels(out), []Level{Urgent}) || out.Completion == nil || out.Completion.Outcome != OutcomeHeld {
		t.Fatalf("out = %+v", out)
	}
	assertCrisis(t, out)
}

func TestCrisisWithoutOnCall(t *testing.T) {
	w := newWalker(t, Default()) // no on-call number configured
	w.start(FlowPreDose)
	w.walkTo("self_harm", safePreDose)
	txt := allText(w.btn("yes"))
	if !strings.Contains(txt, "988") || strings.Contains(txt, "{oncall}") || strings.Contains(txt, "on-call line") {
		t.Fatalf("crisis text without on-call number:\n%s", txt)
	}
}

func TestPostSessionRules(t *testing.T) {
	tests := []struct {
		item, answer string
		level        Level
		says         string
		ends         bool
	}{
		{"nausea", "severe", High, "sip", false},
		{"dizziness", "severe", High, "sitting or lying down", false},
		{"headache", "severe", High, "911", false},
		{"dissociation", "overwhelming", Routine, "care team", false},
		{"red_flags", "yes", Urgent, "call 911 now", true},
		{"self_harm_now", "yes", Urgent, "not alone", true},
		{"sitter_present", "no", Routine, "trusted adult", false},
		{"bladder", "yes", Routine, "bladder", false},
		{"lingering", "yes", "", "water", false},
		{"mood_today", "very_low", Routine, "988", true},
	}
	for _, tt := range tests {
		t.Run(tt.item+"="+tt.answer, func(t *testing.T) {
			w := newWalker(t, testProtocol(t))
			flow, safe := FlowPostSession, safePost
			if _, ok := safeFollowUp[tt.item]; ok {
				flow, safe = FlowFollowUp, safeFollowUp
			}
			w.start(flow)
			w.walkTo(tt.item, safe)
			out := w.btn(tt.answer)
			var want []Level
			if tt.level != "" {
				want = []Level{tt.level}
			}
			if got := levels(out); !slices.Equal(got, want) {
				t.Fatalf("escalations = %v, want %v", got, want)
			}
			if !strings.Contains(allText(out), tt.says) {
				t.Errorf("reply lacks %q:\n%s", tt.says, allText(out))
			}
			if tt.level == Urgent {
				assertCrisis(t, out)
			}
			if ended := out.Completion != nil; ended != tt.ends {
				t.Fatalf("ended = %v, want %v", ended, tt.ends)
			}
			wantOutcome := OutcomeCompleted
			if tt.level == Urgent {
				wantOutcome = OutcomeStopped // a crisis ends the run at once
			}
			if tt.ends && out.Completion.Outcome != wantOutcome {
				t.Fatalf("completion = %+v", out.Completion)
			}
		})
	}
	t.Run("mild and moderate do not escalate", func(t *testing.T) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPostSession)
		w.walkTo("nausea", safePost)
		for _, a := range []string{"moderate", "mild", "moderate", "strong"} {
			if out := w.btn(a); len(out.Escalations) != 0 {
				t.Fatalf("%s escalated: %+v", a, out.Escalations)
			}
		}
	})
}

func TestPostSessionWalkAndJournal(t *testing.T) {
	walk := func(t *testing.T) *walker {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPostSession)
		w.walkTo("journal", safePost)
		return w
	}
	t.Run("skip button", func(t *testing.T) {
		w := walk(t)
		if b := w.s.Prompt.Buttons; len(b) != 1 || b[0][0].Label != "Skip" {
			t.Fatalf("journal buttons = %+v", b)
		}
		out := w.btn(skipValue)
		if out.Completion == nil || out.Completion.Outcome != OutcomeCompleted || out.Accepted.Display != "(skipped)" {
			t.Fatalf("out = %+v", out)
		}
		if len(out.Completion.Answers) != 9 {
			t.Fatalf("answers = %d", len(out.Completion.Answers))
		}
	})
	t.Run("typed skip", func(t *testing.T) {
		w := walk(t)
		if out := w.text("Skip"); out.Completion == nil || out.Accepted.Value != skipValue {
			t.Fatalf("out = %+v", out)
		}
	})
	t.Run("entry at the limit", func(t *testing.T) {
		w := walk(t)
		entry := strings.Repeat("é", 2000)
		if out := w.text(entry); out.Completion == nil || out.Accepted.Value != entry {
			t.Fatalf("2000-character entry not accepted")
		}
	})
	t.Run("over length is re-asked", func(t *testing.T) {
		w := walk(t)
		out := w.text(strings.Repeat("a", 2001))
		if out.Completion != nil || w.s.State != "journal" || !strings.Contains(out.Replies[0].Text, "2000") || len(out.Replies[0].Buttons) != 1 {
			t.Fatalf("out = %+v", out)
		}
	})
}

func TestFollowUpCompletes(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowFollowUp)
	var out Outcome
	for w.s.Flow != "" {
		out = w.answer(safeFollowUp[w.s.State])
	}
	if out.Completion == nil || out.Completion.Outcome != OutcomeCompleted || out.Completion.Score != nil || len(out.Completion.Answers) != 4 {
		t.Fatalf("completion = %+v", out.Completion)
	}
}

func TestInstrumentFlows(t *testing.T) {
	tests := []struct {
		flow   string
		scores []string // per scored item, then any unscored
		total  int
		band   string
		urgent bool
	}{
		{FlowPHQ9, []string{"0", "0", "0", "0", "0", "0", "0", "0", "0", "not"}, 0, BandMinimal, false},
		{FlowPHQ9, []string{"3", "3", "3", "3", "3", "3", "3", "3", "0", "extremely"}, 24, BandSevere, false},
		{FlowPHQ9, []string{"0", "0", "0", "0", "0", "0", "0", "0", "1"}, 1, BandMinimal, true}, // URGENT ends the run
		{FlowGAD7, []string{"1", "1", "1", "1", "1", "2", "3"}, 10, BandModerate, false},
	}
	for _, tt := range tests {
		t.Run(tt.flow, func(t *testing.T) {
			w := newWalker(t, testProtocol(t))
			w.start(tt.flow)
			var out Outcome
			var urgent bool
			for _, v := range tt.scores {
				out = w.btn(v)
				if slices.Contains(levels(out), Urgent) {
					urgent = true
					assertCrisis(t, out)
				}
			}
			c := out.Completion
			if c == nil || (c.Outcome != OutcomeCompleted) == !tt.urgent || c.Score == nil {
				t.Fatalf("completion = %+v", c)
			}
			if c.Score.Total != tt.total || c.Score.Band != tt.band || c.Score.Instrument != tt.flow {
				t.Fatalf("score = %+v", *c.Score)
			}
			if urgent != tt.urgent {
				t.Fatalf("urgent = %v, want %v", urgent, tt.urgent)
			}
		})
	}
	t.Run("typed label works", func(t *testing.T) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowGAD7)
		if out := w.text("nearly every day"); out.Accepted == nil || out.Accepted.Value != "3" {
			t.Fatalf("out = %+v", out)
		}
	})
}

func TestTypedYesNo(t *testing.T) {
	for _, in := range []string{"yes", "YES", "y", "Y", "Yes.", "no", "No", "n", "N!"} {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPreDose)
		out := w.text(in)
		want := "yes"
		if strings.HasPrefix(strings.ToLower(in), "n") {
			want = "no"
		}
		if out.Accepted == nil || out.Accepted.Value != want {
			t.Errorf("%q: accepted %+v", in, out.Accepted)
		}
	}
}

func TestFreeTextWhereButtonsExpected(t *testing.T) {
	for _, flow := range []string{FlowPreDose, FlowPostSession} {
		w := newWalker(t, testProtocol(t))
		w.start(flow)
		prompt := *w.s.Prompt
		out := w.text("I think so, maybe?")
		if out.Accepted != nil || len(out.Replies) != 1 {
			t.Fatalf("%s: out = %+v", flow, out)
		}
		r := out.Replies[0]
		if !reflect.DeepEqual(r.Buttons, prompt.Buttons) || !strings.Contains(r.Text, prompt.Text) || !strings.Contains(r.Text, "didn't catch") {
			t.Fatalf("%s: re-ask = %+v", flow, r)
		}
		if !reflect.DeepEqual(*w.s.Prompt, prompt) || len(w.s.Answers) != 0 {
			t.Fatalf("%s: re-ask changed the session: %+v", flow, w.s)
		}
	}
}

func TestStaleButtons(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowPreDose)
	run := w.s.Run
	w.btn("yes") // sitter
	cases := map[string]ButtonPress{
		"earlier item":   {Run: run, Item: "sitter", Value: "no"},
		"earlier run":    {Run: "old", Item: "no_driving", Value: "yes"},
		"unknown item":   {Run: run, Item: "nope", Value: "yes"},
		"bad value here": {Run: run, Item: "no_driving", Value: "maybe"},
	}
	for name, b := range cases {
		before := w.s
		out := w.step(Input{Button: &b})
		if out.Accepted != nil || w.s.State != "no_driving" || !reflect.DeepEqual(before, w.s) {
			t.Fatalf("%s: out = %+v", name, out)
		}
		if name == "bad value here" {
			continue // a valid-looking button with a wrong value is re-asked
		}
		if !strings.Contains(out.Replies[0].Text, "already answered") || !reflect.DeepEqual(last(out), *w.s.Prompt) {
			t.Fatalf("%s: replies = %+v", name, out.Replies)
		}
	}
	// After the run ends, its buttons are stale too.
	w.s = Session{}
	out := w.step(Input{Button: &ButtonPress{Run: run, Item: "sitter", Value: "yes"}})
	if !strings.Contains(out.Replies[0].Text, "already answered") || !strings.Contains(out.Replies[0].Text, "/checkin") {
		t.Fatalf("idle stale button: %+v", out.Replies)
	}
}

func TestIdleTextGetsHelp(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	out := w.text("hello?")
	for _, cmd := range []string{"/checkin", "/after", "/help"} {
		if !strings.Contains(out.Replies[0].Text, cmd) {
			t.Errorf("help lacks %s: %q", cmd, out.Replies[0].Text)
		}
	}
}

func TestDoseButton(t *testing.T) {
	clear := func(t *testing.T) (*walker, ButtonPress) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPreDose)
		var out Outcome
		for w.s.Flow != "" {
			out = w.answer(safePreDose[w.s.State])
		}
		bp, _ := DecodeAnswer(last(out).Buttons[0][0].Data)
		return w, bp
	}
	t.Run("once then twice", func(t *testing.T) {
		w, bp := clear(t)
		out := w.step(Input{Button: &bp})
		if w.s.Dose == nil || !w.s.Dose.TakenAt.Equal(w.now) || out.Accepted == nil || out.Accepted.Item != DoseItem {
			t.Fatalf("dose = %+v out = %+v", w.s.Dose, out)
		}
		taken := w.now
		wantJobs := []Job{
			{Kind: JobPing, Due: taken.Add(60 * time.Minute), Run: bp.Run},
			{Kind: JobPostSession, Due: taken.Add(2 * time.Hour), Run: bp.Run},
			{Kind: JobFollowUp, Due: time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC), Run: bp.Run},
			// The first dose starts the weekly instruments, next morning, one after the other.
			{Kind: JobInstrument, Due: time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC), Flow: FlowPHQ9, First: time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)},
			{Kind: JobInstrument, Due: time.Date(2025, 6, 3, 10, 1, 0, 0, time.UTC), Flow: FlowGAD7, First: time.Date(2025, 6, 3, 10, 1, 0, 0, time.UTC)},
		}
		if !reflect.DeepEqual(out.Jobs, wantJobs) {
			t.Fatalf("jobs = %+v\nwant %+v", out.Jobs, wantJobs)
		}
		txt := allText(out)
		for _, want := range []string{"2 hours", "drive", "an hour"} {
			if !strings.Contains(txt, want) {
				t.Errorf("dose reply lacks %q: %s", want, txt)
			}
		}
		out = w.step(Input{Button: &bp})
		if !strings.Contains(allText(out), "already recorded") || len(out.Jobs) != 0 || !w.s.Dose.TakenAt.Equal(taken) {
			t.Fatalf("second press: %+v", out)
		}
	})
	t.Run("expired clearance", func(t *testing.T) {
		w, bp := clear(t)
		w.now = w.now.Add(2 * time.Hour)
		out := w.step(Input{Button: &bp})
		if w.s.Dose != nil || len(out.Jobs) != 0 || !strings.Contains(allText(out), "/checkin") {
			t.Fatalf("expired: %+v", out)
		}
	})
	t.Run("unknown dose run", func(t *testing.T) {
		w, bp := clear(t)
		bp.Run = "other"
		if out := w.step(Input{Button: &bp}); len(out.Jobs) != 0 || !w.s.Dose.TakenAt.IsZero() {
			t.Fatalf("unknown: %+v", out)
		}
	})
	t.Run("during another flow re-shows its question", func(t *testing.T) {
		w, bp := clear(t)
		w.start(FlowPostSession)
		out := w.step(Input{Button: &bp})
		if len(out.Jobs) != 5 || !reflect.DeepEqual(last(out), *w.s.Prompt) || w.s.Flow != FlowPostSession {
			t.Fatalf("out = %+v", out)
		}
	})
	t.Run("a new check voids an unused clearance", func(t *testing.T) {
		w, bp := clear(t)
		w.start(FlowPreDose)
		if w.s.Dose != nil {
			t.Fatal("unused clearance survived a new pre-dose check")
		}
		w.s.Flow = ""
		if out := w.step(Input{Button: &bp}); len(out.Jobs) != 0 {
			t.Fatal("old dose button still worked")
		}
	})
	t.Run("resume re-shows the dose button", func(t *testing.T) {
		w, bp := clear(t)
		r := w.p.Resume(w.s)
		if len(r.Buttons) != 1 || r.Buttons[0][0].Data != EncodeAnswer(bp.Run, DoseItem, DoseTaken) {
			t.Fatalf("resume = %+v", r)
		}
	})
}

func TestStartCancelsRunInProgress(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowPostSession)
	old := w.s.Run
	w.btn("same")
	w.now = w.now.Add(time.Minute)
	out := w.start(FlowPreDose)
	c := out.Completion
	if c == nil || c.Outcome != OutcomeCancelled || c.Run != old || c.Flow != FlowPostSession || len(c.Answers) != 1 {
		t.Fatalf("completion = %+v", c)
	}
	if w.s.Run == old || w.s.Flow != FlowPreDose || len(w.s.Answers) != 0 || len(out.Replies) < 2 {
		t.Fatalf("session = %+v replies %d", w.s, len(out.Replies))
	}
	// Same millisecond: the run id must still change.
	out2, _ := w.p.Start(w.s, FlowPreDose, w.now)
	if out2.Session.Run == w.s.Run {
		t.Fatalf("run id repeated: %s", w.s.Run)
	}
}

func TestStartUnknownFlow(t *testing.T) {
	out, err := testProtocol(t).Start(Session{}, "nope", t0)
	if err == nil || len(out.Replies) != 1 || strings.Contains(out.Replies[0].Text, "nope") {
		t.Fatalf("out = %+v err = %v", out, err)
	}
}

func TestCancelResumeStatus(t *testing.T) {
	p := testProtocol(t)
	w := newWalker(t, p)
	if out := p.Cancel(w.s, w.now); out.Completion != nil || !strings.Contains(out.Replies[0].Text, "nothing to cancel") {
		t.Fatalf("idle cancel = %+v", out)
	}
	if r := p.Resume(w.s); !strings.Contains(r.Text, "not in a check-in") {
		t.Fatalf("idle resume = %+v", r)
	}
	if s := w.p.Status(w.s, w.now); !strings.Contains(s, "not in a check-in") {
		t.Fatalf("idle status = %q", s)
	}
	w.start(FlowPreDose)
	w.btn("yes")
	if r := p.Resume(w.s); !reflect.DeepEqual(r, *w.s.Prompt) {
		t.Fatalf("resume = %+v", r)
	}
	w.s.Prompt = nil // a session stored before the prompt was saved
	if r := p.Resume(w.s); !strings.Contains(r.Text, "driving") || len(r.Buttons) != 1 {
		t.Fatalf("rebuilt resume = %+v", r)
	}
	if s := w.p.Status(w.s, w.now); !strings.Contains(s, "safety check") || !strings.Contains(s, "1 answered") {
		t.Fatalf("status = %q", s)
	}
	out := p.Cancel(w.s, w.now)
	w.check(out)
	if out.Completion == nil || out.Completion.Outcome != OutcomeCancelled || w.s.Flow != "" || !strings.Contains(out.Replies[0].Text, "don't take your dose") {
		t.Fatalf("cancel = %+v", out)
	}
	w.s.Dose = &Dose{Run: "r", ClearedAt: t0, TakenAt: t0.Add(time.Minute)}
	if s := w.p.Status(w.s, w.now); !strings.Contains(s, "14:00") || !strings.Contains(s, "14:01") {
		t.Fatalf("status with dose = %q", s)
	}
}

func TestProtocolChangedUnderRun(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.s = Session{Flow: FlowPreDose, State: "gone", Run: "r1"}
	out := w.text("yes")
	if out.Completion == nil || out.Completion.Outcome != OutcomeCancelled || w.s.Flow != "" {
		t.Fatalf("out = %+v", out)
	}
}

func TestStepIsPure(t *testing.T) {
	p := testProtocol(t)
	w := newWalker(t, p)
	w.start(FlowPreDose)
	w.walkTo("vitals", safePreDose)
	w.text("170/95 80")
	s := w.s
	snapshot := Session{Tries: map[string]int{"vitals": 1}, Answers: append([]Answer(nil), s.Answers...)}
	a, _ := p.Step(s, Input{Text: "171/95 80"}, w.now)
	b, _ := p.Step(s, Input{Text: "171/95 80"}, w.now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same input, same clock, different outcome")
	}
	if !reflect.DeepEqual(s.Tries, snapshot.Tries) || !reflect.DeepEqual(s.Answers, snapshot.Answers) {
		t.Fatal("Step mutated its input session")
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second: "20 seconds", time.Second: "1 second", time.Minute: "1 minute",
		45 * time.Minute: "45 minutes", time.Hour: "an hour", 90 * time.Minute: "1 hour 30 minutes", 90 * time.Second: "90 seconds",
		2 * time.Hour: "2 hours", 24 * time.Hour: "1 day", 7 * 24 * time.Hour: "7 days",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
