package flows

import (
	"time"
	"unicode/utf8"
)

// The crisis screen: whatever a patient types, in any question or none, is
// checked for phrases of self-harm or a medical emergency. A match brings
// the crisis resources at once and raises an URGENT escalation with the
// message, for a person to read. It errs on the side of caution: "I'm not
// suicidal" matches too, and costs a clinician a glance; a missed "I want to
// die" typed into a journal could cost far more. What a match does (ends
// the run, closes the dose gate, the reply is the alert alone) is here.

// FlowMessage names, in an escalation, a message typed outside any question.
const FlowMessage = "message"

// maxQuoted bounds how much of a message an escalation quotes.
const maxQuoted = 300

// screenQuestion is the Question of a crisis-screen escalation.
const screenQuestion = "Typed message"

// screen turns out into the crisis response when typed text matches the
// crisis screen: an URGENT escalation quoting the message (unless the step
// already escalated URGENT), the run ended at once (held, for a check), the
// gate closed, and the crisis alert as the only reply: no question, re-ask
// or closing after it. An answer the step accepted stays recorded. When bot
// already sent the alert (in.CrisisAlerted), there is no reply at all.
func (p *Protocol) screen(out *Outcome, before Session, in Input, now time.Time) {
	text := in.Text
	match, ok := p.Crisis.Screen(text)
	if !ok {
		return
	}
	urgent := false
	for _, e := range out.Escalations {
		urgent = urgent || e.Level == Urgent
	}
	if !urgent {
		flow, item := before.Flow, before.State
		if flow == "" {
			flow, item = FlowMessage, ""
		}
		quoted := text
		if utf8.RuneCountInString(quoted) > maxQuoted {
			quoted = string([]rune(quoted)[:maxQuoted]) + "…"
		}
		out.Escalations = append(out.Escalations, Escalation{
			Level: Urgent, Flow: flow, Item: item,
			Question: screenQuestion, Answer: quoted,
			Reason: crisisReason(match),
			At:     now,
		})
	}
	p.crisisEnd(&out.Session, match.Group, "typed message: crisis ("+string(match.Group)+")", now, out)
	out.Replies = nil
	if !in.CrisisAlerted {
		out.Replies = []Reply{p.CrisisAlert(match)}
	}
}
