package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The engine is pure: every function here takes the session and the clock
// and returns an Outcome; nothing reads the time, does I/O or uses
// randomness, so every clinical rule is a table test. Every path returns at
// least one Reply, so the patient is never left in silence.

// newRun derives a run id from the clock (base36 of Unix milliseconds),
// made distinct from the runs in avoid (the run being replaced, the dose run)
// so that two starts in one millisecond do not share button data.
func newRun(now time.Time, avoid ...string) string {
	run := strconv.FormatInt(now.UnixMilli(), 36)
	for slices.Contains(avoid, run) {
		run += "b"
	}
	return run
}

// Start begins a run of a flow; a run already in progress is cancelled
// (Completion cancelled). The last Reply is the first question. The error is
// non-nil only for an unknown flow id, and the Outcome still carries a reply.
func (p *Protocol) Start(s Session, flowID string, now time.Time) (Outcome, error) {
	f := p.Flow(flowID)
	if f == nil {
		return Outcome{Session: s, Replies: []Reply{{Text: p.Messages.Sorry}}}, fmt.Errorf("flows: no flow %q in protocol %s", flowID, p.Version)
	}
	var out Outcome
	out.Audit = expireGate(&s, now)
	if f.Kind == KindCheck && !s.GateOpen(now) {
		if in := p.unfinishedIntake(s, now); in != nil && s.Flow == "" {
			// The intake was cancelled or replaced before its end: the
			// clinicians have nothing to review yet, so it starts again.
			return p.Start(s, in.ID, now)
		}
		// Only the engine decides this, so no protocol file can bypass it:
		// one kind message why, and no check starts.
		out.Session = s
		out.Replies = append([]Reply{p.gateRefusal(s, now)}, p.reshow(s)...)
		return out, nil
	}
	avoid := []string{s.Run}
	if s.Dose != nil {
		avoid = append(avoid, s.Dose.Run)
	}
	if s.Flow != "" {
		title := s.Flow
		if old := p.Flow(s.Flow); old != nil {
			title = old.Title
		}
		c := p.finish(&s, OutcomeCancelled, "replaced by a new "+flowID+" run", now, nil)
		out.Completion = &c
		out.Replies = append(out.Replies, Reply{Text: fill(p.Messages.Restarted, "title", title)})
	}
	if f.Kind == KindCheck && s.Dose != nil && s.Dose.TakenAt.IsZero() {
		// A new safety check replaces an unused clearance: its answers may no longer hold.
		s.Dose = nil
	}
	first := f.Items[0]
	s.Flow, s.State, s.Run = f.ID, first.ID, newRun(now, avoid...)
	s.ProtocolVersion, s.StartedAt = p.Version, now
	s.Answers, s.Tries, s.Finishing = nil, nil, nil
	prompt := p.promptAt(f, s, first)
	s.Prompt = &prompt
	if f.Intro != "" {
		intro := fill(f.Intro, "greeting", p.Greeting(now.In(s.Location(now.Location()))))
		out.Replies = append(out.Replies, Reply{Text: intro})
	}
	out.Replies = append(out.Replies, prompt)
	out.Session = s
	return out, nil
}

// Step applies one patient input (typed text or a button) to the session.
// The Outcome always has at least one Reply; a non-nil error is an internal
// fault to log, and even then the Outcome is safe to commit and send. Typed
// text also goes through the crisis screen (crisis.go).
func (p *Protocol) Step(s Session, in Input, now time.Time) (Outcome, error) {
	out, err := p.step(s, in, now)
	if in.Button == nil {
		p.screen(&out, s, in, now)
	}
	p.guard(&out, now)
	return out, err
}

