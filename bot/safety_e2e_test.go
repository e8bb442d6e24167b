package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// The safety invariants end to end: the dose gate (the scenarios of issue
// 7 first) and the crisis screen, through the emulator and a real Redis.
//
// The scenarios of issue 7, each through the emulator and a real Redis:
// before the dose gate, every one of them ended with a patient cleared to
// dose (or not told what to do); now each ends with the gate closed until a
// clinician's /clear.

const textRefused = "can't start a safety check"

// messagesAfter returns the texts of the chat's messages newer than id.
func (h *harness) messagesAfter(chatID int64, id int) []string {
	var out []string
	for _, m := range h.tg.Messages(chatID) {
		if m.ID > id {
			out = append(out, m.Text)
		}
	}
	return out
}

// refuseCheckin sends /checkin and expects the gate's refusal with parts.
func (h *harness) refuseCheckin(parts ...string) telegramtest.Message {
	h.t.Helper()
	h.say(patient, "/checkin")
	return h.expect(patient.ID, parts...)
}

// clearPatient has the clinician clear label and expects both answers.
func (h *harness) clearPatient(label, opened string) {
	h.t.Helper()
	h.exchange(clinician, "/clear "+label+" called the patient, safe to continue", label+": cleared ("+opened+")")
	h.expect(patient.ID, "cleared you")
}

// checkinUntilVitals starts a check and answers it up to the typed
// blood-pressure question.
func (h *harness) checkinUntilVitals() {
	h.t.Helper()
	h.checkinUntil(qVitals)
	h.expect(patient.ID, qVitals)
}

// auditCount counts the audit events named event with the given fields.
func (h *harness) auditCount(event string, fields map[string]string) int {
	h.t.Helper()
	log, err := h.st.AuditLog(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		match := e.Event == event
		for k, v := range fields {
			match = match && e.Fields[k] == v
		}
		if match {
			n++
		}
	}
	return n
}

// TestCrisisAtBloodPressureEndsCheckAndSurvivesRestart: "I want to die"
// typed at the blood-pressure question brings the crisis response alone
// (no re-ask), an URGENT escalation, the check held; the gate stays closed
// across a restart, is shown by /status, /open and /history, is not opened
// by acknowledging, and only /clear opens it.
func TestCrisisAtBloodPressureEndsCheckAndSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.checkinUntilVitals()
	h.say(patient, "I want to die")
	alert := h.expect(patient.ID, "988", "care team has been alerted")
	esc := h.expectButtons(clinician.ID, "Acknowledge", "URGENT", "P-0042", "Doses on hold (crisis) until a clinician sends /clear P-0042 <note>")

	// Later answers find no check to continue, and nothing clears.
	h.exchange(patient, "128/82 72", "Here's what you can send me")
	for _, text := range h.messagesAfter(patient.ID, alert.ID-1)[:1] {
		if strings.Contains(text, "didn't catch that") || strings.Contains(text, qSubstance) {
			t.Fatalf("the crisis reply is followed by a routine question: %q", text)
		}
	}
	for _, text := range h.messagesAfter(patient.ID, alert.ID) {
		if strings.Contains(text, "didn't catch that") || strings.Contains(text, "clear to take") {
			t.Fatalf("after the crisis: %q", text)
		}
	}

	h.stopBot()
	h.startBot()
	h.refuseCheckin(textRefused, "988", "+1 555 010 0199")
	h.exchange(patient, "/status", "Doses are on hold", "talk with you first")

	h.press(clinician, clinician.ID, "Acknowledge", "URGENT")
	h.expect(patient.ID, "care team has seen")
	h.refuseCheckin(textRefused) // acknowledging is not clearing

	h.exchange(clinician, "/open", "#"+h.escalation(esc).ID, "Dose gate: CLOSED (crisis")
	h.exchange(clinician, "/history P-0042", "Dose gate: CLOSED (crisis", "held (typed message: crisis (self_harm))")

	h.clearPatient("P-0042", "crisis")
	h.exchange(clinician, "/history P-0042", "Dose gate: open (cleared by Dana")
	h.say(patient, "/checkin")
	h.answerPreDoseUntil("")
	h.expectButtons(patient.ID, "I've taken my dose", "clear to take")
	if h.auditCount("gate.closed", map[string]string{"reason": "crisis", "by": "engine"}) != 1 ||
		h.auditCount("gate.opened", map[string]string{"reason": "crisis", "by": "500"}) != 1 {
		t.Error("the gate's closing and opening are not in the audit stream")
	}
}

