package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot/course"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// The weekly digest (bot/course/digest.go says what it holds) reaches the
// clinicians at a clinic-set time, Monday 08:00 in the clinic's time zone
// unless DigestAt says otherwise. It is a timed job of the schedule, not of
// a chat: the instance that claims it reads the week, commits the digest to
// each recipient chat's reply outbox once (store.CommitDigest: a rerun
// after a crash sends no second copy; the outbox's sweeper sends what a
// dead instance committed) and, in the same step that marks the job done,
// schedules the next week's. Every instance schedules the next digest at
// start; the job is the same schedule member whoever adds it, so there is
// one. A digest due while every instance was down runs when one is back
// (late, never skipped), and a job left by a different DigestAt is dropped.
// Times are computed on the clinic's calendar, so the digest stays at
// 08:00 local across daylight-saving changes (that week is 167 or 169
// hours long).

// jobDigest is the kind of the weekly digest's job (of no chat: chat 0).
const jobDigest = "digest"

// DefaultDigestAt is when the weekly digest goes out unless configured.
const DefaultDigestAt = "mon 08:00"

// digestTime is a weekly time on the clinic's calendar; off disables the
// digest.
type digestTime struct {
	weekday      time.Weekday
	hour, minute int
	off          bool
}

// ParseDigestAt checks a digest time: "<day> <HH:MM>" (e.g. "mon 08:00",
// "friday 17:30") or "off"; "" is DefaultDigestAt. The error says what is
// wrong, in words a clinic's engineer can act on.
func ParseDigestAt(s string) error {
	_, err := parseDigestAt(s)
	return err
}

func parseDigestAt(s string) (digestTime, error) {
	f := strings.Fields(strings.ToLower(s))
	switch {
	case len(f) == 0:
		f = strings.Fields(DefaultDigestAt)
	case len(f) == 1 && f[0] == "off":
		return digestTime{off: true}, nil
	}
	if len(f) != 2 {
		return digestTime{}, errors.New(`expected a day and a 24-hour time such as "mon 08:00", or "off"`)
	}
	day, ok := weekdays[f[0]]
	if !ok {
		return digestTime{}, fmt.Errorf("%q is not a day of the week", f[0])
	}
	hour, minute, ok := parseClock(f[1])
	if !ok {
		return digestTime{}, fmt.Errorf("%q is not a 24-hour time such as 08:00", f[1])
	}
	return digestTime{weekday: day, hour: hour, minute: minute}, nil
}

// at is the digest time on the date of t (in loc), days later.
func (d digestTime) at(t time.Time, days int, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+days, d.hour, d.minute, 0, 0, loc)
}

// next is the first digest time after t, in UTC (so that every instance
// writes the same schedule member).
func (d digestTime) next(t time.Time, loc *time.Location) time.Time {
	days := (int(d.weekday) - int(t.In(loc).Weekday()) + 7) % 7
	c := d.at(t, days, loc)
	if !c.After(t) {
		c = d.at(c, 7, loc)
	}
	return c.UTC()
}

// weekBefore is the digest time a calendar week before the digest time t.
func (d digestTime) weekBefore(t time.Time, loc *time.Location) time.Time {
	return d.at(t, -7, loc).UTC()
}

// current is the week so far: from the last digest time up to now.
func (d digestTime) current(now time.Time, loc *time.Location) course.Week {
	return course.Week{From: d.weekBefore(d.next(now, loc), loc), To: now, Loc: loc}
}

// scheduleDigest puts the next digest in the schedule (nothing when it is
// off). Adding it again, from any instance, changes nothing.
func (b *Bot) scheduleDigest(ctx context.Context) error {
	if b.digest.off {
		return nil
	}
	next := b.digest.next(b.now(), b.clinicLoc())
	if err := b.store.Schedule(ctx, 0, flows.Job{Kind: jobDigest, Due: next}); err != nil {
		return fmt.Errorf("scheduling the weekly digest: %w", err)
	}
	return nil
}

// clinicLoc is the clinic's time zone (the bot's clock reads in it).
func (b *Bot) clinicLoc() *time.Location { return b.now().Location() }