func (p *Protocol) step(s Session, in Input, now time.Time) (Outcome, error) {
	if in.Button != nil && in.Button.Item == DoseItem {
		return p.doseTaken(s, *in.Button, now), nil
	}
	if in.Button != nil && in.Button.Item == LanguageItem {
		return p.chooseLanguage(s, in.Button.Value), nil
	}
	if in.Button != nil && in.Button.Item == PingItem {
		return p.pingAnswer(s, *in.Button, now), nil
	}
	if in.Button == nil {
		if out, ok := p.pingTyped(s, in.Text, now); ok {
			return out, nil
		}
	}
	out := Outcome{Session: s}
	if s.Flow == "" {
		if in.Button != nil {
			out.Replies = []Reply{{Text: p.Messages.Stale + " " + p.Messages.NotInFlow}}
		} else {
			out.Replies = []Reply{{Text: p.Messages.Help}}
		}
		return out, nil
	}
	f := p.Flow(s.Flow)
	var it *Item
	if f != nil {
		it = f.Item(s.State)
	}
	if it == nil {
		// The clinic deployed a protocol without this flow or item mid-run.
		c := p.finish(&s, OutcomeCancelled, "protocol changed during the run", now, nil)
		return Outcome{Session: s, Completion: &c, Replies: []Reply{{Text: p.Messages.Changed}}}, nil
	}
	prompt := p.currentPrompt(s, it)
	if b := in.Button; b != nil && (b.Run != s.Run || b.Item != s.State) {
		out.Replies = []Reply{{Text: p.Messages.Stale}, prompt}
		return out, nil
	}
	a, reask := p.read(it, in)
	if reask != "" {
		out.Replies = []Reply{{Text: reask + "\n\n" + prompt.Text, Buttons: prompt.Buttons}}
		return out, nil
	}
	return p.accept(s, f, it, a, now)
}

// effects is what the matching rules of one answer decided.
type effects struct {
	advise   []string
	escalate []Escalation
	crisis   bool
	hold     *Hold
	event    string
	// forced is a hold the engine imposes whatever the rules say
	// (hypertensive urgency); it needs no transition in the flow's machine.
	forced bool
}

// urgent returns the first URGENT escalation of e, or nil.
func (e effects) urgent() *Escalation {
	for i := range e.escalate {
		if e.escalate[i].Level == Urgent {
			return &e.escalate[i]
		}
	}
	return nil
}

// accept records an answer, applies its rules and moves to the next state.
// An URGENT answer ends the run at once with the crisis response alone; a
// hold or an end first asks the flow's remaining screens (Item.Screen).
func (p *Protocol) accept(s Session, f *Flow, it *Item, a reading, now time.Time) (Outcome, error) {
	ans := Answer{Flow: f.ID, Run: s.Run, Item: it.ID, Value: a.value, Display: a.display, At: now, ProtocolVersion: s.ProtocolVersion}
	s.Answers = append(append([]Answer(nil), s.Answers...), ans)
	out := Outcome{Accepted: &ans, Answers: []Answer{ans}}

	e := p.evaluate(&s, f, it, a, now)
	out.Escalations = e.escalate
	if u := e.urgent(); u != nil {
		text := p.crisisReply(&s, e, p.groupOf(*u), now, &out)
		out.Replies = []Reply{{Text: text}}
		out.Session = s
		return out, nil
	}
	next := StateHeld
	if !e.forced {
		var err error
		if next, err = f.transition(s.State, e.event); err != nil {
			out.Session = s
			out.Replies = []Reply{{Text: p.Messages.Sorry}}
			return out, err
		}
	}
	if t := p.effectsText(e); t != "" {
		out.Replies = append(out.Replies, Reply{Text: t})
	}
	if e.hold != nil && len(e.escalate) > 0 {
		// A hold that tells a clinician (substances, a health change)
		// needs their review before the next dose.
		out.Audit = append(out.Audit, closeGate(&s, GateHold{Reason: GateReview, Detail: it.Summary, At: now})...)
		for i := range out.Escalations {
			out.Escalations[i].Reason = withGateNote(out.Escalations[i].Reason, GateReview)
		}
	}

	fin := s.Finishing
	newlyHeld := false
	if fin != nil && e.event != evRemeasure {
		// Answering the remaining screens: their flow control no longer
		// applies (a re-measure still does), but a first hold still holds
		// the dose.
		if e.hold != nil && fin.State != StateHeld {
			fin = &Finishing{State: StateHeld, HoldItem: it.ID, HoldReason: e.hold.Reason, HoldNext: e.hold.Next, Early: fin.Early}
			newlyHeld = true
		}
		next = fin.State
	}
	if isTerminal(next) {
		if fin == nil {
			fin = &Finishing{State: next, Early: e.event == evEnd}
			if next == StateHeld {
				fin.HoldItem, fin.HoldReason, fin.HoldNext = it.ID, e.hold.Reason, e.hold.Next
				newlyHeld = true
			}
		}
		if rest := pendingScreens(f, s); len(rest) > 0 {
			s.Finishing = fin
			s.State = rest[0].ID
			pr := p.promptAt(f, s, rest[0])
			s.Prompt = &pr
			if newlyHeld {
				out.Replies = append(out.Replies, Reply{Text: fill(p.Messages.Held, "reason", fin.HoldReason, "next", fin.HoldNext)})
			}
			out.Replies = append(out.Replies, Reply{Text: p.Messages.ScreenNext + "\n\n" + pr.Text, Buttons: pr.Buttons})
			out.Session = s
			return out, nil
		}
		err := p.end(&s, f, fin, newlyHeld || fin.State != StateHeld, now, &out)
		out.Session = s
		return out, err
	}
	if next != s.State {
		s.State = next
		pr := p.promptAt(f, s, f.Item(next))
		s.Prompt = &pr
	}
	out.Replies = append(out.Replies, p.currentPrompt(s, f.Item(next)))
	out.Session = s
	return out, nil
}