// TestSelfHarmYesThenNewCheckinStaysClosed: a held self-harm answer
// followed 30 s later by /checkin no longer clears with the URGENT
// escalation unacknowledged.
func TestSelfHarmYesThenNewCheckinStaysClosed(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.reportSelfHarm()
	m := h.expect(patient.ID, "988", "pause today's dose")
	if strings.Contains(m.Text, qSetting) || len(m.Buttons) != 0 {
		t.Fatalf("the crisis reply asks on: %q", m.Text)
	}
	h.expect(clinician.ID, "URGENT", "P-0042")
	clock.Advance(30 * time.Second)
	h.refuseCheckin(textRefused, "988")
	if got := h.messagesAfter(patient.ID, m.ID); strings.Contains(strings.Join(got, "\n"), qSitter) {
		t.Fatalf("a new check started: %q", got)
	}
	h.clearPatient("P-0042", "crisis")
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)
}

// TestDoseTwiceAndCheckinAfterDose: the dose button pressed again asks
// whether another dose was taken, and a confirmed extra dose is HIGH with
// both times; /checkin a minute after a dose says when the next may be.
func TestDoseTwiceAndCheckinAfterDose(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.answerPreDoseUntil("")
	dose := h.expectButtons(patient.ID, "I've taken my dose", "clear to take")
	// The last answer's settling edit follows its reply; let it pass first.
	waitUntil(t, "the answered questions' buttons are settled", func() bool {
		for _, m := range h.tg.Messages(patient.ID) {
			if m.ID != dose.ID && len(m.Buttons) > 0 {
				return false
			}
		}
		return true
	})
	// The edit that settles the button fails (as over a bad connection), so
	// the button stays and can be pressed again, like a double tap.
	h.tg.FailNext("editMessageText", 1, telegramtest.Failure{Code: 400})
	h.press(patient, patient.ID, "I've taken my dose", "clear to take")
	h.expect(patient.ID, "noted the time")

	clock.Advance(time.Minute)
	h.refuseCheckin("last dose was recorded on Sat 7 Jun 15:00", "next one can be from Fri 13 Jun 15:00")

	clock.Advance(2 * time.Minute)
	if _, err := h.tg.PressButton(patient, patient.ID, dose.ID, buttonData(dose, "I've taken my dose")); err != nil {
		t.Fatal(err)
	}
	h.press(patient, patient.ID, "Yes, another dose", "Did you just take another dose")
	h.expect(patient.ID, "Please don't take any more today")
	h.expect(clinician.ID, "HIGH", "P-0042", "Possible extra dose", "Sat 7 Jun 15:00", "Sat 7 Jun 15:03")

	answers, err := h.st.Answers(context.Background(), patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, a := range answers {
		if a.Item == flows.DoseItem {
			recorded = append(recorded, a.Value)
		}
	}
	if strings.Join(recorded, ",") != "taken,again,extra" {
		t.Fatalf("dose presses recorded as %v", recorded)
	}
	// /clear lifts the review, not the dose interval.
	h.exchange(clinician, "/clear P-0042 spoke with the patient", "P-0042: cleared (review)", "dosed")
	h.expect(patient.ID, "next one can be from")
	h.refuseCheckin("next one can be from")
}

// TestHoldStillAsksScreensAndRedFlagEndsAlone: no sitter still asks the
// self-harm screen; a post-session red flag gets the emergency response
// alone, without "Rest up", and closes the gate.
func TestHoldStillAsksScreensAndRedFlagEndsAlone(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.answer(qSitter, "No")
	h.expect(patient.ID, "sober needs to be with you")
	h.expectButtons(patient.ID, "Yes", "one more question", qSelfHarm)
	h.answer(qSelfHarm, "No")
	h.expect(patient.ID, "please don't take your dose today")

	h.say(patient, "/after")
	for _, q := range []struct{ question, label string }{
		{"How is your mood", "A bit better"}, {"nausea", "None"}, {"dizziness", "None"},
		{"headache", "None"}, {"detached", "A little"},
	} {
		h.answer(q.question, q.label)
	}
	h.answer("chest pain", "Yes")
	m := h.expect(patient.ID, "call 911 now", "care team has been alerted")
	h.expect(clinician.ID, "URGENT", "P-0042")
	h.exchange(patient, "/status", "Doses are on hold")
	for _, text := range h.messagesAfter(patient.ID, m.ID-1) {
		if strings.Contains(text, "Rest up") || strings.Contains(text, "ending your life") {
			t.Fatalf("after the red flag: %q", text)
		}
	}
	h.refuseCheckin(textRefused, "911")
}

// TestBloodPressureUrgencyAndImplausibleReading: 250/120 holds at once
// with HIGH and advice; 255/120 asks to measure again and to call.
func TestBloodPressureUrgencyAndImplausibleReading(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.checkinUntilVitals()
	h.exchange(patient, "255/120 90", "measure again", "If your monitor shows this again, call +1 555 010 0199")
	h.say(patient, "250/120 90")
	m := h.expect(patient.ID, "very high", "chest pain", "vision")
	if strings.Contains(m.Text, "a bit higher") {
		t.Fatalf("reassurance on a hypertensive urgency: %q", m.Text)
	}
	h.expect(clinician.ID, "HIGH", "P-0042", "Hypertensive urgency")
	h.answer(qSelfHarm, "No")
	h.expect(patient.ID, "please don't take your dose today")
	h.refuseCheckin(textRefused, "look at your earlier answers")
}

// TestWeakenedProtocolKeepsInvariants: a clinic protocol narrowing PHQ-9
// item 9 to "3" and dropping the escalation of very low mood passes
// validation, yet item 9 = 1 is URGENT and very low mood tells a clinician.
func TestWeakenedProtocolKeepsInvariants(t *testing.T) {
	src := strings.Replace(string(flows.DefaultYAML()), `when: ["1", "2", "3"]`, `when: ["3"]`, 1)
	src = strings.Replace(src, "            escalate: routine\n            reason: Very low mood the day after a session\n", "", 1)
	p := parseProtocol(t, "clinic.yaml", src)
	p.SetOnCall("+1 555 010 0199")
	h := newHarness(t, withProtocol(p))
	h.enroll(patient, "P-0042")

	h.say(patient, "/followup")
	h.answers("sleep", "Well", "headache or feel foggy", "No", "burning", "No", "mood today", "Very low")
	h.expect(patient.ID, "988")
	h.expect(clinician.ID, "ROUTINE", "P-0042", "Mood today")

	h.say(patient, "/phq9")
	for _, q := range phq9Items[:8] {
		h.answer(q, "Not at all")
	}
	h.answer(phq9Items[8], "Several days")
	h.expect(patient.ID, "988", "care team has been alerted")
	h.expect(clinician.ID, "URGENT", "P-0042", "PHQ-9 item 9")
	h.refuseCheckin(textRefused)
}

// TestIntakeAtEnrolment: a new patient answers the intake screen; the
// clinicians get the positives and the command; the gate stays closed
// until /clear.
func TestIntakeAtEnrolment(t *testing.T) {
	h := newHarness(t)
	code := h.invite("P-0042")
	h.exchange(patient, "/start "+code, "Welcome")
	intake := flows.Default().Flow("intake")
	for _, it := range intake.Items {
		label := "No"
		if it.ID == "pregnant" || it.ID == "bipolar" {
			label = "Yes"
		}
		if it.ID == "heart" {
			h.refuseCheckin("finish the first few questions")
		}
		h.press(patient, patient.ID, label, it.Text)
	}
	h.expect(patient.ID, "look over your answers")
	h.expect(clinician.ID, "ROUTINE", "P-0042", "positive: Pregnant or nursing; Bipolar I disorder", "/clear P-0042")
	h.refuseCheckin("looks over your answers")
	h.exchange(patient, "/status", "reviewing your first answers")
	h.clearPatient("P-0042", "intake")
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)
}