// runDigest runs a digest job: the digest of the week up to its due time,
// to every recipient; it returns the next week's job, with an error too (a
// transient one leaves this job to run again; after any other the chain of
// weeks goes on). A job that is not at a digest time of the current
// configuration (DigestAt changed, or "off") is dropped.
func (b *Bot) runDigest(ctx context.Context, job flows.Job) ([]flows.Job, error) {
	loc := b.clinicLoc()
	due := job.Due.UTC()
	if b.digest.off || !b.digest.next(due.Add(-time.Minute), loc).Equal(due) {
		b.log.Info("a weekly digest job of an earlier configuration was dropped", "due", due)
		return nil, nil
	}
	next := []flows.Job{{Kind: jobDigest, Due: b.digest.next(due, loc)}}
	week := course.Week{From: b.digest.weekBefore(due, loc), To: due, Loc: loc}
	texts, err := b.digestTexts(ctx, "Weekly digest", week)
	if err != nil {
		return next, err
	}
	for _, chat := range b.escalationRecipients() {
		replies := make([]store.OutboxReply, len(texts))
		for i, t := range texts {
			replies[i] = store.OutboxReply{Reply: flows.Reply{Text: t}, Priority: int(prioRoutine), Owner: b.runID, Protect: true}
		}
		pending, err := b.store.CommitDigest(ctx, due, chat, replies)
		if err != nil {
			return next, err
		}
		if len(pending) == 0 {
			continue // committed by an earlier run of this job
		}
		if _, err := b.sendReplies(ctx, chat, pending, false); err != nil {
			// Committed: the reply outbox's sweeper sends it later.
			b.log.Warn("the weekly digest was not delivered yet", "chat", b.chatRef(chat), "error", err.Error())
		}
	}
	b.log.Info("weekly digest sent", "due", due, "messages", len(texts), "recipients", len(b.escalationRecipients()))
	return next, nil
}

// digestTexts reads the week and renders its digest as messages.
func (b *Bot) digestTexts(ctx context.Context, title string, w course.Week) ([]string, error) {
	patients, err := b.store.Patients(ctx)
	if err != nil {
		return nil, err
	}
	recs, err := b.store.WeekEscalations(ctx, w.From, w.To)
	if err != nil {
		return nil, err
	}
	chats := make([]int64, 0, len(patients))
	for chat := range patients {
		chats = append(chats, chat)
	}
	hist, err := b.store.PatientHistories(ctx, chats, w.From)
	if err != nil {
		return nil, err
	}
	// Escalations by enrolled chat; those of chats no longer (or never)
	// enrolled by the label they were raised under.
	mine := map[int64][]course.Escalation{}
	others := map[string][]course.Escalation{}
	for _, r := range recs {
		e := course.Escalation{ID: r.ID, Level: r.Level, At: r.At, State: r.State, Item: r.Item, Reason: r.Reason}
		if _, ok := patients[r.ChatID]; ok {
			mine[r.ChatID] = append(mine[r.ChatID], e)
		} else {
			others[r.Patient] = append(others[r.Patient], e)
		}
	}
	courses := make([]course.Course, 0, len(chats)+len(others))
	for _, chat := range chats {
		h := hist[chat]
		courses = append(courses, course.Build(patients[chat], b.holdsInWords(h.CheckIns), h.Answers, mine[chat]))
	}
	for label, escs := range others {
		courses = append(courses, course.Build(label, nil, nil, escs))
	}
	sections := course.Digest(title, w, len(patients), courses)
	return pack(sections[0], sections[1:], maxMessageLen), nil
}

// holdsInWords gives each held check-in a reason in the clinicians' words:
// the summary of the item that held it ("sitter: Someone sober needs…"
// becomes "held at “Sober adult sitter present for the whole session”"),
// or the dose gate's reason ("gate: crisis": "dose gate closed (crisis)").
func (b *Bot) holdsInWords(checkins []flows.Completion) []flows.Completion {
	out := make([]flows.Completion, len(checkins))
	for i, c := range checkins {
		out[i] = c
		if c.Outcome != flows.OutcomeHeld {
			continue
		}
		id, _, _ := strings.Cut(c.Reason, ":")
		if gate, ok := strings.CutPrefix(c.Reason, "gate: "); ok {
			out[i].Reason = "dose gate closed (" + gate + ")"
		} else if f := b.protocol.Flow(c.Flow); f != nil {
			for _, it := range f.Items {
				if it.ID == id && it.Summary != "" {
					out[i].Reason = "held at “" + it.Summary + "”"
				}
			}
		}
	}
	return out
}

const (
	textDigestPrivate = "For the patients' privacy, /digest works only in a private chat with me."
	textDigestUsage   = "Usage: /digest\nSends the digest of the week so far, for every patient; the full week's comes by itself."
)

// digestCommand answers /digest: the digest of the week so far, in a
// clinician's private chat, as protected content, audited before it is
// shown.
func (b *Bot) digestCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	if !m.Chat.IsPrivate() {
		return b.reply(ctx, m.Chat.ID, textDigestPrivate)
	}
	if strings.TrimSpace(args) != "" {
		return b.reply(ctx, m.Chat.ID, textDigestUsage)
	}
	weekly := b.digest
	if weekly.off {
		weekly, _ = parseDigestAt(DefaultDigestAt) // the week still starts somewhere
	}
	texts, err := b.digestTexts(ctx, "Digest of the week so far", weekly.current(b.now(), b.clinicLoc()))
	if err != nil {
		return err
	}
	if err := b.store.Audit(ctx, "digest.viewed", map[string]string{"by": strconv.FormatInt(m.From.ID, 10)}); err != nil {
		return err
	}
	for _, t := range texts {
		if _, err := b.sendProtectedText(withPriority(ctx, prioReply), m.Chat.ID, t, nil); err != nil {
			return err
		}
	}
	return nil
}
