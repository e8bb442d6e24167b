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
	off := false
	p.Crisis.Builtin, p.Crisis.Phrases = &off, nil
	out, err := p.Step(Session{}, Input{Text: "I want to kill myself"}, t0)
	if err != nil || len(out.Escalations) != 0 || len(out.Replies) == 0 {
		t.Fatalf("with the built-in lexicon off and no phrases: %+v %v", out, err)
	}
	// An empty phrase list no longer turns the screen off: phrases only add.
	p.Crisis.Builtin, p.Crisis.Phrases = nil, []string{}
	if _, ok := p.Crisis.Screen("I want to kill myself"); !ok {
		t.Fatal("phrases: [] turned the built-in lexicon off")
	}
}

func TestCrisisScreenMatches(t *testing.T) {
	c := Default().Crisis
	tests := []struct {
		text    string
		group   CrisisGroup // "" for no match
		negated bool
	}{
		// the phrasings of the issue, typed at the blood-pressure question
		{"i wanna die", GroupSelfHarm, false},
		{"I want to end it all", GroupSelfHarm, false},
		{"I took too many pills", GroupOverdose, false},
		{"I don't want to be here anymore", GroupSelfHarm, false},
		{"kms", GroupSelfHarm, false},
		// normalisation: case, curly apostrophes, stretched letters, shorthand, leet
		{"I CAN’T   breathe", GroupMedical, false},
		{"i want to diiiiie", GroupSelfHarm, false},
		{"gonna unalive myself", GroupSelfHarm, false},
		{"i want to k1ll myself", GroupSelfHarm, false},
		{"he'll kill me", GroupHarmFromOthers, false},
		// word order with gaps
		{"I want so badly to just die", GroupSelfHarm, false},
		{"took way too many of my sleeping pills", GroupOverdose, false},
		// groups
		{"swallowed all my troches", GroupOverdose, false},
		{"crushing chest pain", GroupMedical, false},
		{"my boyfriend hit me", GroupHarmFromOthers, false},
		{"quiero morir", GroupSelfHarm, false},
		{"no puedo respirar", GroupMedical, false},
		// an overdose to die: emergency services lead
		{"I took all my pills to kill myself", GroupOverdose, false},
		// negations still match, marked
		{"I'm not suicidal", GroupSelfHarm, true},
		{"I don't want to die", GroupSelfHarm, true},
		{"I can't sleep and I want to die", GroupSelfHarm, false},
		{"no chest pain but I want to die", GroupSelfHarm, false},
		// idioms
		{"I'm dying to know", "", false},
		{"that killed me", "", false},
		{"you're killing it", "", false},
		{"this cake is to die for", "", false},
		{"my phone died", "", false},
		{"dead tired", "", false},
		{"this traffic is killing me", "", false},
		{"I cut myself shaving", "", false},
		{"runny nose", "", false},
		{"I'm proud of myself", "", false},
		{"taking care of myself", "", false},
		{"i want to off myself", GroupSelfHarm, false},
		{"BP 142/91 pulse 88", "", false},
		{"128/82 72", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		m, ok := c.Screen(tt.text)
		if ok != (tt.group != "") || m.Group != tt.group || m.Negated != tt.negated {
			t.Errorf("Screen(%q) = %+v, %v; want group %q, negated %v", tt.text, m, ok, tt.group, tt.negated)
		}
		if ok && m.Phrase == "" {
			t.Errorf("Screen(%q) names no phrase", tt.text)
		}
	}
}

func TestCrisisEscalationSaysGroupAndNegation(t *testing.T) {
	p := testProtocol(t)
	out, _ := p.Step(Session{}, Input{Text: "I'm not suicidal"}, t0)
	if len(out.Escalations) != 1 {
		t.Fatalf("escalations %+v", out.Escalations)
	}
	r := out.Escalations[0].Reason
	for _, want := range []string{"self-harm or suicide", `"suicidal"`, "the message may be a negation"} {
		if !strings.Contains(r, want) {
			t.Errorf("reason %q lacks %q", r, want)
		}
	}
	out, _ = p.Step(Session{}, Input{Text: "my chest hurts so much"}, t0)
	if r := out.Escalations[0].Reason; !strings.Contains(r, "medical emergency") || strings.Contains(r, "negation") {
		t.Errorf("reason %q", r)
	}
}

func TestCrisisTextOrderPerGroup(t *testing.T) {
	p := testProtocol(t)
	first := func(text string) string {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "• ") {
				return line
			}
		}
		return ""
	}
	if l := first(p.Crisis.Text(GroupSelfHarm)); !strings.Contains(l, "988") {
		t.Errorf("self-harm leads with %q, want 988", l)
	}
	for _, g := range []CrisisGroup{GroupMedical, GroupOverdose, GroupHarmFromOthers} {
		text := p.Crisis.Text(g)
		if l := first(text); !strings.Contains(l, "911") {
			t.Errorf("%s leads with %q, want 911", g, l)
		}
		if !strings.Contains(text, "988") || !strings.Contains(text, testOnCall) {
			t.Errorf("%s leaves out 988 or the on-call line:\n%s", g, text)
		}
	}
	if !strings.Contains(p.Crisis.Text(GroupSelfHarm), "español") {
		t.Error("the 988 line lost its Spanish option")
	}
	// A file of today's shape, with 911 among the resources, still leads
	// with emergency services for a medical emergency.
	old := Crisis{Resources: []string{"Call or text 988.", "Call 911 in an emergency."}}
	if l := first(old.Text(GroupMedical)); !strings.Contains(l, "911") {
		t.Errorf("resources only: medical leads with %q", l)
	}
	if l := first(old.Text(GroupSelfHarm)); !strings.Contains(l, "988") {
		t.Errorf("resources only: self-harm leads with %q", l)
	}
	alert := p.CrisisAlert(CrisisMatch{Group: GroupMedical})
	if !strings.Contains(alert.Text, "911") || strings.Index(alert.Text, "911") > strings.Index(alert.Text, "988") {
		t.Errorf("medical alert:\n%s", alert.Text)
	}
}