// TestPauseAndLimits: /pause closes the gate by hand, /limits sets the
// patient's own vitals limits (used over the protocol's, shown in
// /history, audited), and bad arguments get the usage.
func TestPauseAndLimits(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.exchange(clinician, "/pause P-0042 waiting for blood results", "P-0042: doses paused", "CLOSED (paused: waiting for blood results, by Dana")
	h.expect(patient.ID, "paused your doses")
	h.refuseCheckin("paused your doses")
	h.clearPatient("P-0042", "paused")

	for _, bad := range []string{"/limits", "/limits P-0042", "/limits P-0042 300/95 105", "/limits P-0042 90/95 105", "/limits bad!label 150/95 105"} {
		h.exchange(clinician, bad, "Usage: /limits")
	}
	h.exchange(clinician, "/limits P-0099 150/95 105", "No patient is enrolled as P-0099")
	h.exchange(clinician, "/clear P-0042", "Usage: /clear")
	h.exchange(clinician, "/pause P-0042", "Usage: /pause")

	h.exchange(clinician, "/limits P-0042 150/95 105", "own vitals limits set to 150/95, pulse 105")
	h.expect(patient.ID, "personal blood pressure")
	h.exchange(clinician, "/history P-0042", "Own vitals limits: 150/95, pulse 105")
	if h.auditCount("limits.set", map[string]string{"by": "500", "limits": "150/95, pulse 105"}) != 1 {
		t.Error("the limits are not audited")
	}
	h.checkinUntilVitals()
	h.say(patient, "155/85 70") // within the protocol's 160/90, above the patient's 150
	h.expect(patient.ID, "a bit higher")
}

