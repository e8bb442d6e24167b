package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/redis/go-redis/v9"
)

// Escalation states.
const (
	EscalationOpen  = "open"
	EscalationAcked = "acked"
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
	State    string // EscalationOpen or EscalationAcked

	AckedBy     int64
	AckedByName string
	AckedAt     time.Time
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
	return escalationRecord(h.Val(), msgs.Val()), nil
}

func escalationRecord(h map[string]string, msgs []string) EscalationRecord {
	r := EscalationRecord{
		ID: h["id"], Level: flows.Level(h["level"]), Patient: h["patient"],
		Flow: h["flow"], Item: h["item"], Question: h["question"], Answer: h["answer"],
		Reason: h["reason"], At: parseTime(h["at"]), State: h["state"],
		AckedByName: h["acked_by_name"], AckedAt: parseTime(h["acked_at"]),
	}
	r.ChatID, _ = strconv.ParseInt(h["chat"], 10, 64)
	r.AckedBy, _ = strconv.ParseInt(h["acked_by"], 10, 64)
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
	return r
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
	if err != nil {
		return EscalationRecord{}, false, fmt.Errorf("store.Acknowledge: %w", err)
	}
	if res[0] == int64(-1) {
		return EscalationRecord{}, false, fmt.Errorf("store.Acknowledge %s: %w", id, ErrNotFound)
	}
	if len(res) != 3 {
		return EscalationRecord{}, false, fmt.Errorf("store.Acknowledge: %w", errRedisFailed)
	}
	flat, _ := res[1].([]any)
	h := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		h[fmt.Sprint(flat[i])] = fmt.Sprint(flat[i+1])
	}
	var msgs []string
	if l, ok := res[2].([]any); ok {
		for _, m := range l {
			msgs = append(msgs, fmt.Sprint(m))
		}
	}
	return escalationRecord(h, msgs), res[0] == int64(1), nil
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
