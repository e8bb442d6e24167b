package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/redis/go-redis/v9"
)

// Escalation states, as flows defines the lifecycle (flows/escalation.go):
// open (unacknowledged), then acknowledged, then resolved with a
// clinician's note (resolving an open one acknowledges it). The scripts
// ack.lua and resolve.lua make its transitions atomic.
const (
	EscalationOpen     = string(flows.EscalationOpen)
	EscalationAcked    = string(flows.EscalationAcknowledged)
	EscalationResolved = string(flows.EscalationResolved)
	EscalationReopened = string(flows.EscalationReopened)
)

// OutboxEntry is one escalation waiting to be dispatched to clinicians.
type OutboxEntry struct {
	StreamID     string // pass to AckOutbox once Telegram accepted the messages
	EscalationID string
}

// MessageRef names one Telegram message.
type MessageRef struct {
	ChatID    int64
	MessageID int
}

// EscalationRecord is an escalation as stored, with its acknowledgement.
type EscalationRecord struct {
	ID       string
	Level    flows.Level
	Patient  string
	ChatID   int64
	Flow     string
	Item     string
	Question string
	Answer   string
	Reason   string
	At       time.Time
	State    string // EscalationOpen, EscalationAcked or EscalationResolved

	AckedBy     int64
	AckedByName string
	AckedAt     time.Time
	// Repages counts the re-pages sent while it was unacknowledged.
	Repages int

	ResolvedBy     int64
	ResolvedByName string
	ResolvedAt     time.Time
	Note           string // the resolving clinician's note

	// ReopenedByName and ReopenedAt say who reopened it last, and when.
	ReopenedByName string
	ReopenedAt     time.Time
	// Messages are the copies sent to clinicians, so an acknowledgement can
	// edit each of them.
	Messages []MessageRef
}

// AuditEntry is one event of the audit stream.
type AuditEntry struct {
	ID     string // the stream id
	Event  string
	Fields map[string]string // all fields except "event"
}

func (s *Store) ensureGroup(ctx context.Context) error {
	err := s.rdb.XGroupCreateMkStream(ctx, keyOutbox, outboxGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("store: create outbox group: %w", err)
	}
	return nil
}

// ReadOutbox returns up to count entries for consumer: first entries another
// consumer left unacknowledged for longer than OutboxMinIdle, then new
// ones, waiting up to block for them (block <= 0 does not wait). It creates
// the consumer group when missing.
func (s *Store) ReadOutbox(ctx context.Context, consumer string, count int, block time.Duration) ([]OutboxEntry, error) {
	out, err := s.readOutbox(ctx, consumer, count, block)
	if err != nil && strings.HasPrefix(err.Error(), "NOGROUP") {
		if err := s.ensureGroup(ctx); err != nil {
			return nil, err
		}
		out, err = s.readOutbox(ctx, consumer, count, block)
	}
	if err != nil {
		return nil, fmt.Errorf("store.ReadOutbox: %w", err)
	}
	return out, nil
}

func (s *Store) readOutbox(ctx context.Context, consumer string, count int, block time.Duration) ([]OutboxEntry, error) {
	if count <= 0 {
		count = 10
	}
	minIdle := s.OutboxMinIdle
	if minIdle < time.Millisecond {
		minIdle = time.Millisecond
	}
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: keyOutbox, Group: outboxGroup, Consumer: consumer,
		MinIdle: minIdle, Start: "0-0", Count: int64(count),
	}).Result()
	if err != nil {
		return nil, err
	}
	out := outboxEntries(msgs)
	if len(out) >= count {
		return out, nil
	}
	if len(out) > 0 || block <= 0 {
		block = -1 // go-redis: a negative Block sends no BLOCK argument
	}
	streams, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: outboxGroup, Consumer: consumer, Streams: []string{keyOutbox, ">"},
		Count: int64(count - len(out)), Block: block,
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return out, err
	}
	for _, st := range streams {
		out = append(out, outboxEntries(st.Messages)...)
	}
	return out, nil
}