// TestClearWhenResolving: "clear" at the start of a resolution note clears
// the patient; a plain note does not.
func TestClearWhenResolving(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.reportSelfHarm()
	esc := h.expectButtons(clinician.ID, "Acknowledge", "URGENT", "P-0042")
	id := h.escalation(esc).ID
	h.exchange(clinician, "/resolve "+id+" called, no plan", "#"+id+" is resolved")
	h.refuseCheckin(textRefused)
	rec := h.escalation(esc)
	if rec.State != store.EscalationResolved {
		t.Fatalf("state %s", rec.State)
	}
	h.exchange(clinician, "/clear P-0042 nothing", "P-0042: cleared (crisis)")
	h.expect(patient.ID, "cleared you")
	h.exchange(clinician, "/clear P-0042 again", "nothing for you to clear", "Dose gate: open")
}

// TestIntakeAfterCrashBeforeIt: a bot that stopped between redeeming an
// invite and starting the intake leaves the patient enrolled with no gate;
// opening the link again starts the intake, so no new patient skips it.
func TestIntakeAfterCrashBeforeIt(t *testing.T) {
	h := newHarness(t)
	code := h.invite("P-0042")
	if _, err := h.st.RedeemInvite(context.Background(), code, patient.ID); err != nil {
		t.Fatal(err) // the redemption committed; the intake never did
	}
	h.say(patient, "/start "+code)
	h.expectButtons(patient.ID, "No", flows.Default().Flow("intake").Items[0].Text)
	h.refuseCheckin("finish the first few questions")
}

