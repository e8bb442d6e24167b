package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/redis/go-redis/v9"
)

// Snapshot is what Load read for one update.
type Snapshot struct {
	ChatID  int64
	Session flows.Session
	// Version is the session's version, 0 when the chat has none; pass it
	// back in Commit.Version.
	Version int64
	// Patient is the chat's enrolled label, "" when the chat is not enrolled.
	Patient string
	// Seen reports that this update (or a later one) was already committed
	// for this chat, so it must not be handled again (only its unsent
	// replies sent).
	Seen bool
	// Unsent are the chat's committed replies not yet confirmed sent,
	// oldest first; a Commit on this snapshot numbers its replies after
	// ReplySeq.
	Unsent   []PendingReply
	ReplySeq int64
	// RelayedUpTo is how far the chat's relay entries were applied to the
	// global keys (relay.go); pass it back in Commit.RelayedUpTo.
	RelayedUpTo int64
	// Marked reports that Load marked the chat for the sweeper (an
	// enrolled chat); pass it back in Commit.Marked.
	Marked bool
}

// Commit is everything one handled update changes, written atomically.
type Commit struct {
	ChatID int64
	// UpdateID is the Telegram update id handled, 0 for none (a timed job).
	UpdateID int
	// By is the chat the update came from when it is not ChatID: a
	// clinician's command that changes a patient's session. The update is
	// then de-duplicated in By's mark, never in ChatID's: update ids of
	// different chats interleave, so a clinician's id in a patient's mark
	// would make the patient's earlier, unhandled updates look seen.
	By int64
	// Invite, when set, is created in the same commit (a clinician's
	// /enroll), so a retried update finds it made rather than making a
	// second one.
	Invite *NewInvite
	// Version is the session version the change was computed from.
	Version     int64
	Session     flows.Session
	Answers     []flows.Answer
	Completion  *flows.Completion
	Escalations []NewEscalation
	Jobs        []flows.Job
	// Audit are audit events of this change (the dose gate's), written to
	// the audit stream in the same script, with the chat and the time.
	Audit []flows.AuditEvent
	// Replies are the messages for the patient, written to the chat's reply
	// outbox in the same commit; they are numbered ReplySeq+1, +2, ….
	Replies []OutboxReply
	// RepliesSentUpTo drops the chat's replies up to this number from the
	// outbox: those its sender confirmed since (the lazy mark); 0 for none.
	RepliesSentUpTo int64
	// RelayedUpTo drops the chat's relay entries up to this number: those
	// applied to the global keys (Snapshot.RelayedUpTo); 0 keeps them.
	RelayedUpTo int64
	// Marked says the chat is marked for the sweeper since the Load this
	// commit was decided on (Snapshot.Marked); without it, a commit that
	// writes replies or anything to relay marks the chat first, in a
	// round trip of its own.
	Marked bool
}

// NewEscalation is an escalation to record and dispatch, with its patient.
type NewEscalation struct {
	flows.Escalation
	Patient string // the enrolled label shown to clinicians
	ChatID  int64  // the patient's chat
}

// NewInvite is a single-use invite for a patient label; Code comes from
// NewInviteCode and is stored only as its hash.
type NewInvite struct {
	Code  string
	Label string
	By    int64 // the clinician who made it
	TTL   time.Duration
	// Replace lets it move a label enrolled in another chat to the chat
	// that opens it (/enroll <label> replace); without it, opening the
	// invite once the label is taken is refused (ErrInviteUsed).
	Replace bool
}

// CommitResult is what Commit wrote.
type CommitResult struct {
	Version int64 // the session's new version
	// EscalationIDs are the ids allocated to Commit.Escalations, in order
	// (by the relay, relay.go): none when the relay is left to a sweeper.
	EscalationIDs []string
}

