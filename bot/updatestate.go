package bot

import (
	"context"
	"sync/atomic"

	"github.com/checkinbot/checkinbot/flows"
)

// updateState is what the attempts at one update share (handleWithRetry
// makes one per update; HandleUpdate one per call otherwise).
type updateState struct {
	// update is the update itself: its chat and id. A commit made for it on
	// another chat (a clinician's command changing a patient) records it
	// in its own chat's de-duplication mark (commitOf).
	update       updateRef
	crisis       *flows.CrisisMatch // the crisis screen matched the update's text
	chatID       int64
	text         string
	alerted      atomic.Bool // its crisis alert was sent
	raised       atomic.Bool // its escalation was raised without the session
	storageWait  atomic.Bool // it is waiting for Redis (to load or commit)
	committed    atomic.Bool // its outcome is committed (escalations included)
	noticeIssued atomic.Bool // the patient was told it is delayed
}

// updateRef names an update: the chat it came from and its id.
type updateRef struct {
	chatID int64
	id     int
}

type updateStateKey struct{}

// stateOf is the update's shared state; a throwaway one outside an update.
func stateOf(ctx context.Context) *updateState {
	if st, ok := ctx.Value(updateStateKey{}).(*updateState); ok {
		return st
	}
	return &updateState{}
}