// TestResolveWithNoteAndOpenList walks escalations through their states:
// /open lists them oldest first, [Acknowledge], [Resolve] with a typed note,
// /resolve with the note inline, and /cancel of a pending note. Every change
// of state is in the audit stream with who and when.
func TestResolveWithNoteAndOpenList(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newPatientHarness(t, withClock(clock))
	h.exchange(clinician, "/open", "No escalations are waiting")

	h.checkinUntil(qSubstance)
	h.answer(qSubstance, "Yes") // ROUTINE, held: the gate closes for review
	h.answer(qSelfHarm, "No")   // the self-harm screen is still asked
	routine := h.expect(clinician.ID, "ROUTINE", "P-0042")
	clock.Advance(time.Minute)
	h.exchange(patient, "/checkin", "can't start a safety check", "look at your earlier answers")
	h.exchange(clinician, "/clear P-0042 Talked it through; no alcohol today.", "P-0042: cleared (review)")
	h.checkinUntil(qSelfHarm)
	h.answer(qSelfHarm, "Yes") // URGENT
	urgent := h.expect(clinician.ID, "URGENT", "P-0042")
	rID, uID := h.escalation(routine).ID, h.escalation(urgent).ID

	h.say(clinician, "/open")
	list := h.expect(clinician.ID, "not yet resolved (2)")
	if i, j := strings.Index(list.Text, "#"+rID+" "), strings.Index(list.Text, "#"+uID+" "); i < 0 || j < i {
		t.Fatalf("not oldest first: %q", list.Text)
	}
	if strings.Count(list.Text, "NOT acknowledged") != 2 {
		t.Fatalf("states: %q", list.Text)
	}

	h.press(clinician, clinician.ID, "Acknowledge", "URGENT")
	h.expect(patient.ID, "care team has seen")
	h.exchange(clinician, "/open", "acknowledged by Dana", "NOT acknowledged")

	// [Resolve] asks for a note; a reply to that prompt is the note, saved
	// once the clinician confirms it.
	h.press(clinician, clinician.ID, "Resolve", "URGENT")
	prompt := h.expect(clinician.ID, "Resolution note for escalation #"+uID, "reply to this message")
	h.replyTo(clinician, clinician.ID, prompt, "Called the patient; safe with family, dose paused.")
	h.press(clinician, clinician.ID, "Confirm", "Resolve escalation #"+uID)
	h.expect(clinician.ID, "#"+uID+" is resolved")
	h.tg.ExpectMessage(t, clinician.ID, wait, func(m telegramtest.Message) bool {
		return m.ID == urgent.ID && strings.Contains(m.Text, "Resolved by Dana") &&
			strings.Contains(m.Text, "safe with family") && len(m.Buttons) == 0
	})
	rec := h.escalation(urgent)
	if rec.State != store.EscalationResolved || rec.ResolvedBy != clinician.ID || rec.Note != "Called the patient; safe with family, dose paused." {
		t.Fatalf("resolved record %+v", rec)
	}

	// /cancel leaves a pending note unwritten.
	h.press(clinician, clinician.ID, "Resolve", "ROUTINE")
	h.expect(clinician.ID, "Resolution note for escalation #"+rID)
	h.exchange(clinician, "/cancel", "#"+rID+" stays unresolved")
	h.exchange(clinician, "/open", "not yet resolved (1)", "#"+rID)

	// /resolve with the note inline; resolving an unacknowledged escalation
	// tells the patient a person has seen it.
	h.exchange(clinician, "/resolve "+rID+" Reviewed: no alcohol since; next dose as planned.", "#"+rID+" is resolved")
	h.expect(patient.ID, "care team has seen")
	h.exchange(clinician, "/resolve "+rID+" again", "already resolved by Dana")
	h.exchange(clinician, "/resolve 999 note", "no escalation #999")
	h.exchange(clinician, "/resolve", "Usage: /resolve")
	h.exchange(clinician, "/open", "No escalations are waiting")

	log, err := h.st.AuditLog(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	byEvent := map[string][]store.AuditEntry{}
	for _, e := range log {
		byEvent[e.Event] = append(byEvent[e.Event], e)
		for _, v := range e.Fields {
			if strings.Contains(v, "safe with family") {
				t.Fatalf("the audit carries a note: %+v", e)
			}
		}
	}
	// Each count includes the intake screen's escalation, resolved with "clear".
	for event, n := range map[string]int{"escalation.raised": 3, "escalation.acked": 3, "escalation.resolved": 3, "escalations.listed": 5} {
		if len(byEvent[event]) != n {
			t.Errorf("%d %s events, want %d", len(byEvent[event]), event, n)
		}
	}
	for _, e := range byEvent["escalation.resolved"][1:] {
		if e.Fields["by"] != "500" || !strings.HasPrefix(e.Fields["at"], "2025-06-07T15:01") {
			t.Errorf("resolve audit entry %+v", e)
		}
	}
}

// TestResolveInGroupChat resolves from the clinicians' group, where the bot
// asks for the note as a reply.
func TestResolveInGroupChat(t *testing.T) {
	const group = -100500
	h := newHarness(t, withEscalationChat(group))
	h.tg.SendGroupText(clinician, group, "hello team")
	h.enroll(patient, "P-0042")
	h.reportSelfHarm()
	esc := h.expect(group, "URGENT", "P-0042")
	h.press(clinician, group, "Resolve", "URGENT")
	prompt := h.expect(group, "Resolution note for escalation", "Dana, reply to this message")
	h.tg.SendGroupText(clinician, group, "Spoke with the patient by phone.") // not a reply: not the note
	h.replyTo(clinician, group, prompt, "Spoke with the patient by phone.")
	h.press(clinician, group, "Confirm", "Your note: Spoke with the patient by phone.")
	h.expect(group, "is resolved")
	if rec := h.escalation(esc); rec.State != store.EscalationResolved || rec.AckedBy != clinician.ID {
		t.Fatalf("record %+v", rec)
	}
	h.expect(patient.ID, "care team has seen")
}

// TestUrgentPagesTheOncallAtOnce: with an escalation group, the on-call
// clinician heard of a self-harm "Yes" only at the first re-page, 5
// minutes later (the group may be muted). Now an URGENT escalation goes to
// the group and to each on-call clinician's own chat at once; a ROUTINE one
// goes to the group only.
func TestUrgentPagesTheOncallAtOnce(t *testing.T) {
	const group = -100500
	h := newHarness(t, withEscalationChat(group), withOncall(oncall.ID))
	h.tg.SendGroupText(clinician, group, "hello team")
	h.openChat(oncall)
	h.enroll(patient, "P-0042")
	h.checkinUntil(qSubstance)
	h.answer(qSubstance, "Yes")
	h.expect(group, "ROUTINE", "P-0042")
	// The hold asks the self-harm question before it ends.
	h.press(patient, patient.ID, "Yes", "better off dead")
	h.expect(group, "URGENT", "P-0042")
	h.expect(oncall.ID, "URGENT", "P-0042")
	if n := h.count(oncall.ID, "ROUTINE"); n != 0 {
		t.Errorf("the on-call clinician got %d ROUTINE pages", n)
	}
}

// TestRoutineIsNeverRepaged checks the bottom rung: no re-page for ROUTINE.
func TestRoutineIsNeverRepaged(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newPatientHarness(t, withClock(clock))
	h.checkinUntil(qSubstance)
	h.answer(qSubstance, "Yes")
	h.expect(clinician.ID, "ROUTINE", "P-0042")
	for _, j := range h.jobs(patient.ID) {
		if j.Kind == flows.JobRepage {
			t.Fatalf("ROUTINE re-page scheduled: %+v", j)
		}
	}
	clock.Advance(2 * time.Hour)
	h.settle(clock, patient.ID)
	h.none(clinician.ID, "Re-page")
}

// The crisis screen end to end: whatever a patient types, at whichever
// prompt, a crisis brings the crisis resources in the reply to that very
// message and an URGENT escalation naming the group and the words.

const onCall = "+1 555 010 0199"

// expectCrisis waits for the crisis reply in u's chat and the clinicians'
// URGENT escalation for label, and checks which help leads the reply.
func (h *harness) expectCrisis(u telegramtest.User, label, group, quoted, lead string, more ...string) {
	h.t.Helper()
	reply := h.expect(u.ID, "worries me", "988", "911", "care team has been alerted")
	other := map[string]string{"988": "911", "911": "988"}[lead]
	if i, j := strings.Index(reply.Text, lead), strings.Index(reply.Text, other); i < 0 || i > j {
		h.t.Errorf("the crisis reply does not lead with %s:\n%s", lead, reply.Text)
	}
	h.expect(clinician.ID, append([]string{"URGENT", label, "Why: crisis screen: " + group, quoted}, more...)...)
}

// TestCrisisPhrasesOfTheIssueAtTheBloodPressureQuestion: each phrasing that
// once got only "couldn't read that as a blood pressure" now brings help.
func TestCrisisPhrasesOfTheIssueAtTheBloodPressureQuestion(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	for i, tt := range []struct{ text, group, lead string }{
		{"i wanna die", "self-harm or suicide", "988"},
		{"I want to end it all", "self-harm or suicide", "988"},
		{"I took too many pills", "overdose or poisoning", "911"},
		{"I don't want to be here anymore", "self-harm or suicide", "988"},
		{"kms", "self-harm or suicide", "988"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			h.t = t
			label := fmt.Sprintf("P-11%02d", i)
			u := h.enrollNew(int64(1100+i), label)
			h.say(u, "/checkin")
			h.press(u, u.ID, "Yes", qSitter)
			h.press(u, u.ID, "Yes", qDriving)
			h.expect(u.ID, qVitals)
			h.say(u, tt.text)
			h.expectCrisis(u, label, tt.group, tt.text, tt.lead)
		})
	}
}

