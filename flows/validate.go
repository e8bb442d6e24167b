package flows

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Validation runs at start-up (and in `checkinbot protocol check`), so a
// clinic's mistake is found before a patient meets it. Every check appends a
// Problem and carries on, so one run lists everything.

// MaxMessage is Telegram's limit on a message's text, in characters.
const MaxMessage = 4096

// worstRun is the longest run id Start can produce (base36 of a 64-bit
// number plus a collision suffix), used to check callback data length.
const worstRun = "1y2p0ij32e8e7bb"

var (
	idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,23}$`)
	numberID  = regexp.MustCompile(`^[0-9]{1,2}$`) // instrument choices may be ids 0–3
	// selfHarmPattern spots an item about self-harm, which must escalate.
	selfHarmPattern = regexp.MustCompile(`self[- ]?harm|suicid|hurt(ing)? yourself|harm(ing)? yourself|better off dead|kill(ing)? yourself|end(ing)? (your|my) (own )?life`)
)

// reserved ids would clash with terminal states or the dose pseudo-item.
var reserved = map[string]bool{StateCleared: true, StateCompleted: true, StateHeld: true, GotoEnd: true, DoseItem: true, PingItem: true, LanguageItem: true, OutcomeCancelled: true}

type checker struct {
	p     *Protocol
	ps    Problems
	warns Problems // not errors: the protocol loads, protocol check shows them
}

// warn notes something allowed but risky, e.g. a safety net switched off.
func (c *checker) warn(line int, format string, args ...any) {
	if line == 0 {
		line = c.p.m.line
	}
	c.warns = append(c.warns, Problem{File: c.p.source, Line: line, Message: "warning: " + fmt.Sprintf(format, args...)})
}

func (c *checker) add(line int, format string, args ...any) {
	if line == 0 {
		line = c.p.m.line
	}
	c.ps = append(c.ps, Problem{File: c.p.source, Line: line, Message: fmt.Sprintf(format, args...)})
}

// decoded reports the problems found while decoding a value.
func (c *checker) decoded(m meta) {
	for _, e := range m.errs {
		line := m.line
		msg := e
		if sm := yamlLine.FindStringSubmatch(e); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			msg = sm[2]
		}
		c.add(line, "%s", msg)
	}
}

func (c *checker) text(line int, where, s string) {
	if n := utf8.RuneCountInString(s); n > MaxMessage {
		c.add(line, "%s is %d characters; Telegram allows %d in one message, so shorten it", where, n, MaxMessage)
	}
}

// validate fills defaults, builds indexes, compiles the flows and returns
// every problem found.
func (p *Protocol) validate() Problems {
	c := &checker{p: p}
	for _, m := range []meta{p.m, p.Thresholds.m, p.Thresholds.Vitals.m, p.Timeline.m, p.Crisis.m, p.Messages.m} {
		c.decoded(m)
	}
	if strings.TrimSpace(p.Version) == "" {
		c.add(p.m.line, `the protocol has no version; add e.g. version: "2025-06-01" so answers record which rules applied`)
	}
	c.limits(&p.Thresholds.Vitals, "thresholds.vitals", p.Thresholds.Vitals.m.line)
	c.timeline(&p.Timeline)
	c.crisis(&p.Crisis)
	mv := reflect.ValueOf(p.Messages)
	for i := 0; i < mv.NumField(); i++ {
		if !mv.Type().Field(i).IsExported() {
			continue
		}
		c.text(p.m.line, "messages."+mv.Type().Field(i).Tag.Get("yaml"), mv.Field(i).String())
	}
	if len(p.Flows) == 0 {
		c.add(p.m.line, "the protocol has no flows; add at least a `flows:` list with the pre-dose check")
	}
	p.byID = map[string]*Flow{}
	commands := map[string]*Flow{}
	for i, f := range p.Flows {
		if f == nil {
			c.add(p.m.line, "flow %d is empty; remove the stray `-` or fill it in", i+1)
			continue
		}
		c.flow(f)
		c.command(f, commands)
		if f.ID != "" && p.byID[f.ID] != nil {
			c.add(f.m.line, "duplicate flow id %q (first at line %d); give each flow its own id", f.ID, p.byID[f.ID].m.line)
			continue
		}
		p.byID[f.ID] = f
	}
	c.commandTexts()
	c.timelineFlowNames()
	c.translations()
	p.warnings = c.warns
	return c.ps
}

// limits fills unset vitals limits with the defaults and checks the rest.
func (c *checker) limits(l *VitalLimits, where string, line int) {
	def := DefaultVitalLimits
	for _, x := range limitRanges {
		v := x.get(l)
		if *v == 0 {
			*v = *x.get(&def)
		}
		if *v < x.min || *v > x.max {
			c.add(line, "%s.%s is %d; it must be between %d and %d", where, x.name, *v, x.min, x.max)
		}
	}
	if l.DiastolicMax >= l.SystolicMax {
		c.add(line, "%s: diastolic_max (%d) must be below systolic_max (%d)", where, l.DiastolicMax, l.SystolicMax)
	}
}

// timeline fills unset offsets with the docs/clinical-basis.md defaults and checks them.
func (c *checker) timeline(t *Timeline) {
	for _, x := range []struct {
		v        *Duration
		def, max time.Duration
		name     string
	}{
		{&t.PingAfterDose, 60 * time.Minute, 12 * time.Hour, "ping_after_dose"},
		{&t.PingRetry, 30 * time.Minute, 12 * time.Hour, "ping_retry"},
		{&t.NoResponse, 15 * time.Minute, 12 * time.Hour, "no_response"},
		{&t.PostSession, 2 * time.Hour, 24 * time.Hour, "post_session"},
		{&t.Instruments, 7 * 24 * time.Hour, 90 * 24 * time.Hour, "instruments"},
		{&t.ClearanceValid, 0, 24 * time.Hour, "clearance_valid"},
		{&t.MinDoseInterval, 6 * 24 * time.Hour, 30 * 24 * time.Hour, "min_dose_interval"},
	} {
		switch {
		case *x.v == explicitZero && x.name == "clearance_valid":
			*x.v = 0 // 0 means no limit
		case *x.v == explicitZero:
			c.add(t.m.line, "timeline.%s is 0; leave it out for the default (%s) or give a duration like 90s or 2h", x.name, HumanDuration(x.def))
		case *x.v == 0:
			*x.v = Duration(x.def)
		case x.v.D() < time.Second && !c.p.Testing:
			c.add(t.m.line, "timeline.%s is %s; it must be at least 1s (only a file marked testing: true may go below)", x.name, x.v.D())
		}
		if x.v.D() > x.max {
			c.add(t.m.line, "timeline.%s is %s; it must be at most %s", x.name, x.v.D(), x.max)
		}
	}
	// The dose interval is part of the gate: a file may shorten it (twice
	// weekly dosing) but not so far that it stops counting doses.
	if t.MinDoseInterval.D() < minDoseIntervalFloor {
		c.add(t.m.line, "timeline.min_dose_interval is %s; it must be at least %s (the gate counts doses with it)", t.MinDoseInterval.D(), minDoseIntervalFloor)
	}
	if !t.FollowUpAt.Set {
		t.FollowUpAt = ClockTime{Hour: 10, Set: true}
	}
}

func (c *checker) crisis(cr *Crisis) {
	if len(cr.Resources) == 0 && len(cr.Emergency) == 0 {
		c.add(cr.m.line, "crisis has no resources; list at least the 988 and 911 lines, which every URGENT reply shows")
	}
	for _, g := range CrisisGroups {
		c.text(cr.m.line, "the crisis message for "+g.Label(), cr.Text(g))
	}
	for _, ph := range cr.Phrases {
		if len([]rune(strings.TrimSpace(ph))) < 4 {
			c.add(cr.m.line, "crisis phrase %q is too short to match safely; use 4 or more characters, e.g. \"kill myself\"", ph)
			continue
		}
		if _, err := compilePattern(GroupSelfHarm, ph); err != nil {
			c.add(cr.m.line, "crisis phrase %q: %v; write words, \"…\" for a gap, \"|\" between alternatives, \"*\" after a prefix", ph, err)
		}
	}
	if !cr.BuiltinOn() {
		msg := "crisis.builtin is false: the built-in crisis lexicon (suicide, overdose, chest pain, … in English and Spanish) is off"
		if len(cr.Phrases) == 0 {
			msg += " and there are no phrases, so typed messages are not screened at all"
		} else {
			msg += ", and only the clinic's phrases are screened"
		}
		c.warn(cr.m.line, "%s; remove builtin: false unless a clinician has decided this", msg)
	}
}

// minDoseIntervalFloor is the shortest minimum interval between doses a
// protocol may set.
const minDoseIntervalFloor = 24 * time.Hour

// commandPattern is what Telegram accepts as a bot command.
var commandPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// reservedCommands are the bot's own commands, which no flow may take.
var reservedCommands = map[string]bool{
	"start": true, "help": true, "status": true, "resume": true, "cancel": true,
	"enroll": true, "open": true, "schedule": true, "resolve": true, "history": true, "unenroll": true,
	"clear": true, "pause": true, "limits": true, "language": true, "trend": true, "export": true,
}

// command checks a flow's patient command: well formed, not one of the
// bot's own, and not taken by another flow.
func (c *checker) command(f *Flow, seen map[string]*Flow) {
	switch {
	case f.Command == "":
	case !commandPattern.MatchString(f.Command):
		c.add(f.m.line, "flow %q: command %q must be 1–32 lowercase letters, digits or _, starting with a letter, without the slash", f.ID, f.Command)
	case reservedCommands[f.Command]:
		c.add(f.m.line, "flow %q: command /%s is one of the bot's own; choose another name", f.ID, f.Command)
	case seen[f.Command] != nil:
		c.add(f.m.line, "flow %q: command /%s is already used by flow %q (line %d); give each flow its own command", f.ID, f.Command, seen[f.Command].ID, seen[f.Command].m.line)
	default:
		seen[f.Command] = f
	}
}

func (c *checker) flow(f *Flow) {
	c.decoded(f.m)
	if !idPattern.MatchString(f.ID) {
		c.add(f.m.line, "flow id %q must be 1–24 lowercase letters, digits or _, starting with a letter", f.ID)
	}
	switch f.Kind {
	case "":
		f.Kind = KindQuestionnaire
	case KindCheck, KindQuestionnaire, KindIntake:
	case KindInstrument:
		if scorers[f.Instrument] == nil {
			c.add(f.m.line, "flow %q: unknown instrument %q; use phq9 or gad7", f.ID, f.Instrument)
		}
	default:
		c.add(f.m.line, "flow %q: unknown kind %q; use check, questionnaire, instrument or intake", f.ID, f.Kind)
	}
	if f.Title == "" {
		f.Title = f.ID
	}
	c.text(f.m.line, "flow "+f.ID+" intro", f.Intro)
	c.text(f.m.line, "flow "+f.ID+" done", f.Done)
	if len(f.Items) == 0 {
		c.add(f.m.line, "flow %q has no items; add at least one question", f.ID)
		return
	}
	f.byID = map[string]*Item{}
	ok := true
	for i, it := range f.Items {
		if it == nil {
			c.add(f.m.line, "flow %q: item %d is empty; remove the stray `-` or fill it in", f.ID, i+1)
			ok = false
			continue
		}
		if prev := f.byID[it.ID]; prev != nil {
			c.add(it.m.line, "duplicate item id %q in flow %q (first at line %d); give each item its own id", it.ID, f.ID, prev.m.line)
			ok = false
			continue
		}
		f.byID[it.ID] = it
	}
	scored := 0
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		if !c.item(f, it) {
			ok = false
		}
		if len(it.Choices) > 0 && it.Choices[0].Score != nil {
			scored++
		}
	}
	if f.Kind == KindInstrument {
		want := map[string]int{InstrumentPHQ9: phq9Items, InstrumentGAD7: gad7Items}[f.Instrument]
		if want > 0 && scored != want {
			c.add(f.m.line, "flow %q: %s has %d scored items; it needs exactly %d (choices with a score)", f.ID, f.Instrument, scored, want)
		}
	}
	if !ok {
		return // dangling targets: the graph checks below would only repeat them
	}
	f.compile()
	c.graph(f)
}

// item checks one item; false means its targets are unusable for the graph.
func (c *checker) item(f *Flow, it *Item) bool {
	ok := true
	where := fmt.Sprintf("item %q", it.ID)
	c.decoded(it.m)
	for _, ch := range it.Choices {
		c.decoded(ch.m)
	}
	if it.Limits != nil {
		c.decoded(it.Limits.m)
	}
	if it.Remeasure != nil {
		c.decoded(it.Remeasure.m)
	}
	if !idPattern.MatchString(it.ID) {
		c.add(it.m.line, "item id %q must be 1–24 lowercase letters, digits or _, starting with a letter", it.ID)
	} else if reserved[it.ID] {
		c.add(it.m.line, "item id %q is reserved; choose another id", it.ID)
		ok = false
	}
	if strings.TrimSpace(it.Text) == "" {
		c.add(it.m.line, "%s has no text; write the question the patient sees", where)
	}
	c.text(it.m.line, where+" text", it.Text)
	values := c.answerValues(it, where)
	for _, v := range values {
		if n := len(EncodeAnswer(worstRun, it.ID, v)); n > MaxCallbackData {
			c.add(it.m.line, "%s: the button for %q needs %d bytes of callback data; Telegram allows %d, so shorten the item or choice id", where, v, n, MaxCallbackData)
		}
	}
	if it.Next != "" && it.Next != GotoEnd && f.byID[it.Next] == nil {
		c.add(it.m.line, "%s: next %q is not an item of flow %q; use an existing item id or end", where, it.Next, f.ID)
		ok = false
	}
	for i := range it.Rules {
		r := &it.Rules[i]
		if !c.rule(f, it, r, values) {
			ok = false
		}
		if r.Escalate != "" && it.Summary == "" {
			c.add(r.m.line, "%s escalates but has no summary; add a short clinician-facing summary to the item", where)
		}
	}
	if isSelfHarmItem(it) {
		c.selfHarm(it, where)
	}
	return ok
}

// answerValues checks the kind-specific fields and returns every value a
// button (or a rule's when) may carry for this item.
func (c *checker) answerValues(it *Item, where string) []string {
	if len(it.Choices) > 0 && it.Kind != AnswerChoice {
		c.add(it.m.line, "%s has choices but kind %q; use kind: choice or remove the choices", where, it.Kind)
	}
	switch it.Kind {
	case AnswerYesNo:
		return []string{"yes", "no"}
	case AnswerChoice:
		if len(it.Choices) < 2 {
			c.add(it.m.line, "%s needs at least two choices", where)
		}
		seen := map[string]bool{}
		var out []string
		for _, ch := range it.Choices {
			if !idPattern.MatchString(ch.ID) && !numberID.MatchString(ch.ID) {
				c.add(ch.m.line, "%s: choice id %q must be lowercase letters, digits or _ (or a number like 0–3)", where, ch.ID)
			}
			if seen[ch.ID] {
				c.add(ch.m.line, "%s: duplicate choice id %q", where, ch.ID)
			}
			seen[ch.ID] = true
			if strings.TrimSpace(ch.Label) == "" {
				c.add(ch.m.line, "%s: choice %q has no label; write the button text", where, ch.ID)
			}
			if ch.Score != nil && (*ch.Score < itemMin || *ch.Score > itemMax) {
				c.add(ch.m.line, "%s: choice %q score %d must be 0–3", where, ch.ID, *ch.Score)
			}
			out = append(out, ch.ID)
		}
		return out
	case AnswerVitals:
		if it.Limits != nil {
			c.limits(it.Limits, where+" limits", it.Limits.m.line)
		}
		if r := it.Remeasure; r != nil {
			if r.Times < 0 || r.Times > 3 {
				c.add(r.m.line, "%s: remeasure times is %d; allow 0 to 3 re-measures", where, r.Times)
			}
			if r.Times > 0 && strings.TrimSpace(r.Advise) == "" {
				c.add(r.m.line, "%s: remeasure needs advise, telling the patient to rest and measure again", where)
			}
			c.text(r.m.line, where+" remeasure advise", r.Advise)
		}
		return nil
	case AnswerNumber:
		if it.Min == nil || it.Max == nil {
			c.add(it.m.line, "%s: a number item needs min and max", where)
		} else if *it.Min > *it.Max {
			c.add(it.m.line, "%s: min %v is above max %v", where, *it.Min, *it.Max)
		}
		return nil
	case AnswerScale:
		out := make([]string, 11)
		for i := range out {
			out[i] = strconv.Itoa(i)
		}
		return out
	case AnswerText:
		if it.MaxLength == 0 {
			it.MaxLength = MaxMessage
		}
		if it.MaxLength < 1 || it.MaxLength > MaxMessage {
			c.add(it.m.line, "%s: max_length %d must be between 1 and %d", where, it.MaxLength, MaxMessage)
		}
		if it.Skip {
			return []string{skipValue}
		}
		return nil
	case "":
		c.add(it.m.line, "%s has no kind; use yesno, choice, vitals, number, scale or text", where)
	default:
		c.add(it.m.line, "%s: unknown answer kind %q; use yesno, choice, vitals, number, scale or text", where, it.Kind)
	}
	return nil
}

// rule checks one rule; false means its goto target is unusable.
func (c *checker) rule(f *Flow, it *Item, r *Rule, values []string) bool {
	where := fmt.Sprintf("item %q rule", it.ID)
	c.decoded(r.m)
	if r.Hold != nil {
		c.decoded(r.Hold.m)
	}
	if len(r.When) == 0 && r.Above == nil && r.Below == nil {
		c.add(r.m.line, "%s has no trigger; add when (or above/below for numbers)", where)
	}
	for _, w := range r.When {
		if !whenValid(it, w, values) {
			c.add(r.m.line, "%s: when %q cannot match a %s answer; valid: %s", where, w, it.Kind, strings.Join(validWhens(it, values), ", "))
		}
	}
	if (r.Above != nil || r.Below != nil) && it.Kind != AnswerNumber && it.Kind != AnswerScale {
		c.add(r.m.line, "%s: above/below only apply to number and scale items", where)
	}
	if r.Hold == nil && r.Escalate == "" && r.Advise == "" && !r.Crisis && r.Goto == "" && !r.End {
		c.add(r.m.line, "%s does nothing; add hold, escalate, advise, crisis, goto or end", where)
	}
	if h := r.Hold; h != nil {
		if f.Kind != KindCheck {
			c.add(h.m.line, "%s: hold only makes sense in a kind: check flow (flow %q is %s); use escalate or end instead", where, f.ID, f.Kind)
		}
		if strings.TrimSpace(h.Reason) == "" || strings.TrimSpace(h.Next) == "" {
			c.add(h.m.line, "%s: a hold needs both reason (why) and next (what to do now), in plain words", where)
		}
		c.text(h.m.line, where+" hold", h.Reason+h.Next)
	}
	c.text(r.m.line, where+" advise", r.Advise)
	if r.Goto != "" && r.Goto != GotoEnd && f.byID[r.Goto] == nil {
		c.add(r.m.line, "%s: goto %q is not an item of flow %q; use an existing item id or end", where, r.Goto, f.ID)
		return false
	}
	return true
}

func whenValid(it *Item, w string, values []string) bool {
	for _, v := range validWhens(it, values) {
		if v == w {
			return true
		}
	}
	return false
}

func validWhens(it *Item, values []string) []string {
	switch it.Kind {
	case AnswerVitals:
		return []string{WhenOutOfRange, WhenInRange, WhenAnswered}
	case AnswerText:
		return []string{WhenAnswered, WhenSkipped}
	case AnswerNumber:
		return []string{WhenAnswered}
	}
	return append(append([]string(nil), values...), WhenAnswered)
}

// selfHarm insists that an item about self-harm escalates URGENT on a
// concerning answer: docs/clinical-basis.md makes every self-harm answer URGENT.
func (c *checker) selfHarm(it *Item, where string) {
	if !it.Screen {
		c.add(it.m.line, "%s asks about self-harm, so it must be a screen that is always asked, even after a hold; add screen: true", where)
	}
	for _, r := range it.Rules {
		if r.Escalate != Urgent {
			continue
		}
		if it.Kind != AnswerYesNo || r.When.Has("yes") || r.When.Has(WhenAnswered) {
			return
		}
	}
	c.add(it.m.line, "%s asks about self-harm, but a yes answer does not escalate; add a rule with when: yes, escalate: urgent and crisis: true", where)
}

// graph checks that every item is reachable and that every item can reach an end.
func (c *checker) graph(f *Flow) {
	reach := map[string]bool{f.Items[0].ID: true}
	queue := []string{f.Items[0].ID}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, d := range f.successors(s) {
			if !reach[d] {
				reach[d] = true
				queue = append(queue, d)
			}
		}
	}
	for _, it := range f.Items {
		if !reach[it.ID] {
			c.add(it.m.line, "item %q of flow %q is unreachable: no item leads to it; add a goto or next to it, or remove it", it.ID, f.ID)
		}
	}
	// Walk backwards from the terminal states to find items that can end.
	ends := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, e := range f.events {
			if !ends[e.Src[0]] && (isTerminal(e.Dst) || ends[e.Dst]) {
				ends[e.Src[0]] = true
				changed = true
			}
		}
	}
	if !ends[f.Items[0].ID] {
		c.add(f.m.line, "flow %q has no end: its items loop forever; make one item's next (or a rule's goto) lead to end", f.ID)
		return
	}
	for _, it := range f.Items {
		if reach[it.ID] && !ends[it.ID] {
			c.add(it.m.line, "item %q of flow %q never reaches an end: it only leads into a loop; add a next or goto that leads to end", it.ID, f.ID)
		}
	}
}
