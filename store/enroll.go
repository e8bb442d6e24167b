package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewInviteCode returns a fresh invite code: 43 URL-safe characters from
// crypto/rand (256 bits), valid as a Telegram /start deep-link payload.
func NewInviteCode() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store.NewInviteCode: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// CreateInvite stores a single-use invite enrolling the patient label and
// returns its code; made while the label is enrolled, it replaces that
// enrolment when opened. The invite expires after ttl. The bot creates invites
// in the commit of the clinician's update (Commit.Invite); this is for
// tools and tests.
func (s *Store) CreateInvite(ctx context.Context, label string, clinicianID int64, ttl time.Duration) (string, error) {
	code, err := NewInviteCode()
	if err != nil {
		return "", err
	}
	if label == "" || ttl <= 0 {
		return "", errors.New("store.CreateInvite: label and a positive ttl are required")
	}
	// As the bot's /enroll decides: an invite made while the label is
	// enrolled replaces that enrolment when opened (NewInvite.Replace).
	inUse, err := s.rdb.HExists(ctx, keyLabels, label).Result()
	if err != nil {
		return "", fmt.Errorf("store.CreateInvite: %w", err)
	}
	replace := "0"
	if inUse {
		replace = "1"
	}
	key, by, now := inviteKey(code), strconv.FormatInt(clinicianID, 10), fmtTime(s.now())
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "label", label, "by", by, "created", now, "state", "open", "replace", replace)
		p.PExpire(ctx, key, ttl)
		p.XAdd(ctx, &redis.XAddArgs{Stream: keyAudit, Values: []any{
			"event", "invite.created", "label", label, "by", by, "at", now}})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store.CreateInvite: %w", err)
	}
	return code, nil
}

// appendInvite adds the commit's invite to its relay entry: the tag I, the
// invite's key, label, clinician, created (RFC 3339), TTL (ms) and replace.
func appendInvite(p *relayPayload, inv *NewInvite, now time.Time) error {
	if inv == nil {
		return nil
	}
	if inv.Label == "" || inv.TTL <= 0 || inv.Code == "" {
		return errors.New("an invite needs a code, a label and a positive ttl")
	}
	replace := "0"
	if inv.Replace {
		replace = "1"
	}
	p.add("I", inviteKey(inv.Code), inv.Label, strconv.FormatInt(inv.By, 10), fmtTime(now), inv.TTL.Milliseconds(), replace)
	return nil
}

// RedeemInvite enrols chatID under the invite's label, atomically, and
// returns the label; see Redeem.
func (s *Store) RedeemInvite(ctx context.Context, code string, chatID int64) (string, error) {
	r, err := s.Redeem(ctx, code, chatID)
	return r.Label, err
}

// Redemption is what opening an invite did.
type Redemption struct {
	Label string
	// Unlinked is the chat the label was enrolled in before (an invite made
	// with /enroll <label> replace), now disconnected; 0 when none.
	Unlinked int64
}

// Redeem enrols chatID under the invite's label, atomically. It returns
// ErrNotFound for an unknown or expired code and ErrInviteUsed for a code
// another chat redeemed (redeeming it again from the same, still linked
// chat succeeds), or for an invite without Replace whose label another chat
// took meanwhile (two invites for one label: the first opened wins). A
// label enrolled before is moved to the new chat by a Replace invite and
// unlinked from the old one (Redemption.Unlinked); a chat enrolled under
// another label drops that label.
func (s *Store) Redeem(ctx context.Context, code string, chatID int64) (Redemption, error) {
	if code == "" || len(code) > 64 {
		return Redemption{}, fmt.Errorf("store.Redeem: %w", ErrNotFound)
	}
	keys := []string{inviteKey(code), keyLabels, keyPatients, keyAudit}
	res, err := scriptRedeem.Run(ctx, s.rdb, keys, chatID, fmtTime(s.now())).Slice()
	if err != nil {
		return Redemption{}, fmt.Errorf("store.Redeem: %w", err)
	}
	switch res[0] {
	case int64(-1):
		return Redemption{}, fmt.Errorf("store.Redeem: %w", ErrNotFound)
	case int64(0):
		return Redemption{}, fmt.Errorf("store.Redeem: %w", ErrInviteUsed)
	}
	var r Redemption
	r.Label, _ = res[1].(string)
	if len(res) > 2 {
		old, _ := res[2].(string)
		r.Unlinked, _ = strconv.ParseInt(old, 10, 64)
	}
	return r, nil
}

// Unenroll unlinks label from its chat, deletes the chat's live session and
// records who did it; the answers and check-ins already recorded stay until
// the retention period ends. It returns the chat that was linked, or
// ErrNotFound.
func (s *Store) Unenroll(ctx context.Context, label string, clinicianID int64) (int64, error) {
	for {
		chatID, err := s.Patient(ctx, label)
		if err != nil {
			return 0, fmt.Errorf("store.Unenroll: %w", err)
		}
		keys := []string{keyLabels, keyPatients, keyAudit, keyFormer}
		done, err := scriptUnenroll.Run(ctx, s.rdb, keys, label, chatID, clinicianID, fmtTime(s.now())).Int()
		if err != nil {
			return 0, fmt.Errorf("store.Unenroll: %w", err)
		}
		if done == 1 {
			// The live conversation goes, in the chat's own slot (see
			// unenroll.lua for what stays). Should this fail, the chat is
			// unenrolled all the same: nothing acts on the session of a
			// chat that is not enrolled, and its next enrolment's intake
			// starts a new run.
			if err := s.rdb.HDel(ctx, keysFor(chatID).session, "v", "s", "u").Err(); err != nil {
				s.warn("store.Unenroll: the unenrolled chat's session stays", err)
			}
			return chatID, nil
		}
		// The label moved to another chat meanwhile: unlink that one.
	}
}

// Patient returns the chat enrolled under label, or ErrNotFound.
func (s *Store) Patient(ctx context.Context, label string) (int64, error) {
	v, err := s.rdb.HGet(ctx, keyLabels, label).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store.Patient: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store.Patient: %w", err)
	}
	return v, nil
}

// PatientRecords returns the chat whose records label names: the chat it is
// enrolled in, else the chat it was linked to when it was unenrolled (the
// records stay until the retention period ends), else ErrNotFound.
func (s *Store) PatientRecords(ctx context.Context, label string) (int64, error) {
	var current, former *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		current = p.HGet(ctx, keyLabels, label)
		former = p.HGet(ctx, keyFormer, label)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store.PatientRecords: %w", err)
	}
	for _, c := range []*redis.StringCmd{current, former} {
		if v, err := c.Int64(); err == nil {
			return v, nil
		}
	}
	return 0, fmt.Errorf("store.PatientRecords: %w", ErrNotFound)
}

// PatientLabel returns the label chatID is enrolled under, or ErrNotFound.
func (s *Store) PatientLabel(ctx context.Context, chatID int64) (string, error) {
	v, err := s.rdb.HGet(ctx, keyPatients, strconv.FormatInt(chatID, 10)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("store.PatientLabel: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store.PatientLabel: %w", err)
	}
	return v, nil
}