// TestCrisisAfterACommand: words typed after a command are screened too;
// "/checkin I want to die" brings help instead of a safety check.
func TestCrisisAfterACommand(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin I want to die")
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "I want to die", "988")
	h.exchange(patient, "/checkin", "988")
	if got := h.count(patient.ID, qSitter); got != 0 {
		t.Errorf("a safety check started %d times after a crisis typed with the command", got)
	}
}

// TestCrisisAtANumberPromptWithClinicPhrases: a clinic protocol with its own
// phrases still catches "suicide", at a number question; its own phrase
// works too, with emergency services first for a medical one.
func TestCrisisAtANumberPromptWithClinicPhrases(t *testing.T) {
	withPhrases := strings.Replace(protocolFile(t, "alt.yaml"), "  oncall_text:", "  phrases: [chest tightness, bladder bleeding]\n  oncall_text:", 1)
	alt := parseProtocol(t, "alt.yaml", withPhrases)
	if len(alt.Crisis.Phrases) != 2 {
		t.Fatalf("the clinic's phrases did not load: %v", alt.Crisis.Phrases)
	}
	alt.SetOnCall(onCall)
	h := newHarness(t, withProtocol(alt))
	h.openChat(clinician)
	for i, tt := range []struct{ text, group, quoted, lead string }{
		{"been thinking about suicide", "self-harm or suicide", "suicide", "988"},
		{"some chest tightness since I sat down", "medical emergency", "chest tightness", "911"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			h.t = t
			label := fmt.Sprintf("R-%d", i)
			u := h.enrollNew(int64(1200+i), label)
			h.say(u, "/checkin")
			h.press(u, u.ID, "Yes, I do", "companion")
			h.expect(u.ID, "blood pressure and pulse")
			h.exchange(u, "120/80 70", "hours did you sleep")
			h.say(u, tt.text)
			h.expectCrisis(u, label, tt.group, tt.quoted, tt.lead)
		})
	}
}

