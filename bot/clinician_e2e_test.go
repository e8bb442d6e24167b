package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// The scenarios of issue 12 "Tried as a new user would", on the clinician's
// side: each fails on the bot before the issue and passes after.

// replyTo has u reply to message m of chatID, as answering a force-reply
// prompt does.
func (h *harness) replyTo(u telegramtest.User, chatID int64, m telegramtest.Message, text string) {
	h.t.Helper()
	if _, err := h.tg.SendReply(u, chatID, m.ID, text); err != nil {
		h.t.Fatal(err)
	}
}

// converse has u say each text in their private chat and expects, after
// each, a reply containing what follows it: say, reply, say, reply, ...
func (h *harness) converse(u telegramtest.User, saysAndReplies ...string) {
	h.t.Helper()
	for i := 0; i+1 < len(saysAndReplies); i += 2 {
		h.say(u, saysAndReplies[i])
		h.expect(u.ID, saysAndReplies[i+1])
	}
}

// withTimeZone sets the clinic's time zone (CLINIC_TIMEZONE).
func withTimeZone(name string) option {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return func(c *bot.Config) { c.TimeZone = loc }
}

// escalationState reads escalation id's state from Redis.
func (h *harness) escalationState(id string) string {
	h.t.Helper()
	rec, err := h.st.Escalation(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec.State
}

// urgentSelfHarm has the patient answer the pre-dose self-harm question
// "Yes" and returns the clinicians' copy of the URGENT escalation.
func (h *harness) urgentSelfHarm() telegramtest.Message {
	h.t.Helper()
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
	h.answer(qSelfHarm, "Yes")
	return h.expectButtons(clinician.ID, "Acknowledge", "URGENT", "P-0042")
}

// TestResolveTakesOnlyAReplyToItsPrompt: after [Resolve], "/resolve 9 done"
// (no such escalation) followed by "hello" resolved the URGENT escalation
// with the note "hello". Now the unknown number is answered and arms
// nothing, a message that is not a reply to the prompt is no note, and a
// reply is saved only after the clinician confirms escalation, patient and
// note.
func TestResolveTakesOnlyAReplyToItsPrompt(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.enroll(patient, "P-0042")
	esc := h.urgentSelfHarm()
	id := h.escalation(esc).ID

	h.press(clinician, clinician.ID, "Resolve", "URGENT")
	prompt := h.expect(clinician.ID, "Resolution note for escalation #"+id, "🔴 URGENT · patient P-0042",
		"Thoughts of being better off dead", "Dana, reply to this message")
	h.converse(clinician,
		"/resolve 9 done", "There is no escalation #9; nothing was changed",
		"hello", "Clinician commands") // not a note: the help
	if st := h.escalationState(id); st != store.EscalationOpen {
		t.Fatalf("after /resolve 9 done and hello the escalation is %s", st)
	}

	// A reply to the prompt is shown back with [Confirm] / [Cancel];
	// Cancel saves nothing.
	h.replyTo(clinician, clinician.ID, prompt, "Called her; safe with her sister tonight.")
	h.press(clinician, clinician.ID, "Cancel", "Resolve escalation #"+id+" (🔴 URGENT · patient P-0042)?",
		"Answer: Yes", "Your note: Called her; safe with her sister tonight.")
	h.expect(clinician.ID, "nothing was saved: escalation #"+id+" stays unresolved")
	if st := h.escalationState(id); st != store.EscalationOpen {
		t.Fatalf("after Cancel the escalation is %s", st)
	}
	// The prompt was answered: replying to it again saves nothing either.
	h.replyTo(clinician, clinician.ID, prompt, "hello")
	h.expect(clinician.ID, "request for a note is no longer open for you")

	// /resolve <n> without a note asks again; the prompt is kept in Redis,
	// so a restarted bot takes the reply; Confirm saves it.
	h.say(clinician, "/resolve "+id)
	prompt = h.expect(clinician.ID, "Resolution note for escalation #"+id)
	h.stopBot()
	h.startBot()
	h.replyTo(clinician, clinician.ID, prompt, "Called her; safe with her sister tonight.")
	confirm := h.press(clinician, clinician.ID, "Confirm", "Your note: Called her; safe with her sister tonight.")
	h.expect(clinician.ID, "#"+id+" is resolved", "🔴 URGENT · patient P-0042", "re-paging stopped")
	h.expect(patient.ID, "care team has seen")
	rec := h.escalation(esc)
	if rec.State != store.EscalationResolved || rec.Note != "Called her; safe with her sister tonight." || rec.ResolvedBy != clinician.ID {
		t.Fatalf("resolved record %+v", rec)
	}
	// The confirmation lost its buttons: it cannot be pressed twice.
	h.tg.ExpectMessage(t, clinician.ID, wait, func(m telegramtest.Message) bool {
		return m.ID == confirm.ID && len(m.Buttons) == 0 && strings.Contains(m.Text, "Confirmed")
	})
}

// TestOnlyTheNotesAuthorConfirms: in the clinicians' group another
// clinician can neither answer Dana's prompt nor confirm her note.
func TestOnlyTheNotesAuthorConfirms(t *testing.T) {
	const group = -100500
	lee := telegramtest.User{ID: 501, FirstName: "Lee"}
	h := newHarness(t, withEscalationChat(group), func(c *bot.Config) { c.Clinicians = []int64{clinician.ID, lee.ID} })
	h.tg.SendGroupText(clinician, group, "hello team")
	h.enroll(patient, "P-0042")
	esc := h.urgentSelfHarmIn(group)
	h.press(clinician, group, "Resolve", "URGENT")
	prompt := h.expect(group, "Resolution note for escalation")
	h.replyTo(lee, group, prompt, "Lee's guess.") // Dana was asked, not Lee
	h.expect(group, "no longer open for you")
	h.replyTo(clinician, group, prompt, "Spoke with her.")
	confirm := h.expectButtons(group, "Confirm", "Your note: Spoke with her.")
	upd, err := h.tg.PressButton(lee, group, confirm.ID, buttonData(confirm, "Confirm"))
	if err != nil {
		t.Fatal(err)
	}
	if a := h.callbackAnswer(upd); !strings.Contains(a.Text, "Only the clinician who wrote this note") {
		t.Fatalf("answer to another clinician's Confirm: %+v", a)
	}
	if st := h.escalationState(h.escalation(esc).ID); st != store.EscalationOpen {
		t.Fatalf("another clinician's Confirm left it %s", st)
	}
	h.press(clinician, group, "Confirm", "Your note: Spoke with her.")
	h.expect(group, "is resolved")
}

// urgentSelfHarmIn is urgentSelfHarm with escalations going to chatID.
func (h *harness) urgentSelfHarmIn(chatID int64) telegramtest.Message {
	h.t.Helper()
	h.say(patient, "/checkin")
	h.answerPreDoseUntil(qSelfHarm)
	h.answer(qSelfHarm, "Yes")
	return h.expectButtons(chatID, "Acknowledge", "URGENT", "P-0042")
}

// TestReopen: a resolved escalation can be reopened; it is listed by /open
// again, its copies offer [Resolve] again, and the audit records who.
func TestReopen(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	h.enroll(patient, "P-0042")
	esc := h.urgentSelfHarm()
	if !containsAll(esc.Text, "Flow: Pre-dose safety check", "Dose: no dose recorded", "Dose gate: CLOSED (crisis") {
		t.Fatalf("escalation without its context: %q", esc.Text)
	}
	id := h.escalation(esc).ID
	h.converse(clinician,
		"/reopen "+id, "#"+id+" (🔴 URGENT · patient P-0042) is not resolved; nothing was changed",
		"/resolve "+id+" called, safe", "#"+id+" is resolved",
		"/reopen "+id, "#"+id+" (🔴 URGENT · patient P-0042) is reopened")
	h.tg.ExpectMessage(t, clinician.ID, wait, func(m telegramtest.Message) bool {
		return m.ID == esc.ID && strings.Contains(m.Text, "Reopened by Dana") &&
			buttonData(m, "Resolve") != "" && buttonData(m, "Acknowledge") == ""
	})
	h.say(clinician, "/open")
	h.expect(clinician.ID, "not yet resolved (1)", "#"+id, "reopened by Dana")
	if n := h.auditCount("escalation.reopened", map[string]string{"esc": id, "by": "500"}); n != 1 {
		t.Fatalf("%d reopened audit entries", n)
	}
	h.converse(clinician,
		"/reopen 99", "There is no escalation #99",
		"/reopen", "Usage: /reopen <number>",
		"/resolve "+id+" called again, safe", "#"+id+" is resolved",
		"/open", "No escalations are waiting")
}

// TestEnrollLabelInUse: /enroll of a label in use issued a new invite
// without a warning, and when a second account opened it the first was
// dropped silently. Now it is refused unless "replace" is given, the old
// chat is told it was disconnected, and the clinicians hear (ROUTINE) when
// a patient opens an invite.
func TestEnrollLabelInUse(t *testing.T) {
	second := telegramtest.User{ID: 1002, FirstName: "Pat (new phone)"}
	h := newHarness(t)
	h.openChat(clinician)
	h.enroll(patient, "P-0042")
	h.tg.ExpectMessage(t, clinician.ID, wait, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "🔵 P-0042 opened their invite") && len(m.Buttons) == 0
	})

	h.say(clinician, "/enroll P-0042")
	refused := h.expect(clinician.ID, "P-0042 is already enrolled", "/enroll P-0042 replace")
	if strings.Contains(refused.Text, "?start=") {
		t.Fatalf("an invite was made: %q", refused.Text)
	}
	h.say(clinician, "/enroll P-0042 now")
	h.expect(clinician.ID, "Usage: /enroll <label>")

	h.say(clinician, "/enroll P-0042 replace")
	m := h.expect(clinician.ID, "Invite for P-0042", "It replaces the account connected to P-0042")
	_, after, _ := strings.Cut(m.Text, "?start=")
	h.say(second, "/start "+strings.Fields(after)[0])
	h.expect(second.ID, "Welcome")
	h.expect(patient.ID, "moved your check-ins to another Telegram account", "988")
	h.expect(clinician.ID, "🔵 P-0042 opened their invite", "was disconnected")
	if chat, err := h.st.Patient(context.Background(), "P-0042"); err != nil || chat != second.ID {
		t.Fatalf("P-0042 is chat %d (%v)", chat, err)
	}
	h.say(clinician, "/open") // the notices are no escalations: nothing to acknowledge
	h.expect(clinician.ID, "No escalations are waiting")
}