func outboxEntries(msgs []redis.XMessage) []OutboxEntry {
	out := make([]OutboxEntry, 0, len(msgs))
	for _, m := range msgs {
		id, _ := m.Values["esc"].(string)
		out = append(out, OutboxEntry{StreamID: m.ID, EscalationID: id})
	}
	return out
}

// AckOutbox marks an outbox entry dispatched and removes it from the stream
// (the escalation itself stays in its record).
func (s *Store) AckOutbox(ctx context.Context, streamID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, keyOutbox, outboxGroup, streamID)
		p.XDel(ctx, keyOutbox, streamID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store.AckOutbox: %w", err)
	}
	return nil
}

// Escalation returns the escalation record id, or ErrNotFound.
func (s *Store) Escalation(ctx context.Context, id string) (EscalationRecord, error) {
	var h *redis.MapStringStringCmd
	var msgs *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, escKey(id))
		msgs = p.LRange(ctx, escMsgsKey(id), 0, -1)
		return nil
	})
	if err != nil {
		return EscalationRecord{}, fmt.Errorf("store.Escalation: %w", err)
	}
	if len(h.Val()) == 0 {
		return EscalationRecord{}, fmt.Errorf("store.Escalation %s: %w", id, ErrNotFound)
	}
	r, err := s.escalationRecord(h.Val(), msgs.Val())
	if err != nil {
		return EscalationRecord{}, fmt.Errorf("store.Escalation: %w", err)
	}
	return r, nil
}

// escalationRecord decodes an escalation hash and its message list,
// opening the sealed free-text fields.
func (s *Store) escalationRecord(h map[string]string, msgs []string) (EscalationRecord, error) {
	r := EscalationRecord{
		ID: h["id"], Level: flows.Level(h["level"]), Patient: h["patient"],
		Flow: h["flow"], Item: h["item"], At: parseTime(h["at"]), State: h["state"],
		AckedByName: h["acked_by_name"], AckedAt: parseTime(h["acked_at"]),
		ResolvedByName: h["resolved_by_name"], ResolvedAt: parseTime(h["resolved_at"]),
		ReopenedByName: h["reopened_by_name"], ReopenedAt: parseTime(h["reopened_at"]),
	}
	r.ChatID, _ = strconv.ParseInt(h["chat"], 10, 64)
	for _, f := range []struct {
		name string
		dst  *string
		ad   string
	}{
		{"question", &r.Question, escFieldAD(r.ChatID, "question")},
		{"answer", &r.Answer, escFieldAD(r.ChatID, "answer")},
		{"reason", &r.Reason, escFieldAD(r.ChatID, "reason")},
		{"note", &r.Note, escNoteAD(r.ID)},
	} {
		v, err := s.openValue(h[f.name], f.ad, "the "+f.name+" of escalation "+r.ID)
		if err != nil {
			return EscalationRecord{}, err
		}
		*f.dst = string(v)
	}
	r.AckedBy, _ = strconv.ParseInt(h["acked_by"], 10, 64)
	r.ResolvedBy, _ = strconv.ParseInt(h["resolved_by"], 10, 64)
	r.Repages, _ = strconv.Atoi(h["repages"])
	for _, m := range msgs {
		c, mid, ok := strings.Cut(m, ":")
		if !ok {
			continue
		}
		chat, err1 := strconv.ParseInt(c, 10, 64)
		msg, err2 := strconv.Atoi(mid)
		if err1 == nil && err2 == nil {
			r.Messages = append(r.Messages, MessageRef{ChatID: chat, MessageID: msg})
		}
	}
	return r, nil
}

