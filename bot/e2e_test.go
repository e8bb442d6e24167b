package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// Question texts of the default protocol, as the tests find them.
const (
	qSitter    = "sober adult"
	qDriving   = "stay off the road"
	qVitals    = "measure your blood pressure"
	qSubstance = "past 24 hours"
	qFasting   = "eaten anything"
	qHealth    = "changed with your health"
	qSelfHarm  = "better off dead"
	qSetting   = "safe and comfortable"
)

// preDose is the default pre-dose check in order, with each item's safe answer
// ("" for the typed vitals item).
var preDose = []struct{ question, safe string }{
	{qSitter, "Yes"}, {qDriving, "Yes"}, {qVitals, ""}, {qSubstance, "No"},
	{qFasting, "No"}, {qHealth, "No"}, {qSelfHarm, "No"}, {qSetting, "Yes"},
}

// answerPreDoseUntil answers the pre-dose check safely up to (not including)
// the item whose question is stop ("" answers everything).
func (h *harness) answerPreDoseUntil(stop string) {
	h.t.Helper()
	for _, item := range preDose {
		if item.question == stop {
			return
		}
		if item.safe == "" {
			h.expect(patient.ID, item.question)
			h.say(patient, "128/82 72")
			continue
		}
		h.answer(item.question, item.safe)
	}
}

// checkinUntil starts the pre-dose check and answers it safely up to (not
// including) the item whose question is stop.
func (h *harness) checkinUntil(stop string) {
	h.t.Helper()
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(stop)
}

// reportSelfHarm has the patient start a pre-dose check and answer its
// self-harm question "Yes" (URGENT: the crisis response, the run ended).
func (h *harness) reportSelfHarm() {
	h.t.Helper()
	h.checkinUntil(qSelfHarm)
	h.answer(qSelfHarm, "Yes")
}

// enrollNew enrols a new patient with id as label (intake passed).
func (h *harness) enrollNew(id int64, label string) telegramtest.User {
	h.t.Helper()
	u := telegramtest.User{ID: id, FirstName: label}
	h.enroll(u, label)
	return u
}

func TestEnrolmentAndReusedInvite(t *testing.T) { enrolmentAndReusedInvite(t, newHarness(t)) }

func enrolmentAndReusedInvite(t *testing.T, h *harness) {
	code := h.enroll(patient, "P-0042")

	h.exchange(stranger, "/start "+code, "already been used")
	h.exchange(stranger, "/checkin", "invite link from your clinic")
	h.exchange(stranger, "/start no-such-code", "not valid or has expired")
	h.exchange(stranger, "/start bad code with spaces!", "not valid or has expired")

	// The patient opening their own link again is told they are connected.
	h.exchange(patient, "/start "+code, "connected with your clinic")

	// Labels that could carry a name or markup are refused.
	h.exchange(clinician, "/enroll Jane Doe", "Usage: /enroll")
	h.exchange(clinician, "/enroll", "Usage: /enroll")
}

func TestStrangerLeavesNoTrace(t *testing.T) {
	h := newHarness(t)
	before := redistest.Keys(t, h.redisURL)
	h.exchange(stranger, "hello?", "invite link from your clinic")
	h.exchange(stranger, "/checkin", "invite link from your clinic")
	h.exchange(stranger, "/start AAAAAAAAAAAAAAAAAAAAAA", "not valid or has expired")
	after := redistest.Keys(t, h.redisURL)
	if strings.Join(before, ",") != strings.Join(after, ",") {
		t.Fatalf("a stranger's messages changed Redis keys:\nbefore %v\nafter  %v", before, after)
	}
	for _, k := range after {
		if strings.Contains(k, "2001") {
			t.Fatalf("key %q names the stranger", k)
		}
	}
}

func TestClearedCheckInAndDoseButton(t *testing.T) { clearedCheckInAndDoseButton(t, newHarness(t)) }

