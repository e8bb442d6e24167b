package flows

import (
	"fmt"
	"maps"
	"strings"
	"time"
	_ "time/tzdata" // patients' time zones work on hosts without a zoneinfo database
)

// This file is the session timeline of docs/clinical-basis.md: what happens between the
// patient's messages. The engine schedules Jobs (store keeps them in Redis,
// bot's worker claims them when due) and RunJob decides what a due job does.
// Like the rest of the engine it is pure: a job is a function of the session,
// the job and the clock.
//
// Every job is idempotent and may run late: a worker that crashed after
// committing but before marking the job done makes it run again, and a bot
// that was down runs it when it is back. So each job first checks that the
// session still wants it (the dose it belongs to is current, the ping is
// unanswered, the step has not run yet) and is otherwise stale: RunJob
// returns the session unchanged with no replies, and the worker drops it.

// Kinds of timed jobs.
const (
	JobPing        = "ping"        // "how are you doing?" after the dose
	JobPingRetry   = "ping_retry"  // the ping again when the first got no answer
	JobNoResponse  = "no_response" // still no answer: HIGH escalation
	JobPostSession = "postsession" // start the post-session check-in
	JobFollowUp    = "followup"    // next-day follow-up at Timeline.FollowUpAt
	JobInstrument  = "instrument"  // the weekly run of an instrument (Job.Flow)
	JobReminder    = "reminder"    // dose-day reminder at the scheduled time
	JobMissedDose  = "missed_dose" // end of a dose day: ROUTINE if no check-in
	// JobRepage re-pages an unacknowledged escalation (Run is its id). It is
	// not chat-bound: bot runs it, RunJob does not.
	JobRepage = "repage"
)

// The ping's buttons answer the pseudo-item PingItem with PingOK or PingHelp.
const (
	PingItem = "ping"
	PingOK   = "ok"
	PingHelp = "help"
)

// FlowTimeline is the Flow of answers and escalations that belong to the
// timeline rather than to a flow (the ping, a missed dose day).
const FlowTimeline = "timeline"

// ItemDoseDay is the Item of a missed-dose-day escalation.
const ItemDoseDay = "dose_day"

const (
	// deferBy is how long a job that would start a check-in waits while
	// the patient is busy answering another one.
	deferBy = 10 * time.Minute
	// idleAfter is how long a run may go without an answer before it
	// counts as abandoned, and a due check-in replaces it.
	idleAfter = time.Hour
	// instrumentStagger spaces the weekly instruments, so they come one
	// after the other (PHQ-9, then GAD-7), in protocol order.
	instrumentStagger = time.Minute
)

// Location returns the patient's time zone, or def when none is set or it
// is not a known zone.
func (s Session) Location(def *time.Location) *time.Location {
	if s.TimeZone != "" {
		if loc, err := time.LoadLocation(s.TimeZone); err == nil {
			return loc
		}
	}
	return def
}

// LoadTimeZone checks an IANA time zone name such as "America/Chicago".
// Empty, "Local" and over-long names are refused: a patient's zone must be
// explicit.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, " \\") {
		return nil, fmt.Errorf("flows: %q is not a time zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("flows: unknown time zone %q", name)
	}
	return loc, nil
}

// onDay returns hh:mm on the calendar day of t (in t's location) plus days.
// Going by the calendar keeps 10:00 local at 10:00 across a daylight-saving
// change, where adding 24h would not.
func onDay(t time.Time, days, hour, minute int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+days, hour, minute, 0, 0, t.Location())
}

// nextAt returns the first hh:mm local (in loc) after now.
func nextAt(now time.Time, loc *time.Location, hour, minute int) time.Time {
	local := now.In(loc)
	t := onDay(local, 0, hour, minute)
	if !t.After(now) {
		t = onDay(local, 1, hour, minute)
	}
	return t
}

// nextWeekly returns the first weekday at hh:mm local (in loc) after now.
func nextWeekly(now time.Time, loc *time.Location, day time.Weekday, hour, minute int) time.Time {
	t := nextAt(now, loc, hour, minute)
	for t.Weekday() != day {
		t = onDay(t, 1, hour, minute)
	}
	return t
}

