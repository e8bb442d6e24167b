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
// die" typed into a journal could cost far more.

// FlowMessage names, in an escalation, a message typed outside any question.
const FlowMessage = "message"

// maxQuoted bounds how much of a message an escalation quotes.
const maxQuoted = 300

// screen adds the crisis response to out when typed text matches a crisis
// phrase and the step did not already escalate URGENT (with the resources).
func (p *Protocol) screen(out *Outcome, before Session, in Input, now time.Time) {
	text := in.Text
	match, ok := p.Crisis.Screen(text)
	if !ok {
		return
	}
	for _, e := range out.Escalations {
		if e.Level == Urgent {
			return
		}
	}
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
		Question: "Typed message", Answer: quoted,
		Reason: crisisReason(match),
		At:     now,
	})
	if in.CrisisAlerted {
		return // bot already sent the alert, before any Redis call
	}
	out.Replies = append([]Reply{p.CrisisAlert(match)}, out.Replies...)
}
