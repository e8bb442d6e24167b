package bot

import (
	"context"
	"sync/atomic"

	"github.com/checkinbot/checkinbot/flows"
)

// updateState is what the attempts at one update share (handleWithRetry
// makes one per update; HandleUpdate one per call otherwise).
type updateState struct {
	crisis       *flows.CrisisMatch // the crisis screen matched the update's text
	chatID       int64
	text         string
	alerted      atomic.Bool // its crisis alert was sent
	raised       atomic.Bool // its escalation was raised without the session
	storageWait  atomic.Bool // it is waiting for Redis (to load or commit)
	committed    atomic.Bool // its outcome is committed (escalations included)
	noticeIssued atomic.Bool // the patient was told it is delayed
}

type updateStateKey struct{}

// stateOf is the update's shared state; a throwaway one outside an update.
func stateOf(ctx context.Context) *updateState {
	if st, ok := ctx.Value(updateStateKey{}).(*updateState); ok {
		return st
	}
	return &updateState{}
}