func clearedCheckInAndDoseButton(t *testing.T, h *harness) {
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.answerPreDoseUntil("")
	cleared := h.expectButtons(patient.ID, "I've taken my dose", "clear to take")
	h.press(patient, patient.ID, "I've taken my dose")
	h.expect(patient.ID, "noted the time")

	// The dose button is settled: it cannot be pressed twice. (The edit
	// follows the reply.)
	waitUntil(t, "the dose button is settled after it was pressed", func() bool {
		for _, m := range h.tg.Messages(patient.ID) {
			if m.ID == cleared.ID && len(m.Buttons) != 0 {
				return false
			}
		}
		return true
	})
	// The completed check-in is recorded with its answers and outcome.
	checkins, err := h.st.CheckIns(context.Background(), patient.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkins = withoutIntake(checkins)
	if len(checkins) != 1 || checkins[0].Outcome != "cleared" || len(checkins[0].Answers) != len(preDose) {
		t.Fatalf("recorded check-ins = %+v, want one cleared with %d answers", checkins, len(preDose))
	}
	if checkins[0].ProtocolVersion == "" || checkins[0].EndedAt.Before(checkins[0].StartedAt) {
		t.Fatalf("check-in lacks version or times: %+v", checkins[0])
	}
}

func TestEachHoldRule(t *testing.T) {
	cases := []struct {
		name, question, answer string
		hold                   string // part of the hold message
		level                  string // escalation level, "" for none
	}{
		{"no sitter", qSitter, "No", "sober needs to be with you", ""},
		{"will drive", qDriving, "No", "driving or using machinery", ""},
		{"substances", qSubstance, "Yes", "slow your breathing", "ROUTINE"},
		{"not fasting", qFasting, "Yes", "empty stomach", ""},
		{"health change", qHealth, "Yes", "care team should take a look", "ROUTINE"},
		{"self-harm", qSelfHarm, "Yes", "pause today's dose", "URGENT"},
		{"unsafe setting", qSetting, "No", "stay sitting or lying down", ""},
	}
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(clinician, "/help") // the clinician has opened a chat with the bot
	h.expect(clinician.ID, "Clinician commands", "/trend <label>", "/export <label>")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.say(patient, "/checkin")
			h.answerPreDoseUntil(c.question)
			h.answer(c.question, c.answer)
			h.expect(patient.ID, c.hold)
			if c.question != qSelfHarm && c.question != qSetting {
				// A hold never skips the self-harm screen.
				h.expect(patient.ID, "one more question", qSelfHarm)
				h.answer(qSelfHarm, "No")
				h.expect(patient.ID, "please don't take your dose today")
			}
			if c.level != "" {
				// A hold that escalates closes the dose gate until a clinician clears it.
				h.expect(clinician.ID, c.level, "P-0042")
				h.exchange(patient, "/checkin", "can't start a safety check")
				h.exchange(clinician, "/clear P-0042 reviewed", "P-0042: cleared")
				h.expect(patient.ID, "cleared you")
			}
		})
	}
}

func TestVitalsHighTwiceHoldsAndEscalatesHigh(t *testing.T) {
	vitalsHighTwiceHoldsAndEscalatesHigh(t, newPatientHarness(t))
}

func vitalsHighTwiceHoldsAndEscalatesHigh(t *testing.T, h *harness) {
	h.checkinUntil(qVitals)
	h.expect(patient.ID, qVitals)

	h.say(patient, "bp is high")
	h.expect(patient.ID, "128/82 72") // a re-ask with an example
	h.say(patient, "90/120 70")
	h.expect(patient.ID, "128/82 72") // diastolic above systolic: re-ask
	h.exchange(patient, "172/95 88", "10 minutes")
	h.exchange(patient, "168/94 90", "still above the safe limit")
	esc := h.expect(clinician.ID, "HIGH", "P-0042")
	if !strings.Contains(esc.Text, "168/94") {
		t.Errorf("escalation does not show the re-measured reading: %q", esc.Text)
	}
}

func TestSelfHarmEscalatesUrgentWithCrisisResources(t *testing.T) {
	h := newPatientHarness(t)
	h.reportSelfHarm()

	// The crisis resources come with the reply to that very answer.
	h.expect(patient.ID, "988", "911", "+1 555 010 0199", "care team")
	esc := h.expect(clinician.ID, "URGENT", "P-0042", "Flow: Pre-dose safety check",
		"Question: Thoughts of being better off dead", "Answer: Yes", "Raised: ")
	if buttonData(esc, "Acknowledge") == "" {
		t.Fatalf("escalation has no Acknowledge button: %+v", esc)
	}
}