// pendingScreens are the flow's screen items not yet answered in this run,
// in list order.
func pendingScreens(f *Flow, s Session) []*Item {
	var out []*Item
	for _, it := range f.Items {
		if !it.Screen || slices.ContainsFunc(s.Answers, func(a Answer) bool { return a.Item == it.ID }) {
			continue
		}
		out = append(out, it)
	}
	return out
}

// end finishes the run as fin says: held, cleared (only through an open
// gate), or completed (scored, with the instruments' invariants). fresh is
// false when the hold was already explained before the remaining screens.
func (p *Protocol) end(s *Session, f *Flow, fin *Finishing, fresh bool, now time.Time, out *Outcome) error {
	state := fin.State
	if state == StateCleared && !s.GateOpen(now) {
		// The gate closed during the run (a clinician's pause): no clearance.
		c := p.finish(s, OutcomeHeld, "gate: "+string(s.activeHolds(now)[0].Reason), now, nil)
		out.Completion = &c
		out.Replies = append(out.Replies, p.gateRefusal(*s, now))
		return nil
	}
	switch state {
	case StateHeld:
		c := p.finish(s, OutcomeHeld, fin.HoldItem+": "+fin.HoldReason, now, nil)
		out.Completion = &c
		if fresh {
			out.Replies = append(out.Replies, Reply{Text: fill(p.Messages.Held, "reason", fin.HoldReason, "next", fin.HoldNext)})
		} else {
			out.Replies = append(out.Replies, Reply{Text: p.Messages.HeldAfterScreens})
		}
	case StateCleared:
		run := s.Run
		c := p.finish(s, OutcomeCleared, "", now, nil)
		out.Completion = &c
		s.Dose = &Dose{Run: run, ClearedAt: now}
		out.Replies = append(out.Replies, p.clearedReply(f, run))
	default:
		score, serr := p.score(f, s.Answers)
		worse := compareBaseline(s, f, score, now)
		if worse == nil {
			worse = severeBand(f, score, now)
		}
		var intake *Escalation
		if f.Kind == KindIntake {
			e := intakeDone(f, s.Answers, now)
			intake = &e
		}
		c := p.finish(s, OutcomeCompleted, "", now, score)
		out.Completion = &c
		done := f.Done
		if done == "" || fin.Early {
			done = p.Messages.Completed
		}
		if intake != nil {
			out.Escalations = append(out.Escalations, *intake)
		}
		if worse != nil {
			out.Escalations = append(out.Escalations, *worse)
			done += "\n\n" + p.Messages.EscalatedRoutine
		}
		out.Replies = append(out.Replies, Reply{Text: done})
		return serr
	}
	return nil
}

