package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/flows"
)

// TestAltProtocolEndToEnd runs a quite different clinic protocol through the
// emulator: other questions, wording, thresholds and re-measures, number and
// scale answers, a branch, and a flow started by the clinic's own command.
func TestAltProtocolEndToEnd(t *testing.T) {
	alt := testProtocol(t, "alt.yaml", "+1 555 0142")
	h := newHarness(t, withProtocol(alt))
	h.enroll(patient, "R-7")
	h.openChat(clinician)

	t.Run("help lists the clinic's commands", func(t *testing.T) {
		h.t = t
		h.say(patient, "/help")
		h.expect(patient.ID, "/checkin – Riverside pre-dose check", "/evening – evening check")
	})

	t.Run("blood pressure high three times holds and escalates", func(t *testing.T) {
		h.t = t
		h.say(patient, "/checkin")
		h.answer("companion", "Yes, I do")
		h.expect(patient.ID, "blood pressure and pulse")
		h.say(patient, "138/80 70") // above this item's own 135 limit
		h.expect(patient.ID, "Rest 5 minutes")
		h.say(patient, "137/80 70")
		h.expect(patient.ID, "Rest 5 minutes")
		h.say(patient, "136/80 70")
		h.expect(patient.ID, "stayed high")
		h.expect(clinician.ID, "HIGH", "R-7")
		h.say(clinician, "/clear R-7 rechecked at the clinic") // HIGH closes the gate for review
		h.expect(clinician.ID, "R-7: cleared (review)")
	})

	t.Run("branch through new medication to clearance", func(t *testing.T) {
		h.t = t
		h.say(patient, "/checkin")
		h.answer("companion", "Yes, I do")
		h.expect(patient.ID, "blood pressure and pulse")
		h.say(patient, "120/80 70")
		h.expect(patient.ID, "hours did you sleep")
		h.say(patient, "twenty")
		h.expect(patient.ID, "0 to 24") // a number out of words: re-asked with the range
		h.say(patient, "7")
		h.expect(patient.ID, "How much pain")
		h.say(patient, "8")
		h.expect(patient.ID, "let the nurse know")
		h.expect(clinician.ID, "ROUTINE", "R-7", "Pain")
		h.answer("new medication", "Yes, I do")
		h.expect(patient.ID, "Which medication")
		h.say(patient, "ibuprofen since Monday")
		h.expect(clinician.ID, "ROUTINE", "New medication")
		h.answer("Ready to go", "Ready")
		h.expectButtons(patient.ID, "I've taken my dose")
	})

	t.Run("the clinic's own flow and its crisis line", func(t *testing.T) {
		h.t = t
		h.say(patient, "/evening")
		h.expect(patient.ID, "How do you feel tonight")
		h.say(patient, "5")
		h.answer("hurting yourself", "Yes, I do")
		h.expect(patient.ID, "988", "Riverside nurse line: +1 555 0142")
		h.expect(clinician.ID, "URGENT", "R-7")
	})
}

// TestRunFinishesOnItsProtocolVersion deploys a new protocol version in the
// middle of a check-in: the run finishes on the version it started on, and
// the next run uses the new one.
func TestRunFinishesOnItsProtocolVersion(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.answer(qSitter, "Yes")
	h.expectButtons(patient.ID, "Yes", qDriving)

	// The clinic deploys version 2, which lowers the systolic limit to 130.
	src := strings.Replace(string(flows.DefaultYAML()), `version: "default-2"`, `version: "default-3"`, 1)
	src = strings.Replace(src, "systolic_max: 160", "systolic_max: 130", 1)
	v2, err := flows.Parse("v2.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	h.stopBot()
	h.opts = append(h.opts, withProtocol(v2))
	h.startBot()

	h.answer(qDriving, "Yes")
	h.expect(patient.ID, qVitals)
	h.say(patient, "150/85 70") // fine under version 1's 160 limit
	h.expectButtons(patient.ID, "Yes", qSubstance)
	h.say(patient, "/cancel")
	h.expect(patient.ID, "")

	h.say(patient, "/checkin") // a new run: version 2
	h.answerPreDoseUntil(qVitals)
	h.expect(patient.ID, qVitals)
	h.say(patient, "150/85 70")
	h.expect(patient.ID, "10 minutes") // above version 2's 130 limit: re-measure

	answers, err := h.st.Answers(context.Background(), patient.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{}
	for _, a := range answers {
		if a.Flow != "intake" {
			versions[a.Run] = a.ProtocolVersion
		}
	}
	var got []string
	for _, v := range versions {
		got = append(got, v)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "default-2,default-3" {
		t.Fatalf("answers were recorded under versions %v, want one run on each", got)
	}
}

// TestReusedProtocolVersionRefused: a changed file under a version already
// deployed would make recorded answers lie about their rules; the bot will
// not start on it.
func TestReusedProtocolVersionRefused(t *testing.T) {
	h := newHarness(t) // records default-2
	src := strings.Replace(string(flows.DefaultYAML()), "systolic_max: 160", "systolic_max: 130", 1)
	changed, err := flows.Parse("changed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, _, _ := newTestBot(ctx, t, h.tg, h.redisURL, bot.Config{Protocol: changed})
	if err := b.Run(ctx); err == nil || !strings.Contains(err.Error(), "new version") {
		t.Fatalf("Run on a changed file under a deployed version: %v", err)
	}
}
