package flows

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// walkPreDoseSafe runs a whole safe pre-dose check and returns the last outcome.
func (w *walker) walkPreDoseSafe() Outcome {
	w.t.Helper()
	w.start(FlowPreDose)
	var out Outcome
	for w.s.Flow != "" {
		out = w.answer(safePreDose[w.s.State])
	}
	return out
}

func reasons(s Session, now time.Time) []GateReason {
	var rs []GateReason
	for _, h := range s.GateHolds(now) {
		rs = append(rs, h.Reason)
	}
	return rs
}

func auditEvents(out Outcome) []string {
	var es []string
	for _, a := range out.Audit {
		es = append(es, a.Event+":"+a.Fields["reason"]+":"+a.Fields["by"])
	}
	return es
}

var clinicianDana = GateActor{ID: "500", Name: "Dana"}

// TestGateTransitions walks the gate through each way it closes and opens,
// from a fresh session: what closes it, what /checkin then says, what the
// audit records, and who may open it.
func TestGateTransitions(t *testing.T) {
	tests := []struct {
		name   string
		close  func(w *walker) Outcome // closes the gate, returns the closing step
		reason GateReason
		says   string // part of the refusal the patient gets at /checkin
		// clearable: a clinician's /clear opens it (dosed opens only with time)
		clearable bool
	}{
		{"self-harm answer", func(w *walker) Outcome {
			w.start(FlowPreDose)
			w.walkTo("self_harm", safePreDose)
			return w.btn("yes")
		}, GateCrisis, "988", true},
		{"typed crisis outside any flow", func(w *walker) Outcome { return w.text("I want to die") }, GateCrisis, "988", true},
		{"red flag after the session", func(w *walker) Outcome {
			w.start(FlowPostSession)
			w.walkTo("red_flags", safePost)
			return w.btn("yes")
		}, GateCrisis, "911", true},
		{"severe nausea (HIGH)", func(w *walker) Outcome {
			w.start(FlowPostSession)
			w.walkTo("nausea", safePost)
			return w.btn("severe")
		}, GateReview, "look at your earlier answers", true},
		{"substances hold (ROUTINE + hold)", func(w *walker) Outcome {
			w.start(FlowPreDose)
			w.walkTo("substances", safePreDose)
			out := w.btn("yes")
			w.btn("no") // the self-harm screen
			return out
		}, GateReview, "look at your earlier answers", true},
		{"paused by a clinician", func(w *walker) Outcome {
			out := w.p.PauseGate(w.s, clinicianDana, "labs pending", w.now)
			w.check(out)
			return out
		}, GatePaused, "paused your doses", true},
		{"enrolment (intake)", func(w *walker) Outcome {
			out := w.p.Enrol(w.s, w.now)
			w.check(out)
			return out
		}, GateIntake, "finish the first few questions", true},
		{"dose taken", func(w *walker) Outcome {
			w.walkPreDoseSafe()
			return w.step(Input{Button: &ButtonPress{Run: w.s.Dose.Run, Item: DoseItem, Value: DoseTaken}})
		}, GateDosed, "next one can be from", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWalker(t, testProtocol(t))
			if !w.s.GateOpen(w.now) {
				t.Fatal("a session without a gate (stored before it existed) must be open")
			}
			out := tt.close(w)
			if got := reasons(w.s, w.now); !slices.Equal(got, []GateReason{tt.reason}) {
				t.Fatalf("gate = %v, want [%s]", got, tt.reason)
			}
			if !slices.ContainsFunc(out.Audit, func(a AuditEvent) bool {
				return a.Event == AuditGateClosed && a.Fields["reason"] == string(tt.reason)
			}) {
				t.Errorf("closing step audit = %v", auditEvents(out))
			}
			refused := w.start(FlowPreDose)
			if w.s.Flow == FlowPreDose || !strings.Contains(allText(refused), tt.says) {
				t.Fatalf("/checkin on a closed gate: flow %q, reply %q", w.s.Flow, allText(refused))
			}
			if tt.reason == GateCrisis {
				assertCrisis(t, Outcome{Replies: []Reply{{Text: allText(refused) + " care team has been alerted"}}})
			}
			if tt.reason == GateIntake {
				w.check(w.p.Cancel(w.s, w.now)) // an unfinished intake starts again at /checkin
				if w.start(FlowPreDose); w.s.Flow != "intake" || w.s.State != "psychosis" {
					t.Fatalf("after a cancelled intake /checkin runs %s/%s", w.s.Flow, w.s.State)
				}
				for w.s.Flow != "" {
					w.btn("no")
				}
				if txt := allText(w.start(FlowPreDose)); !strings.Contains(txt, "looks over your answers") || w.s.Flow != "" {
					t.Fatalf("intake refusal: %q", txt)
				}
			}
			w.now = w.now.Add(time.Hour)
			cleared, opened := w.p.ClearGate(w.s, clinicianDana, "called, all well", w.now)
			if (len(opened) > 0) != tt.clearable {
				t.Fatalf("ClearGate opened %v; clearable %v", opened, tt.clearable)
			}
			if !tt.clearable {
				if !slices.Equal(reasons(cleared.Session, w.now), []GateReason{GateDosed}) {
					t.Fatalf("a clinician cleared a dosed gate: %v", reasons(cleared.Session, w.now))
				}
				// The interval passes: the gate opens by itself, audited.
				later := w.now.Add(6 * 24 * time.Hour)
				w.now = later
				out := w.start(FlowPreDose)
				if w.s.Flow != FlowPreDose || !slices.Contains(auditEvents(out), "gate.opened:dosed:interval") {
					t.Fatalf("after the interval: flow %q audit %v", w.s.Flow, auditEvents(out))
				}
				return
			}
			w.check(cleared)
			if !w.s.GateOpen(w.now) || !strings.Contains(allText(cleared), "cleared you") ||
				!slices.Contains(auditEvents(cleared), "gate.opened:"+string(tt.reason)+":500") {
				t.Fatalf("after /clear: gate %v reply %q audit %v", reasons(w.s, w.now), allText(cleared), auditEvents(cleared))
			}
			if g := w.s.Gate; g.OpenedBy != "500" || g.OpenNote != "called, all well" || !g.OpenedAt.Equal(w.now) {
				t.Fatalf("who opened it is not recorded: %+v", g)
			}
			w.s.Flow = ""
			if out := w.walkPreDoseSafe(); out.Completion == nil || out.Completion.Outcome != OutcomeCleared {
				t.Fatalf("after /clear the check does not clear: %+v", out.Completion)
			}
		})
	}
}