// Load reads a chat's session, version, patient label and de-duplication
// state in one round trip. The one thing it writes is an enrolled chat's
// mark in the index of chats with unsent replies (relay.go), so that
// whatever a commit on this snapshot writes is found by a sweeper should
// this process die before it sends and relays it.
func (s *Store) Load(ctx context.Context, chatID int64, updateID int) (Snapshot, error) {
	snap, err := s.load(ctx, chatID, updateID)
	if err != nil && isNoScript(err) {
		// Redis lost its script cache (a restart): load it and try once more.
		if err := scriptMark.Load(ctx, s.rdb).Err(); err != nil {
			return Snapshot{}, fmt.Errorf("store.Load: %w", err)
		}
		snap, err = s.load(ctx, chatID, updateID)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("store.Load: %w", err)
	}
	return snap, nil
}

func (s *Store) load(ctx context.Context, chatID int64, updateID int) (Snapshot, error) {
	k := keysFor(chatID)
	chat := strconv.FormatInt(chatID, 10)
	var sess *redis.SliceCmd
	var replies *redis.StringSliceCmd
	var global *redis.Cmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		global = scriptMark.EvalSha(ctx, p, []string{keyUnsent, keyPatients, keyRelayed}, s.markScore(), chat)
		sess = p.HMGet(ctx, k.session, "v", "s", "u", "r")
		replies = p.LRange(ctx, k.replies, 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return Snapshot{}, err
	}
	g, err := global.StringSlice()
	if err != nil {
		return Snapshot{}, err
	}
	if len(g) != 2 {
		return Snapshot{}, errRedisFailed
	}
	snap := Snapshot{ChatID: chatID, Patient: g[0], Marked: g[0] != ""}
	snap.RelayedUpTo, _ = strconv.ParseInt(g[1], 10, 64)
	vals := sess.Val()
	if v, ok := vals[0].(string); ok {
		if snap.Version, err = strconv.ParseInt(v, 10, 64); err != nil {
			return Snapshot{}, fmt.Errorf("bad version %q", v)
		}
	}
	if v, ok := vals[1].(string); ok && v != "" {
		js, err := s.openValue(v, k.session, "the session of a chat")
		if err != nil {
			return Snapshot{}, err
		}
		if err := json.Unmarshal(js, &snap.Session); err != nil {
			return Snapshot{}, fmt.Errorf("decode session: %w", err)
		}
	}
	if u, ok := vals[2].(string); ok && updateID > 0 {
		max, _ := strconv.ParseInt(u, 10, 64)
		snap.Seen = int64(updateID) <= max
	}
	if r, ok := vals[3].(string); ok {
		snap.ReplySeq, _ = strconv.ParseInt(r, 10, 64)
	}
	if snap.Unsent, err = s.decodeReplies(chatID, replies.Val()); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}

