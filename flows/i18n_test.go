package flows

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func parseT(t *testing.T, name, yaml string) *Protocol {
	t.Helper()
	p, err := Parse(name, []byte(yaml))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// questionnaireT parses a protocol of one questionnaire flow, id (also its
// command), with the items in YAML (indented as a flow's items).
func questionnaireT(t *testing.T, id, items string) *Protocol {
	t.Helper()
	return parseT(t, id+".yaml", "version: x\ncrisis: {resources: [call 988]}\nflows:\n  - id: "+id+
		"\n    command: "+id+"\n    kind: questionnaire\n    items:\n"+items)
}

func TestReadYesNo(t *testing.T) {
	for text, want := range map[string]string{
		"yes": "yes", "Yes!": "yes", "yeah": "yes", "yep": "yes", "Y": "yes", "sure": "yes", "OK": "yes",
		"okay 👍": "yes", "yes 🙂": "yes", "sí": "yes", "Si": "yes", "claro": "yes", "¡Sí!": "yes", "vale": "yes",
		"no": "no", "nope": "no", "nah": "no", "N": "no", "no 🙂": "no", "No.": "no", "not really": "no",
		"para nada": "no", "No, gracias": "no", "I'm not": "no", "nope!!!": "no",
		"": "", "maybe": "", "no, I'm not ok": "", "yes but my sitter left": "", "sino": "", "128/82": "",
		"síntomas": "", strings.Repeat("yes ", 40): "",
	} {
		got, ok := ReadYesNo(text)
		if got != want || ok != (want != "") {
			t.Errorf("ReadYesNo(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
}

func FuzzReadYesNo(f *testing.F) {
	for _, s := range []string{"yes", "nope 🙂", "¡Sí!", "no, gracias", "\xff", "i’m not"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, ok := ReadYesNo(text)
		if ok != (v == "yes" || v == "no") {
			t.Fatalf("ReadYesNo(%q) = %q, %v", text, v, ok)
		}
	})
}

// TestSkippedIsNotAnswered: a skipped item fires skipped rules, never
// answered ones (a skipped "which medication" raised a new prescription).
func TestSkippedIsNotAnswered(t *testing.T) {
	p := questionnaireT(t, "meds", `
      - id: which
        summary: New medication
        kind: text
        skip: true
        text: "Which medication did you start, if any?"
        rules:
          - {when: answered, escalate: routine, reason: New prescription or supplement reported}
          - {when: skipped, advise: "No new medication, noted."}
`)
	w := newWalker(t, p)
	w.start("meds")
	out := w.btn(skipValue)
	if len(out.Escalations) != 0 || !strings.Contains(allText(out), "No new medication") {
		t.Fatalf("skip: escalations %+v, replies %q", out.Escalations, allText(out))
	}
	w = newWalker(t, p)
	w.start("meds")
	if out := w.text("sertraline"); len(out.Escalations) != 1 || strings.Contains(allText(out), "No new medication") {
		t.Fatalf("answer: escalations %+v, replies %q", out.Escalations, allText(out))
	}
}

// TestTimelineFlowNames: the long forms name the flows; the short forms of
// earlier files keep meaning postsession, followup and every instrument.
func TestTimelineFlowNames(t *testing.T) {
	p := testProtocol(t)
	if p.Timeline.PostSessionFlow() != "postsession" || p.Timeline.FollowUpFlow() != "followup" || len(p.InstrumentFlows()) != 2 {
		t.Fatalf("default: %q %q %d", p.Timeline.PostSessionFlow(), p.Timeline.FollowUpFlow(), len(p.InstrumentFlows()))
	}
	c := parseTestdata(t, "clinic_uk.yaml")
	tl := c.Timeline
	if tl.PostSessionFlow() != "debrief" || tl.PostSession.D() != 5*time.Minute || tl.FollowUpFlow() != "morning" ||
		tl.FollowUpAt.String() != "09:00" || len(c.InstrumentFlows()) != 0 || tl.Instruments.D() != 7*24*time.Hour {
		t.Fatalf("clinic timeline: %+v", tl)
	}
	if got, _ := c.CommandFor(RoleCheck); got != "/ready" {
		t.Fatalf("check command %q", got)
	}
	if !strings.Contains(c.Messages.Help, "/ready – pre-dose check") || strings.Contains(c.Messages.Help, "/checkin") {
		t.Fatalf("help: %q", c.Messages.Help)
	}
	if !strings.Contains(c.Messages.Stranger, "116 123") || strings.Contains(c.Messages.Stranger, "988") {
		t.Fatalf("stranger: %q", c.Messages.Stranger)
	}
}

func TestGreetingByLocalTime(t *testing.T) {
	p := testProtocol(t)
	for hour, want := range map[int]string{7: "Good morning", 13: "Good afternoon", 19: "Good evening", 2: "Good evening"} {
		if got := p.Greeting(time.Date(2025, 6, 2, hour, 34, 0, 0, time.UTC)); !strings.HasPrefix(got, want) {
			t.Errorf("%02d:34: %q, want %q", hour, got, want)
		}
	}
	// The follow-up opened at 19:34 greets the evening.
	s := Session{TimeZone: "Europe/Madrid"}
	out, err := p.Start(s, "followup", time.Date(2025, 6, 2, 17, 34, 0, 0, time.UTC))
	if err != nil || !strings.Contains(allText(out), "Good evening") {
		t.Fatalf("follow-up at 19:34 Madrid: %q, %v", allText(out), err)
	}
}

func TestSubSecondOnlyWhenTesting(t *testing.T) {
	base := "version: x\ncrisis: {resources: [a]}\n%stimeline: {ping_after_dose: 500ms}\nflows:\n  - {id: f, command: f, items: [{id: q, kind: yesno, text: 'Q?'}]}\n"
	if _, err := Parse("f.yaml", []byte(strings.Replace(base, "%s", "", 1))); err == nil || !strings.Contains(err.Error(), "at least 1s") {
		t.Fatalf("500ms without testing: %v", err)
	}
	parseT(t, "f.yaml", strings.Replace(base, "%s", "testing: true\n", 1))
}

// TestProgressFollowsTheBranch: "Question n of m" counts the items answered
// and the path ahead, so a branch that skips items shortens the total, and a
// hold leaves only the screens.
func TestProgressFollowsTheBranch(t *testing.T) {
	p := questionnaireT(t, "f", `
      - id: meds
        kind: yesno
        text: "New medication?"
        rules: [{when: "no", goto: mood}]
      - {id: which, kind: text, text: "Which one?"}
      - {id: amount, kind: text, text: "How much?"}
      - {id: mood, kind: scale, text: "Mood 0-10?"}
`)
	w := newWalker(t, p)
	if out := w.start("f"); !strings.Contains(last(out).Text, "Question 1 of 4\nNew medication?") {
		t.Fatalf("first: %q", last(out).Text)
	}
	if out := w.btn("no"); !strings.Contains(last(out).Text, "Question 2 of 2\nMood") {
		t.Fatalf("after the branch: %q", last(out).Text)
	}
	if s := p.Status(w.s, w.now); !strings.Contains(s, "question 2 of 2, 1 answered so far") {
		t.Fatalf("status: %q", s)
	}

	d := testProtocol(t)
	w = newWalker(t, d)
	if out := w.start("predose"); !strings.Contains(last(out).Text, "Question 1 of 8\n") {
		t.Fatalf("predose first: %q", last(out).Text)
	}
	if out := w.btn("no"); !strings.Contains(last(out).Text, "Question 2 of 2\n") { // no sitter: only the self-harm screen is left
		t.Fatalf("after a hold: %q", last(out).Text)
	}
}

func TestSpanishDefaultIsComplete(t *testing.T) {
	mv := reflect.ValueOf(DefaultMessagesES)
	en := reflect.ValueOf(DefaultMessages)
	for i := 0; i < mv.NumField(); i++ {
		if !mv.Type().Field(i).IsExported() {
			continue
		}
		name := mv.Type().Field(i).Name
		if mv.Field(i).String() == "" {
			t.Errorf("DefaultMessagesES.%s is empty", name)
		}
		for _, ph := range placeholderRE.FindAllString(en.Field(i).String(), -1) {
			if !strings.Contains(mv.Field(i).String(), ph) {
				t.Errorf("DefaultMessagesES.%s lacks %s", name, ph)
			}
		}
	}
	p := testProtocol(t)
	es := p.In("es-MX")
	if es.LanguageCode() != "es" || p.In("fr").LanguageCode() != "en" || p.In("").LanguageCode() != "en" {
		t.Fatalf("languages: es-MX→%s fr→%s", es.LanguageCode(), p.In("fr").LanguageCode())
	}
	if got := es.Flow("phq9").Items[0].Choices[3].Label; got != "Casi todos los días" {
		t.Fatalf("PHQ-9 choice in Spanish: %q", got)
	}
	if es.Flow("phq9").Items[0].Summary != p.Flow("phq9").Items[0].Summary {
		t.Fatal("clinician summaries must stay in the clinic's language")
	}
	if !strings.Contains(es.Crisis.Text(GroupSelfHarm), "oprima 2") || !strings.Contains(es.Crisis.Text(GroupSelfHarm), testOnCall) {
		t.Fatalf("Spanish crisis text: %q", es.Crisis.Text(GroupSelfHarm))
	}
	if got := es.localTime(time.Date(2025, 6, 7, 15, 0, 0, 0, time.UTC)); got != "sáb 7 jun 15:00" {
		t.Fatalf("Spanish date: %q", got)
	}
	if got := es.Duration(90 * time.Minute); got != "1 hora 30 minutos" {
		t.Fatalf("Spanish duration: %q", got)
	}
	if !strings.Contains(es.Messages.Help, "/checkin – revisión de seguridad") {
		t.Fatalf("Spanish help: %q", es.Messages.Help)
	}
}

var placeholderRE = regexp.MustCompile(`\{[a-z_:]+\}`)

func TestMissingTranslationIsReportedAtItsLine(t *testing.T) {
	p, err := Parse("tr.yaml", []byte(`version: x
crisis: {resources: [call 988]}
flows:
  - id: f
    command: f
    title: check-in
    items:
      - id: q
        kind: yesno
        text: "Q?"
translations:
  es:
    crisis: {resources: [llame al 988]}
    flows:
      f: {title: cuestionario}
`))
	if err != nil || !strings.Contains(p.Warnings().Error(), `tr.yaml:8: warning: item "q" text has no es translation`) {
		t.Fatalf("err = %v, warnings %v", err, p.Warnings())
	}
	if q := p.In("es").Flow("f"); q.Title != "cuestionario" || q.Items[0].Text != "Q?" {
		t.Fatalf("untranslated text falls back: %+v", q.Items[0])
	}
}

// TestLanguageButton: the patient's tap sets the language and the question
// in progress comes again in it.
func TestLanguageButton(t *testing.T) {
	p := testProtocol(t)
	w := newWalker(t, p)
	w.start("predose")
	out := w.btn("yes")
	_ = out
	press := ButtonPress{Run: "l", Item: LanguageItem, Value: "es"}
	out, err := p.Step(w.s, Input{Button: &press}, w.now)
	if err != nil || out.Session.Language != "es" || !strings.Contains(allText(out), "español") || !strings.Contains(allText(out), "Pregunta 2 de 8\n¿Evitará manejar") {
		t.Fatalf("language tap: %q, %v", allText(out), err)
	}
	bad := ButtonPress{Run: "l", Item: LanguageItem, Value: "xx"}
	if out, _ := p.Step(w.s, Input{Button: &bad}, w.now); out.Session.Language != "" || len(out.Replies[0].Buttons) == 0 {
		t.Fatalf("unknown language: %+v", out)
	}
}

// FuzzParseLongForms feeds Parse the timeline's long forms and translations,
// whose YAML nodes Parse rewrites and overlays: a bad file is Problems,
// never a panic, and a good one answers in each of its languages.
func FuzzParseLongForms(f *testing.F) {
	base := "version: x\ncrisis: {resources: [a]}\nflows:\n  - {id: p, command: p, items: [{id: q, kind: yesno, text: 'Q {cmd:p}?'}]}\n"
	for _, s := range []string{
		base + "timeline: {post_session: {flow: p, after: 2h}, follow_up: {flow: p}, instruments: {flows: [p], every: 7d}}\n",
		base + "timeline: {post_session: {flow: [x]}, follow_up: 3}\n",
		base + "translations: {es: {flows: {p: {items: {q: {text: '¿Q?'}}}}, crisis: {resources: [b]}}}\n",
		base + "translations: {'': {messages: {yes: Sí}}, es: 3}\n",
		base + "testing: true\ntimeline: {ping_after_dose: 1ns, ping_retry: 0}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		p, err := Parse("f.yaml", []byte(data))
		if err != nil {
			if _, ok := err.(Problems); !ok {
				t.Fatalf("error %T %v, want Problems", err, err)
			}
			return
		}
		for _, l := range p.Languages() {
			if q := p.In(l); q == nil || q.Messages.Help == "" {
				t.Fatalf("language %q has no protocol", l)
			}
		}
	})
}

// TestNoResponseNamesShortOffsets: with offsets of seconds the escalation
// says so, not "pinged 0 and 0 minutes after the dose".
func TestNoResponseNamesShortOffsets(t *testing.T) {
	p := testProtocol(t)
	d := &Dose{Run: "r1", ClearedAt: t0, TakenAt: t0, PingedAt: t0.Add(90 * time.Second), RepingedAt: t0.Add(150 * time.Second)}
	out, err := p.RunJob(Session{Dose: d}, Job{Kind: JobNoResponse, Run: "r1", Due: t0.Add(210 * time.Second)}, t0.Add(210*time.Second))
	if err != nil || len(out.Escalations) != 1 {
		t.Fatalf("no response: %+v, %v", out, err)
	}
	if want := "pinged 90 seconds and 3 minutes after the dose, no answer for 2 minutes"; !strings.Contains(out.Escalations[0].Reason, want) {
		t.Fatalf("reason %q, want %q", out.Escalations[0].Reason, want)
	}
}

// BenchmarkParseDefault measures loading the default protocol, which parses
// the file once per language (start-up, and once per earlier version).
func BenchmarkParseDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("default.yaml", defaultYAML); err != nil {
			b.Fatal(err)
		}
	}
}