// TestGateHoldsSeveralReasons: a dosed patient who then reports a red flag
// stays closed after /clear until the interval passes too.
func TestGateHoldsSeveralReasons(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.walkPreDoseSafe()
	w.step(Input{Button: &ButtonPress{Run: w.s.Dose.Run, Item: DoseItem, Value: DoseTaken}})
	w.start(FlowPostSession)
	w.walkTo("red_flags", safePost)
	w.btn("yes")
	if got := reasons(w.s, w.now); !slices.Equal(got, []GateReason{GateCrisis, GateDosed}) {
		t.Fatalf("gate = %v", got)
	}
	out, opened := w.p.ClearGate(w.s, clinicianDana, "seen in clinic", w.now)
	w.check(out)
	if !slices.Equal(opened, []GateReason{GateCrisis}) || w.s.GateOpen(w.now) || !strings.Contains(allText(out), "next one can be from") {
		t.Fatalf("clear with a dose in its interval: opened %v, reply %q", opened, allText(out))
	}
	if s := GateSummary(w.s, w.now, time.UTC); !strings.Contains(s, "CLOSED (dosed") || !strings.Contains(s, "opens 2025-06-08") {
		t.Fatalf("summary = %q", s)
	}
}

// TestPauseDuringCheckCannotClear: a check that started before a
// clinician's pause ends held, not cleared.
func TestPauseDuringCheckCannotClear(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowPreDose)
	w.walkTo("setting", safePreDose)
	paused := w.p.PauseGate(w.s, clinicianDana, "await labs", w.now)
	w.check(paused)
	if !strings.Contains(allText(paused), "paused your doses") || last(paused).Buttons == nil {
		t.Fatalf("pause should tell the patient and re-show the question: %+v", paused.Replies)
	}
	out := w.btn("yes")
	if out.Completion == nil || out.Completion.Outcome != OutcomeHeld || w.s.Dose != nil || strings.Contains(allText(out), "clear to take") {
		t.Fatalf("paused check: %+v / %q", out.Completion, allText(out))
	}
}