// TestCommandMenusPerRole: the command menu showed the patient commands
// only, to clinicians too. Now each clinician's chat and the clinicians'
// group show the clinician commands, the default the patient ones, set at
// start-up; /help answers by role.
func TestCommandMenusPerRole(t *testing.T) {
	const group = -100500
	tg := telegramtest.NewServer()
	tg.SendGroupText(clinician, group, "the bot joins the group")    // the bot knows the group before it starts
	tg.FailNext("setMyCommands", 2, telegramtest.Failure{Code: 502}) // transient: retried
	h := newHarnessOn(t, tg, withEscalationChat(group), withOncall(oncall.ID))
	names := func(cmds []telegramtest.BotCommand) []string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Command)
		}
		return out
	}
	waitUntil(t, "the group's menu", func() bool {
		return len(tg.ScopedCommands(telegramtest.CommandScope{Type: "chat", ChatID: group}, "")) > 0
	})
	patientMenu := names(tg.Commands())
	if !slices.Contains(patientMenu, "checkin") || slices.Contains(patientMenu, "enroll") {
		t.Fatalf("default menu %v", patientMenu)
	}
	clinicianMenu := names(tg.ScopedCommands(telegramtest.CommandScope{Type: "chat", ChatID: group}, ""))
	for _, c := range []string{"open", "ack", "resolve", "reopen", "enroll", "history", "trend", "export", "clear", "help"} {
		if !slices.Contains(clinicianMenu, c) {
			t.Errorf("clinician menu %v lacks /%s", clinicianMenu, c)
		}
	}
	if slices.Contains(clinicianMenu, "checkin") {
		t.Errorf("clinician menu %v offers /checkin", clinicianMenu)
	}
	// Telegram has no menu for a chat that never wrote to the bot; a
	// clinician's first /start sets theirs.
	for _, u := range []telegramtest.User{clinician, oncall} {
		h.say(u, "/start")
		h.expect(u.ID, "Clinician commands")
		waitUntil(t, "the clinician's menu", func() bool {
			return slices.Equal(names(tg.ScopedCommands(telegramtest.CommandScope{Type: "chat", ChatID: u.ID}, "")), clinicianMenu)
		})
	}
	// Every command of the menu is a clinician's: none gets the patient's
	// "unknown command".
	for _, c := range clinicianMenu {
		h.say(clinician, "/"+c)
		m := h.expectMatch(clinician.ID, func(telegramtest.Message) bool { return true })
		if strings.Contains(m.Text, "don't know that command") {
			t.Errorf("/%s: %q", c, m.Text)
		}
	}
	// /help by role: the patient's help to a patient, the clinician's in
	// the group.
	h.enroll(patient, "P-0042")
	h.say(patient, "/help")
	h.expect(patient.ID, "/checkin", "988")
	h.tg.SendGroupText(clinician, group, "/help")
	h.expect(group, "Clinician commands", "/ack <number>")
	h.tg.SendGroupText(stranger, group, "/help")
	h.expect(group, "for the clinic's care team")
}