// crisisReply ends the run after an URGENT answer and returns the one reply:
// the rule's own words, the crisis resources for the group, that the care
// team is alerted, and for a check that the dose is held. No further
// question, re-ask or closing follows in the same reply.
func (p *Protocol) crisisReply(s *Session, e effects, g CrisisGroup, now time.Time, out *Outcome) string {
	parts := append([]string(nil), e.advise...)
	parts = append(parts, p.Crisis.Text(g), p.Messages.EscalatedUrgent)
	if p.isCheck(s.Flow) {
		reason, next := p.Messages.CrisisHoldReason, p.Messages.CrisisHoldNext
		if e.hold != nil {
			reason, next = e.hold.Reason, e.hold.Next
		}
		parts = append(parts, fill(p.Messages.Held, "reason", reason, "next", next))
	}
	p.crisisEnd(s, g, s.State+": crisis ("+string(g)+")", now, out)
	return strings.Join(parts, "\n\n")
}

// crisisEnd ends the run in s at once (held, for a check) and closes the
// gate for a crisis of group g.
func (p *Protocol) crisisEnd(s *Session, g CrisisGroup, reason string, now time.Time, out *Outcome) {
	if s.Flow != "" && out.Completion == nil {
		outcome := OutcomeStopped
		if p.isCheck(s.Flow) {
			outcome = OutcomeHeld
		}
		var score *Score
		if f := p.Flow(s.Flow); f != nil {
			score, _ = p.score(f, s.Answers) // nil until every scored item is answered
		}
		if f := p.Flow(s.Flow); f != nil && f.Kind == KindIntake {
			// The clinicians still get what the intake had so far.
			e := intakeDone(f, s.Answers, now)
			e.Answer = "stopped by a crisis before its end; " + e.Answer
			out.Escalations = append(out.Escalations, e)
		}
		c := p.finish(s, outcome, reason, now, score)
		out.Completion = &c
	}
	out.Audit = append(out.Audit, closeGate(s, GateHold{Reason: GateCrisis, Group: g, At: now, Detail: "crisis (" + string(g) + ")"})...)
}

// evaluate applies the re-measure allowance and the matching rules.
func (p *Protocol) evaluate(s *Session, f *Flow, it *Item, a reading, now time.Time) effects {
	var e effects
	out := false
	var detail string
	if a.vitals != nil && a.vitals.HypertensiveUrgency() {
		return p.hypertensiveUrgency(f, it, a, now)
	}
	if a.vitals != nil {
		lim := p.limits(*s, it)
		out = !lim.Within(*a.vitals)
		if out {
			tries := s.Tries[it.ID]
			if rm := it.Remeasure; rm != nil && tries < rm.Times {
				// First out-of-range reading: rest and measure again before any rule fires.
				tries := copyTries(s.Tries)
				tries[it.ID]++
				s.Tries = tries
				e.advise = append(e.advise, rm.Advise)
				e.event = evRemeasure
				return e
			}
			detail = fmt.Sprintf("%s above limits %s", a.display, lim)
			if tries > 0 {
				detail += fmt.Sprintf(" after %d re-measure(s)", tries)
			}
		}
	}
	var end bool
	var gotoID string
	for i := range it.Rules {
		r := &it.Rules[i]
		if !r.matches(it, a, out) {
			continue
		}
		if r.Advise != "" {
			e.advise = append(e.advise, r.Advise)
		}
		if r.Crisis {
			e.crisis = true
		}
		if r.Escalate != "" {
			reason := r.Reason
			if reason == "" {
				reason = "answered " + a.display
			}
			if detail != "" {
				reason += " (" + detail + ")"
			}
			e.escalate = append(e.escalate, Escalation{
				Level: r.Escalate, Flow: f.ID, Item: it.ID, Question: it.Summary,
				Answer: a.display, Reason: reason, At: now,
			})
		}
		if r.Hold != nil && e.hold == nil {
			e.hold = r.Hold
		}
		if r.End || r.Goto == GotoEnd {
			end = true
		} else if r.Goto != "" && gotoID == "" {
			gotoID = r.Goto
		}
	}
	p.invariants(f, it, a, &e, now)
	// A hold ends the check (after its remaining screens): the patient
	// must not dose today anyway, and more checklist questions only delay
	// the plain answer; the screens (self-harm) are still asked.
	switch {
	case e.hold != nil:
		e.event = evHold
	case end:
		e.event = evEnd
	case gotoID != "":
		e.event = evGotoPre + gotoID
	default:
		e.event = evAnswer
	}
	return e
}