// later adds d to t, by calendar days in loc when d is whole days.
func later(t time.Time, d time.Duration, loc *time.Location) time.Time {
	if d > 0 && d%(24*time.Hour) == 0 {
		local := t.In(loc)
		return time.Date(local.Year(), local.Month(), local.Day()+int(d/(24*time.Hour)),
			local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), loc)
	}
	return t.Add(d)
}

// first is when the job was first due.
func (j Job) first() time.Time {
	if j.First.IsZero() {
		return j.Due
	}
	return j.First
}

// takenDose returns the session's dose if it is run and was taken.
func (s Session) takenDose(run string) *Dose {
	if d := s.Dose; d != nil && d.Run == run && !d.TakenAt.IsZero() {
		return d
	}
	return nil
}

// doneSince reports whether flow finished (not cancelled) after t.
func (s Session) doneSince(flow string, t time.Time) bool {
	at, ok := s.Done[flow]
	return ok && at.After(t)
}

// markDone records that the session's flow finished at now with outcome.
func (s *Session) markDone(outcome string, now time.Time) {
	if s.Flow == "" || outcome == OutcomeCancelled {
		return
	}
	done := maps.Clone(s.Done)
	if done == nil {
		done = map[string]time.Time{}
	}
	done[s.Flow] = now
	s.Done = done
}

// isCheck reports whether flowID is a pre-dose style check (the default
// protocol's is "predose"; a clinic's may have another id).
func (p *Protocol) isCheck(flowID string) bool {
	f := p.Flow(flowID)
	return f != nil && f.Kind == KindCheck
}

// checkedInSince reports whether the patient finished a pre-dose check
// (cleared or held) after t.
func (p *Protocol) checkedInSince(s Session, t time.Time) bool {
	for id := range s.Done {
		if p.isCheck(id) && s.doneSince(id, t) {
			return true
		}
	}
	return false
}

// busy reports whether the patient is in the middle of a run they have been
// answering recently (or that has just started).
func (s Session) busy(now time.Time) bool {
	if s.Flow == "" {
		return false
	}
	last := s.StartedAt
	if n := len(s.Answers); n > 0 && s.Answers[n-1].At.After(last) {
		last = s.Answers[n-1].At
	}
	return now.Sub(last) < idleAfter
}

// doseJobs are the timeline of a dose taken at now: the ping, the
// post-session check-in, the next-day follow-up at FollowUpAt in the
// patient's time zone, and the first weekly instruments if their series
// has not started yet.
func (p *Protocol) doseJobs(s *Session, run string, now time.Time) []Job {
	tl := p.Timeline
	local := now.In(s.Location(now.Location()))
	jobs := []Job{
		{Kind: JobPing, Due: now.Add(tl.PingAfterDose.D()), Run: run},
		{Kind: JobPostSession, Due: now.Add(tl.PostSession.D()), Run: run},
		{Kind: JobFollowUp, Due: onDay(local, 1, tl.FollowUpAt.Hour, tl.FollowUpAt.Minute), Run: run},
	}
	return append(jobs, p.startInstruments(s, now)...)
}

// startInstruments starts the weekly series of every instrument flow that
// has none yet, one after the other, at FollowUpAt (the protocol's morning
// check-in time) in the patient's time zone: the morning after the dose day
// when a schedule is set, so they never get in the way of a pre-dose check,
// else the next morning (after a dose: with the follow-up).
func (p *Protocol) startInstruments(s *Session, now time.Time) []Job {
	loc := s.Location(now.Location())
	fu := p.Timeline.FollowUpAt
	start := nextAt(now, loc, fu.Hour, fu.Minute)
	if sch := s.Schedule; sch != nil {
		start = nextWeekly(now, loc, (sch.Weekday+1)%7, fu.Hour, fu.Minute)
	}
	var jobs []Job
	next := maps.Clone(s.Instruments)
	i := 0
	for _, f := range p.InstrumentFlows() {
		due := start.Add(time.Duration(i) * instrumentStagger)
		i++
		if _, ok := next[f.ID]; ok {
			continue
		}
		if next == nil {
			next = map[string]time.Time{}
		}
		next[f.ID] = due
		jobs = append(jobs, Job{Kind: JobInstrument, Due: due, Flow: f.ID, First: due})
	}
	s.Instruments = next
	return jobs
}