// TestCrisisInAJournalEntry: the optional journal of the post-session
// check-in is screened like any answer.
func TestCrisisInAJournalEntry(t *testing.T) {
	h := newPatientHarness(t)
	h.say(patient, "/after")
	h.answers("mood", "About the same", "nausea", "None", "dizziness", "None", "headache", "None", "detached", "A little", "chest pain", "No", "ending your life", "No", "sitter still", "Yes")
	h.expect(patient.ID, "write a few lines")
	h.say(patient, "Calm session. But lately I feel like everyone would be better off without me.")
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "better off without me", "988")
}

// TestCrisisInAnEditedMessage: a patient who edits a message into a crisis
// gets help and the clinicians are paged; any other edit gets a short note
// that edits change no answer.
func TestCrisisInAnEditedMessage(t *testing.T) {
	h := newPatientHarness(t)
	h.exchange(patient, "all fine today", "/checkin")

	if _, err := h.tg.EditLastText(patient, "all fine today, thanks"); err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "edited a message")

	if _, err := h.tg.EditLastText(patient, "not fine. I want to kill myself"); err != nil {
		t.Fatal(err)
	}
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "kill myself", "988", "Question: Edited message")
}

// TestCrisisInAPhotoCaption: a caption is typed text too.
func TestCrisisInAPhotoCaption(t *testing.T) {
	h := newPatientHarness(t)
	_, err := h.tg.Queue(fmt.Sprintf(`{"message": {"message_id": 900, "date": 1700000000,
		"from": {"id": %d, "is_bot": false, "first_name": "Pat"},
		"chat": {"id": %d, "type": "private", "first_name": "Pat"},
		"photo": [{"file_id": "F1", "file_unique_id": "U1", "width": 800, "height": 600}],
		"caption": "this is me today. I want to die"}}`, patient.ID, patient.ID))
	if err != nil {
		t.Fatal(err)
	}
	h.expectCrisis(patient, "P-0042", "self-harm or suicide", "want to die", "988")
}

// TestCrisisReplyWhileRedisHangs: with Redis paused (SIGSTOP), a patient
// who types "I want to die" gets the crisis resources at once, from the
// protocol in memory, then the delayed notice; once Redis answers again
// the escalation reaches the clinicians, and the patient does not get the
// crisis reply a second time.
func TestCrisisReplyWhileRedisHangs(t *testing.T) {
	h := newPatientHarness(t)
	resume := h.pauseRedis()
	paused := time.Now()

	h.exchange(patient, "I want to die", "worries me", "988", "care team has been alerted")
	alertAfter := time.Since(paused)
	h.expect(patient.ID, "technical problem", "988")
	noticeAfter := time.Since(paused)
	t.Logf("Redis paused: crisis reply after %v, delayed notice after %v", alertAfter.Round(time.Millisecond), noticeAfter.Round(time.Millisecond))
	if n := h.count(clinician.ID, "URGENT escalation"); n != 0 {
		t.Fatalf("%d escalations delivered while Redis was paused", n)
	}
	resume()

	h.expect(clinician.ID, "URGENT escalation", "P-0042", "I want to die")
	// The engine ran with the alert already sent: no second crisis reply.
	waitUntil(t, "the update is committed", func() bool {
		snap, err := h.st.Load(context.Background(), patient.ID, 0)
		return err == nil && snap.Version > 0 && len(snap.Unsent) == 0
	})
	if n := h.count(patient.ID, "worries me"); n != 1 {
		t.Errorf("the crisis reply came %d times, want 1", n)
	}
}

