package bot

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// The sending side of the reply outbox (store/replies.go). Replies are
// committed with the answer and sent from the chat's outbox in order; this
// process remembers, per chat, the last reply it sent, and tells Redis off
// the update's path: a marker writes what was sent as soon as it was sent,
// for all chats sent to meanwhile in one round trip (or the chat's next
// commit does, if it comes first). A reply is sent again only when the
// process that
// committed it cannot have sent it: a redelivered update (its handling did
// not finish), replies of another process older than the grace (it died),
// and the sweeper's takeovers. So a patient may see a reply twice after a
// crash, never zero times.

const (
	// markRetry is how soon a failed mark is tried again.
	markRetry = time.Second
	// sweepInterval is how often an instance looks for chats whose replies
	// stayed unsent past their grace.
	sweepInterval = 2 * time.Second
	// sweepBatch bounds the chats one sweep takes over.
	sweepBatch = 50
)

// replyLedger is what this process sent from the chats' outboxes.
type replyLedger struct {
	mu     sync.Mutex
	sent   map[int64]int64 // the last reply sent, per chat
	marked map[int64]int64 // the last reply Redis knows was sent, per chat
	// locks serialise the sending of one chat's replies within the
	// process (an update, a timed job and the sweeper may meet).
	locks chatLocks
	// sentSome wakes the marker: a reply was sent.
	sentSome chan struct{}
}

func newReplyLedger() *replyLedger {
	return &replyLedger{sent: map[int64]int64{}, marked: map[int64]int64{}, sentSome: make(chan struct{}, 1)}
}

func (l *replyLedger) lastSent(chatID int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent[chatID]
}

func (l *replyLedger) recordSent(chatID, seq int64) {
	l.mu.Lock()
	l.sent[chatID] = max(l.sent[chatID], seq)
	l.mu.Unlock()
	select {
	case l.sentSome <- struct{}{}:
	default: // the marker is awake already
	}
}

// unmarked is the seq to mark in the chat's next commit (0: nothing new).
func (l *replyLedger) unmarked(chatID int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sent[chatID]; s > l.marked[chatID] {
		return s
	}
	return 0
}

func (l *replyLedger) recordMarked(chatID, seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.marked[chatID] = max(l.marked[chatID], seq)
}

// allUnmarked returns every chat with replies sent and not marked.
func (l *replyLedger) allUnmarked() map[int64]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int64]int64{}
	for chat, s := range l.sent {
		if s > l.marked[chat] {
			out[chat] = s
		}
	}
	return out
}

// outboxReplies are an outcome's replies as the commit writes them: crisis
// replies (an URGENT escalation in the same step) go first in Telegram's
// queue.
func (b *Bot) outboxReplies(out flows.Outcome) []store.OutboxReply {
	prio := prioReply
	for _, e := range out.Escalations {
		if e.Level == flows.Urgent {
			prio = prioUrgent
		}
	}
	rs := make([]store.OutboxReply, len(out.Replies))
	for i, r := range out.Replies {
		rs[i] = store.OutboxReply{Reply: r, Priority: int(prio), Owner: b.runID}
	}
	return rs
}

// committedReplies numbers the replies a commit on snap wrote.
func committedReplies(snap store.Snapshot, rs []store.OutboxReply, at time.Time) []store.PendingReply {
	out := make([]store.PendingReply, len(rs))
	for i, r := range rs {
		r.At = at
		out[i] = store.PendingReply{Seq: snap.ReplySeq + int64(i) + 1, OutboxReply: r}
	}
	return out
}

// sendReplies sends a chat's outbox replies in order, skipping those this
// process already sent, and those another process committed less than the
// grace ago (it is sending them) unless takeover says that process cannot
// be (a redelivered update, the sweeper). An entry with Seq 0 is not in the
// outbox (say, /resume's prompt) and is just sent. It returns the message id
// of the last reply with buttons sent (0 for none). A reply Telegram refuses
// for good (the patient blocked the bot) is dropped, not retried forever.
func (b *Bot) sendReplies(ctx context.Context, chatID int64, replies []store.PendingReply, takeover bool) (int, error) {
	return b.sendRepliesIn(ctx, chatID, replies, takeover, nil)
}

