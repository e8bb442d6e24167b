package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/redis/go-redis/v9"
)

// The reply outbox. The replies an update (or a timed job) produces are
// written by the same atomic Commit as its answer, to a per-chat list, and
// sent from there: a crash between commit and send, or a redelivered
// update, still finds them. The sender marks them sent lazily (in the
// chat's next Commit, or in one batched MarkRepliesSent for many chats), so
// the update's own path stays at two round trips; a crash before the mark
// sends them again (twice, never zero times). A chat whose replies stay
// unsent past their grace (their instance died) is taken over by the
// sweeper of any instance (ClaimUnsentReplies).

// OutboxReply is one reply to a patient as committed.
type OutboxReply struct {
	Reply flows.Reply `json:"r"`
	// Priority is the sender's priority for it (opaque to the store).
	Priority int `json:"p,omitempty"`
	// Protect sends it as protected content: Telegram offers no forwarding
	// or saving (the weekly digest).
	Protect bool `json:"x,omitempty"`
	// Owner is the run (process) that committed it, "<instance>/<run>": it
	// and a later run of its instance deliver it at once, other instances
	// only once it is older than the grace or for a redelivered update.
	Owner string `json:"o,omitempty"`
	// At is when it was committed.
	At time.Time `json:"t"`
}

// PendingReply is a committed reply not yet confirmed sent.
type PendingReply struct {
	Seq int64
	OutboxReply
}

// DefaultReplyGrace is how long committed replies may stay unconfirmed
// before a sweeper takes them over.
const DefaultReplyGrace = 20 * time.Second

// UnsentGrace is how long committed replies may stay unconfirmed before a
// sweeper takes them over (ReplyGrace, or DefaultReplyGrace).
func (s *Store) UnsentGrace() time.Duration {
	if s.ReplyGrace > 0 {
		return s.ReplyGrace
	}
	return DefaultReplyGrace
}

// replyArgs is the reply outbox block of the commit script's ARGV; it
// must come last (the script reads it from the end).
func (s *Store) replyArgs(c Commit, now time.Time) ([]any, error) {
	k := keysFor(c.ChatID)
	args := []any{c.RepliesSentUpTo}
	for _, r := range c.Replies {
		if r.At.IsZero() {
			r.At = now
		}
		js, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode reply: %w", err)
		}
		args = append(args, s.sealValue(js, k.replies))
	}
	return append(args, len(c.Replies)), nil
}

// decodeReplies reads the entries of a chat's reply list.
func (s *Store) decodeReplies(chatID int64, raw []string) ([]PendingReply, error) {
	k := keysFor(chatID)
	out := make([]PendingReply, 0, len(raw))
	for _, e := range raw {
		seqText, payload, ok := strings.Cut(e, "|")
		seq, err := strconv.ParseInt(seqText, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad reply entry: %w", errRedisFailed)
		}
		js, err := s.openValue(payload, k.replies, "a reply to a chat")
		if err != nil {
			return nil, err
		}
		p := PendingReply{Seq: seq}
		if err := json.Unmarshal(js, &p.OutboxReply); err != nil {
			return nil, fmt.Errorf("decode reply: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// UnsentReplies returns a chat's committed replies not yet confirmed sent,
// oldest first.
func (s *Store) UnsentReplies(ctx context.Context, chatID int64) ([]PendingReply, error) {
	return readList(ctx, s, "store.UnsentReplies", keysFor(chatID).replies, 0,
		func(raw []string) ([]PendingReply, error) { return s.decodeReplies(chatID, raw) })
}

// MarkRepliesSent records, for each chat, that its replies up to the given
// sequence number were sent; all chats in one round trip.
func (s *Store) MarkRepliesSent(ctx context.Context, sentUpTo map[int64]int64) error {
	if len(sentUpTo) == 0 {
		return nil
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for chat, seq := range sentUpTo {
			scriptRepliesSent.EvalSha(ctx, p, []string{keysFor(chat).replies}, seq)
		}
		return nil
	})
	if err != nil && isNoScript(err) {
		// Redis lost its script cache (a restart): load it and try once more.
		if err := scriptRepliesSent.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("store.MarkRepliesSent: %w", err)
		}
		return s.MarkRepliesSent(ctx, sentUpTo)
	}
	if err != nil {
		return fmt.Errorf("store.MarkRepliesSent: %w", err)
	}
	for _, c := range cmds {
		if c.Err() != nil {
			return fmt.Errorf("store.MarkRepliesSent: %w", c.Err())
		}
	}
	return nil
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// ClaimUnsentReplies returns up to n chats whose replies stayed unsent past
// their grace, and gives the caller a new grace to send them in (so that
// two sweepers do not both take a chat). On the way it relays what the
// claimed chats' relay lists hold beyond what was applied (relay.go: their
// committing process died or could not relay), and takes the chats with
// nothing left to send or relay out of the index.
func (s *Store) ClaimUnsentReplies(ctx context.Context, n int) ([]int64, error) {
	var out []int64
	// A claim may find only chats with nothing left (marked by a Load and
	// done since): claim on, a few batches at most, so that the index does
	// not grow with the chats marked faster than one batch a sweep.
	for round := 0; round < claimRounds && len(out) < n; round++ {
		now := s.now()
		score := s.claimScore(now)
		want := n - len(out)
		ids, err := scriptRepliesClaim.Run(ctx, s.rdb, []string{keyUnsent}, now.UnixMilli(), score, want).StringSlice()
		if err != nil {
			return out, fmt.Errorf("store.ClaimUnsentReplies: %w", err)
		}
		chats, err := s.sweepChats(ctx, parseChats(ids), score)
		out = append(out, chats...)
		if err != nil {
			return out, fmt.Errorf("store.ClaimUnsentReplies: %w", err)
		}
		if len(ids) < want {
			break
		}
	}
	return out, nil
}

// claimRounds bounds the claims of one ClaimUnsentReplies.
const claimRounds = 8

// ChatsWithUnsentReplies lists every chat with replies not confirmed sent,
// and relays what any chat in the index of chats with unsent replies has
// left to relay (a start: an earlier run of this instance may have died
// between a commit and its relay).
func (s *Store) ChatsWithUnsentReplies(ctx context.Context) ([]int64, error) {
	ids, err := s.rdb.ZRange(ctx, keyUnsent, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store.ChatsWithUnsentReplies: %w", err)
	}
	chats := parseChats(ids)
	var out []int64
	for i := 0; i < len(chats); i += sweepPage {
		some, err := s.sweepChats(ctx, chats[i:min(i+sweepPage, len(chats))], "")
		out = append(out, some...)
		if err != nil {
			return out, fmt.Errorf("store.ChatsWithUnsentReplies: %w", err)
		}
	}
	return out, nil
}

// sweepPage is how many chats one sweepChats reads.
const sweepPage = 500

func parseChats(ids []string) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if chat, err := strconv.ParseInt(id, 10, 64); err == nil {
			out = append(out, chat)
		}
	}
	return out
}
