package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// TestResolveWithNoteAndOpenList walks escalations through their states:
// /open lists them oldest first, [Acknowledge], [Resolve] with a typed note,
// /resolve with the note inline, and /cancel of a pending note. Every change
// of state is in the audit stream with who and when.
func TestResolveWithNoteAndOpenList(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 6, 7, 15, 0, 0, 0, time.UTC))
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(clinician, "/open")
	h.expect(clinician.ID, "No escalations are waiting")

	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSubstance)
	h.answer(qSubstance, "Yes") // ROUTINE, held: the gate closes for review
	h.answer(qSelfHarm, "No")   // the self-harm screen is still asked
	routine := h.expect(clinician.ID, "ROUTINE", "P-0042")
	clock.Advance(time.Minute)
	h.say(patient, "/checkin")
	h.expect(patient.ID, "can't start a safety check", "look at your earlier answers")
	h.say(clinician, "/clear P-0042 Talked it through; no alcohol today.")
	h.expect(clinician.ID, "P-0042: cleared (review)")
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
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
	h.say(clinician, "/open")
	h.expect(clinician.ID, "acknowledged by Dana", "NOT acknowledged")

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
	h.say(clinician, "/cancel")
	h.expect(clinician.ID, "#"+rID+" stays unresolved")
	h.say(clinician, "/open")
	h.expect(clinician.ID, "not yet resolved (1)", "#"+rID)

	// /resolve with the note inline; resolving an unacknowledged escalation
	// tells the patient a person has seen it.
	h.say(clinician, "/resolve "+rID+" Reviewed: no alcohol since; next dose as planned.")
	h.expect(clinician.ID, "#"+rID+" is resolved")
	h.expect(patient.ID, "care team has seen")
	h.say(clinician, "/resolve "+rID+" again")
	h.expect(clinician.ID, "already resolved by Dana")
	h.say(clinician, "/resolve 999 note")
	h.expect(clinician.ID, "no escalation #999")
	h.say(clinician, "/resolve")
	h.expect(clinician.ID, "Usage: /resolve")
	h.say(clinician, "/open")
	h.expect(clinician.ID, "No escalations are waiting")

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
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
	h.answer(qSelfHarm, "Yes")
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

// TestRoutineIsNeverRepaged checks the bottom rung: no re-page for ROUTINE.
func TestRoutineIsNeverRepaged(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 6, 7, 15, 0, 0, 0, time.UTC))
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSubstance)
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
