package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
)

// The session timeline end to end: the bot and its store run on a fake
// clock, the worker looks for due jobs every few milliseconds, and a test
// moves the clock to make hours pass at once. Nothing sleeps: a test waits
// for the bot's messages in the emulator, or for the schedule to settle.

func TestTimelinePingRetryNoResponse(t *testing.T) {
	clock := newFakeClock(testStart)
	timelinePingRetryNoResponse(t, clock, newPatientHarness(t, withClock(clock)))
}

// timelinePingRetryNoResponse runs on a harness with the usual cast and
// withClock(clock).
func timelinePingRetryNoResponse(t *testing.T, clock *fakeClock, h *harness) {
	h.takeDose()

	clock.Advance(59 * time.Minute)
	h.settle(clock, patient.ID)
	h.none(patient.ID, "How are you doing")
	clock.Advance(time.Minute)
	h.expectButtons(patient.ID, "I'm OK", "How are you doing")

	clock.Advance(30 * time.Minute)
	h.expectButtons(patient.ID, "I need help", "checking in again")
	clock.Advance(15 * time.Minute)
	h.expect(patient.ID, "let your care team know")
	h.expect(clinician.ID, "HIGH", "P-0042", "No response after dose")

	// HIGH is re-paged 30 minutes later; acknowledged, the ladder stops.
	clock.Advance(30 * time.Minute)
	h.expect(clinician.ID, "Re-page 1", "HIGH", "No response after dose")
	h.press(clinician, clinician.ID, "Acknowledge", "Re-page 1")
	h.expect(patient.ID, "care team has seen")
	clock.Advance(30 * time.Minute)
	h.settle(clock, patient.ID)
	h.none(clinician.ID, "Re-page 2")

	// A late "I'm OK" is thanked, and the patient hears the team may still call.
	h.press(patient, patient.ID, "I'm OK", "checking in again")
	h.expect(patient.ID, "may still get in touch")
}

func TestTimelineAnsweredPingIsNotRepeated(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newPatientHarness(t, withClock(clock))
	h.takeDose()
	clock.Advance(time.Hour)
	h.pressNew(patient, "I'm OK", "How are you doing")
	h.expect(patient.ID, "Thanks for letting me know")

	// The post-session check-in starts by itself at +2 h; jobs run in due
	// order, so had the retry or the no-response job done anything, it
	// would show before it.
	clock.Advance(time.Hour)
	h.expect(patient.ID, "winding down")
	h.none(patient.ID, "checking in again")
	h.none(clinician.ID, "No response")
	h.answerPostSession()

	// The next-day follow-up comes at 10:00 (UTC: no time zone set).
	fu := h.job(patient.ID, flows.JobFollowUp)
	if want := time.Date(2025, 6, 8, 10, 0, 0, 0, time.UTC); !fu.Due.Equal(want) {
		t.Fatalf("follow-up due %v, want %v", fu.Due, want)
	}
	clock.Set(fu.Due)
	h.expect(patient.ID, "Good morning")
}

func TestTimelinePostSessionAlreadyDone(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.enroll(patient, "P-0042")
	h.takeDose()
	clock.Advance(70 * time.Minute)
	h.pressNew(patient, "I'm OK", "How are you doing")
	h.say(patient, "/after") // the session ended early
	h.answerPostSession()
	clock.Advance(time.Hour)
	h.settle(clock, patient.ID)
	if n := h.count(patient.ID, "winding down"); n != 1 {
		t.Fatalf("post-session check-in started %d times, want once", n)
	}
}