// TestClosedGateVoidsClearance: a crisis typed after the check cleared
// takes the clearance back; the dose button then explains why.
func TestClosedGateVoidsClearance(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.walkPreDoseSafe()
	run := w.s.Dose.Run
	w.text("actually I want to end my life")
	if w.s.Dose != nil {
		t.Fatalf("clearance kept after a crisis: %+v", w.s.Dose)
	}
	out := w.step(Input{Button: &ButtonPress{Run: run, Item: DoseItem, Value: DoseTaken}})
	if len(out.Answers) != 0 || !strings.Contains(allText(out), "can't start a safety check") {
		t.Fatalf("dose button after a crisis: %+v", out)
	}
}

// TestCrisisEndsTheCheck is the first scenario of issue 7: a crisis typed
// at the blood-pressure question ends the check held, with the crisis
// response alone, and the check can never clear.
func TestCrisisEndsTheCheck(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowPreDose)
	w.walkTo("vitals", safePreDose)
	out := w.text("I want to die")
	if len(out.Replies) != 1 || out.Replies[0].Text != w.p.CrisisAlert(CrisisMatch{Group: GroupSelfHarm, Phrase: "want to die"}).Text {
		t.Fatalf("crisis reply is not the alert alone: %+v", out.Replies)
	}
	if c := out.Completion; c == nil || c.Outcome != OutcomeHeld || w.s.Flow != "" {
		t.Fatalf("the check goes on after a crisis: %+v", c)
	}
	if !slices.Equal(levels(out), []Level{Urgent}) || !slices.Equal(reasons(w.s, w.now), []GateReason{GateCrisis}) {
		t.Fatalf("escalations %v gate %v", levels(out), reasons(w.s, w.now))
	}

	// Already alerted by bot: the engine escalates and ends the run, silently.
	w2 := newWalker(t, testProtocol(t))
	w2.start(FlowPreDose)
	w2.walkTo("vitals", safePreDose)
	out, err := w2.p.Step(w2.s, Input{Text: "I want to die", CrisisAlerted: true}, w2.now)
	if err != nil || len(out.Replies) != 0 || out.Completion == nil || !slices.Equal(levels(out), []Level{Urgent}) || out.Session.GateOpen(w2.now) {
		t.Fatalf("pre-alerted crisis: %+v %v", out, err)
	}
}

// TestUrgentAnswerReplyStandsAlone: an URGENT answer ends its flow with the
// crisis response for its group: 988's resources for self-harm, emergency
// services' for red flags, never a further question or a cheerful close.
func TestUrgentAnswerReplyStandsAlone(t *testing.T) {
	p := testProtocol(t)
	for _, tt := range []struct {
		flow, item string
		safe       map[string]string
		group      CrisisGroup
	}{
		{FlowPreDose, "self_harm", safePreDose, GroupSelfHarm},
		{FlowPostSession, "self_harm_now", safePost, GroupSelfHarm},
		{FlowPostSession, "red_flags", safePost, GroupMedical},
	} {
		w := newWalker(t, p)
		w.start(tt.flow)
		w.walkTo(tt.item, tt.safe)
		out := w.btn("yes")
		txt := allText(out)
		if len(out.Replies) != 1 || len(out.Replies[0].Buttons) != 0 || !strings.Contains(txt, p.Crisis.Text(tt.group)) ||
			strings.Contains(txt, "Rest up") || w.s.Flow != "" {
			t.Errorf("%s: reply %q (%d replies), flow %q", tt.item, txt, len(out.Replies), w.s.Flow)
		}
		res := txt[strings.Index(txt, p.Crisis.Text(tt.group)):]
		if leads988 := strings.Index(res, "988") < strings.Index(res, "911"); leads988 != (tt.group == GroupSelfHarm) {
			t.Errorf("%s: the resources lead with the wrong line:\n%s", tt.item, res)
		}
		if !strings.Contains(res, testOnCall) {
			t.Errorf("%s: no on-call line:\n%s", tt.item, res)
		}
	}
}

