package flows

import (
	"strings"
	"testing"
)

func TestCrisisScreen(t *testing.T) {
	p := testProtocol(t)
	tests := []struct {
		name   string
		flow   string // "" for an idle session
		text   string
		urgent bool
	}{
		{"idle message", "", "I want to kill myself", true},
		{"case, curly quote and spacing", "", "I CAN’T   breathe", true},
		{"journal entry", FlowPostSession, "", true}, // filled in below
		{"typed instead of a button", FlowPreDose, "my friend left, I feel suicidal", true},
		{"nothing worrying", "", "I feel fine, thanks", false},
		{"a plain answer", FlowPreDose, "yes", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWalker(t, p)
			if tt.flow != "" {
				w.start(tt.flow)
			}
			text := tt.text
			if tt.name == "journal entry" {
				w.walkTo("journal", safePost)
				text = "Good session, but lately I think I'd be better off dead."
			}
			before := w.s
			out := w.text(text)
			var urgent *Escalation
			for i, e := range out.Escalations {
				if e.Level == Urgent {
					urgent = &out.Escalations[i]
				}
			}
			if (urgent != nil) != tt.urgent {
				t.Fatalf("URGENT = %v, want %v: %+v", urgent != nil, tt.urgent, out.Escalations)
			}
			if !tt.urgent {
				return
			}
			assertCrisis(t, out)
			if !strings.Contains(out.Replies[0].Text, "988") {
				t.Errorf("the crisis resources do not come first: %q", out.Replies[0].Text)
			}
			if urgent.Answer != text || !strings.Contains(urgent.Reason, "automatic phrase match") {
				t.Errorf("escalation = %+v", *urgent)
			}
			if want := before.Flow; (want == "" && urgent.Flow != FlowMessage) || (want != "" && urgent.Flow != want) {
				t.Errorf("escalation flow %q, session flow %q", urgent.Flow, want)
			}
		})
	}
}

func TestCrisisScreenOff(t *testing.T) {
	p := testProtocol(t)
	p.Crisis.Phrases = []string{}
	out, err := p.Step(Session{}, Input{Text: "I want to kill myself"}, t0)
	if err != nil || len(out.Escalations) != 0 || len(out.Replies) == 0 {
		t.Fatalf("with no phrases: %+v %v", out, err)
	}
}

func TestCrisisQuoteIsBounded(t *testing.T) {
	p := testProtocol(t)
	long := "suicide " + strings.Repeat("x", 1000)
	out, _ := p.Step(Session{}, Input{Text: long}, t0)
	if n := len([]rune(out.Escalations[0].Answer)); n > maxQuoted+1 {
		t.Fatalf("quoted %d characters", n)
	}
}