func copyTries(t map[string]int) map[string]int {
	out := make(map[string]int, len(t)+1)
	for k, v := range t {
		out[k] = v
	}
	return out
}

// effectsText is the message about an answer's effects: advice, then what the
// care team does, with crisis resources for anything URGENT.
func (p *Protocol) effectsText(e effects) string {
	parts := append([]string(nil), e.advise...)
	level := Level("")
	for _, x := range e.escalate {
		if rank(x.Level) > rank(level) {
			level = x.Level
		}
	}
	if e.crisis {
		parts = append(parts, p.Crisis.Text(GroupSelfHarm))
	}
	switch level {
	case High:
		parts = append(parts, p.Messages.EscalatedHigh)
	case Routine:
		parts = append(parts, p.Messages.EscalatedRoutine)
	}
	return strings.Join(parts, "\n\n")
}

// rank orders levels, the empty level lowest.
func rank(l Level) int {
	return map[Level]int{Routine: 1, High: 2, Urgent: 3}[l]
}

// crisisText lists the crisis resources and, once set, the on-call number.
func crisisText(c Crisis) string { return c.Text(GroupSelfHarm) }

// finish ends the run in s and returns its Completion.
func (p *Protocol) finish(s *Session, outcome, reason string, now time.Time, score *Score) Completion {
	c := Completion{
		Flow: s.Flow, Run: s.Run, Outcome: outcome, Reason: reason, Score: score,
		StartedAt: s.StartedAt, EndedAt: now, ProtocolVersion: s.ProtocolVersion,
		Answers: append([]Answer{}, s.Answers...),
	}
	s.markDone(outcome, now)
	s.Flow, s.State, s.Run, s.ProtocolVersion = "", "", "", ""
	s.StartedAt = time.Time{}
	s.Answers, s.Tries, s.Prompt, s.Finishing = nil, nil, nil, nil
	return c
}

// score totals an instrument flow's scored answers; nil for other flows.
func (p *Protocol) score(f *Flow, answers []Answer) (*Score, error) {
	scorer := scorers[f.Instrument]
	if f.Kind != KindInstrument || scorer == nil {
		return nil, nil
	}
	var items []int
	for _, a := range answers {
		if it := f.Item(a.Item); it != nil {
			if ch := it.choice(a.Value); ch != nil && ch.Score != nil {
				items = append(items, *ch.Score)
			}
		}
	}
	sc, err := scorer(items)
	if err != nil {
		return nil, err
	}
	sc.PHQ2Positive = f.Instrument == InstrumentPHQ9 && PHQ2Positive(items)
	return &sc, nil
}

// prompt renders an item as a message with its buttons.
func (p *Protocol) prompt(run string, it *Item) Reply {
	r := Reply{Text: it.Text}
	btn := func(label, value string) Button { return Button{Label: label, Data: EncodeAnswer(run, it.ID, value)} }
	switch it.Kind {
	case AnswerYesNo:
		r.Buttons = [][]Button{{btn(p.Messages.Yes, "yes"), btn(p.Messages.No, "no")}}
	case AnswerChoice:
		// Short labels go two to a row; long ones (e.g. PHQ-9) one per row.
		perRow := 2
		for _, ch := range it.Choices {
			if len([]rune(ch.Label)) > 16 {
				perRow = 1
			}
		}
		for i, ch := range it.Choices {
			if i%perRow == 0 {
				r.Buttons = append(r.Buttons, nil)
			}
			r.Buttons[len(r.Buttons)-1] = append(r.Buttons[len(r.Buttons)-1], btn(ch.Label, ch.ID))
		}
	case AnswerScale:
		r.Buttons = [][]Button{{}, {}}
		for i := 0; i <= 10; i++ {
			row := i / 6
			r.Buttons[row] = append(r.Buttons[row], btn(strconv.Itoa(i), strconv.Itoa(i)))
		}
	case AnswerText:
		if it.Skip {
			r.Buttons = [][]Button{{btn(p.Messages.SkipLabel, skipValue)}}
		}
	}
	return r
}