func TestTimelineINeedHelpIsUrgentAndRepagedUntilAcknowledged(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newPatientHarness(t, withClock(clock), withOncall(oncall.ID))
	h.openChat(oncall)
	h.takeDose()
	clock.Advance(time.Hour)
	h.pressNew(patient, "I need help", "How are you doing")
	h.expect(patient.ID, "988", "911", "+1 555 010 0199", "care team has been alerted")
	first := h.expect(clinician.ID, "URGENT", "P-0042", "I need help")

	// Re-paged every 5 minutes, to the on-call list as well.
	clock.Advance(5 * time.Minute)
	h.expect(clinician.ID, "Re-page 1", "URGENT", "P-0042")
	h.expect(oncall.ID, "Re-page 1", "URGENT", "P-0042")
	clock.Advance(5 * time.Minute)
	h.expect(clinician.ID, "Re-page 2")
	h.press(oncall, oncall.ID, "Acknowledge", "Re-page 2")

	// Every copy shows who acknowledged, and offers only [Resolve] now.
	h.tg.ExpectMessage(t, clinician.ID, wait, func(m telegramtest.Message) bool {
		return m.ID == first.ID && strings.Contains(m.Text, "Acknowledged by Lee") &&
			buttonData(m, "Acknowledge") == "" && buttonData(m, "Resolve") != ""
	})
	h.expect(patient.ID, "care team has seen")
	clock.Advance(5 * time.Minute)
	h.settle(clock, patient.ID)
	h.none(clinician.ID, "Re-page 3")
	h.none(oncall.ID, "Re-page 3")
	if rec := h.escalation(first); rec.Repages != 2 || rec.AckedBy != oncall.ID {
		t.Fatalf("escalation %+v", rec)
	}
}

func TestTimelineDoseDayLocalTimeAcrossDST(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	local := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2025, month, day, hour, minute, 0, 0, chicago)
	}
	clock := newFakeClock(local(3, 5, 12, 0)) // Wed 5 Mar, CST
	h := newPatientHarness(t, withClock(clock))

	h.exchange(clinician, "/schedule P-0042 sat 10:00 America/Chicago", "Dose day for P-0042: Saturdays at 10:00", "Sat 8 Mar 10:00 CST")
	h.expect(patient.ID, "Saturdays at 10:00 (America/Chicago time)")

	// The reminder comes at 10:00 on Saturday, not before.
	clock.Set(local(3, 8, 9, 59))
	h.settle(clock, patient.ID)
	h.none(patient.ID, "Today is your dose day")
	clock.Set(local(3, 8, 10, 0))
	h.expect(patient.ID, "Today is your dose day")

	// No check-in that Saturday: at midnight the clinician hears of it.
	clock.Set(local(3, 9, 0, 0))
	h.expect(clinician.ID, "ROUTINE", "P-0042", "No pre-dose check-in", "Sat 8 Mar")

	// Clocks went forward at 2:00 on Sunday 9 March; the weekly
	// instruments come at 10:00 local all the same, PHQ-9 then GAD-7.
	phq := h.job(patient.ID, flows.JobInstrument, flows.FlowPHQ9)
	if want := local(3, 9, 10, 0); !phq.Due.Equal(want) || phq.Due.UTC().Hour() != 15 {
		t.Fatalf("PHQ-9 due %v, want %v", phq.Due.In(chicago), want)
	}
	clock.Set(phq.Due)
	h.expect(patient.ID, "weekly mood questionnaire")
	for _, q := range phq9Items {
		h.answer(q, "Not at all")
	}
	h.answer("how difficult", "Not difficult at all")
	h.expect(patient.ID, "Thank you for filling this in")
	clock.Advance(time.Minute)
	h.expect(patient.ID, "weekly anxiety questionnaire")
	for _, q := range gad7Items {
		h.answer(q, "Not at all")
	}
	h.expect(patient.ID, "Thank you for filling this in")
	if next := h.job(patient.ID, flows.JobInstrument, flows.FlowPHQ9); !next.Due.Equal(local(3, 16, 10, 0)) {
		t.Fatalf("next PHQ-9 due %v", next.Due.In(chicago))
	}

	// The next reminder is at 10:00 CDT, 15:00 UTC where last week's was at 16:00.
	rem := h.job(patient.ID, flows.JobReminder)
	if want := time.Date(2025, 3, 15, 15, 0, 0, 0, time.UTC); !rem.Due.Equal(want) {
		t.Fatalf("second reminder due %v, want %v", rem.Due.UTC(), want)
	}
	clock.Set(rem.Due)
	h.expect(patient.ID, "Today is your dose day")
	h.takeDose()
	// The next-day follow-up is at 10:00 local too.
	if fu := h.job(patient.ID, flows.JobFollowUp); !fu.Due.Equal(local(3, 16, 10, 0)) {
		t.Fatalf("follow-up due %v", fu.Due.In(chicago))
	}
	// Checked in: no missed-day escalation at midnight.
	clock.Set(local(3, 16, 0, 0))
	h.settle(clock, patient.ID)
	if n := h.count(clinician.ID, "No pre-dose check-in"); n != 1 {
		t.Fatalf("%d missed-day escalations, want 1 (for 8 March only)", n)
	}
}