// TestEscalationContext: escalations and /open showed UTC while the clinic
// is in America/Chicago; an escalation typed a minute after a dose read
// "Flow: a message typed outside any check-in" with no dose context; /open
// omitted the answer; nothing acknowledged by number. Now times are the
// clinic's with the zone shown, the flow has its clinical name, the dose
// and the dose gate are shown, /open shows question, answer and who
// acknowledged, and /ack <n> acknowledges.
func TestEscalationContext(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 6, 7, 14, 12, 0, 0, time.UTC)) // 09:12 in Chicago
	h := newHarness(t, withClock(clock), withTimeZone("America/Chicago"))
	h.openChat(clinician)
	h.enroll(patient, "P-0042")
	h.takeDose()
	clock.Advance(42 * time.Minute)
	h.say(patient, "I want to kill myself")
	esc := h.expectButtons(clinician.ID, "Acknowledge", "URGENT", "P-0042",
		"Flow: Message outside a check-in",
		"Answer: I want to kill myself",
		"Dose: 42 min after the dose taken 09:12 CDT",
		"Dose gate: CLOSED (crisis",
		"Raised: 2025-06-07 09:54 CDT")
	id := h.escalation(esc).ID
	// What the patient said is protected content: no forwarding or saving.
	for _, c := range h.tg.Calls("sendMessage") {
		if c.Params["chat_id"] == fmt.Sprint(clinician.ID) && strings.Contains(c.Params["text"], "URGENT escalation #") && c.Params["protect_content"] != "true" {
			t.Errorf("an escalation was sent without protect_content: %.60q", c.Params["text"])
		}
	}

	h.say(clinician, "/open")
	h.expect(clinician.ID, "#"+id+" 🔴 URGENT · patient P-0042 · raised 2025-06-07 09:54 CDT (under a minute ago)",
		"Message outside a check-in", "Answer: I want to kill myself", "NOT acknowledged")

	// Unacknowledged, it is re-paged, in clinic time too.
	clock.Advance(5 * time.Minute)
	h.settle(clock, patient.ID)
	h.expect(clinician.ID, "Re-page 1", "raised 5 min ago", "Raised: 2025-06-07 09:54 CDT")

	h.say(clinician, "/ack "+id)
	h.expect(clinician.ID, "#"+id+" (🔴 URGENT · patient P-0042) is acknowledged by you", "Re-paging stopped")
	h.expect(patient.ID, "care team has seen")
	h.tg.ExpectMessage(t, clinician.ID, wait, func(m telegramtest.Message) bool {
		return m.ID == esc.ID && strings.Contains(m.Text, "Acknowledged by Dana at 2025-06-07 09:59 CDT") &&
			buttonData(m, "Acknowledge") == ""
	})
	h.converse(clinician,
		"/ack "+id, "was already acknowledged by Dana at 2025-06-07 09:59 CDT",
		"/ack 77", "There is no escalation #77",
		"/ack", "Usage: /ack <number>")
	h.say(clinician, "/open")
	h.expect(clinician.ID, "#"+id, "acknowledged by Dana at 2025-06-07 09:59 CDT", "Question: ")
}