// Commit writes one update's outcome in one round trip, all or nothing. It
// returns ErrConflict when the session's version is not c.Version and
// ErrDuplicate when c.UpdateID was already committed; neither writes
// anything.
func (s *Store) Commit(ctx context.Context, c Commit) (CommitResult, error) {
	k := keysFor(c.ChatID)
	sess, err := json.Marshal(c.Session)
	if err != nil {
		return CommitResult{}, fmt.Errorf("store.Commit: encode session: %w", err)
	}
	now := s.now()
	mark := "u"
	if c.By != 0 && c.By != c.ChatID {
		mark = "b:" + strconv.FormatInt(c.By, 10)
	}
	args := make([]any, 0, 12+len(c.Answers)+len(c.Replies))
	args = append(args, c.Version, c.UpdateID, s.sealValue(sess, k.session), mark, now.UnixMilli(), len(c.Answers))
	for _, a := range c.Answers {
		js, err := encodeAnswer(a, now.UnixMilli())
		if err != nil {
			return CommitResult{}, fmt.Errorf("store.Commit: encode answer: %w", err)
		}
		args = append(args, historyEntry(now, s.sealValue(js, k.answers)))
	}
	comp := ""
	if c.Completion != nil {
		js, err := encodeCompletion(*c.Completion, now.UnixMilli())
		if err != nil {
			return CommitResult{}, fmt.Errorf("store.Commit: encode completion: %w", err)
		}
		comp = historyEntry(now, s.sealValue(js, k.checkins))
	}
	payload, err := s.relayOf(c, now)
	if err != nil {
		return CommitResult{}, fmt.Errorf("store.Commit: %w", err)
	}
	args = append(args, comp, c.RelayedUpTo, string(payload))
	if !c.Marked && (len(payload) > 0 || len(c.Replies) > 0 || len(c.Answers) > 0 || c.Completion != nil) {
		// Not marked by its Load (a chat not enrolled then, say a
		// clinician's own): marked now, before anything is committed.
		if err := s.rdb.ZAdd(ctx, keyUnsent, s.markZ(c.ChatID)).Err(); err != nil {
			return CommitResult{}, fmt.Errorf("store.Commit: %w", err)
		}
	}
	replyArgs, err := s.replyArgs(c, now)
	if err != nil {
		return CommitResult{}, fmt.Errorf("store.Commit: %w", err)
	}
	args = append(args, replyArgs...)
	keys := []string{k.session, k.answers, k.checkins, k.replies, k.relay}
	res, err := scriptCommit.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return CommitResult{}, fmt.Errorf("store.Commit: %w", err)
	}
	if len(res) < 2 {
		return CommitResult{}, fmt.Errorf("store.Commit: %w", errRedisFailed)
	}
	switch res[0] {
	case int64(0):
		// Errors are logged: they name no chat.
		return CommitResult{}, fmt.Errorf("store.Commit: version %v, want %d: %w", res[1], c.Version, ErrConflict)
	case int64(-1):
		// Committed before: its relay may not have been (the process
		// committing it died, or the reply was lost and this is a retry).
		if _, err := s.relay(ctx, c.ChatID, parseRelayEntries(res[2:], c.RelayedUpTo)); err != nil {
			s.warn("store.Commit: a duplicate's relay is left to the sweeper", err)
		}
		return CommitResult{}, fmt.Errorf("store.Commit: update %d: %w", c.UpdateID, ErrDuplicate)
	}
	out := CommitResult{}
	out.Version, _ = res[1].(int64)
	// Committed. The relay is the second half: should it fail, the
	// sweeper relays the entries once the chat's mark is past its grace.
	if out.EscalationIDs, err = s.relay(ctx, c.ChatID, parseRelayEntries(res[2:], c.RelayedUpTo)); err != nil {
		s.warn("store.Commit: committed; its relay is left to the sweeper", err)
	}
	return out, nil
}

// relayOf encodes what c changes in the global keys: its relay entry's
// payload (relay.lua), empty when it changes nothing there.
func (s *Store) relayOf(c Commit, now time.Time) (relayPayload, error) {
	var p relayPayload
	for _, e := range c.Escalations {
		at := e.At
		if at.IsZero() {
			at = now
		}
		repage, before, after, err := repageMember(c.ChatID, e.Level, at)
		if err != nil {
			return nil, err
		}
		p.add("E", string(e.Level), e.Patient, e.ChatID, e.Flow, e.Item,
			s.sealText(e.Question, escFieldAD(e.ChatID, "question")),
			s.sealText(e.Answer, escFieldAD(e.ChatID, "answer")),
			s.sealText(e.Reason, escFieldAD(e.ChatID, "reason")),
			fmtTime(at), at.UnixMilli(), repage, before, after, fmtTime(now))
	}
	for _, j := range c.Jobs {
		m, err := jobMember(c.ChatID, j)
		if err != nil {
			return nil, err
		}
		p.add("J", j.Due.UnixMilli(), m)
	}
	appendAudit(&p, c.ChatID, now, c.Audit)
	if err := appendInvite(&p, c.Invite, now); err != nil {
		return nil, err
	}
	return p, nil
}