// RunJob decides what a due timed job does. A job the session no longer
// wants (stale, already run, or for a check-in the clinic's protocol does
// not have) returns the session unchanged and no replies. The error is
// non-nil only for a job this engine cannot run (an unknown kind), and then
// the Outcome is the same no-op: a job never sends a patient an apology out
// of the blue.
func (p *Protocol) RunJob(s Session, job Job, now time.Time) (Outcome, error) {
	out, err := p.runJob(s, job, now)
	p.guard(&out, now)
	return out, err
}

func (p *Protocol) runJob(s Session, job Job, now time.Time) (Outcome, error) {
	switch job.Kind {
	case JobPing, JobPingRetry:
		return p.ping(s, job, now), nil
	case JobNoResponse:
		return p.noResponse(s, job, now), nil
	case JobPostSession:
		d := s.takenDose(job.Run)
		if d == nil || !d.PostSessionAt.IsZero() || s.doneSince(p.Timeline.PostSessionFlow(), d.TakenAt) {
			return Outcome{Session: s}, nil // already did /after, or a newer dose
		}
		return p.startByJob(s, job, p.Timeline.PostSessionFlow(), now, func(d *Dose) { d.PostSessionAt = now })
	case JobFollowUp:
		d := s.takenDose(job.Run)
		if d == nil || !d.FollowUpAt.IsZero() || s.doneSince(p.Timeline.FollowUpFlow(), d.TakenAt) {
			return Outcome{Session: s}, nil
		}
		return p.startByJob(s, job, p.Timeline.FollowUpFlow(), now, func(d *Dose) { d.FollowUpAt = now })
	case JobInstrument:
		return p.instrument(s, job, now)
	case JobReminder:
		return p.reminder(s, job, now), nil
	case JobMissedDose:
		return p.missedDose(s, job, now), nil
	}
	return Outcome{Session: s}, fmt.Errorf("flows: job kind %q is not run by the engine", job.Kind)
}

// startByJob starts a check-in the timeline asks for. If the patient is
// busy answering another check-in, interrupting would throw their answers
// away, so the job is put off by deferBy and tried again; a run that has
// had no answer for idleAfter is abandoned, and the due check-in replaces
// it (Start says so). mark records on the dose that the step ran.
func (p *Protocol) startByJob(s Session, job Job, flowID string, now time.Time, mark func(*Dose)) (Outcome, error) {
	if p.Flow(flowID) == nil {
		return Outcome{Session: s}, nil // the clinic's protocol has no such check-in
	}
	if s.Flow == flowID {
		return Outcome{Session: s}, nil // the patient is already doing it
	}
	if s.busy(now) {
		return p.putOff(s, job, now), nil
	}
	out, err := p.Start(s, flowID, now)
	if err != nil {
		return Outcome{Session: s}, err
	}
	if mark != nil && out.Session.Dose != nil {
		d := *out.Session.Dose
		mark(&d)
		out.Session.Dose = &d
	}
	return out, nil
}

// putOff schedules the job again in deferBy, keeping when it was first due.
func (p *Protocol) putOff(s Session, job Job, now time.Time) Outcome {
	job.First = job.first()
	job.Due = now.Add(deferBy)
	return Outcome{Session: s, Jobs: []Job{job}}
}

// instrument runs one week of an instrument's series: it starts the
// instrument (unless the patient did it within the last half interval of
// their own accord) and schedules next week's, at the same local time.
func (p *Protocol) instrument(s Session, job Job, now time.Time) (Outcome, error) {
	due, ok := s.Instruments[job.Flow]
	if !ok || !due.Equal(job.first()) {
		return Outcome{Session: s}, nil
	}
	if p.Flow(job.Flow) == nil {
		return Outcome{Session: s}, nil // the clinic dropped the instrument: the series ends
	}
	if s.Flow != job.Flow && s.busy(now) {
		return p.putOff(s, job, now), nil
	}
	interval := p.Timeline.Instruments.D()
	next := later(due, interval, s.Location(now.Location()))
	if !next.After(now) {
		// The bot was down for more than a week: resume the series from now.
		next = later(now, interval, s.Location(now.Location()))
	}
	inst := maps.Clone(s.Instruments)
	inst[job.Flow] = next
	s.Instruments = inst
	jobs := []Job{{Kind: JobInstrument, Due: next, Flow: job.Flow, First: next}}
	if s.Flow == job.Flow || s.doneSince(job.Flow, due.Add(-interval/2)) {
		return Outcome{Session: s, Jobs: jobs}, nil
	}
	out, err := p.Start(s, job.Flow, now)
	out.Jobs = append(out.Jobs, jobs...)
	return out, err
}

