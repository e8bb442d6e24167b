package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// TestAnswersStoredOnce: a run's answers are in the answers list only; its
// check-in names how many it had and is read back with them, also sealed,
// and an answer recorded later under the same run (the dose taken after a
// cleared check) stays out of it.
func TestAnswersStoredOnce(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		t.Run("sealed="+strconv.FormatBool(sealed), func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
				if sealed {
					s.Cipher = testCipher(t, 1)
				}
				ctx := context.Background()
				const chat = 31
				run := []flows.Answer{
					{Flow: flows.FlowPreDose, Run: "r1", Item: "sitter", Value: "yes", Display: "Yes", At: t0.Add(time.Second), ProtocolVersion: "v1"},
					{Flow: flows.FlowPreDose, Run: "r1", Item: "setting", Value: "yes", Display: "Yes", At: t0.Add(2 * time.Second), ProtocolVersion: "v1"},
				}
				done := flows.Completion{Flow: flows.FlowPreDose, Run: "r1", Outcome: flows.OutcomeCleared,
					StartedAt: t0, EndedAt: run[1].At, ProtocolVersion: "v1", Answers: run}
				dose := flows.Answer{Flow: flows.FlowPreDose, Run: "r1", Item: flows.DoseItem, Value: flows.DoseTaken, Display: "Taken", At: run[1].At, ProtocolVersion: "v1"}
				v := int64(0)
				for i, c := range []store.Commit{
					{Answers: run[:1]},
					{Answers: run[1:], Completion: &done},
					{Answers: []flows.Answer{dose}},
				} {
					c.ChatID, c.UpdateID, c.Version = chat, i+1, v
					res, err := s.Commit(ctx, c)
					if err != nil {
						t.Fatal(err)
					}
					v = res.Version
				}
				got, err := s.CheckIns(ctx, chat, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || !reflect.DeepEqual(got[0], done) {
					t.Errorf("check-in read back:\n got %+v\nwant %+v", got, done)
				}
				answers, err := s.Answers(ctx, chat, 0)
				if err != nil {
					t.Fatal(err)
				}
				if want := append(append([]flows.Answer{}, run...), dose); !reflect.DeepEqual(answers, want) {
					t.Errorf("answers read back:\n got %+v\nwant %+v", answers, want)
				}
				raw, err := s.Client().LRange(ctx, "ck:{c:31}:checkins", 0, -1).Result()
				if err != nil {
					t.Fatal(err)
				}
				if len(raw) != 1 || strings.Contains(raw[0], "sitter") || (!sealed && !strings.Contains(raw[0], `"n":2`)) {
					t.Errorf("the check-in entry should name its answers, not hold them: %q", raw)
				}
			})
		})
	}
}

// TestOlderHistoryEntriesRead: entries written before answers were stored
// once (whole JSON, the check-in holding its answers) are read as before.
func TestOlderHistoryEntriesRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		a := flows.Answer{Flow: flows.FlowPHQ9, Run: "old", Item: "q1", Value: "2", Display: "More than half the days",
			At: t0, ProtocolVersion: "v0"}
		c := flows.Completion{Flow: flows.FlowPHQ9, Run: "old", Outcome: flows.OutcomeCompleted, StartedAt: t0,
			EndedAt: t0.Add(time.Minute), ProtocolVersion: "v0", Answers: []flows.Answer{a},
			Score: &flows.Score{Instrument: "phq9", Total: 2, Band: "minimal"}}
		aj, _ := json.Marshal(a)
		cj, _ := json.Marshal(c)
		ms := strconv.FormatInt(t0.UnixMilli(), 10) + "|"
		rdb := s.Client()
		// One entry from before entries had a time, one after.
		if err := rdb.RPush(ctx, "ck:{c:32}:answers", string(aj), ms+string(aj)).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.RPush(ctx, "ck:{c:32}:checkins", ms+string(cj)).Err(); err != nil {
			t.Fatal(err)
		}
		answers, err := s.Answers(ctx, 32, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(answers) != 2 || !answers[0].At.Equal(a.At) || answers[1].Display != a.Display {
			t.Errorf("older answers read back as %+v", answers)
		}
		got, err := s.CheckIns(ctx, 32, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Answers) != 1 || got[0].Answers[0].Item != "q1" || got[0].Score.Total != 2 {
			t.Errorf("older check-in read back as %+v", got)
		}
	})
}