// ackGroup is the clinicians' group of TestAcknowledgeOnlyByClinicians.
const ackGroup = -100500

func TestAcknowledgeOnlyByClinicians(t *testing.T) {
	acknowledgeOnlyByClinicians(t, newHarness(t, withEscalationChat(ackGroup)))
}

// acknowledgeOnlyByClinicians runs on a harness with withEscalationChat(ackGroup).
func acknowledgeOnlyByClinicians(t *testing.T, h *harness) {
	const group = ackGroup
	assistant := telegramtest.User{ID: 777, FirstName: "Alex"} // in the group, not a clinician
	h.tg.SendGroupText(assistant, group, "hello team")
	h.enroll(patient, "P-0042")
	h.reportSelfHarm()
	esc := h.expect(group, "URGENT", "P-0042")
	data := buttonData(esc, "Acknowledge")

	updateID, err := h.tg.PressButton(assistant, group, esc.ID, data)
	if err != nil {
		t.Fatal(err)
	}
	if a := h.callbackAnswer(updateID); !strings.Contains(a.Text, "Only the care team") || !a.ShowAlert {
		t.Fatalf("non-clinician's press answered %+v", a)
	}
	if rec := h.escalation(esc); rec.State != "open" {
		t.Fatalf("a non-clinician's press changed the escalation: %+v", rec)
	}

	h.press(clinician, group, "Acknowledge", "URGENT")
	h.tg.ExpectMessage(t, group, wait, func(m telegramtest.Message) bool {
		// Acknowledged: only [Resolve] is left.
		return m.ID == esc.ID && strings.Contains(m.Text, "Acknowledged by Dana") &&
			buttonData(m, "Acknowledge") == "" && buttonData(m, "Resolve") != ""
	})
	h.expect(patient.ID, "care team has seen your message")
	if rec := h.escalation(esc); rec.AckedBy != clinician.ID || rec.AckedAt.IsZero() {
		t.Fatalf("acknowledgement not recorded: %+v", rec)
	}
}

func TestRestartMidFlowLosesNothing(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.checkinUntil(qDriving)
	h.expectButtons(patient.ID, "Yes", qDriving)

	h.stopBot()
	h.startBot()

	h.answer(qDriving, "Yes")
	h.expect(patient.ID, qVitals)
	h.say(patient, "120/80 70")
	h.answer(qSubstance, "No")
	h.expectButtons(patient.ID, "Yes", qFasting)
}

func TestFreeTextWhereButtonExpected(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)
	h.say(patient, "my friend is coming later")
	// The question comes again, with its buttons.
	h.expectButtons(patient.ID, "Yes", qSitter)
	// Typed yes works too, and settles the buttons it answered.
	h.say(patient, "yes")
	h.expectButtons(patient.ID, "Yes", qDriving)
	waitUntil(t, "the answered question's buttons are settled (the edit follows the reply)", func() bool {
		for _, m := range h.tg.Messages(patient.ID) {
			if strings.Contains(m.Text, qSitter) && len(m.Buttons) > 0 {
				return false
			}
		}
		return true
	})
}

func TestPostSessionRedFlag(t *testing.T) {
	h := newPatientHarness(t)
	h.say(patient, "/after")
	h.answers("mood", "About the same", "nausea", "None", "dizziness", "Mild", "headache", "None", "detached", "A little", "chest pain", "Yes")
	h.expect(patient.ID, "911")
	h.expect(clinician.ID, "URGENT", "P-0042")
}

// TestClinicianTypingIsAnswered: a clinician's plain message or an unknown
// command is answered with the clinician commands, not the stranger text.
func TestClinicianTypingIsAnswered(t *testing.T) {
	h := newHarness(t)
	h.exchange(clinician, "hello?", "Clinician commands")
	h.exchange(clinician, "/checkin", "Clinician commands")
}