// reshow is the current question again when a run is in progress, so a
// timeline message sent in between does not bury it.
func (p *Protocol) reshow(s Session) []Reply {
	if s.Flow == "" {
		return nil
	}
	if f := p.Flow(s.Flow); f != nil && f.Item(s.State) != nil {
		return []Reply{p.currentPrompt(s, f.Item(s.State))}
	}
	return nil
}

// pingReply is the ping message with its buttons for the dose run.
func (p *Protocol) pingReply(text, run string) Reply {
	m := &p.Messages
	return Reply{Text: text, Buttons: [][]Button{{
		{Label: m.PingOKLabel, Data: EncodeAnswer(run, PingItem, PingOK)},
		{Label: m.PingHelpLabel, Data: EncodeAnswer(run, PingItem, PingHelp)},
	}}}
}

// sendPing sends the ping (text) for dose d, notes it as the awaited
// prompt when no run is in progress, and schedules the next step: a job of
// kind next after wait.
func (p *Protocol) sendPing(s Session, d Dose, text, next string, wait time.Duration, now time.Time) Outcome {
	s.Dose = &d
	r := p.pingReply(text, d.Run)
	if s.Flow == "" {
		s.Prompt = &r
	}
	return Outcome{Session: s, Replies: append([]Reply{r}, p.reshow(s)...),
		Jobs: []Job{{Kind: next, Due: now.Add(wait), Run: d.Run}}}
}

// ping sends "how are you doing?" after the dose (JobPing), or sends it
// again when the first got no answer (JobPingRetry); a ping already
// answered, or already sent at that step, sends nothing.
func (p *Protocol) ping(s Session, job Job, now time.Time) Outcome {
	d := s.takenDose(job.Run)
	if d == nil || d.PingAnswer != "" {
		return Outcome{Session: s}
	}
	nd := *d
	switch job.Kind {
	case JobPing:
		// Done with the post-session check-in already (it asks about red
		// flags and self-harm): the ping would only ask again.
		if !d.PingedAt.IsZero() || s.doneSince(p.Timeline.PostSessionFlow(), d.TakenAt) {
			return Outcome{Session: s}
		}
		nd.PingedAt = now
		return p.sendPing(s, nd, p.Messages.Ping, JobPingRetry, p.Timeline.PingRetry.D(), now)
	default: // JobPingRetry
		if d.PingedAt.IsZero() || !d.RepingedAt.IsZero() {
			return Outcome{Session: s}
		}
		nd.RepingedAt = now
		return p.sendPing(s, nd, p.Messages.PingAgain, JobNoResponse, p.Timeline.NoResponse.D(), now)
	}
}

func (p *Protocol) noResponse(s Session, job Job, now time.Time) Outcome {
	d := s.takenDose(job.Run)
	if d == nil || d.RepingedAt.IsZero() || !d.NoResponseAt.IsZero() || d.PingAnswer != "" {
		return Outcome{Session: s}
	}
	nd := *d
	nd.NoResponseAt = now
	s.Dose = &nd
	after := func(t time.Time) string { return HumanDuration(t.Sub(d.TakenAt)) }
	esc := Escalation{
		Level: High, Flow: FlowTimeline, Item: PingItem, Question: "How are you doing? (ping after dose)",
		Answer: "no answer",
		Reason: fmt.Sprintf("No response after dose: pinged %s and %s after the dose, no answer for %s",
			after(d.PingedAt), after(d.RepingedAt), HumanDuration(now.Sub(d.PingedAt))),
		At: now,
	}
	return Outcome{Session: s, Escalations: []Escalation{esc},
		Replies: append([]Reply{{Text: p.Messages.NoResponse}}, p.reshow(s)...)}
}