// sendRepliesIn is sendReplies showing the first reply in place, the
// pressed message, when place is set (prompts.go).
func (b *Bot) sendRepliesIn(ctx context.Context, chatID int64, replies []store.PendingReply, takeover bool, place *inPlace) (int, error) {
	if len(replies) == 0 {
		return 0, nil
	}
	unlock := b.ledger.locks.lock(chatID)
	defer unlock()
	promptID := 0
	grace := b.store.UnsentGrace()
	for _, r := range replies {
		if r.Seq > 0 && r.Seq <= b.ledger.lastSent(chatID) {
			continue
		}
		if r.Seq > 0 && !takeover && !b.orphaned(r.Owner) && b.now().Sub(r.At) < grace {
			continue // another live instance is sending it
		}
		first := place
		place = nil
		msgID, err := b.sendReply(withPriority(ctx, priority(r.Priority)), chatID, r, first)
		switch {
		case kindOf(err) == kindPermanent:
			b.log.Error("a reply was refused by Telegram and is dropped", "chat", b.chatRef(chatID), "error", err.Error())
		case err != nil:
			return promptID, err
		case len(r.Reply.Buttons) > 0:
			promptID = msgID
		}
		if r.Seq > 0 {
			b.ledger.recordSent(chatID, r.Seq)
		}
	}
	return promptID, nil
}

// markLoop marks the replies sent in Redis as soon as they are sent,
// those of every chat sent to meanwhile in one round trip, until ctx is
// done (Run marks the last ones once the updates in hand are finished).
// The sooner the mark, the fewer replies a crash sends twice.
func (b *Bot) markLoop(ctx context.Context) {
	retry := time.NewTicker(markRetry)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.ledger.sentSome:
		case <-retry.C: // marks that failed (Redis down) are tried again
		}
		b.markSent(ctx)
	}
}

// markSent writes every unmarked sent reply in one round trip.
func (b *Bot) markSent(ctx context.Context) {
	todo := b.ledger.allUnmarked()
	if len(todo) == 0 {
		return
	}
	if err := b.store.MarkRepliesSent(ctx, todo); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("could not mark replies sent; they are marked later", "chats", len(todo), "error", err.Error())
		}
		return
	}
	for chat, seq := range todo {
		b.ledger.recordMarked(chat, seq)
	}
}

// orphaned reports whether replies committed by owner are this process's
// to send: its own, or those of an earlier run of this instance (which a
// crash or kill ended before it sent them).
func (b *Bot) orphaned(owner string) bool {
	instance, _, _ := strings.Cut(owner, "/")
	return owner == b.runID || instance == b.consumer
}

// sweepLoop takes over chats whose replies stayed unsent past their grace
// (their instance died, or its sending failed) until ctx is done. At start
// it first sends what an earlier run of this instance left unsent, at once.
func (b *Bot) sweepLoop(ctx context.Context) {
	b.sendOrphans(ctx)
	for ctx.Err() == nil {
		sleep(ctx, sweepInterval)
		b.sweep(ctx)
	}
}

// sendOrphans sends the replies an earlier run of this instance committed
// and did not confirm sent (sendReplies leaves those of other live
// instances to them until their grace ends).
func (b *Bot) sendOrphans(ctx context.Context) {
	b.sweepChats(ctx, b.store.ChatsWithUnsentReplies, false)
}

// sweep takes over the chats whose replies outlived their grace.
func (b *Bot) sweep(ctx context.Context) {
	b.sweepChats(ctx, func(ctx context.Context) ([]int64, error) {
		return b.store.ClaimUnsentReplies(ctx, sweepBatch)
	}, true)
}

// sweepChats sends the unsent replies of the chats list names.
func (b *Bot) sweepChats(ctx context.Context, list func(context.Context) ([]int64, error), takeover bool) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	chats, err := list(cctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("looking for unsent replies failed", "error", err.Error())
		}
		return
	}
	for _, chat := range chats {
		if ctx.Err() != nil {
			return
		}
		b.sweepChat(chat, takeover)
	}
}

// sweepChat sends one chat's unsent replies (all of them with takeover);
// on its own context, so a shutdown does not cut a reply off half sent.
func (b *Bot) sweepChat(chatID int64, takeover bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	replies, err := b.store.UnsentReplies(ctx, chatID)
	if err == nil {
		_, err = b.sendReplies(ctx, chatID, replies, takeover)
	}
	if err != nil {
		b.log.Warn("unsent replies not delivered yet; the sweeper tries again", "chat", b.chatRef(chatID), "error", err.Error())
		return
	}
	if len(replies) > 0 {
		b.log.Info("unsent replies taken over", "chat", b.chatRef(chatID), "replies", len(replies))
	}
	b.markSent(ctx)
}
