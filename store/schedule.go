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

// DoneJob removes a job claimed by ClaimDue from the claimed set and, in the
// same transaction, schedules next for the same chat: a job that repeats
// (a re-page) can neither be lost nor doubled by a crash in between.
func (s *Store) DoneJob(ctx context.Context, j ScheduledJob, next ...flows.Job) error {
	members := make([]redis.Z, 0, len(next))
	for _, n := range next {
		m, err := jobMember(j.ChatID, n)
		if err != nil {
			return fmt.Errorf("store.DoneJob: %w", err)
		}
		members = append(members, redisZ(n.Due, m))
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, keyClaimed, j.member)
		if len(members) > 0 {
			p.ZAdd(ctx, keySchedule, members...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store.DoneJob: %w", err)
	}
	return nil
}

// PendingJobs counts the jobs waiting in the schedule and those claimed by
// a runner and not yet done, for health checks and tests.
func (s *Store) PendingJobs(ctx context.Context) (scheduled, claimed int64, err error) {
	var sc, cl *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		sc = p.ZCard(ctx, keySchedule)
		cl = p.ZCard(ctx, keyClaimed)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store.PendingJobs: %w", err)
	}
	return sc.Val(), cl.Val(), nil
}

// ScheduledJobs returns the jobs scheduled for chatID, in due order (not
// those claimed by a runner). It reads the whole schedule: it is for
// diagnostics and tests, not for the per-update path.
func (s *Store) ScheduledJobs(ctx context.Context, chatID int64) ([]flows.Job, error) {
	members, err := s.rdb.ZRange(ctx, keySchedule, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store.ScheduledJobs: %w", err)
	}
	prefix := strconv.FormatInt(chatID, 10) + "|"
	var out []flows.Job
	for _, m := range members {
		if !strings.HasPrefix(m, prefix) {
			continue
		}
		j, err := parseMember(m)
		if err != nil {
			return out, fmt.Errorf("store.ScheduledJobs: %w", err)
		}
		out = append(out, j.Job)
	}
	return out, nil
}

// repageMember is the schedule entry of an escalation's first re-page, split
// around its id, which only the commit script allocates; due is 0 for a
// level that is never re-paged.
func repageMember(chatID int64, level flows.Level, at time.Time) (due int64, before, after string, err error) {
	every := flows.RepageAfter(level)
	if every <= 0 {
		return 0, "", "", nil
	}
	const hole = "@@id@@"
	m, err := jobMember(chatID, flows.Job{Kind: flows.JobRepage, Due: at.Add(every), Run: hole})
	if err != nil {
		return 0, "", "", err
	}
	before, after, _ = strings.Cut(m, hole)
	return at.Add(every).UnixMilli(), before, after, nil
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