// clinicYAML is a minimal protocol with a crisis block to test.
func clinicYAML(crisis string) string {
	return "version: x\n" + crisis + "flows:\n  - id: f\n    command: f\n    items:\n      - {id: q, summary: Q, kind: text, text: 'Anything?'}\n"
}

func TestClinicPhrasesExtendTheLexicon(t *testing.T) {
	p, err := Parse("clinic.yaml", []byte(clinicYAML("crisis:\n  resources: [\"Call or text 988.\", \"Call 911.\"]\n  phrases: [chest tightness, took … extra troche, bladder bleeding]\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings()) != 0 {
		t.Errorf("warnings %v", p.Warnings())
	}
	for _, tt := range []struct {
		text  string
		group CrisisGroup
	}{
		{"suicide", GroupSelfHarm},                  // built in, kept
		{"I want to kill myself", GroupSelfHarm},    // built in, kept
		{"some chest tightness now", GroupMedical},  // the clinic's, grouped by its words
		{"I took an extra troche", GroupOverdose},   // the clinic's, with a gap
		{"there's bladder bleeding", GroupSelfHarm}, // the clinic's, no built-in group: 988 first
	} {
		m, ok := p.Crisis.Screen(tt.text)
		if !ok || m.Group != tt.group {
			t.Errorf("Screen(%q) = %+v, %v; want %s", tt.text, m, ok, tt.group)
		}
	}
}

func TestBuiltinOffWarns(t *testing.T) {
	p, err := Parse("clinic.yaml", []byte(clinicYAML("crisis:\n  resources: [\"Call or text 988.\"]\n  builtin: false\n  phrases: [overdose]\n")))
	if err != nil {
		t.Fatal(err)
	}
	ws := p.Warnings()
	if len(ws) != 1 || !strings.Contains(ws[0].String(), "clinic.yaml:3: warning: crisis.builtin is false") {
		t.Fatalf("warnings %v", ws)
	}
	if _, ok := p.Crisis.Screen("suicide"); ok {
		t.Error("builtin: false still screens the built-in lexicon")
	}
	if _, ok := p.Crisis.Screen("I think I overdosed"); !ok {
		t.Error("builtin: false dropped the clinic's phrases")
	}
	if len(Default().Warnings()) != 0 {
		t.Errorf("the default protocol warns: %v", Default().Warnings())
	}
}

func TestCrisisPhraseProblems(t *testing.T) {
	for _, phrase := range []string{"die", "want ~99 die", "… die", "x*"} {
		_, err := Parse("clinic.yaml", []byte(clinicYAML("crisis:\n  resources: [\"Call 988.\"]\n  phrases: [\""+phrase+"\"]\n")))
		if err == nil || !strings.Contains(err.Error(), "crisis phrase") {
			t.Errorf("phrase %q: err %v", phrase, err)
		}
	}
}

func TestNormalizeCrisisText(t *testing.T) {
	for in, want := range map[string]string{
		"I CAN’T breathe!!":       "i can not breathe .",
		"i wannnna diiiie":        "i want to die .",
		"He'll kill me, he's mad": "he wil kil me , he is mad .",
		"my friend's cat":         "my friend cat .",
		"Quiero MORIR… ya":        "quiero morir . ya .",
		"128/82 72":               "128 82 72 .",
		"":                        "",
	} {
		if got := NormalizeCrisisText(in); got != want {
			t.Errorf("NormalizeCrisisText(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkScreen(b *testing.B) {
	c := Default().Crisis
	for _, bc := range []struct{ name, text string }{
		{"vitals", "128/82 72"},
		{"sentence", "The session went fine, a bit of nausea, but lately I think I'd be better off dead."},
		{"4096 chars", strings.Repeat("I felt calm and watched the clouds, my sitter made tea. ", 73)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c.Screen(bc.text)
			}
		})
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

// FuzzScreen: the screen never panics, normalising is idempotent, and the
// screen reads a normalised text as it reads the original.
func FuzzScreen(f *testing.F) {
	for _, s := range []string{"i wanna die", "I CAN’T breathe", "he'll kill me", "128/82 72", "…", "''", "k1ll mysełf", "dying to know", "a\u0301b", "ß", "İ"} {
		f.Add(s)
	}
	c := Default().Crisis
	f.Fuzz(func(t *testing.T, text string) {
		m, ok := c.Screen(text)
		norm := NormalizeCrisisText(text)
		if again := NormalizeCrisisText(norm); again != norm {
			t.Fatalf("not idempotent: %q → %q → %q", text, norm, again)
		}
		m2, ok2 := c.Screen(norm)
		if ok != ok2 || m.Group != m2.Group || m.Negated != m2.Negated {
			t.Fatalf("Screen(%q) = %+v %v, but on its normal form %q: %+v %v", text, m, ok, norm, m2, ok2)
		}
		if ok && (m.Phrase == "" || groupRank(m.Group) == len(CrisisGroups)) {
			t.Fatalf("Screen(%q) = %+v", text, m)
		}
	})
}

// FuzzCrisisPhrase: a clinic's phrase, in the pattern language, never
// panics when compiled or matched against any text.
func FuzzCrisisPhrase(f *testing.F) {
	for _, s := range []string{"chest tightness", "took … extra troche|troches", "want ~2 die", "suicid*", "go on .", "…", "~9 x", "a|", "|", "*", "can't_stop", "$"} {
		f.Add(s, "I took an extra troche")
	}
	f.Fuzz(func(t *testing.T, phrase, text string) {
		p, err := compilePattern(GroupSelfHarm, phrase)
		if err != nil {
			return
		}
		set := newPatternSet([]pattern{p})
		set.find(screenTokens(text), nil)
		c := Crisis{Phrases: []string{phrase}, Builtin: new(bool)}
		c.Screen(text)
	})
}