// TestOpenListFitsOneMessage: with question and answer on every line, a
// long /open lists what fits in one Telegram message and counts the rest,
// its footer intact.
func TestOpenListFitsOneMessage(t *testing.T) {
	h := newHarness(t)
	h.openChat(clinician)
	var escs []flows.Escalation
	for i := range 20 {
		escs = append(escs, flows.Escalation{Level: flows.Routine, Flow: flows.FlowMessage, Question: "Typed message",
			Answer: strings.Repeat(fmt.Sprintf("long answer %d ", i), 20), Reason: "a long reason"})
	}
	if _, err := h.st.RaiseEscalation(context.Background(), patient.ID, "P-0042", escs...); err != nil {
		t.Fatal(err)
	}
	h.say(clinician, "/open")
	m := h.expect(clinician.ID, "not yet resolved (20)", "more.", "/ack <number> and /resolve <number> <note>")
	if n := utf8.RuneCountInString(m.Text); n > 4096 {
		t.Fatalf("/open is %d characters", n)
	}
	listed := strings.Count(m.Text, "Question: Typed message")
	if !strings.Contains(m.Text, fmt.Sprintf("… and %d more.", 20-listed)) || listed == 0 {
		t.Fatalf("%d listed: %q", listed, m.Text)
	}
}