// AddEscalationMessage records a copy of escalation id sent to a clinician,
// and audits who was shown it.
func (s *Store) AddEscalationMessage(ctx context.Context, id string, ref MessageRef) error {
	chat := strconv.FormatInt(ref.ChatID, 10)
	msg := strconv.Itoa(ref.MessageID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, escMsgsKey(id), chat+":"+msg)
		p.XAdd(ctx, &redis.XAddArgs{Stream: keyAudit, Values: []any{
			"event", "escalation.sent", "esc", id, "to", chat, "message", msg, "at", fmtTime(s.now())}})
		return nil
	})
	if err != nil {
		return fmt.Errorf("store.AddEscalationMessage: %w", err)
	}
	return nil
}

// Acknowledge records that a clinician acknowledged escalation id. Only the
// first acknowledgement counts: later ones return first == false and the
// record with the first acknowledgement. It returns ErrNotFound for an
// unknown id.
func (s *Store) Acknowledge(ctx context.Context, id string, clinicianID int64, name string, at time.Time) (EscalationRecord, bool, error) {
	keys := []string{escKey(id), escMsgsKey(id), keyEscOpen, keyAudit}
	res, err := scriptAck.Run(ctx, s.rdb, keys, id, clinicianID, name, fmtTime(at)).Slice()
	return s.transitionResult("store.Acknowledge", id, res, err)
}

// transitionResult decodes what ack.lua and reopen.lua return: {-1} for an
// unknown escalation, else {first, HGETALL, LRANGE}.
func (s *Store) transitionResult(op, id string, res []any, err error) (EscalationRecord, bool, error) {
	if err != nil {
		return EscalationRecord{}, false, fmt.Errorf("%s: %w", op, err)
	}
	if res[0] == int64(-1) {
		return EscalationRecord{}, false, fmt.Errorf("%s %s: %w", op, id, ErrNotFound)
	}
	if len(res) != 3 {
		return EscalationRecord{}, false, fmt.Errorf("%s: %w", op, errRedisFailed)
	}
	r, err := s.scriptRecord(res[1], res[2])
	if err != nil {
		return EscalationRecord{}, false, fmt.Errorf("%s: %w", op, err)
	}
	return r, res[0] == int64(1), nil
}

// scriptRecord decodes an escalation a script returned as HGETALL and LRANGE.
func (s *Store) scriptRecord(hash, list any) (EscalationRecord, error) {
	flat, _ := hash.([]any)
	h := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		h[fmt.Sprint(flat[i])] = fmt.Sprint(flat[i+1])
	}
	var msgs []string
	if l, ok := list.([]any); ok {
		for _, m := range l {
			msgs = append(msgs, fmt.Sprint(m))
		}
	}
	return s.escalationRecord(h, msgs)
}

// UnacknowledgedCount returns how many escalations await acknowledgement,
// for monitoring.
func (s *Store) UnacknowledgedCount(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, keyEscOpen).Result()
	if err != nil {
		return 0, fmt.Errorf("store.UnacknowledgedCount: %w", err)
	}
	return n, nil
}

// OpenEscalations returns the ids of unacknowledged escalations, oldest first.
func (s *Store) OpenEscalations(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, keyEscOpen, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store.OpenEscalations: %w", err)
	}
	return ids, nil
}

// Audit appends an event to the audit stream, stamped with the store's
// clock. Fields must hold ids and outcomes only, never message content.
func (s *Store) Audit(ctx context.Context, event string, fields map[string]string) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		if k != "event" && k != "at" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	vals := []any{"event", event, "at", fmtTime(s.now())}
	for _, k := range names {
		vals = append(vals, k, fields[k])
	}
	if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: keyAudit, Values: vals}).Err(); err != nil {
		return fmt.Errorf("store.Audit: %w", err)
	}
	return nil
}