// pingAnswer handles a press of [I'm OK] or [I need help]. "I need help"
// always raises an URGENT escalation, even on an old ping: it is a patient
// asking for help, whatever the state of the timeline.
func (p *Protocol) pingAnswer(s Session, b ButtonPress, now time.Time) Outcome {
	m := &p.Messages
	var label string
	switch b.Value {
	case PingOK:
		label = m.PingOKLabel
	case PingHelp:
		label = m.PingHelpLabel
	default:
		return Outcome{Session: s, Replies: append([]Reply{{Text: m.Stale}}, p.reshow(s)...)}
	}
	d := s.takenDose(b.Run)
	if b.Value == PingOK && (d == nil || d.PingAnswer != "") {
		return Outcome{Session: s, Replies: append([]Reply{{Text: m.PingAlready}}, p.reshow(s)...)}
	}
	ans := Answer{Flow: FlowTimeline, Run: b.Run, Item: PingItem, Value: b.Value, Display: label, At: now, ProtocolVersion: p.Version}
	out := Outcome{Accepted: &ans, Answers: []Answer{ans}}
	late := false
	if d != nil && d.PingAnswer == "" {
		nd := *d
		nd.PingAnswer, nd.PingAnsweredAt = b.Value, now
		late = !d.NoResponseAt.IsZero()
		s.Dose = &nd
	}
	if s.Flow == "" {
		s.Prompt = nil // the ping was the awaited prompt
	}
	if b.Value == PingOK {
		text := m.PingThanks
		if late {
			text = m.PingLate
		}
		out.Replies = []Reply{{Text: text}}
	} else {
		out.Escalations = []Escalation{{
			Level: Urgent, Flow: FlowTimeline, Item: PingItem, Question: "How are you doing? (ping after dose)",
			Answer: label, Reason: `Patient pressed "I need help" after the dose`, At: now,
		}}
		out.Replies = []Reply{{Text: strings.Join([]string{m.PingHelped, p.Crisis.Text(GroupMedical), m.EscalatedUrgent}, "\n\n")}}
	}
	out.Replies = append(out.Replies, p.reshow(s)...)
	out.Session = s
	return out
}

// pingWords read a typed answer to the ping, after lower-casing and
// trimming punctuation.
var pingWords = map[string]string{
	"ok": PingOK, "okay": PingOK, "i'm ok": PingOK, "im ok": PingOK, "i am ok": PingOK,
	"i'm okay": PingOK, "im okay": PingOK, "i am okay": PingOK, "fine": PingOK, "i'm fine": PingOK,
	"im fine": PingOK, "i am fine": PingOK, "good": PingOK, "all good": PingOK,
	"help": PingHelp, "i need help": PingHelp, "need help": PingHelp, "sos": PingHelp, "help me": PingHelp,
}

// pingTyped handles typed text while the ping awaits an answer and no run is
// in progress: "ok" or "help" in a few wordings answer it, anything else
// shows the ping again. ok is false when no ping is awaited.
func (p *Protocol) pingTyped(s Session, text string, now time.Time) (Outcome, bool) {
	d := s.Dose
	if s.Flow != "" || d == nil || d.TakenAt.IsZero() || d.PingedAt.IsZero() || d.PingAnswer != "" {
		return Outcome{}, false
	}
	norm := strings.Join(strings.Fields(strings.ToLower(strings.Trim(text, " .!?,\u2019"))), " ")
	norm = strings.ReplaceAll(norm, "\u2019", "'")
	if v, ok := pingWords[norm]; ok {
		return p.pingAnswer(s, ButtonPress{Run: d.Run, Item: PingItem, Value: v}, now), true
	}
	r := p.pingReply(p.Messages.PingReask, d.Run)
	return Outcome{Session: s, Replies: []Reply{r}}, true
}