// TestScreensAfterHoldAndEnd: a hold (no sitter) still asks the self-harm
// screen; an `end` in a clinic's post-session flow still asks both screens
// and does not close cheerfully.
func TestScreensAfterHoldAndEnd(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.start(FlowPreDose)
	out := w.btn("no") // no sitter
	if w.s.State != "self_harm" || !strings.Contains(allText(out), "sober needs to be with you") {
		t.Fatalf("after the hold: state %q reply %q", w.s.State, allText(out))
	}
	out = w.btn("yes")
	if !slices.Equal(levels(out), []Level{Urgent}) || out.Completion == nil || out.Completion.Outcome != OutcomeHeld {
		t.Fatalf("self-harm after a sitter hold: %+v", out)
	}

	// A clinic makes red flags HIGH with end: the screens still follow.
	p := parseEdited(t, `          - when: "yes"
            escalate: urgent
            reason: Red-flag symptom after dose`, `          - when: "yes"
            escalate: high
            reason: Red-flag symptom after dose`)
	w = newWalker(t, p)
	w.start(FlowPostSession)
	w.walkTo("red_flags", safePost)
	out = w.btn("yes")
	if w.s.State != "self_harm_now" || out.Completion != nil {
		t.Fatalf("end skipped the screens: state %q", w.s.State)
	}
	w.btn("no")
	if w.s.State != "sitter_present" {
		t.Fatalf("state %q, want the sitter screen", w.s.State)
	}
	out = w.btn("yes")
	if out.Completion == nil || strings.Contains(allText(out), "Rest up") {
		t.Fatalf("closing after an early end: %q", allText(out))
	}
}

// parseEdited is the default protocol with one passage replaced, as a
// clinic's file that tries to weaken a safety rule.
func parseEdited(t *testing.T, old, new string) *Protocol {
	t.Helper()
	src := string(DefaultYAML())
	if !strings.Contains(src, old) {
		t.Fatalf("default.yaml has no %q", old)
	}
	p, err := Parse("clinic.yaml", []byte(strings.Replace(src, old, new, 1)))
	if err != nil {
		t.Fatal(err)
	}
	p.SetOnCall(testOnCall)
	return p
}