// AuditLog returns the last n audit events, oldest first (all when n <= 0).
func (s *Store) AuditLog(ctx context.Context, n int) ([]AuditEntry, error) {
	var msgs []redis.XMessage
	var err error
	if n > 0 {
		msgs, err = s.rdb.XRevRangeN(ctx, keyAudit, "+", "-", int64(n)).Result()
		for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
	} else {
		msgs, err = s.rdb.XRange(ctx, keyAudit, "-", "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("store.AuditLog: %w", err)
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		e := AuditEntry{ID: m.ID, Fields: map[string]string{}}
		for k, v := range m.Values {
			if k == "event" {
				e.Event = fmt.Sprint(v)
			} else {
				e.Fields[k] = fmt.Sprint(v)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// MaxNote bounds a resolution note, in bytes.
const MaxNote = 2000

// Resolve records that a clinician resolved escalation id, with a short
// note; an unacknowledged escalation is acknowledged by the same clinician
// at the same time (wasOpen reports that). Only the first resolution
// counts: later ones return first == false and the record as resolved. It
// returns ErrNotFound for an unknown id. The audit stream records who and
// when, not the note.
func (s *Store) Resolve(ctx context.Context, id string, clinicianID int64, name, note string, at time.Time) (rec EscalationRecord, first, wasOpen bool, err error) {
	if len(note) > MaxNote {
		return EscalationRecord{}, false, false, fmt.Errorf("store.Resolve: note is %d bytes, over %d", len(note), MaxNote)
	}
	keys := []string{escKey(id), escMsgsKey(id), keyEscOpen, keyEscUnres, keyAudit}
	res, err := scriptResolve.Run(ctx, s.rdb, keys, id, clinicianID, name, s.sealText(note, escNoteAD(id)), fmtTime(at)).Slice()
	if err != nil {
		return EscalationRecord{}, false, false, fmt.Errorf("store.Resolve: %w", err)
	}
	if res[0] == int64(-1) {
		return EscalationRecord{}, false, false, fmt.Errorf("store.Resolve %s: %w", id, ErrNotFound)
	}
	if len(res) != 4 {
		return EscalationRecord{}, false, false, fmt.Errorf("store.Resolve: %w", errRedisFailed)
	}
	rec, err = s.scriptRecord(res[2], res[3])
	if err != nil {
		return EscalationRecord{}, false, false, fmt.Errorf("store.Resolve: %w", err)
	}
	return rec, res[0] == int64(1), res[1] == int64(1), nil
}

// RecordRepage counts a re-page of escalation id and audits it; it returns
// the re-page's number (1 for the first).
func (s *Store) RecordRepage(ctx context.Context, id string) (int, error) {
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.HIncrBy(ctx, escKey(id), "repages", 1)
		p.XAdd(ctx, &redis.XAddArgs{Stream: keyAudit, Values: []any{
			"event", "escalation.repaged", "esc", id, "at", fmtTime(s.now())}})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store.RecordRepage: %w", err)
	}
	return int(n.Val()), nil
}

// UnresolvedEscalations returns up to n escalations not yet resolved
// (unacknowledged or acknowledged), oldest first, and how many there are in
// all.
func (s *Store) UnresolvedEscalations(ctx context.Context, n int) ([]EscalationRecord, int64, error) {
	ids, err := s.rdb.ZRange(ctx, keyEscUnres, 0, int64(n)-1).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store.UnresolvedEscalations: %w", err)
	}
	var total *redis.IntCmd
	hashes := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		total = p.ZCard(ctx, keyEscUnres)
		for i, id := range ids {
			hashes[i] = p.HGetAll(ctx, escKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store.UnresolvedEscalations: %w", err)
	}
	out := make([]EscalationRecord, 0, len(ids))
	for _, h := range hashes {
		if len(h.Val()) > 0 {
			r, err := s.escalationRecord(h.Val(), nil)
			if err != nil {
				return nil, 0, fmt.Errorf("store.UnresolvedEscalations: %w", err)
			}
			out = append(out, r)
		}
	}
	return out, total.Val(), nil
}

// SetNotePrompt remembers, for ttl, that the bot asked the clinician in
// chatID for the resolution note of escalation id with the message
// promptID: only a reply to that message is taken as the note. A clinician
// has one prompt per chat; asking again replaces it.
func (s *Store) SetNotePrompt(ctx context.Context, clinicianID, chatID int64, promptID int, id string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, noteKey(clinicianID, chatID), strconv.Itoa(promptID)+"|"+id, ttl).Err(); err != nil {
		return fmt.Errorf("store.SetNotePrompt: %w", err)
	}
	return nil
}

// NotePrompt returns the clinician's prompt for a resolution note in chatID:
// the prompt's message id and the escalation; 0 and "" when there is none.
func (s *Store) NotePrompt(ctx context.Context, clinicianID, chatID int64) (promptID int, id string, err error) {
	v, err := s.rdb.Get(ctx, noteKey(clinicianID, chatID)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("store.NotePrompt: %w", err)
	}
	msg, id, _ := strings.Cut(v, "|")
	promptID, _ = strconv.Atoi(msg)
	return promptID, id, nil
}

// ClearNotePrompt forgets the clinician's prompt in chatID, if any.
func (s *Store) ClearNotePrompt(ctx context.Context, clinicianID, chatID int64) error {
	if err := s.rdb.Del(ctx, noteKey(clinicianID, chatID)).Err(); err != nil {
		return fmt.Errorf("store.ClearNotePrompt: %w", err)
	}
	return nil
}

// PendingResolution is a resolution a clinician has written and not yet
// confirmed.
type PendingResolution struct {
	EscalationID string
	By           int64 // the clinician who wrote the note; only they confirm it
	Note         string
}

// SetPendingResolution keeps r, for ttl, under a fresh token that the
// confirmation's buttons carry, and returns the token. The note is sealed.
func (s *Store) SetPendingResolution(ctx context.Context, r PendingResolution, ttl time.Duration) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store.SetPendingResolution: %w", err)
	}
	token := hex.EncodeToString(b[:])
	key := pendingResolutionKey(token)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "esc", r.EscalationID, "by", r.By, "note", s.sealText(r.Note, key))
		p.PExpire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store.SetPendingResolution: %w", err)
	}
	return token, nil
}

