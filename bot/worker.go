package bot

import (
	"context"
	"reflect"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// The timed-job worker runs the session timeline and the escalation ladder.
// Every instance runs it; store.ClaimDue hands each due job to exactly one
// of them, leased for store.ClaimTTL. A job is marked done only once it has
// run, so a job whose instance died after claiming it is requeued when the
// lease ends and runs late, never skipped; the engine makes a second run of
// a job that did run a no-op.

const (
	// jobBatch is how many due jobs one claim takes.
	jobBatch = 10
	// jobTimeout bounds one job, sending included.
	jobTimeout = time.Minute
)

// jobLoop claims and runs due jobs until ctx is cancelled; it looks again
// at once while jobs keep coming due, else every jobTick.
func (b *Bot) jobLoop(ctx context.Context) {
	for ctx.Err() == nil {
		if n := b.runDueJobs(ctx); n < jobBatch {
			sleep(ctx, b.jobTick)
		}
	}
}

// runDueJobs claims one batch of due jobs and runs them in due order; it
// returns how many it claimed. Jobs run on their own context, so a shutdown
// does not cut one off half done; the rest of a batch is left claimed and
// requeued when its lease ends.
func (b *Bot) runDueJobs(ctx context.Context) int {
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	jobs, err := b.store.ClaimDue(cctx, b.now(), jobBatch)
	cancel()
	if err != nil {
		b.log.Error("claiming due jobs failed", "error", err.Error())
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		b.runJob(j)
	}
	return len(jobs)
}

// runJob runs one claimed job and marks it done, with any job that follows
// it (the next re-page) scheduled in the same step. A job that failed for a
// reason that may pass (Redis, Telegram) is left claimed, to run again.
func (b *Bot) runJob(j store.ScheduledJob) {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	var next []flows.Job
	var err error
	switch j.Job.Kind {
	case flows.JobRepage:
		next, err = b.repage(ctx, j.Job)
	case jobDigest:
		next, err = b.runDigest(ctx, j.Job)
	default:
		err = b.runChatJob(ctx, j)
	}
	if err != nil && kindOf(err) == kindTransient {
		b.log.Error("timed job failed; it runs again when its claim expires",
			"kind", j.Job.Kind, "chat", b.chatRef(j.ChatID), "error", err.Error())
		return
	}
	if err != nil {
		b.log.Error("timed job dropped", "kind", j.Job.Kind, "chat", b.chatRef(j.ChatID), "error", err.Error())
	}
	if err := b.store.DoneJob(ctx, j, next...); err != nil {
		b.log.Error("could not mark a timed job done; it may run again", "kind", j.Job.Kind, "error", err.Error())
	}
}

// runChatJob runs a job of the patient's timeline: the engine decides on
// the session as stored, the outcome is committed like an update's (with a
// version check, and no update id, its replies to the chat's outbox), then
// sent from the outbox. A stale job writes and sends
// nothing. A chat no longer enrolled gets nothing either.
func (b *Bot) runChatJob(ctx context.Context, j store.ScheduledJob) error {
	snap, err := b.store.Load(ctx, j.ChatID, 0)
	if err != nil {
		return err
	}
	if snap.Patient == "" {
		return nil
	}
	decide := func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		return p.RunJob(s, j.Job, now)
	}
	p, err := b.protocolFor(ctx, snap.Session)
	if err != nil {
		return err
	}
	out, err := decide(p, snap.Session, b.now())
	if err != nil {
		return permanent("timed job", err)
	}
	if noChange(out, snap.Session) {
		return nil
	}
	snap, out, version, err := b.apply(ctx, snap, 0, decide)
	if err != nil {
		return err
	}
	b.log.Info("timed job ran", "kind", j.Job.Kind, "chat", b.chatRef(j.ChatID),
		"replies", len(out.Replies), "escalations", len(out.Escalations))
	if err := b.deliver(ctx, snap, version, out, nil, true); err != nil {
		// Committed, replies included: running the job again would find
		// it done, and the reply outbox's sweeper sends them later.
		b.log.Warn("a timed job's message was not delivered", "kind", j.Job.Kind, "chat", b.chatRef(j.ChatID), "error", err.Error())
	}
	return nil
}

// noChange reports an outcome that changes nothing and says nothing: a
// stale job.
func noChange(out flows.Outcome, s flows.Session) bool {
	return len(out.Replies) == 0 && len(out.Jobs) == 0 && len(out.Escalations) == 0 &&
		len(out.Answers) == 0 && out.Completion == nil && reflect.DeepEqual(out.Session, s)
}
