package bot_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
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
		h.exchange(patient, "/help", "/checkin – Riverside pre-dose check", "/evening – evening check")
	})

	t.Run("blood pressure high three times holds and escalates", func(t *testing.T) {
		h.t = t
		h.say(patient, "/checkin")
		h.answer("companion", "Yes, I do")
		h.expect(patient.ID, "blood pressure and pulse")
		h.say(patient, "138/80 70") // above this item's own 135 limit
		h.expect(patient.ID, "Rest 5 minutes")
		h.exchange(patient, "137/80 70", "Rest 5 minutes")
		h.exchange(patient, "136/80 70", "stayed high")
		h.expect(clinician.ID, "HIGH", "R-7")
		h.say(clinician, "/clear R-7 rechecked at the clinic") // HIGH closes the gate for review
		h.expect(clinician.ID, "R-7: cleared (review)")
	})

	t.Run("branch through new medication to clearance", func(t *testing.T) {
		h.t = t
		h.say(patient, "/checkin")
		h.answer("companion", "Yes, I do")
		h.expect(patient.ID, "blood pressure and pulse")
		h.exchange(patient, "120/80 70", "hours did you sleep")
		h.say(patient, "twenty")
		h.expect(patient.ID, "0 to 24") // a number out of words: re-asked with the range
		h.exchange(patient, "7", "How much pain")
		h.exchange(patient, "8", "let the nurse know")
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
		h.exchange(patient, "/evening", "How do you feel tonight")
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
	h.checkinUntil(qDriving)
	h.expectButtons(patient.ID, "Yes", qDriving)

	// The clinic deploys version 2, which lowers the systolic limit to 130.
	src := strings.Replace(string(flows.DefaultYAML()), `version: "default-2"`, `version: "default-3"`, 1)
	src = strings.Replace(src, "systolic_max: 160", "systolic_max: 130", 1)
	v2 := parseProtocol(t, "v2.yaml", src)
	h.stopBot()
	h.opts = append(h.opts, withProtocol(v2))
	h.startBot()

	h.answer(qDriving, "Yes")
	h.expect(patient.ID, qVitals)
	h.say(patient, "150/85 70") // fine under version 1's 160 limit
	h.expectButtons(patient.ID, "Yes", qSubstance)
	h.exchange(patient, "/cancel", "")

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
	changed := parseProtocol(t, "changed.yaml", src)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, _ := h.instance(ctx, withProtocol(changed))
	if err := b.Run(ctx); err == nil || !strings.Contains(err.Error(), "new version") {
		t.Fatalf("Run on a changed file under a deployed version: %v", err)
	}
}

// clinicUK loads the Harbour Clinic's protocol: /ready and /debrief, flows
// named prep, debrief and morning, UK crisis lines, offsets of seconds.
func clinicUK(t testing.TB) *flows.Protocol {
	return testProtocol(t, "clinic_uk.yaml", "+44 20 7946 0000")
}

// foreignWords are what the default protocol says and the Harbour Clinic's
// does not: its commands and its US crisis numbers.
var foreignWords = regexp.MustCompile(`/checkin|/after\b|/followup|/phq9|/gad7|\b988\b|\b911\b`)

// TestClinicProtocolSpeaksItsOwnWords walks a clinic protocol with other
// commands, other crisis numbers, renamed flows and short offsets: no
// message names a command it lacks or a resource it does not list, and the
// post-session and morning check-ins start by themselves.
func TestClinicProtocolSpeaksItsOwnWords(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.proto = func() *flows.Protocol { return clinicUK(t) }
	h.stopBot()
	h.startBot()
	h.openChat(clinician)

	h.exchange(stranger, "hi, who are you?", "invite link", "Samaritans: call 116 123", "Call 999")

	h.enroll(patient, "H-1")
	h.exchange(patient, "hello there", "/ready – pre-dose check", "/debrief – debrief after your session")
	h.exchange(patient, "/checkin", "don't know that command", "/ready")
	h.exchange(patient, "/help", "/ready", "/language", "116 123", "999")

	h.say(patient, "/ready")
	h.answer("sitter with you", "Yes")
	h.answer("harming yourself", "No")
	h.press(patient, patient.ID, "I've taken my dose", "clear to take")
	h.expect(patient.ID, "noted the time", "in about 90 seconds", "after 5 minutes")

	clock.Advance(90 * time.Second)
	h.pressNew(patient, "I'm OK", "How are you doing")
	h.expect(patient.ID, "Thanks for letting me know")

	clock.Advance(4 * time.Minute) // +5m30s: the debrief starts by itself
	h.expect(patient.ID, "Debrief time")
	h.pressNew(patient, "Good", "How was the session")

	fu := h.job(patient.ID, flows.JobFollowUp)
	if want := time.Date(2025, 6, 8, 9, 0, 0, 0, time.UTC); !fu.Due.Equal(want) {
		t.Fatalf("morning check due %v, want %v", fu.Due, want)
	}
	clock.Set(fu.Due)
	h.expect(patient.ID, "Good morning! The morning check")
	h.pressNew(patient, "Yes", "sleep well")
	h.expect(patient.ID, "that's everything")

	for _, chat := range []int64{patient.ID, stranger.ID} {
		for _, m := range h.tg.Messages(chat) {
			if foreignWords.MatchString(m.Text) {
				t.Errorf("chat %d got a word the clinic's protocol does not have: %q", chat, m.Text)
			}
		}
	}
}

// lupe writes Telegram in Mexican Spanish.
var lupe = telegramtest.User{ID: 1002, FirstName: "Lupe", LanguageCode: "es-MX"}

// TestSpanishSpeakingPatient: from Telegram's language_code at enrolment,
// confirmed with a tap, a patient does the pre-dose check (typing sí and
// claro), the post-session check-in, a PHQ-9 in its published Spanish
// version, and types a crisis in Spanish; the clinicians read English and
// the patient's answers as given.
func TestSpanishSpeakingPatient(t *testing.T) {
	clock := newFakeClock(testStart)
	h := newHarness(t, withClock(clock))
	h.openChat(clinician)
	es := flows.Default().In("es")

	code := h.invite("P-ES")
	h.exchange(lupe, "/start "+code, "¡Bienvenido!", "/checkin – revisión de seguridad antes de su dosis", "oprima 2")
	h.press(lupe, lupe.ID, "Español", "¿En qué idioma")
	h.expect(lupe.ID, "le escribiré en español")
	for _, it := range es.Flow("intake").Items {
		h.press(lupe, lupe.ID, "No", it.Text)
	}
	esc := h.expectButtons(clinician.ID, "Acknowledge", "ROUTINE", "patient P-ES", "no positives")
	id, _ := strings.CutPrefix(buttonData(esc, "Acknowledge"), "k:")
	h.exchange(clinician, "/resolve "+id+" clear intake reviewed", "P-ES: cleared (intake)")
	h.expect(lupe.ID, "Un miembro de su equipo de atención vio su mensaje")
	h.expect(lupe.ID, "visto bueno")

	// The pre-dose check, typed and tapped.
	h.exchange(lupe, "/checkin", "Pregunta 1 de 8\n¿Está con usted ahora un adulto sobrio")
	h.exchange(lupe, "sí", "Pregunta 2 de 8\n¿Evitará manejar")
	h.exchange(lupe, "claro 🙂", "Pregunta 3 de 8\nSiéntese tranquilo")
	h.say(lupe, "128/82 72")
	for _, q := range []struct{ text, label string }{
		{"alcohol, cannabis", "No"}, {"comido algo", "No"}, {"ha cambiado algo en su salud", "No"},
		{"mejor muerto", "No"}, {"lugar seguro y cómodo", "Sí"},
	} {
		h.press(lupe, lupe.ID, q.label, q.text)
	}
	h.press(lupe, lupe.ID, "Ya tomé mi dosis", "puede tomar la dosis de hoy")
	h.expect(lupe.ID, "he anotado la hora", "dentro de una hora", "cuando pasen 2 horas")

	clock.Advance(time.Hour)
	h.pressNew(lupe, "Estoy bien", "¿Cómo está?")
	h.expect(lupe.ID, "Gracias por avisarme")

	// The post-session check-in starts by itself, in Spanish.
	clock.Advance(time.Hour)
	h.expect(lupe.ID, "Su sesión ya debería estar terminando")
	h.pressEach(lupe,
		"su ánimo ahora", "Más o menos igual", "náuseas", "Nada", "mareos", "Nada",
		"dolor de cabeza?", "Nada", "fuera del cuerpo", "Nada", "dolor en el pecho", "No",
		"quitarse la vida", "No", "sigue con usted", "Sí", "unas líneas", "Omitir")
	h.expect(lupe.ID, "Gracias por contestar")

	// A PHQ-9 in its published Spanish version.
	h.say(lupe, "/phq9")
	for _, it := range es.Flow("phq9").Items[:9] {
		h.pressNew(lupe, "Ningún día", it.Text)
	}
	h.pressNew(lupe, "No ha sido difícil", "llevarse bien con otras personas")
	h.expect(lupe.ID, "Gracias por contestarlo")
	h.exchange(lupe, "/status", "Ahora no está en ningún cuestionario")

	// A crisis typed in Spanish: help in Spanish at once, 988's Spanish
	// option first; the clinicians read English and the words as typed.
	h.exchange(lupe, "ya no quiero vivir, quiero morir", "Lo que escribió me preocupa", "oprima 2", "Llame al 911")
	h.expectButtons(clinician.ID, "Acknowledge", "URGENT", "patient P-ES", "quiero morir")

	// /language changes it back.
	h.say(lupe, "/language")
	h.press(lupe, lupe.ID, "English", "¿En qué idioma")
	h.expect(lupe.ID, "I'll write to you in English")
	h.exchange(lupe, "/help", "Here is what I can do", "/checkin – safety check before your dose")

	for _, m := range h.tg.Messages(clinician.ID) {
		if strings.Contains(m.Text, "P-ES") && strings.Contains(m.Text, "Pregunta") {
			t.Errorf("a clinician got the patient's language: %q", m.Text)
		}
	}
}