// currentPrompt is the stored prompt when it matches the item, else a fresh one.
func (p *Protocol) currentPrompt(s Session, it *Item) Reply {
	if s.Prompt != nil {
		return *s.Prompt
	}
	if f := p.Flow(s.Flow); f != nil {
		return p.promptAt(f, s, it)
	}
	return p.prompt(s.Run, it)
}

// clearedReply is the all-clear with the "I've taken my dose" button.
func (p *Protocol) clearedReply(f *Flow, run string) Reply {
	text := p.Messages.Cleared
	if f != nil && f.Done != "" {
		text = f.Done
	}
	return Reply{Text: text, Buttons: [][]Button{{{Label: p.Messages.DoseButton, Data: EncodeAnswer(run, DoseItem, DoseTaken)}}}}
}

// doseTaken records the "I've taken my dose" button and schedules the timeline.
func (p *Protocol) doseTaken(s Session, b ButtonPress, now time.Time) Outcome {
	out := Outcome{}
	m := &p.Messages
	switch d := s.Dose; {
	case d != nil && d.Run == b.Run && !d.TakenAt.IsZero() && (b.Value == DoseExtra || b.Value == DoseOnce):
		out = p.extraDose(s, *d, b, now)
		s = out.Session
	case (d == nil || d.TakenAt.IsZero()) && !s.GateOpen(now):
		s.Dose = nil // the gate closed after the clearance: it no longer holds
		out.Replies = []Reply{p.gateRefusal(s, now)}
	case d == nil || d.Run != b.Run || b.Value != DoseTaken:
		out.Replies = []Reply{{Text: m.DoseUnknown}}
	case !d.TakenAt.IsZero():
		out = p.extraDose(s, *d, b, now)
		s = out.Session
	case p.Timeline.ClearanceValid > 0 && now.Sub(d.ClearedAt) > p.Timeline.ClearanceValid.D():
		s.Dose = nil // the clearance is spent: a new check is needed
		out.Replies = []Reply{{Text: m.DoseExpired}}
	default:
		taken := *d
		taken.TakenAt = now
		s.Dose = &taken
		ans := Answer{Flow: FlowPreDose, Run: d.Run, Item: DoseItem, Value: DoseTaken, Display: m.DoseButton, At: now, ProtocolVersion: p.Version}
		out.Accepted, out.Answers = &ans, []Answer{ans}
		tl := p.Timeline
		out.Jobs = p.doseJobs(&s, d.Run, now)
		out.Audit = closeGate(&s, GateHold{Reason: GateDosed, At: now, Until: now.Add(p.Timeline.MinDoseInterval.D()), Detail: "dose taken"})
		out.Replies = []Reply{{Text: fill(m.DoseTaken, "ping", p.Duration(tl.PingAfterDose.D()), "post_session", p.Duration(tl.PostSession.D()))}}
	}
	if s.Flow != "" {
		// A check-in is in progress: show its question again so it is not lost.
		if f := p.Flow(s.Flow); f != nil && f.Item(s.State) != nil {
			out.Replies = append(out.Replies, p.currentPrompt(s, f.Item(s.State)))
		}
	}
	out.Session = s
	return out
}

