package bot

import (
	"context"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// decision computes one engine step from the protocol the session runs on,
// the session as loaded and the time.
type decision func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error)

// startFlow is the decision of a command that starts a flow: a new run
// always starts on the clinic's current protocol.
func (b *Bot) startFlow(flowID string) decision {
	return func(_ *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		return b.patientProtocol(s).Start(s, flowID, now)
	}
}

// commitOf turns an engine outcome into the store's atomic commit.
// An update's own change commits with updateID; any other change made while
// handling an update (a clinician's /clear, /schedule or resolution note,
// the intake a patient's invite starts) carries that update's id and chat,
// so a retry of the update finds it committed (store.Commit.By) and a
// retried /enroll makes no second invite. A timed job has neither.
func (b *Bot) commitOf(ctx context.Context, snap store.Snapshot, updateID int, out flows.Outcome) store.Commit {
	c := store.Commit{
		ChatID:     snap.ChatID,
		UpdateID:   updateID,
		Version:    snap.Version,
		Session:    out.Session,
		Answers:    out.Answers,
		Completion: out.Completion,
		Jobs:       out.Jobs,
		Audit:      out.Audit,
		Replies:    b.outboxReplies(out),
		// The lazy mark: replies sent since the last commit leave the
		// outbox in this one, at no extra round trip.
		RepliesSentUpTo: b.ledger.unmarked(snap.ChatID),
	}
	if u := stateOf(ctx).update; updateID == 0 && u.id > 0 && u.chatID != 0 {
		c.UpdateID, c.By = u.id, u.chatID
	}
	for _, e := range out.Escalations {
		e.Reason = strings.ReplaceAll(e.Reason, "<label>", snap.Patient) // the /clear command to use
		c.Escalations = append(c.Escalations, store.NewEscalation{Escalation: e, Patient: snap.Patient, ChatID: snap.ChatID})
	}
	return c
}