// TestCrisisWithUndecryptableSession: a bot started (against the start-up
// check) with a data key that cannot open the patient's session still
// answers "I want to kill myself" with the crisis resources, and the
// clinicians get the URGENT escalation, recorded without the session.
func TestCrisisWithUndecryptableSession(t *testing.T) {
	h := newHarness(t)
	key := func(b byte) *store.Cipher {
		c, err := store.NewCipher([]byte(strings.Repeat(string(rune('a'+b)), 32)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	h.storeOpts = []func(*store.Store){func(s *store.Store) { s.Cipher = key(1) }}
	h.stopBot()
	h.startBot()
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)

	h.storeOpts = []func(*store.Store){func(s *store.Store) { s.Cipher = key(2) }}
	h.st.Cipher = key(2) // to read the escalation the new key sealed
	h.stopBot()
	h.startBot()
	h.exchange(patient, "I want to kill myself", "worries me", "988", "care team has been alerted")
	m := h.expect(clinician.ID, "URGENT escalation", "P-0042", "I want to kill myself")
	if rec := h.escalation(m); rec.Level != flows.Urgent {
		t.Errorf("escalation level %q", rec.Level)
	}
	if n := h.count(patient.ID, "your answer was not saved"); n != 0 {
		t.Errorf("the patient in crisis was told %d times that it failed", n)
	}
}

// TestStrangerInCrisis: someone not enrolled who types a crisis phrase
// gets the crisis resources and the usual explanation, and the clinicians
// hear of it (the alert says the care team was alerted, so it must be).
func TestStrangerInCrisis(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.exchange(stranger, "I want to kill myself", "worries me", "988", "care team has been alerted")
	h.expect(stranger.ID, "invite link from your clinic")
	h.expect(clinician.ID, "URGENT escalation", store.NotEnrolled, "I want to kill myself")
}

// TestCrisisInPhotoCaption: a crisis phrase in a photo's caption is
// screened like typed text: crisis resources at once, and an escalation.
func TestCrisisInPhotoCaption(t *testing.T) {
	h := newPatientHarness(t)
	_, err := h.tg.Queue(`{"message": {"message_id": 900, "date": 1764480000,
		"chat": {"id": 1001, "type": "private", "first_name": "Pat"},
		"from": {"id": 1001, "is_bot": false, "first_name": "Pat"},
		"photo": [{"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}],
		"caption": "goodbye, I want to end my life"}}`)
	if err != nil {
		t.Fatal(err)
	}
	h.expect(patient.ID, "worries me", "988", "care team has been alerted")
	h.expect(clinician.ID, "URGENT escalation", "P-0042", "I want to end my life")
}

// BenchmarkCrisisLatency measures, through the running bot, how long a
// typed crisis message takes to bring the patient the crisis reply and
// the clinicians the URGENT escalation (p50 and p99 over b.N messages).
func BenchmarkCrisisLatency(b *testing.B) {
	h := newHarness(b)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	var reply, esc []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		text := "I want to die " + strings.Repeat("!", i%5) + time.Now().Format("150405.000000")
		h.exchange(patient, text, "worries me")
		reply = append(reply, time.Since(start))
		h.expect(clinician.ID, "URGENT escalation", text)
		esc = append(esc, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(reply, 50).Seconds()*1000, "reply-p50-ms")
	b.ReportMetric(percentile(reply, 99).Seconds()*1000, "reply-p99-ms")
	b.ReportMetric(percentile(esc, 50).Seconds()*1000, "escalation-p50-ms")
	b.ReportMetric(percentile(esc, 99).Seconds()*1000, "escalation-p99-ms")
}