// TestInvariantsAgainstWeakeningProtocols: each invariant holds with a
// clinic file that tries to switch it off.
func TestInvariantsAgainstWeakeningProtocols(t *testing.T) {
	t.Run("PHQ-9 item 9 narrowed to 3", func(t *testing.T) {
		p := parseEdited(t, `when: ["1", "2", "3"]`, `when: ["3"]`)
		w := newWalker(t, p)
		w.start(FlowPHQ9)
		for w.s.State != "phq9" {
			w.btn("0")
		}
		out := w.btn("1")
		if !slices.Equal(levels(out), []Level{Urgent}) {
			t.Fatalf("item 9 = 1 escalated %v", levels(out))
		}
		assertCrisis(t, out)
	})
	t.Run("PHQ-9 item 9 found by position, not id", func(t *testing.T) {
		p := parseEdited(t, "      - id: phq9\n", "      - id: last_item\n")
		w := newWalker(t, p)
		w.start(FlowPHQ9)
		for w.s.State != "last_item" {
			w.btn("0")
		}
		if out := w.btn("2"); !slices.Equal(levels(out), []Level{Urgent}) {
			t.Fatalf("escalated %v", levels(out))
		}
	})
	t.Run("hypertensive urgency with loose limits and re-measures", func(t *testing.T) {
		p := parseEdited(t, "    systolic_max: 160\n    diastolic_max: 90\n", "    systolic_max: 250\n    diastolic_max: 150\n")
		for _, reading := range []string{"250/120 90", "185/100 80", "150/120 70"} {
			w := newWalker(t, p)
			w.start(FlowPreDose)
			w.walkTo("vitals", safePreDose)
			out := w.text(reading)
			txt := allText(out)
			if !slices.Equal(levels(out), []Level{High}) || strings.Contains(txt, "a bit higher") || w.s.Tries["vitals"] != 0 ||
				!strings.Contains(txt, "chest pain") || !strings.Contains(txt, "vision") || !strings.Contains(txt, "don't take your dose") {
				t.Errorf("%s: levels %v reply %q", reading, levels(out), txt)
			}
			if w.s.State != "self_harm" || w.s.Finishing == nil || w.s.Finishing.State != StateHeld {
				t.Errorf("%s: not held at once: %+v", reading, w.s.Finishing)
			}
			if !slices.Equal(reasons(w.s, w.now), []GateReason{GateReview}) {
				t.Errorf("%s: gate %v", reading, reasons(w.s, w.now))
			}
		}
	})
	t.Run("implausible readings ask to measure again and call", func(t *testing.T) {
		for _, reading := range []string{"255/120 90", "300/200 80", "120/80 250"} {
			w := newWalker(t, testProtocol(t))
			w.start(FlowPreDose)
			w.walkTo("vitals", safePreDose)
			txt := allText(w.text(reading))
			if !strings.Contains(txt, "measure again") || !strings.Contains(txt, "call "+testOnCall) || strings.Contains(txt, "couldn't read") {
				t.Errorf("%s: %q", reading, txt)
			}
		}
	})
	t.Run("very low mood without an escalation", func(t *testing.T) {
		p := parseEdited(t, "            escalate: routine\n            reason: Very low mood the day after a session\n", "")
		w := newWalker(t, p)
		w.start(FlowFollowUp)
		w.walkTo("mood_today", safeFollowUp)
		out := w.btn("very_low")
		if !slices.Equal(levels(out), []Level{Routine}) || !strings.Contains(allText(out), "988") {
			t.Fatalf("very low mood: %v %q", levels(out), allText(out))
		}
	})
	t.Run("severe band on the first score, and PHQ-2", func(t *testing.T) {
		w := newWalker(t, testProtocol(t))
		w.start(FlowPHQ9)
		var out Outcome
		for w.s.Flow != "" {
			v := "3"
			if w.s.State == "phq9" {
				v = "0"
			} else if w.s.State == "difficulty" {
				v = "very"
			}
			out = w.btn(v)
		}
		if !slices.Equal(levels(out), []Level{Routine}) || !out.Completion.Score.PHQ2Positive || out.Completion.Score.Band != BandSevere {
			t.Fatalf("first severe PHQ-9: %v %+v", levels(out), out.Completion.Score)
		}
	})
	t.Run("a self-harm item that is not a screen is refused", func(t *testing.T) {
		src := strings.Replace(string(DefaultYAML()), "        screen: true         # always asked, even after an earlier hold\n", "", 1)
		_, err := Parse("clinic.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), `item "self_harm" asks about self-harm, so it must be a screen`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a dose interval too short to count doses is refused", func(t *testing.T) {
		src := strings.Replace(string(DefaultYAML()), "min_dose_interval: 6d", "min_dose_interval: 2h", 1)
		if _, err := Parse("clinic.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "min_dose_interval") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestExtraDose: a second "I've taken my dose" is recorded and asked
// about; a confirmed extra dose is HIGH with both times.
func TestExtraDose(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.walkPreDoseSafe()
	run := w.s.Dose.Run
	w.step(Input{Button: &ButtonPress{Run: run, Item: DoseItem, Value: DoseTaken}})
	again := w.step(Input{Button: &ButtonPress{Run: run, Item: DoseItem, Value: DoseTaken}})
	if len(again.Answers) != 1 || again.Answers[0].Value != DoseAgain || !strings.Contains(allText(again), "another dose") || len(last(again).Buttons) != 1 {
		t.Fatalf("second press: %+v", again)
	}
	once := w.step(Input{Button: &ButtonPress{Run: run, Item: DoseItem, Value: DoseOnce}})
	if len(once.Escalations) != 0 || len(once.Answers) != 1 {
		t.Fatalf("just the one: %+v", once)
	}
	extra := w.step(Input{Button: &ButtonPress{Run: run, Item: DoseItem, Value: DoseExtra}})
	if !slices.Equal(levels(extra), []Level{High}) || !strings.Contains(extra.Escalations[0].Reason, "14:09") ||
		!strings.Contains(extra.Escalations[0].Reason, "14:12") {
		t.Fatalf("extra dose: %+v", extra.Escalations)
	}
	if got := reasons(w.s, w.now); !slices.Equal(got, []GateReason{GateReview, GateDosed}) {
		t.Fatalf("gate = %v", got)
	}
}

// TestIntakeEscalatesPositives: the end of the intake tells clinicians the
// positive answers and the command to clear.
func TestIntakeEscalatesPositives(t *testing.T) {
	w := newWalker(t, testProtocol(t))
	w.check(w.p.Enrol(w.s, w.now))
	var out Outcome
	for w.s.Flow != "" {
		v := "no"
		if w.s.State == "pregnant" || w.s.State == "heart" {
			v = "yes"
		}
		out = w.btn(v)
	}
	if len(out.Escalations) != 1 || out.Escalations[0].Level != Routine ||
		out.Escalations[0].Answer != "positive: Pregnant or nursing; Serious heart condition" ||
		!strings.Contains(out.Escalations[0].Reason, "/clear <label>") {
		t.Fatalf("intake escalation: %+v", out.Escalations)
	}
	if !slices.Equal(reasons(w.s, w.now), []GateReason{GateIntake}) {
		t.Fatalf("gate after intake: %v", reasons(w.s, w.now))
	}
	// A crisis typed during the intake still sends what it had so far.
	w = newWalker(t, testProtocol(t))
	w.check(w.p.Enrol(w.s, w.now))
	w.btn("yes")
	out = w.text("I want to kill myself")
	if !slices.Equal(levels(out), []Level{Urgent, Routine}) || !strings.Contains(out.Escalations[1].Answer, "stopped by a crisis") ||
		!strings.Contains(out.Escalations[1].Answer, "History of psychosis") {
		t.Fatalf("crisis in intake: %+v", out.Escalations)
	}
	// A protocol without an intake flow still starts new patients closed.
	p := parseEdited(t, "    kind: intake\n", "    kind: questionnaire\n")
	enrol := p.Enrol(Session{}, t0)
	if len(enrol.Escalations) != 1 || enrol.Escalations[0].Answer != "no intake screen in this protocol" || enrol.Session.GateOpen(t0) {
		t.Fatalf("enrol without intake: %+v", enrol)
	}
}

// TestPatientLimits: a patient's own limits are used over the protocol's,
// within the validator's ranges.
func TestPatientLimits(t *testing.T) {
	p := testProtocol(t)
	out, err := p.SetLimits(Session{}, &VitalLimits{SystolicMax: 150, DiastolicMax: 95, PulseMax: 105}, clinicianDana)
	if err != nil || out.Session.Limits == nil || !slices.Contains(auditEvents(out), "limits.set::500") {
		t.Fatalf("set: %+v %v", out, err)
	}
	w := newWalker(t, p)
	w.s = out.Session
	w.start(FlowPreDose)
	w.walkTo("vitals", safePreDose)
	if w.text("155/85 70"); w.s.Tries["vitals"] != 1 {
		t.Fatalf("155 is above the patient's own 150: state %q tries %v", w.s.State, w.s.Tries)
	}
	if _, err := p.SetLimits(Session{}, &VitalLimits{SystolicMax: 300, DiastolicMax: 95, PulseMax: 105}, clinicianDana); err == nil {
		t.Fatal("systolic 300 accepted")
	}
}