// reminder sends the dose-day reminder and schedules next week's, plus the
// check at the end of this dose day. A reminder that runs only after its day
// is over (the bot was down) is not sent: it would name the wrong day. It
// is not sent either when the patient is already checking in, or did today.
func (p *Protocol) reminder(s Session, job Job, now time.Time) Outcome {
	sch := s.Schedule
	if sch == nil || sch.Run != job.Run || !sch.Next.Equal(job.first()) {
		return Outcome{Session: s}
	}
	loc := s.Location(now.Location())
	occ := sch.Next.In(loc)
	dayStart, dayEnd := onDay(occ, 0, 0, 0), onDay(occ, 1, 0, 0)
	next := *sch
	next.Next = onDay(occ, 7, sch.Hour, sch.Minute)
	if !next.Next.After(now) {
		// The bot was down for more than a week: carry on from now.
		next.Next = nextWeekly(now, loc, sch.Weekday, sch.Hour, sch.Minute)
	}
	s.Schedule = &next
	out := Outcome{Session: s, Jobs: []Job{
		{Kind: JobReminder, Due: next.Next, Run: sch.Run},
		{Kind: JobMissedDose, Due: dayEnd, Run: sch.Run, First: dayStart},
	}}
	if now.Before(dayEnd) && !p.isCheck(s.Flow) && !p.checkedInSince(s, dayStart) {
		text := p.Messages.Reminder
		if !s.GateOpen(now) {
			// No "send /checkin" that would be refused: say why instead.
			text = p.gateRefusal(s, now).Text
		}
		out.Replies = append([]Reply{{Text: text}}, p.reshow(s)...)
	}
	return out
}

// missedDose raises a ROUTINE escalation when a scheduled dose day (from
// job.First, its local midnight, to now) passed without a pre-dose check-in
// that finished, cleared or held. The patient is not messaged: it is
// midnight where they are.
func (p *Protocol) missedDose(s Session, job Job, now time.Time) Outcome {
	sch := s.Schedule
	day := job.first()
	if sch == nil || sch.Run != job.Run || !day.After(sch.Checked) {
		return Outcome{Session: s}
	}
	next := *sch
	next.Checked = day
	s.Schedule = &next
	if p.checkedInSince(s, day) || !s.GateOpen(now) {
		// Checked in, or the gate kept them from it (the clinicians know why).
		return Outcome{Session: s}
	}
	loc := s.Location(now.Location())
	esc := Escalation{
		Level: Routine, Flow: FlowTimeline, Item: ItemDoseDay, Question: "Check-in on the scheduled dose day",
		Answer: "no check-in",
		Reason: fmt.Sprintf("No pre-dose check-in on the scheduled dose day, %s (%s)", day.In(loc).Format("Mon 2 Jan"), loc),
		At:     now,
	}
	return Outcome{Session: s, Escalations: []Escalation{esc}}
}

// SetSchedule sets the patient's weekly dose day (weekday at hour:minute in
// time zone tz) as a clinician asked, or removes it when sch is nil. The
// first reminder comes at the next such time; the weekly instruments start
// if they have not. The patient is told. The error is non-nil for an
// unknown time zone or an impossible time, and then nothing changes.
func (p *Protocol) SetSchedule(s Session, sch *DoseSchedule, tz string, now time.Time) (Outcome, error) {
	m := &p.Messages
	if sch == nil {
		s.Schedule = nil
		return Outcome{Session: s, Replies: append([]Reply{{Text: m.ScheduleOff}}, p.reshow(s)...)}, nil
	}
	loc, err := LoadTimeZone(tz)
	if err != nil {
		return Outcome{Session: s}, err
	}
	if sch.Weekday < time.Sunday || sch.Weekday > time.Saturday || sch.Hour < 0 || sch.Hour > 23 || sch.Minute < 0 || sch.Minute > 59 {
		return Outcome{Session: s}, fmt.Errorf("flows: no such dose time: day %d %02d:%02d", sch.Weekday, sch.Hour, sch.Minute)
	}
	avoid := []string{}
	if s.Schedule != nil {
		avoid = append(avoid, s.Schedule.Run)
	}
	s.TimeZone = tz
	next := nextWeekly(now, loc, sch.Weekday, sch.Hour, sch.Minute)
	set := DoseSchedule{Weekday: sch.Weekday, Hour: sch.Hour, Minute: sch.Minute, Run: newRun(now, avoid...), Next: next}
	s.Schedule = &set
	jobs := []Job{{Kind: JobReminder, Due: next, Run: set.Run}}
	jobs = append(jobs, p.startInstruments(&s, now)...)
	text := fill(m.ScheduleSet, "day", dayName(m.DoseDays, set.Weekday), "time", fmt.Sprintf("%02d:%02d", set.Hour, set.Minute), "tz", tz)
	return Outcome{Session: s, Jobs: jobs, Replies: append([]Reply{{Text: text}}, p.reshow(s)...)}, nil
}