// TestClinicianReviewsHistory: a clinician reads a patient's completed
// check-ins with every answer, the journal included; only in a private
// chat, and every view is audited.
func TestClinicianReviewsHistory(t *testing.T) {
	const group = -100700
	h := newPatientHarness(t)
	h.say(patient, "/after")
	h.answers("mood", "A bit better", "nausea", "None", "dizziness", "Mild", "headache", "None", "detached", "Moderately", "chest pain", "No", "hurting yourself", "No", "sitter still", "Yes")
	h.expect(patient.ID, "write a few lines")
	h.exchange(patient, "Saw my grandmother's garden again.", "Thank you for checking in")

	h.say(clinician, "/history P-0042")
	m := h.expect(clinician.ID, "Check-ins of P-0042")
	for _, want := range []string{"check-in after your session: completed", "Mood compared with before the session: A bit better",
		"Dizziness: Mild", "Saw my grandmother's garden again."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("history lacks %q:\n%s", want, m.Text)
		}
	}
	if viewed := h.auditCount("history.viewed", map[string]string{"by": "500", "patient": "P-0042"}); viewed != 1 {
		t.Errorf("%d audit entries for the view, want 1", viewed)
	}

	h.exchange(clinician, "/history P-9999", "No patient is enrolled as P-9999")
	h.exchange(clinician, "/history P-0042 500", "Usage: /history")
	h.tg.SendGroupText(clinician, group, "/history P-0042")
	h.expect(group, "only in a private chat")
}

// TestUnenrol: a clinician disconnects a patient (with an explicit confirm);
// the patient is told, is a stranger from then on, and the records stay:
// /history, /trend and /export still find them by the label.
func TestUnenrol(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)

	h.exchange(clinician, "/unenroll P-0042", "Usage: /unenroll")
	h.exchange(clinician, "/unenroll P-0042 confirm", "P-0042 is unenrolled")
	h.expect(patient.ID, "ended this check-in service")

	h.answer(qSitter, "Yes") // an old button
	h.expect(patient.ID, "invite link from your clinic")
	h.exchange(patient, "/checkin", "invite link from your clinic")
	h.exchange(clinician, "/unenroll P-0042 confirm", "No patient is enrolled as P-0042")
	h.exchange(clinician, "/history P-0042", "Check-ins of P-0042", "first questions: completed") // the intake, on record
	h.exchange(clinician, "/trend P-0042", "P-0042")

	// A new invite links the patient again.
	h.enroll(patient, "P-0042")
}

// TestRedisOutageLosesNothing: while Redis does not answer, a patient's
// self-harm answer is retried, not dropped, and the patient hears it is
// delayed; the bot stopping meanwhile leaves it unconfirmed, and the next
// start commits it, sends the crisis resources and pages the clinicians.
func TestRedisOutageLosesNothing(t *testing.T) {
	h := newPatientHarness(t)
	h.checkinUntil(qSelfHarm)
	h.expectButtons(patient.ID, "Yes", qSelfHarm)
	h.redisOptions = "?read_timeout=200ms&write_timeout=200ms"
	h.stopBot()
	h.startBot()

	// CLIENT PAUSE makes the real server stop answering clients for 6 s:
	// every attempt times out until then.
	if err := h.st.Client().Do(context.Background(), "CLIENT", "PAUSE", 6000, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	h.answer(qSelfHarm, "Yes")
	h.expect(patient.ID, "technical problem")
	h.stopBot() // while the update is still failing
	deadline := time.Now().Add(wait)
	for h.st.Ping(context.Background()) != nil { // until Redis answers again
		if time.Now().After(deadline) {
			t.Fatal("Redis did not come back")
		}
	}
	h.startBot()
	h.expect(patient.ID, "988", "care team")
	h.expect(clinician.ID, "URGENT", "P-0042")
}

// TestTypedCrisisMessage: a patient who types a crisis phrase outside any
// question gets the crisis resources at once, and the clinicians are paged.
func TestTypedCrisisMessage(t *testing.T) {
	h := newPatientHarness(t)
	h.exchange(patient, "I don't think I can go on, I want to end my life", "worries me", "988", "911", "+1 555 010 0199", "care team has been alerted")
	h.expect(clinician.ID, "URGENT", "P-0042", "Flow: Message outside a check-in", "I want to end my life")
}