// PendingResolution returns the resolution kept under token; ErrNotFound
// when it expired or was decided already.
func (s *Store) PendingResolution(ctx context.Context, token string) (PendingResolution, error) {
	key := pendingResolutionKey(token)
	h, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return PendingResolution{}, fmt.Errorf("store.PendingResolution: %w", err)
	}
	if len(h) == 0 {
		return PendingResolution{}, fmt.Errorf("store.PendingResolution: %w", ErrNotFound)
	}
	note, err := s.openValue(h["note"], key, "a pending resolution note")
	if err != nil {
		return PendingResolution{}, fmt.Errorf("store.PendingResolution: %w", err)
	}
	by, _ := strconv.ParseInt(h["by"], 10, 64)
	return PendingResolution{EscalationID: h["esc"], By: by, Note: string(note)}, nil
}

// DropPendingResolution forgets the resolution under token; taken reports
// that this call removed it, so that of two presses only one acts.
func (s *Store) DropPendingResolution(ctx context.Context, token string) (taken bool, err error) {
	n, err := s.rdb.Del(ctx, pendingResolutionKey(token)).Result()
	if err != nil {
		return false, fmt.Errorf("store.DropPendingResolution: %w", err)
	}
	return n == 1, nil
}

// Reopen records that a clinician reopened the resolved escalation id: it
// is unresolved again (listed by /open) and stays acknowledged. Only a
// resolved escalation reopens; for any other, first is false and the record
// is returned as it is. It returns ErrNotFound for an unknown id.
func (s *Store) Reopen(ctx context.Context, id string, clinicianID int64, name string, at time.Time) (EscalationRecord, bool, error) {
	rec, err := s.Escalation(ctx, id)
	if err != nil {
		return EscalationRecord{}, false, fmt.Errorf("store.Reopen: %w", err)
	}
	keys := []string{escKey(id), escMsgsKey(id), keyEscUnres, keyAudit}
	res, err := scriptReopen.Run(ctx, s.rdb, keys, id, clinicianID, name, fmtTime(at), rec.At.UnixMilli()).Slice()
	return s.transitionResult("store.Reopen", id, res, err)
}