// RaiseEscalation records escalations of a chat without its session, for
// when the session cannot be loaded or committed (say, it is sealed with a
// key not in DATA_KEYS) and a crisis must still reach the clinicians. The
// patient's label is looked up when patient is "". Calling it again raises
// them again: a duplicate page is better than none.
func (s *Store) RaiseEscalation(ctx context.Context, chatID int64, patient string, escs ...flows.Escalation) (CommitResult, error) {
	// The chat is marked first, as Load does, so that a crash between the
	// commit and its relay leaves the escalation to a sweeper.
	chat := strconv.FormatInt(chatID, 10)
	var label, relayed *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		s.mark(ctx, p, chatID)
		label = p.HGet(ctx, keyPatients, chat)
		relayed = p.HGet(ctx, keyRelayed, chat)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return CommitResult{}, fmt.Errorf("store.RaiseEscalation: %w", err)
	}
	if patient == "" {
		patient = label.Val()
	}
	if patient == "" {
		patient = NotEnrolled
	}
	c := Commit{ChatID: chatID, Version: escalationOnly, Marked: true}
	c.RelayedUpTo, _ = strconv.ParseInt(relayed.Val(), 10, 64)
	for _, e := range escs {
		c.Escalations = append(c.Escalations, NewEscalation{Escalation: e, Patient: patient, ChatID: chatID})
	}
	return s.Commit(ctx, c)
}

// NotEnrolled is the patient label of an escalation raised for a chat
// that is not enrolled (a stranger typing a crisis phrase).
const NotEnrolled = "(not enrolled)"

// escalationOnly is the Commit.Version that records escalations only.
const escalationOnly = -1

// CheckIns returns the chat's last n completed check-ins, oldest first
// (all of them when n <= 0), each with its answers: in one round trip, the
// check-ins list and the answers list that holds their answers.
func (s *Store) CheckIns(ctx context.Context, chatID int64, n int) ([]flows.Completion, error) {
	k := keysFor(chatID)
	var checkins, answers *redis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		checkins = p.LRange(ctx, k.checkins, lastStart(n), -1)
		answers = p.LRange(ctx, k.answers, 0, -1)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store.CheckIns: %w", err)
	}
	out, err := s.decodeCheckIns(chatID, checkins.Val(), answers.Val())
	if err != nil {
		return nil, fmt.Errorf("store.CheckIns: %w", err)
	}
	return out, nil
}

// Answers returns the chat's last n recorded answers, oldest first (all of
// them when n <= 0).
func (s *Store) Answers(ctx context.Context, chatID int64, n int) ([]flows.Answer, error) {
	key := keysFor(chatID).answers
	return readList(ctx, s, "store.Answers", key, lastStart(n),
		func(raw []string) ([]flows.Answer, error) { return s.decodeAnswers(raw, key) })
}

// readList reads a list from start to its end and decodes it; op names the
// caller in errors.
func readList[T any](ctx context.Context, s *Store, op, key string, start int64, decode func(raw []string) ([]T, error)) ([]T, error) {
	raw, err := s.rdb.LRange(ctx, key, start, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// lastStart is the LRANGE start of a list's last n entries (all: n <= 0).
func lastStart(n int) int64 {
	if n > 0 {
		return -int64(n)
	}
	return 0
}

// historyEntry is an element of an answers or check-ins list: the commit
// time in unix ms, "|", then the (sealed or plain) JSON. The time is in
// the clear so that the prune script can tell what is past retention
// without the keys; it says when, never what.
func historyEntry(at time.Time, payload []byte) string {
	return strconv.FormatInt(at.UnixMilli(), 10) + "|" + string(payload)
}

// historyTime splits a history entry into its time (unix ms) and payload;
// ok is false for an entry without a time.
func historyTime(e string) (ms int64, payload string, ok bool) {
	i := strings.IndexByte(e, '|')
	if i <= 0 || i > 19 {
		return 0, e, false
	}
	ms, err := strconv.ParseInt(e[:i], 10, 64)
	if err != nil {
		return 0, e, false
	}
	return ms, e[i+1:], true
}

// appendAudit adds the commit's audit events to its relay entry: per event
// the tag A, its field count and the field/value pairs (event, chat and at
// first).
func appendAudit(p *relayPayload, chatID int64, now time.Time, events []flows.AuditEvent) {
	for _, e := range events {
		names := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			if k != "event" && k != "chat" && k != "at" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		p.add("A", 3+len(names), "event", e.Event, "chat", strconv.FormatInt(chatID, 10), "at", fmtTime(now))
		for _, k := range names {
			p.add(k, e.Fields[k])
		}
	}
}
