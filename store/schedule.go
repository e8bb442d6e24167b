package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// ScheduledJob is a timed job of one chat, as claimed from the schedule.
type ScheduledJob struct {
	ChatID int64
	Job    flows.Job
	member string
}

// jobMember encodes a job as a schedule member "<chat>|<due ms>|<job JSON>";
// scheduling the same job twice stores it once.
func jobMember(chatID int64, j flows.Job) (string, error) {
	js, err := json.Marshal(j)
	if err != nil {
		return "", fmt.Errorf("encode job: %w", err)
	}
	return strconv.FormatInt(chatID, 10) + "|" + strconv.FormatInt(j.Due.UnixMilli(), 10) + "|" + string(js), nil
}

func parseMember(m string) (ScheduledJob, error) {
	chat, rest, ok1 := strings.Cut(m, "|")
	_, js, ok2 := strings.Cut(rest, "|")
	if !ok1 || !ok2 {
		return ScheduledJob{}, fmt.Errorf("bad schedule member %q", m)
	}
	j := ScheduledJob{member: m}
	var err error
	if j.ChatID, err = strconv.ParseInt(chat, 10, 64); err != nil {
		return ScheduledJob{}, fmt.Errorf("bad schedule member %q", m)
	}
	if err := json.Unmarshal([]byte(js), &j.Job); err != nil {
		return ScheduledJob{}, fmt.Errorf("bad schedule member %q: %w", m, err)
	}
	return j, nil
}

// Schedule adds jobs for chatID outside a Commit (e.g. a re-page after an
// escalation was dispatched).
func (s *Store) Schedule(ctx context.Context, chatID int64, jobs ...flows.Job) error {
	for _, j := range jobs {
		m, err := jobMember(chatID, j)
		if err != nil {
			return fmt.Errorf("store.Schedule: %w", err)
		}
		if err := s.rdb.ZAdd(ctx, keySchedule, redisZ(j.Due, m)).Err(); err != nil {
			return fmt.Errorf("store.Schedule: %w", err)
		}
	}
	return nil
}

// ClaimDue atomically moves up to n jobs due at now from the schedule to the
// claimed set, leased for ClaimTTL, so no two callers get the same job. It
// first requeues claims whose lease expired, so a job whose runner died is
// run later, never skipped. Call DoneJob after running each job.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, n int) ([]ScheduledJob, error) {
	if n <= 0 {
		return nil, nil
	}
	ttl := s.ClaimTTL
	if ttl <= 0 {
		ttl = DefaultClaimTTL
	}
	res, err := scriptClaim.Run(ctx, s.rdb, []string{keySchedule, keyClaimed},
		now.UnixMilli(), n, now.Add(ttl).UnixMilli()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("store.ClaimDue: %w", err)
	}
	out := make([]ScheduledJob, 0, len(res))
	for _, m := range res[1:] {
		j, err := parseMember(m)
		if err != nil {
			return out, fmt.Errorf("store.ClaimDue: %w", err)
		}
		out = append(out, j)
	}
	return out, nil
}

// DoneJob removes a job claimed by ClaimDue from the claimed set.
func (s *Store) DoneJob(ctx context.Context, j ScheduledJob) error {
	if err := s.rdb.ZRem(ctx, keyClaimed, j.member).Err(); err != nil {
		return fmt.Errorf("store.DoneJob: %w", err)
	}
	return nil
}

// RequeueExpiredClaims moves claimed jobs whose lease ended by now back to
// the schedule at their original due time, and returns how many it moved.
func (s *Store) RequeueExpiredClaims(ctx context.Context, now time.Time) (int, error) {
	res, err := scriptClaim.Run(ctx, s.rdb, []string{keySchedule, keyClaimed},
		now.UnixMilli(), 0, 0).StringSlice()
	if err != nil {
		return 0, fmt.Errorf("store.RequeueExpiredClaims: %w", err)
	}
	n, _ := strconv.Atoi(res[0])
	return n, nil
}
