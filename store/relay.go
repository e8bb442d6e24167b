package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The relay. Every script and every MULTI touches one Redis Cluster slot:
// a chat's keys ({c:<chat>}) or the global ones ({g}), never both. So a
// commit writes only its chat's keys; what it changes in the global keys
// (escalations to raise, jobs, audit events, an invite, the history index)
// it writes as one entry of the chat's relay list, numbered by a per-chat
// sequence (session field q). The relay script (relay.lua) applies a
// chat's entries to the global keys, each once: it keeps per chat the
// highest sequence applied (keyRelayed). The committing process relays
// right after the commit, from the entries the commit returned, so an
// escalation reaches the dispatch stream one round trip later; a commit
// with no global effect (most of them) needs no relay and no round trip.
//
// A crash between the commit and its relay loses nothing: store.Load
// marks the chat in the index of chats with unsent replies (keyUnsent),
// before anything is committed, with a score after which a sweeper may
// take the chat over; the sweeper (ClaimUnsentReplies) relays what the
// chat's relay list holds beyond what was applied, sends its unsent
// replies, and unmarks a chat with nothing left. A mark without work is
// harmless: the sweeper unmarks it. The next commit of the chat drops the
// entries applied (Commit.RelayedUpTo, which store.Load read).
//
// Single Redis and Redis Cluster run this same code.

// relayPayload is a relay entry being written: netstrings
// ("<length>:<bytes>"), binary safe; relay.lua documents the operations.
type relayPayload []byte

func (p *relayPayload) add(fields ...any) {
	for _, f := range fields {
		var s string
		switch v := f.(type) {
		case string:
			s = v
		case int:
			s = strconv.Itoa(v)
		case int64:
			s = strconv.FormatInt(v, 10)
		default:
			s = fmt.Sprint(v)
		}
		*p = strconv.AppendInt(*p, int64(len(s)), 10)
		*p = append(*p, ':')
		*p = append(*p, s...)
	}
}

// relayFields reads a relay entry's payload back into its fields.
func relayFields(payload string) []string {
	var out []string
	for payload != "" {
		n, rest, ok := strings.Cut(payload, ":")
		size, err := strconv.Atoi(n)
		if !ok || err != nil || size < 0 || size > len(rest) {
			return out
		}
		out = append(out, rest[:size])
		payload = rest[size:]
	}
	return out
}

// relayEntry is one entry of a chat's relay list.
type relayEntry struct {
	seq     int64
	payload string
}

// parseRelayEntries reads "<seq>|<payload>" entries as the scripts return
// them, keeping those after applied.
func parseRelayEntries(raw []any, applied int64) []relayEntry {
	out := make([]relayEntry, 0, len(raw))
	for _, r := range raw {
		s, _ := r.(string)
		seqText, payload, ok := strings.Cut(s, "|")
		seq, err := strconv.ParseInt(seqText, 10, 64)
		if ok && err == nil && seq > applied {
			out = append(out, relayEntry{seq: seq, payload: payload})
		}
	}
	return out
}

// relayKeys are relay.lua's keys.
var relayKeys = []string{keyRelayed, keyOutbox, keyEscSeq, keySchedule, keyEscOpen, keyEscUnres, keyAudit, keyHistory}

func relayArgs(chatID int64, entries []relayEntry) []any {
	args := make([]any, 0, 2+2*len(entries))
	args = append(args, chatID, keyEscPrefix)
	for _, e := range entries {
		args = append(args, e.seq, e.payload)
	}
	return args
}

// relay applies a chat's relay entries to the global keys and returns the
// escalation ids it allocated.
func (s *Store) relay(ctx context.Context, chatID int64, entries []relayEntry) ([]string, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	res, err := scriptRelay.Run(ctx, s.rdb, relayKeys, relayArgs(chatID, entries)...).Slice()
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	ids := make([]string, 0, len(res))
	for _, id := range res[1:] {
		ids = append(ids, fmt.Sprint(id))
	}
	return ids, nil
}