func TestTimelineFallBack(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	clock := newFakeClock(time.Date(2025, 11, 1, 10, 0, 0, 0, chicago)) // Sat 1 Nov, CDT
	h := newPatientHarness(t, withClock(clock))
	h.exchange(clinician, "/schedule P-0042 saturday 9:30 America/Chicago", "Saturdays at 09:30", "Sat 8 Nov 09:30 CST")
	h.takeDose()
	// Clocks go back at 2:00 on Sunday 2 November: 10:00 CST is 16:00 UTC.
	fu := h.job(patient.ID, flows.JobFollowUp)
	if want := time.Date(2025, 11, 2, 16, 0, 0, 0, time.UTC); !fu.Due.Equal(want) {
		t.Fatalf("follow-up due %v, want %v", fu.Due.UTC(), want)
	}
	clock.Set(fu.Due.Add(-time.Minute))
	h.pressNew(patient, "I'm OK", "How are you doing")
	h.answerPostSession()
	h.settle(clock, patient.ID)
	h.none(patient.ID, "Good morning")
	clock.Set(fu.Due)
	h.expect(patient.ID, "Good morning")
}

func TestScheduleCommandValidation(t *testing.T) {
	h := newPatientHarness(t)
	for _, c := range []struct{ args, want string }{
		{"", "patient's label"},
		{"Jane Doe sat 10:00 America/Chicago", "give a day, a time and a time zone"},
		{"P-0042 10:00 sat America/Chicago", `"10:00" is not a day`},
		{"P-0042 sat", "give a day, a time and a time zone"},
		{"P-0042 someday 10:00 America/Chicago", `"someday" is not a day`},
		{"P-0042 sat 25:00 America/Chicago", "24-hour time"},
		{"P-0042 sat 10am America/Chicago", "24-hour time"},
		{"P-0042 sat 10:00 Mars/Olympus", "not a time zone"},
		{"P-0042 sat 10:00 Local", "not a time zone"},
	} {
		h.exchange(clinician, strings.TrimSpace("/schedule "+c.args), c.want, "Usage: /schedule")
	}
	h.exchange(clinician, "/schedule P-0404 sat 10:00 UTC", "No patient is enrolled as P-0404")
	h.exchange(clinician, "/schedule P-0042 SUN 18:30 Europe/London", "Sundays at 18:30 (Europe/London)")
	h.expect(patient.ID, "Sundays at 18:30")
	h.exchange(clinician, "/schedule P-0042 off", "removed")
	h.expect(patient.ID, "won't send dose-day reminders")
}

// TestClinicTimeZone: a patient without a zone of their own gets the
// next-day follow-up at 10:00 in the clinic's zone, not the server's.
func TestClinicTimeZone(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock(time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)) // 14:00 in Chicago
	h := newHarness(t, withClock(clock), withTimeZone("America/Chicago"))
	h.enroll(patient, "P-0042")
	h.takeDose()
	due := h.job(patient.ID, flows.JobFollowUp).Due.In(chicago)
	if want := time.Date(2026, 11, 27, 10, 0, 0, 0, chicago); !due.Equal(want) {
		t.Fatalf("follow-up due %v, want %v (10:00 in the clinic's zone)", due, want)
	}
}