// extraDose handles "I've taken my dose" on a dose already recorded: the
// patient is asked whether they took another one, and a confirmed extra
// dose raises HIGH with the times of both. Either answer is recorded.
func (p *Protocol) extraDose(s Session, d Dose, b ButtonPress, now time.Time) Outcome {
	m := &p.Messages
	loc := s.Location(now.Location())
	first := d.TakenAt.In(loc).Format("Mon 2 Jan 15:04")
	switch b.Value {
	case DoseExtra, DoseOnce:
		label := m.DoseExtraYes
		if b.Value == DoseOnce {
			label = m.DoseExtraNo
		}
		ans := Answer{Flow: FlowPreDose, Run: d.Run, Item: DoseItem, Value: b.Value, Display: label, At: now, ProtocolVersion: p.Version}
		out := Outcome{Session: s, Accepted: &ans, Answers: []Answer{ans}}
		if b.Value == DoseOnce {
			out.Replies = []Reply{{Text: fill(m.DoseAlready, "time", p.localTime(d.TakenAt.In(loc)))}}
			return out
		}
		out.Escalations = []Escalation{{
			Level: High, Flow: FlowTimeline, Item: DoseItem, Question: "Dose taken (button)", Answer: label,
			Reason: fmt.Sprintf("Possible extra dose: first dose recorded %s, patient confirmed another at %s", first, now.In(loc).Format("Mon 2 Jan 15:04")),
			At:     now,
		}}
		out.Replies = []Reply{{Text: m.DoseExtraRaised}}
		return out
	}
	ans := Answer{Flow: FlowPreDose, Run: d.Run, Item: DoseItem, Value: DoseAgain, Display: m.DoseButton + " (again)", At: now, ProtocolVersion: p.Version}
	return Outcome{Session: s, Answers: []Answer{ans}, Replies: []Reply{{
		Text: fill(m.DoseExtraAsk, "time", p.localTime(d.TakenAt.In(loc))),
		Buttons: [][]Button{{
			{Label: m.DoseExtraYes, Data: EncodeAnswer(d.Run, DoseItem, DoseExtra)},
			{Label: m.DoseExtraNo, Data: EncodeAnswer(d.Run, DoseItem, DoseOnce)},
		}},
	}}}
}

// plural writes "1 minute", "2 minutes".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Cancel stops the run in progress (Completion cancelled); when idle it just
// says there is nothing to cancel.
func (p *Protocol) Cancel(s Session, now time.Time) Outcome {
	if s.Flow == "" {
		return Outcome{Session: s, Replies: []Reply{{Text: p.Messages.NothingToCancel}}}
	}
	msg, title := p.Messages.Cancelled, s.Flow
	if f := p.Flow(s.Flow); f != nil {
		title = f.Title
		if f.Kind == KindCheck {
			msg = p.Messages.CancelledDose
		}
	}
	c := p.finish(&s, OutcomeCancelled, "cancelled by the patient", now, nil)
	return Outcome{Session: s, Completion: &c, Replies: []Reply{{Text: fill(msg, "title", title)}}}
}

// Resume re-shows what the patient is expected to answer: the current
// question, else an unused dose button, else that no check-in is running.
func (p *Protocol) Resume(s Session) Reply {
	if s.Flow != "" {
		if f := p.Flow(s.Flow); f != nil {
			if it := f.Item(s.State); it != nil {
				return p.currentPrompt(s, it)
			}
		}
		return Reply{Text: p.Messages.Changed}
	}
	if s.Prompt != nil {
		return *s.Prompt // a timeline question, such as the ping after the dose
	}
	if s.Dose != nil && s.Dose.TakenAt.IsZero() {
		return p.clearedReply(p.Flow(FlowPreDose), s.Dose.Run)
	}
	return Reply{Text: p.Messages.NotInFlow}
}

// Status describes the session for /status: the dose gate, the check-in in
// progress and when today's dose was cleared and taken.
func (p *Protocol) Status(s Session, now time.Time) string {
	lines := []string{p.GateStatus(s, now)}
	if s.Flow != "" {
		name := s.Flow
		if f := p.Flow(s.Flow); f != nil && f.Title != "" {
			name = f.Title
		}
		lines = append(lines, fill(p.Messages.StatusInFlow, "title", name, "progress", p.progressWords(s)))
	} else {
		lines = append(lines, p.Messages.StatusIdle)
	}
	if d := s.Dose; d != nil {
		line := fill(p.Messages.StatusCleared, "time", p.localTime(d.ClearedAt))
		if d.TakenAt.IsZero() {
			line += " " + p.Messages.StatusNotTaken
		} else {
			line += " " + fill(p.Messages.StatusTaken, "time", p.localTime(d.TakenAt))
		}
		lines = append(lines, line)
	}
	if sch := s.Schedule; sch != nil {
		lines = append(lines, fill(p.Messages.StatusSchedule, "day", dayName(p.Messages.Days, sch.Weekday), "time",
			fmt.Sprintf("%02d:%02d", sch.Hour, sch.Minute), "tz", s.TimeZone))
	}
	return strings.Join(lines, "\n")
}
