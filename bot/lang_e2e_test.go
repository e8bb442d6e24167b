package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
)

// lupe writes Telegram in Mexican Spanish.
var lupe = telegramtest.User{ID: 1002, FirstName: "Lupe", LanguageCode: "es-MX"}

// TestSpanishSpeakingPatient: from Telegram's language_code at enrolment,
// confirmed with a tap, a patient does the pre-dose check (typing sí and
// claro), the post-session check-in, a PHQ-9 in its published Spanish
// version, and types a crisis in Spanish; the clinicians read English and
// the patient's answers as given.
func TestSpanishSpeakingPatient(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 6, 7, 15, 0, 0, 0, time.UTC))
	h := newHarness(t, withClock(clock))
	h.openChat(clinician)
	es := flows.Default().In("es")

	code := h.invite("P-ES")
	h.say(lupe, "/start "+code)
	h.expect(lupe.ID, "¡Bienvenido!", "/checkin – revisión de seguridad antes de su dosis", "oprima 2")
	h.press(lupe, lupe.ID, "Español", "¿En qué idioma")
	h.expect(lupe.ID, "le escribiré en español")
	for _, it := range es.Flow("intake").Items {
		h.press(lupe, lupe.ID, "No", it.Text)
	}
	esc := h.expectButtons(clinician.ID, "Acknowledge", "ROUTINE", "patient P-ES", "no positives")
	id, _ := strings.CutPrefix(buttonData(esc, "Acknowledge"), "k:")
	h.say(clinician, "/resolve "+id+" clear intake reviewed")
	h.expect(clinician.ID, "P-ES: cleared (intake)")
	h.expect(lupe.ID, "Un miembro de su equipo de atención vio su mensaje")
	h.expect(lupe.ID, "visto bueno")

	// The pre-dose check, typed and tapped.
	h.say(lupe, "/checkin")
	h.expect(lupe.ID, "Pregunta 1 de 8\n¿Está con usted ahora un adulto sobrio")
	h.say(lupe, "sí")
	h.expect(lupe.ID, "Pregunta 2 de 8\n¿Evitará manejar")
	h.say(lupe, "claro 🙂")
	h.expect(lupe.ID, "Pregunta 3 de 8\nSiéntese tranquilo")
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
	for _, a := range []struct{ q, label string }{
		{"su ánimo ahora", "Más o menos igual"}, {"náuseas", "Nada"}, {"mareos", "Nada"}, {"dolor de cabeza?", "Nada"},
		{"fuera del cuerpo", "Nada"}, {"dolor en el pecho", "No"}, {"quitarse la vida", "No"}, {"sigue con usted", "Sí"},
		{"unas líneas", "Omitir"},
	} {
		h.pressNew(lupe, a.label, a.q)
	}
	h.expect(lupe.ID, "Gracias por contestar")

	// A PHQ-9 in its published Spanish version.
	h.say(lupe, "/phq9")
	for _, it := range es.Flow("phq9").Items[:9] {
		h.pressNew(lupe, "Ningún día", it.Text)
	}
	h.pressNew(lupe, "No ha sido difícil", "llevarse bien con otras personas")
	h.expect(lupe.ID, "Gracias por contestarlo")
	h.say(lupe, "/status")
	h.expect(lupe.ID, "Ahora no está en ningún cuestionario")

	// A crisis typed in Spanish: help in Spanish at once, 988's Spanish
	// option first; the clinicians read English and the words as typed.
	h.say(lupe, "ya no quiero vivir, quiero morir")
	h.expect(lupe.ID, "Lo que escribió me preocupa", "oprima 2", "Llame al 911")
	h.expectButtons(clinician.ID, "Acknowledge", "URGENT", "patient P-ES", "quiero morir")

	// /language changes it back.
	h.say(lupe, "/language")
	h.press(lupe, lupe.ID, "English", "¿En qué idioma")
	h.expect(lupe.ID, "I'll write to you in English")
	h.say(lupe, "/help")
	h.expect(lupe.ID, "Here is what I can do", "/checkin – safety check before your dose")

	for _, m := range h.tg.Messages(clinician.ID) {
		if strings.Contains(m.Text, "P-ES") && strings.Contains(m.Text, "Pregunta") {
			t.Errorf("a clinician got the patient's language: %q", m.Text)
		}
	}
}
