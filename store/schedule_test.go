package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

func TestScheduleClaimExactlyOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		const n = 200
		for i := range n {
			job := flows.Job{Kind: "remind", Due: t0.Add(time.Duration(i) * time.Second), Run: "r"}
			if err := s.Schedule(ctx, int64(i), job); err != nil {
				t.Fatal(err)
			}
		}
		// Not yet due, and a job due later is left alone.
		if err := s.Schedule(ctx, 9999, flows.Job{Kind: "later", Due: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimDue(ctx, t0.Add(-time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed before due: %+v", got)
		}
		now := t0.Add(n * time.Second)
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					jobs, err := s.ClaimDue(ctx, now, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						seen[j.ChatID]++
					}
					mu.Unlock()
					for _, j := range jobs {
						if err := s.DoneJob(ctx, j); err != nil {
							t.Error(err)
						}
					}
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d distinct jobs, want %d", len(seen), n)
		}
		for chat, c := range seen {
			if c != 1 {
				t.Errorf("job of chat %d claimed %d times", chat, c)
			}
		}
		if got, _ := s.ClaimDue(ctx, t0.Add(2*time.Hour), 10); len(got) != 1 || got[0].Job.Kind != "later" || got[0].ChatID != 9999 {
			t.Errorf("later job: %+v", got)
		}
	})
}

func TestScheduleFromCommitAndRequeue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.ClaimTTL = time.Minute
		job := flows.Job{Kind: "followup", Due: t0, Run: "dose-1"}
		if _, err := s.Commit(ctx, store.Commit{ChatID: -42, Session: sampleSession(), Jobs: []flows.Job{job, job}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimDue(ctx, t0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ChatID != -42 || got[0].Job.Kind != "followup" || got[0].Job.Run != "dose-1" || !got[0].Job.Due.Equal(t0) {
			t.Fatalf("claimed %+v", got)
		}
		// The claimer dies. Within the lease nobody else gets the job ...
		if again, _ := s.ClaimDue(ctx, t0.Add(30*time.Second), 10); len(again) != 0 {
			t.Fatalf("claimed twice within the lease: %+v", again)
		}
		if n, _ := s.RequeueExpiredClaims(ctx, t0.Add(30*time.Second)); n != 0 {
			t.Errorf("requeued %d within the lease", n)
		}
		// ... after it, the job is requeued at its due time and runs.
		n, err := s.RequeueExpiredClaims(ctx, t0.Add(2*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("requeue: %d %v", n, err)
		}
		again, err := s.ClaimDue(ctx, t0.Add(2*time.Minute), 10)
		if err != nil || len(again) != 1 || again[0].Job != got[0].Job {
			t.Fatalf("after requeue: %+v %v", again, err)
		}
		if err := s.DoneJob(ctx, again[0]); err != nil {
			t.Fatal(err)
		}
		// ClaimDue itself also requeues expired claims; a done job never comes back.
		if late, _ := s.ClaimDue(ctx, t0.Add(time.Hour), 10); len(late) != 0 {
			t.Errorf("done job came back: %+v", late)
		}
	})
}

func TestClaimDueRequeuesExpiredItself(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.ClaimTTL = time.Minute
		if err := s.Schedule(ctx, 1, flows.Job{Kind: "k", Due: t0}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimDue(ctx, t0, 1); len(got) != 1 {
			t.Fatal("no claim")
		}
		if got, _ := s.ClaimDue(ctx, t0.Add(61*time.Second), 1); len(got) != 1 {
			t.Errorf("expired claim not reclaimed by ClaimDue: %+v", got)
		}
	})
}
