package bot_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// callsTo counts the successful Telegram calls by method that concern
// chatID (answerCallbackQuery names no chat: all of them count).
func callsTo(tg *telegramtest.Server, chatID int64) map[string]int {
	out := map[string]int{}
	for _, c := range tg.Calls("") {
		if c.Status == 200 && (c.Method == "answerCallbackQuery" || c.Params["chat_id"] == strconv.FormatInt(chatID, 10)) {
			out[c.Method]++
		}
	}
	return out
}

// TestButtonAnswerTwoCalls: a press costs two Telegram calls, the callback's
// answer and one edit of the pressed message that shows the answer and the
// next question with its buttons; no new message.
func TestButtonAnswerTwoCalls(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	q := h.expectButtons(patient.ID, "Yes", qSitter)
	before := callsTo(h.tg, patient.ID)
	h.answer(qSitter, "Yes")
	m := h.expectButtons(patient.ID, "Yes", qDriving)
	if m.ID != q.ID || !containsAll(m.Text, qSitter, "✓ Yes", qDriving) {
		t.Errorf("the next question is not shown in the pressed message under its answer: #%d %q (pressed #%d)", m.ID, m.Text, q.ID)
	}
	// The chat's next update is handled once the press's are all made.
	h.say(patient, "/status")
	status := h.expect(patient.ID, "check")
	// The emulator shows a message a moment before it logs its call.
	redistest.WaitFor(t, 5*time.Second, "the /status answer's call in the log", func() bool {
		return slices.ContainsFunc(h.tg.Calls("sendMessage"), func(c telegramtest.Call) bool {
			return c.Status == 200 && c.Params["text"] == status.Text
		})
	})
	// The press is answered beside its reply, not before it.
	redistest.WaitFor(t, 5*time.Second, "the press's answer", func() bool {
		return callsTo(h.tg, patient.ID)["answerCallbackQuery"] > before["answerCallbackQuery"]
	})
	after := callsTo(h.tg, patient.ID)
	after["sendMessage"]-- // /status's answer
	for method, want := range map[string]int{"answerCallbackQuery": 1, "editMessageText": 1, "sendMessage": 0, "editMessageReplyMarkup": 0} {
		if got := after[method] - before[method]; got != want {
			t.Errorf("%s: %d calls for one press, want %d", method, got, want)
		}
	}
}

// TestCrisisAnswerIsANewMessage: a press whose answer is a crisis (an
// URGENT escalation) is answered by a new message, which notifies the
// patient as an edit would not; the pressed question is settled apart.
func TestCrisisAnswerIsANewMessage(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
	q := h.expectButtons(patient.ID, "Yes", qSelfHarm)
	h.answer(qSelfHarm, "Yes")
	crisis := h.expect(patient.ID, "988")
	if crisis.ID <= q.ID || crisis.EditCount != 0 {
		t.Errorf("the crisis reply is not a new message: #%d (edited %d×), the pressed question #%d", crisis.ID, crisis.EditCount, q.ID)
	}
	h.expect(clinician.ID, "URGENT", "P-0042")
	waitUntil(t, "the pressed question is settled", func() bool {
		for _, m := range h.tg.Messages(patient.ID) {
			if m.ID == q.ID {
				return len(m.Buttons) == 0 && containsAll(m.Text, "✓ Yes")
			}
		}
		return false
	})
}

// TestCallbackAnswerHoldsNoReplyBack: a press's reply waited for the
// callback's answer, so three 429s on answerCallbackQuery (a second each)
// held the next question back 3 s in a fault run. Now the answer goes
// beside the reply: the next question comes while the answer still waits
// out its retry_after.
func TestCallbackAnswerHoldsNoReplyBack(t *testing.T) {
	h := newHarness(t)
	h.enroll(patient, "P-0042")
	h.say(patient, "/checkin")
	h.expectButtons(patient.ID, "Yes", qSitter)
	answers := func() int {
		n := 0
		for _, c := range h.tg.Calls("answerCallbackQuery") {
			if c.Status == 200 {
				n++
			}
		}
		return n
	}
	before := answers()
	h.tg.FailNext("answerCallbackQuery", 1, telegramtest.Failure{Code: 429, RetryAfter: 3})
	h.answer(qSitter, "Yes")
	h.expectButtons(patient.ID, "Yes", qDriving)
	if answers() > before {
		t.Errorf("the next question came only after the press's answer had waited out its retry_after")
	}
	redistest.WaitFor(t, 10*time.Second, "the press's answer after its retry_after", func() bool { return answers() > before })
}
