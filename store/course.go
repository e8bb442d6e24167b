package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/checkinbot/checkinbot/flows"
)

// A patient's course (/trend, /export) needs the escalations raised for one
// chat. Escalations are kept by id, not by chat, so this reads the newest
// ids back from the id counter, pipelined, and keeps the chat's ones. Only
// the plain fields are read (level, flow, item, time, state): a chart and an
// export need no question, answer or note, so nothing sealed is opened.

// CourseScanMax bounds how many of the newest escalations ChatEscalations
// looks through (older ones are left out of charts and exports).
const CourseScanMax = 5000

// courseBatch is how many escalation hashes one pipelined round trip reads.
const courseBatch = 500

// CourseEscalation is the plain part of one escalation of a chat.
type CourseEscalation struct {
	ID    string
	Level flows.Level
	Flow  string
	Item  string
	At    time.Time
	State string // EscalationOpen, EscalationAcked or EscalationResolved
}

// courseScanRange is the ids of the newest CourseScanMax escalations, from
// lowest to newest; none (newest below lowest) before the first is raised.
func (s *Store) courseScanRange(ctx context.Context) (lowest, newest int64, err error) {
	newest, err = s.rdb.Get(ctx, keyEscSeq).Int64()
	if err == redis.Nil {
		return 1, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return max(newest-CourseScanMax+1, 1), newest, nil
}

// ChatEscalations returns the escalations raised for chatID among the
// newest CourseScanMax, oldest first.
func (s *Store) ChatEscalations(ctx context.Context, chatID int64) ([]CourseEscalation, error) {
	lowest, seq, err := s.courseScanRange(ctx)
	if err != nil {
		return nil, fmt.Errorf("store.ChatEscalations: %w", err)
	}
	chat := strconv.FormatInt(chatID, 10)
	var out []CourseEscalation
	for from := lowest; from <= seq; from += courseBatch {
		to := min(from+courseBatch-1, seq)
		cmds := make([]*redis.SliceCmd, 0, to-from+1)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for id := from; id <= to; id++ {
				cmds = append(cmds, p.HMGet(ctx, escKey(strconv.FormatInt(id, 10)), "chat", "level", "flow", "item", "at", "state"))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store.ChatEscalations: %w", err)
		}
		for i, c := range cmds {
			v := c.Val()
			if len(v) != 6 || str(v[0]) != chat {
				continue // another chat's, or pruned
			}
			out = append(out, CourseEscalation{
				ID: strconv.FormatInt(from+int64(i), 10), Level: flows.Level(str(v[1])),
				Flow: str(v[2]), Item: str(v[3]), At: parseTime(str(v[4])), State: str(v[5]),
			})
		}
	}
	return out, nil
}

// str is an HMGET value as a string ("" when the field is missing).
func str(v any) string {
	s, _ := v.(string)
	return s
}
