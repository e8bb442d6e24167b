package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/checkinbot/checkinbot/flows"
)

// What the weekly digest reads (bot/digest.go): the escalations raised in
// the week, the enrolled patients, and each one's check-ins and the week's
// answers, in a few pipelined round trips and no SCAN; and how it is
// committed: to each clinician chat's reply outbox, once per week.

// answersPage is how many of a chat's newest answers one round trip of
// PatientHistories reads; a chat with more in the week is read on.
const answersPage = 256

// Patients returns every enrolled patient: chat id -> label.
func (s *Store) Patients(ctx context.Context) (map[int64]string, error) {
	h, err := s.rdb.HGetAll(ctx, keyPatients).Result()
	if err != nil {
		return nil, fmt.Errorf("store.Patients: %w", err)
	}
	out := make(map[int64]string, len(h))
	for chat, label := range h {
		if id, err := strconv.ParseInt(chat, 10, 64); err == nil {
			out[id] = label
		}
	}
	return out, nil
}

// WeekEscalations returns the escalations raised in [from, to), oldest
// first, with their free text opened. Ids grow with time, so it reads back
// from the newest, courseBatch at a time, until a batch is all older than
// from (at most CourseScanMax escalations).
func (s *Store) WeekEscalations(ctx context.Context, from, to time.Time) ([]EscalationRecord, error) {
	lowest, seq, err := s.courseScanRange(ctx)
	if err != nil {
		return nil, fmt.Errorf("store.WeekEscalations: %w", err)
	}
	var out []EscalationRecord
	for top := seq; top >= lowest; top -= courseBatch {
		bottom := max(top-courseBatch+1, lowest)
		cmds := make([]*redis.MapStringStringCmd, 0, top-bottom+1)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for id := top; id >= bottom; id-- {
				cmds = append(cmds, p.HGetAll(ctx, escKey(strconv.FormatInt(id, 10))))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store.WeekEscalations: %w", err)
		}
		older := true // every escalation of this batch was raised before from
		for _, c := range cmds {
			if len(c.Val()) == 0 {
				continue // pruned
			}
			r, err := s.escalationRecord(c.Val(), nil)
			if err != nil {
				return nil, fmt.Errorf("store.WeekEscalations: %w", err)
			}
			if !r.At.Before(from) {
				older = false
			}
			if !r.At.Before(from) && r.At.Before(to) {
				out = append(out, r)
			}
		}
		if older {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// PatientHistory is what the digest reads of one patient: every check-in
// (the week's, and the scores before it to compare with; the week's with
// their answers) and the answers recorded since the week began.
type PatientHistory struct {
	CheckIns []flows.Completion
	Answers  []flows.Answer
}

// PatientHistories reads the histories of chats, all chats in one
// pipelined round trip (and one more for each page of answers past the
// newest answersPage of a chat whose week holds more).
func (s *Store) PatientHistories(ctx context.Context, chats []int64, since time.Time) (map[int64]PatientHistory, error) {
	out := make(map[int64]PatientHistory, len(chats))
	checkins := map[int64]*redis.StringSliceCmd{}
	answers := map[int64][]string{} // raw answer entries read so far, oldest first
	todo := chats
	for page := int64(0); len(todo) > 0; page++ {
		cmds := map[int64]*redis.StringSliceCmd{}
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, chat := range todo {
				k := keysFor(chat)
				if page == 0 {
					checkins[chat] = p.LRange(ctx, k.checkins, 0, -1)
				}
				cmds[chat] = p.LRange(ctx, k.answers, -(page+1)*answersPage, -page*answersPage-1)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store.PatientHistories: %w", err)
		}
		var more []int64
		for _, chat := range todo {
			raw := cmds[chat].Val()
			answers[chat] = append(raw, answers[chat]...)
			if len(raw) == answersPage && entryTime(raw[0]) >= since.UnixMilli() {
				more = append(more, chat) // the week goes on further back
			}
		}
		todo = more
	}
	for _, chat := range chats {
		var week []string
		for _, e := range answers[chat] {
			if entryTime(e) >= since.UnixMilli() {
				week = append(week, e)
			}
		}
		// A check-in's answers are in the answers list (history.go): those
		// of the week's check-ins are read; earlier ones are not needed.
		cs, err := s.decodeCheckIns(chat, checkins[chat].Val(), answers[chat])
		if err != nil {
			return nil, fmt.Errorf("store.PatientHistories: %w", err)
		}
		as, err := s.decodeAnswers(week, keysFor(chat).answers)
		if err != nil {
			return nil, fmt.Errorf("store.PatientHistories: %w", err)
		}
		out[chat] = PatientHistory{CheckIns: cs, Answers: as}
	}
	return out, nil
}

// entryTime is a history entry's commit time in unix ms; 0 for an entry
// written before entries had one.
func entryTime(e string) int64 {
	ms, _, _ := historyTime(e)
	return ms
}

// CommitDigest writes the digest of the week ending at week to chatID's
// reply outbox, sealed like every reply, and audits it (digest.sent), in
// one script on the chat's keys and its relay; a chat that already has
// this week's digest gets nothing more, so a rerun of the digest job sends
// no second copy. It returns the replies committed now, numbered (none
// when the chat had them already).
func (s *Store) CommitDigest(ctx context.Context, week time.Time, chatID int64, replies []OutboxReply) ([]PendingReply, error) {
	k := keysFor(chatID)
	chat := strconv.FormatInt(chatID, 10)
	now := s.now()
	// Marked first, like a Load; and the mark a digest written before the
	// week's mark moved into the chat's session is still honoured.
	var relayed, before *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		s.mark(ctx, p, chatID)
		relayed = p.HGet(ctx, keyRelayed, chat)
		before = p.HGet(ctx, digestKey(week), chat)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store.CommitDigest: %w", err)
	}
	if before.Val() != "" {
		return nil, nil
	}
	applied, _ := strconv.ParseInt(relayed.Val(), 10, 64)
	var audit relayPayload
	audit.add("A", 5, "event", "digest.sent", "at", fmtTime(now), "chat", chat,
		"week", fmtTime(week), "messages", len(replies))
	args := []any{week.UnixMilli(), applied, string(audit)}
	for i := range replies {
		replies[i].At = now
		js, err := json.Marshal(replies[i])
		if err != nil {
			return nil, fmt.Errorf("store.CommitDigest: encode reply: %w", err)
		}
		args = append(args, s.sealValue(js, k.replies))
	}
	res, err := scriptDigest.Run(ctx, s.rdb, []string{k.session, k.replies, k.relay}, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("store.CommitDigest: %w", err)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("store.CommitDigest: %w", errRedisFailed)
	}
	if res[0] == int64(0) {
		return nil, nil
	}
	first, _ := res[1].(int64)
	if _, err := s.relay(ctx, chatID, parseRelayEntries(res[2:], applied)); err != nil {
		s.warn("store.CommitDigest: committed; its relay is left to the sweeper", err)
	}
	out := make([]PendingReply, len(replies))
	for i, r := range replies {
		out[i] = PendingReply{Seq: first + int64(i), OutboxReply: r}
	}
	return out, nil
}