// mark adds to p the mark of a chat in the index of chats with unsent
// replies (and relay entries): a sweeper may take it over after the grace.
// (Load marks an enrolled chat only: mark.lua.)
func (s *Store) mark(ctx context.Context, p redis.Pipeliner, chatID int64) {
	p.ZAdd(ctx, keyUnsent, s.markZ(chatID))
}

func (s *Store) markZ(chatID int64) redis.Z {
	return redis.Z{Score: float64(s.markScore()), Member: strconv.FormatInt(chatID, 10)}
}

// markScore is a mark's score: the grace from now, in whole milliseconds
// (a sweep's claim is half a millisecond off).
func (s *Store) markScore() int64 { return s.now().Add(s.UnsentGrace()).UnixMilli() }

// sweepChats relays what the chats' relay lists hold beyond what was
// applied, and returns those of them that have unsent replies; unmark,
// when not "", is the score the chats were claimed with, and the chats
// with nothing left are taken out of the index if it is still theirs.
// Three round trips for all the chats at most: read, relay and unmark.
func (s *Store) sweepChats(ctx context.Context, chats []int64, unmark string) ([]int64, error) {
	if len(chats) == 0 {
		return nil, nil
	}
	replies := make([]*redis.IntCmd, len(chats))
	relays := make([]*redis.StringSliceCmd, len(chats))
	applied := make([]*redis.StringCmd, len(chats))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, chat := range chats {
			k := keysFor(chat)
			replies[i] = p.LLen(ctx, k.replies)
			relays[i] = p.LRange(ctx, k.relay, 0, -1)
			applied[i] = p.HGet(ctx, keyRelayed, strconv.FormatInt(chat, 10))
		}
		return nil
	}); err != nil && err != redis.Nil {
		return nil, err
	}
	var withReplies []int64
	idle := []any{unmark}
	work := map[int64][]relayEntry{}
	trim := map[int64]int64{} // chats whose relay lists hold entries applied: up to which
	for i, chat := range chats {
		if err := replies[i].Err(); err != nil {
			return nil, err
		}
		if err := relays[i].Err(); err != nil {
			return nil, err
		}
		done, _ := strconv.ParseInt(applied[i].Val(), 10, 64)
		raw := make([]any, len(relays[i].Val()))
		for j, e := range relays[i].Val() {
			raw[j] = e
		}
		if entries := parseRelayEntries(raw, done); len(entries) > 0 {
			work[chat] = entries
		}
		if len(raw) > len(work[chat]) {
			trim[chat] = done
		}
		if replies[i].Val() > 0 {
			withReplies = append(withReplies, chat)
		} else {
			idle = append(idle, chat)
		}
	}
	if len(work) == 0 && len(trim) == 0 && (unmark == "" || len(idle) == 1) {
		return withReplies, nil
	}
	// One pipeline: each chat's relay, then the unmark, in that order (on
	// the global slot); and the applied entries dropped from the chats'
	// relay lists (a chat's next commit would, but an idle chat's list
	// would keep its last entry).
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for chat, entries := range work {
			scriptRelay.EvalSha(ctx, p, relayKeys, relayArgs(chat, entries)...)
		}
		if unmark != "" && len(idle) > 1 {
			scriptUnmark.EvalSha(ctx, p, []string{keyUnsent}, idle...)
		}
		for chat, upTo := range trim {
			scriptRepliesSent.EvalSha(ctx, p, []string{keysFor(chat).relay}, upTo)
		}
		return nil
	})
	if err != nil && isNoScript(err) {
		// Redis lost its script cache (a restart): load them, and the next
		// sweep does it.
		for _, sc := range []*redis.Script{scriptRelay, scriptUnmark, scriptRepliesSent} {
			if err := sc.Load(ctx, s.rdb).Err(); err != nil {
				return withReplies, err
			}
		}
		return withReplies, err
	}
	if err != nil {
		return withReplies, err
	}
	for _, c := range cmds {
		if c.Err() != nil {
			return withReplies, c.Err()
		}
	}
	return withReplies, nil
}

// claimScore is the score a sweep claims chats with: the grace from now,
// plus half a millisecond (see mark).
func (s *Store) claimScore(now time.Time) string {
	return strconv.FormatInt(now.Add(s.UnsentGrace()).UnixMilli(), 10) + ".5"
}
