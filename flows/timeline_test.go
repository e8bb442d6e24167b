package flows

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// tl drives the session timeline: it takes a dose, then runs the jobs the
// engine scheduled as the clock reaches them, like bot's worker does.
type tl struct {
	*walker
	jobs []Job // scheduled, not yet run
}

func newTL(t *testing.T, tz string) *tl {
	x := &tl{walker: newWalker(t, testProtocol(t))}
	x.s.TimeZone = tz
	return x
}

// takeDose clears the pre-dose check and presses "I've taken my dose".
func (x *tl) takeDose() Outcome {
	x.t.Helper()
	out := x.walkPreDoseSafe()
	bp, ok := DecodeAnswer(last(out).Buttons[0][0].Data)
	if !ok || bp.Item != DoseItem {
		x.t.Fatalf("no dose button: %+v", last(out))
	}
	out = x.step(Input{Button: &bp})
	x.jobs = append(x.jobs, out.Jobs...)
	return out
}

// job returns the scheduled job of kind (and flow, for instruments).
func (x *tl) job(kind string, flow ...string) Job {
	x.t.Helper()
	for _, j := range x.jobs {
		if j.Kind == kind && (len(flow) == 0 || j.Flow == flow[0]) {
			return j
		}
	}
	x.t.Fatalf("no %s job scheduled in %+v", kind, x.jobs)
	return Job{}
}

// run runs job at its due time (or at now, if later), records what it
// scheduled, and checks the outcome as every engine step is checked.
func (x *tl) run(j Job) Outcome {
	x.t.Helper()
	if j.Due.After(x.now) {
		x.now = j.Due
	}
	x.jobs = slices.DeleteFunc(x.jobs, func(o Job) bool { return o == j })
	out, err := x.p.RunJob(x.s, j, x.now)
	if err != nil {
		x.t.Fatalf("RunJob(%+v): %v", j, err)
	}
	for _, r := range out.Replies {
		if strings.TrimSpace(r.Text) == "" {
			x.t.Fatalf("empty reply from %s job", j.Kind)
		}
	}
	x.s = out.Session
	x.jobs = append(x.jobs, out.Jobs...)
	return out
}

// stale checks that running j now changes nothing and says nothing.
func (x *tl) stale(j Job) {
	x.t.Helper()
	before := x.s
	out, err := x.p.RunJob(x.s, j, x.now)
	if err != nil || !reflect.DeepEqual(out, Outcome{Session: before}) {
		x.t.Fatalf("%s job should be stale: %+v %v", j.Kind, out, err)
	}
}

// pingPress presses a button of the ping reply.
func (x *tl) pingPress(r Reply, label string) Outcome {
	x.t.Helper()
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Label == label {
				bp, _ := DecodeAnswer(b.Data)
				return x.step(Input{Button: &bp})
			}
		}
	}
	x.t.Fatalf("no %q button on %+v", label, r)
	return Outcome{}
}

func TestPingRetryNoResponse(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	taken := x.s.Dose.TakenAt
	ping := x.job(JobPing)
	if ping.Due.Sub(taken) != time.Hour {
		t.Fatalf("ping due %v after the dose", ping.Due.Sub(taken))
	}
	out := x.run(ping)
	if len(out.Replies) != 1 || !strings.Contains(out.Replies[0].Text, "How are you doing") || len(out.Replies[0].Buttons[0]) != 2 {
		t.Fatalf("ping = %+v", out.Replies)
	}
	if x.s.Prompt == nil || x.s.Prompt.Text != out.Replies[0].Text || !reflect.DeepEqual(x.p.Resume(x.s), out.Replies[0]) {
		t.Fatalf("the ping is not the awaited prompt: %+v", x.s.Prompt)
	}
	x.stale(ping) // a second run (a crash before DoneJob) pings no one twice

	retry := x.job(JobPingRetry)
	if retry.Due.Sub(x.now) != 30*time.Minute {
		t.Fatalf("retry due %v after the ping", retry.Due.Sub(x.now))
	}
	out = x.run(retry)
	if !strings.Contains(allText(out), "checking in again") || len(out.Replies[0].Buttons) != 1 || len(out.Escalations) != 0 {
		t.Fatalf("retry = %+v", out)
	}
	x.stale(retry)

	nr := x.job(JobNoResponse)
	if nr.Due.Sub(x.now) != 15*time.Minute {
		t.Fatalf("no-response due %v after the retry", nr.Due.Sub(x.now))
	}
	out = x.run(nr)
	if !slices.Equal(levels(out), []Level{High}) || !strings.Contains(out.Escalations[0].Reason, "No response after dose") {
		t.Fatalf("no response = %+v", out.Escalations)
	}
	if !strings.Contains(allText(out), "care team know") || len(out.Jobs) != 0 {
		t.Fatalf("no response = %+v", out)
	}
	x.stale(nr)

	// A late "I'm OK" is thanked and says the care team may still call.
	out = x.pingPress(*x.s.Prompt, "I'm OK")
	if !strings.Contains(allText(out), "may still get in touch") || out.Accepted == nil || x.s.Prompt != nil {
		t.Fatalf("late OK = %+v", out)
	}
}

func TestPingAnsweredStopsTheLadder(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	out := x.run(x.job(JobPing))
	x.now = x.now.Add(5 * time.Minute)
	out = x.pingPress(out.Replies[0], "I'm OK")
	if !strings.Contains(allText(out), "Thanks for letting me know") || len(out.Escalations) != 0 || out.Accepted == nil || out.Accepted.Value != PingOK {
		t.Fatalf("OK = %+v", out)
	}
	if x.s.Dose.PingAnswer != PingOK || x.s.Prompt != nil {
		t.Fatalf("dose = %+v", x.s.Dose)
	}
	x.stale(x.job(JobPingRetry))
	// Pressing it again is answered, and changes nothing.
	again := x.pingPress(Reply{Buttons: x.p.pingReply("", x.s.Dose.Run).Buttons}, "I'm OK")
	if !strings.Contains(allText(again), "already have your answer") || len(again.Answers) != 0 {
		t.Fatalf("second OK = %+v", again)
	}
}

func TestPingINeedHelpIsUrgent(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	out := x.run(x.job(JobPing))
	out = x.pingPress(out.Replies[0], "I need help")
	if !slices.Equal(levels(out), []Level{Urgent}) || out.Escalations[0].Item != PingItem {
		t.Fatalf("help = %+v", out.Escalations)
	}
	assertCrisis(t, out)
	x.stale(x.job(JobPingRetry))
	// "I need help" on a ping from an old dose still reaches a clinician.
	old := x.pingPress(Reply{Buttons: x.p.pingReply("", "old-run").Buttons}, "I need help")
	if !slices.Equal(levels(old), []Level{Urgent}) {
		t.Fatalf("old help = %+v", old.Escalations)
	}
}

func TestPingTypedAnswers(t *testing.T) {
	for _, c := range []struct {
		text  string
		value string // "" for a re-ask
	}{
		{"ok", PingOK}, {"I'm OK!", PingOK}, {"  Fine. ", PingOK}, {"I’m okay", PingOK},
		{"help", PingHelp}, {"I need help", PingHelp},
		{"what?", ""}, {" ", ""},
	} {
		x := newTL(t, "")
		x.takeDose()
		x.run(x.job(JobPing))
		out := x.text(c.text)
		switch c.value {
		case "":
			if x.s.Dose.PingAnswer != "" || len(out.Replies) != 1 || len(out.Replies[0].Buttons) != 1 || !strings.Contains(out.Replies[0].Text, "tap I'm OK") {
				t.Errorf("%q: %+v", c.text, out)
			}
		default:
			if x.s.Dose.PingAnswer != c.value || out.Accepted == nil {
				t.Errorf("%q: answer %q, want %q", c.text, x.s.Dose.PingAnswer, c.value)
			}
		}
	}
	// Without an awaited ping, typed "ok" is just idle text.
	w := newWalker(t, testProtocol(t))
	if out := w.text("ok"); !strings.Contains(out.Replies[0].Text, "/checkin") {
		t.Fatalf("idle ok = %+v", out)
	}
}

func TestPingDuringACheckInReshowsTheQuestion(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	x.start(FlowPostSession) // the patient began /after early
	x.answer("better")
	q := *x.s.Prompt
	out := x.run(x.job(JobPing))
	if len(out.Replies) != 2 || !reflect.DeepEqual(out.Replies[1], q) || x.s.Prompt.Text != q.Text {
		t.Fatalf("ping mid-flow = %+v", out.Replies)
	}
	// Typed text still answers the question, not the ping.
	x.answer("none")
	if x.s.State != "dizziness" {
		t.Fatalf("state %q", x.s.State)
	}
	out = x.pingPress(out.Replies[0], "I'm OK")
	if x.s.Dose.PingAnswer != PingOK || !reflect.DeepEqual(last(out), *x.s.Prompt) {
		t.Fatalf("OK mid-flow = %+v", out)
	}
}

func TestPostSessionStartsByItself(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	post := x.job(JobPostSession)
	if post.Due.Sub(x.s.Dose.TakenAt) != 2*time.Hour {
		t.Fatalf("post-session due %v after the dose", post.Due.Sub(x.s.Dose.TakenAt))
	}
	out := x.run(post)
	if x.s.Flow != FlowPostSession || !strings.Contains(allText(out), "winding down") || x.s.Dose.PostSessionAt.IsZero() {
		t.Fatalf("post-session = %+v", out)
	}
	x.stale(post)
	// Cancelled by the patient: the timeline does not bring it back.
	x.s = x.p.Cancel(x.s, x.now).Session
	x.stale(post)
}

// doneBeforeItsJob: the patient took the dose and ran flow by hand before
// its timed job came due; the job then does nothing.
func doneBeforeItsJob(t *testing.T, flow string, safe map[string]string, job string) *tl {
	t.Helper()
	x := newTL(t, "")
	x.takeDose()
	x.start(flow)
	x.answerSafely(safe)
	x.stale(x.job(job))
	return x
}

func TestPostSessionAlreadyDone(t *testing.T) {
	x := doneBeforeItsJob(t, FlowPostSession, safePost, JobPostSession)
	x.stale(x.job(JobPing)) // the check-in asked about red flags already
}

func TestPostSessionWaitsForACheckInInProgress(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	x.run(x.job(JobPing))
	x.text("ok")
	post := x.job(JobPostSession)
	x.now = post.Due.Add(-time.Minute)
	x.start(FlowPHQ9)
	x.answer("1")
	out := x.run(post)
	if x.s.Flow != FlowPHQ9 || len(out.Replies) != 0 || len(out.Jobs) != 1 {
		t.Fatalf("not put off: %+v", out)
	}
	again := out.Jobs[0]
	if again.Kind != JobPostSession || again.Due.Sub(x.now) != deferBy || !again.First.Equal(post.Due) {
		t.Fatalf("put off as %+v", again)
	}
	// The patient finishes PHQ-9; the next try starts the check-in.
	for x.s.Flow != "" {
		x.answer("0")
		if x.s.State == "difficulty" {
			x.answer("not")
		}
	}
	if out := x.run(again); x.s.Flow != FlowPostSession || out.Completion != nil {
		t.Fatalf("after PHQ-9: %+v", out)
	}
}

func TestPostSessionReplacesAnAbandonedRun(t *testing.T) {
	x := newTL(t, "")
	x.takeDose()
	x.start(FlowGAD7)
	x.answer("1")
	post := x.job(JobPostSession)
	x.now = post.Due.Add(idleAfter) // no answer for over an hour
	out := x.run(post)
	if x.s.Flow != FlowPostSession || out.Completion == nil || out.Completion.Outcome != OutcomeCancelled || !strings.Contains(allText(out), "stopped the unfinished") {
		t.Fatalf("abandoned run: %+v", out)
	}
}

func TestFollowUpAtTenLocalAcrossDST(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		dose  time.Time // local
		want  time.Time // UTC
		hours float64   // from a 10:00 dose
	}{
		// Clocks go forward at 02:00 on Sun 9 Mar 2025: 10:00 CDT is 15:00 UTC.
		{"spring forward", time.Date(2025, 3, 8, 10, 0, 0, 0, chicago), time.Date(2025, 3, 9, 15, 0, 0, 0, time.UTC), 23},
		// Clocks go back at 02:00 on Sun 2 Nov 2025: 10:00 CST is 16:00 UTC.
		{"fall back", time.Date(2025, 11, 1, 10, 0, 0, 0, chicago), time.Date(2025, 11, 2, 16, 0, 0, 0, time.UTC), 25},
		{"ordinary day", time.Date(2025, 6, 7, 10, 0, 0, 0, chicago), time.Date(2025, 6, 8, 15, 0, 0, 0, time.UTC), 24},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := newTL(t, "America/Chicago")
			x.now = c.dose.UTC().Add(-10 * time.Minute) // the server's clock is UTC
			x.takeDose()
			fu := x.job(JobFollowUp)
			if !fu.Due.Equal(c.want) || fu.Due.In(chicago).Hour() != 10 {
				t.Fatalf("follow-up at %v (%v local), want %v", fu.Due.UTC(), fu.Due.In(chicago), c.want)
			}
			if got := fu.Due.Sub(x.s.Dose.TakenAt).Hours(); got < c.hours || got > c.hours+0.5 {
				t.Errorf("follow-up %.1f h after the dose, want about %v", got, c.hours)
			}
			x.run(x.job(JobPing))
			x.text("ok")
			x.run(x.job(JobPostSession))
			x.answerSafely(safePost)
			out := x.run(fu)
			if x.s.Flow != FlowFollowUp || !strings.Contains(allText(out), "Good morning") {
				t.Fatalf("follow-up = %+v", out)
			}
			x.stale(fu)
		})
	}
}

func TestFollowUpDoneEarly(t *testing.T) {
	doneBeforeItsJob(t, FlowFollowUp, safeFollowUp, JobFollowUp)
}

func TestWeeklyInstruments(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	x := newTL(t, "America/Chicago")
	x.now = time.Date(2025, 3, 1, 12, 0, 0, 0, chicago).UTC() // Sat 1 Mar, a week before DST
	x.takeDose()
	phq, gad := x.job(JobInstrument, FlowPHQ9), x.job(JobInstrument, FlowGAD7)
	if want := time.Date(2025, 3, 2, 10, 0, 0, 0, chicago); !phq.Due.Equal(want) || !gad.Due.Equal(want.Add(time.Minute)) {
		t.Fatalf("first instruments at %v and %v, want %v", phq.Due, gad.Due, want)
	}
	// The follow-up comes due at the same time and goes first.
	x.run(x.job(JobPing))
	x.text("ok")
	x.run(x.job(JobPostSession))
	x.answerSafely(safePost)
	x.run(x.job(JobFollowUp))
	out := x.run(phq)
	if x.s.Flow != FlowFollowUp || len(out.Jobs) != 1 || out.Jobs[0].Due.Sub(x.now) != deferBy {
		t.Fatalf("PHQ-9 during the follow-up: %+v", out)
	}
	x.answerSafely(safeFollowUp)
	out = x.run(out.Jobs[0])
	if x.s.Flow != FlowPHQ9 || !strings.Contains(allText(out), "weekly mood questionnaire") {
		t.Fatalf("PHQ-9 = %+v", out)
	}
	// Next week's is at 10:00 local too, although the clocks changed.
	next := x.job(JobInstrument, FlowPHQ9)
	if want := time.Date(2025, 3, 9, 10, 0, 0, 0, chicago); !next.Due.Equal(want) || !x.s.Instruments[FlowPHQ9].Equal(want) {
		t.Fatalf("next PHQ-9 at %v, want %v", next.Due.In(chicago), want)
	}
	x.stale(phq)
	// GAD-7 waits for PHQ-9 to be answered, then starts.
	out = x.run(gad)
	if x.s.Flow != FlowPHQ9 || len(out.Jobs) != 1 {
		t.Fatalf("GAD-7 during PHQ-9: %+v", out)
	}
	gadLater := out.Jobs[0]
	for x.s.Flow != "" {
		x.answer("0")
		if x.s.State == "difficulty" {
			x.answer("not")
		}
	}
	x.run(gadLater)
	if x.s.Flow != FlowGAD7 {
		t.Fatalf("GAD-7 did not start: %+v", x.s)
	}
	x.s = x.p.Cancel(x.s, x.now).Session

	// Done of the patient's own accord this week: next week's is skipped, the series goes on.
	x.now = next.Due.Add(-24 * time.Hour)
	x.start(FlowPHQ9)
	for x.s.Flow != "" {
		x.answer("0")
		if x.s.State == "difficulty" {
			x.answer("not")
		}
	}
	out = x.run(next)
	if x.s.Flow != "" || len(out.Replies) != 0 || len(out.Jobs) != 1 || out.Jobs[0].Due.In(chicago).Format("Mon 15:04") != "Sun 10:00" {
		t.Fatalf("recently done: %+v", out)
	}
}

func TestDoseDayReminderAndMissedDay(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	x := newTL(t, "")
	x.now = time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC) // Wed 5 Mar
	out, err := x.p.SetSchedule(x.s, &DoseSchedule{Weekday: time.Saturday, Hour: 10}, "America/Chicago", x.now)
	if err != nil {
		t.Fatal(err)
	}
	x.s = out.Session
	x.jobs = out.Jobs
	if !strings.Contains(allText(out), "Saturdays at 10:00 (America/Chicago time)") || x.s.TimeZone != "America/Chicago" {
		t.Fatalf("set = %+v", out)
	}
	if st := x.p.Status(x.s, x.now); !strings.Contains(st, "Your dose day is Saturday at 10:00 (America/Chicago time)") {
		t.Errorf("status: %q", st)
	}
	rem := x.job(JobReminder)
	if want := time.Date(2025, 3, 8, 16, 0, 0, 0, time.UTC); !rem.Due.Equal(want) {
		t.Fatalf("first reminder %v, want %v (10:00 CST)", rem.Due, want)
	}
	// The schedule starts the weekly instruments, the morning after the dose day.
	if phq := x.job(JobInstrument, FlowPHQ9); !phq.Due.Equal(time.Date(2025, 3, 9, 10, 0, 0, 0, chicago)) {
		t.Fatalf("first PHQ-9 at %v", phq.Due.In(chicago))
	}

	out = x.run(rem)
	if !strings.Contains(allText(out), "Today is your dose day") {
		t.Fatalf("reminder = %+v", out)
	}
	x.stale(rem)
	// Next week's is at 10:00 CDT: clocks went forward in between.
	rem2 := x.job(JobReminder)
	if want := time.Date(2025, 3, 15, 15, 0, 0, 0, time.UTC); !rem2.Due.Equal(want) || rem2.Due.In(chicago).Hour() != 10 {
		t.Fatalf("second reminder %v, want %v", rem2.Due, want)
	}
	// No check-in that Saturday: ROUTINE at midnight, once.
	missed := x.job(JobMissedDose)
	if want := time.Date(2025, 3, 9, 0, 0, 0, 0, chicago); !missed.Due.Equal(want) {
		t.Fatalf("missed-day check at %v, want %v", missed.Due.In(chicago), want)
	}
	out = x.run(missed)
	if !slices.Equal(levels(out), []Level{Routine}) || out.Escalations[0].Item != ItemDoseDay || len(out.Replies) != 0 ||
		!strings.Contains(out.Escalations[0].Reason, "Sat 8 Mar") {
		t.Fatalf("missed = %+v", out)
	}
	x.stale(missed)

	// The next Saturday the patient checks in (held is a check-in too): no escalation.
	out = x.run(rem2)
	x.start(FlowPreDose)
	x.answer("no") // no sitter: held, after the self-harm screen
	x.answer("no")
	if x.s.Flow != "" {
		t.Fatal("not held")
	}
	if out := x.run(x.job(JobMissedDose)); len(out.Escalations) != 0 {
		t.Fatalf("checked-in day escalated: %+v", out.Escalations)
	}
	// A reminder is not sent while the patient is already checking in.
	rem3 := x.job(JobReminder)
	x.now = rem3.Due.Add(-5 * time.Minute)
	x.start(FlowPreDose)
	if out := x.run(rem3); len(out.Replies) != 0 || len(out.Jobs) != 2 {
		t.Fatalf("reminder during check-in: %+v", out)
	}
}

func TestLateReminderIsNotSent(t *testing.T) {
	x := newTL(t, "")
	x.now = time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC)
	out, _ := x.p.SetSchedule(x.s, &DoseSchedule{Weekday: time.Saturday, Hour: 10}, "America/Chicago", x.now)
	x.s, x.jobs = out.Session, out.Jobs
	rem := x.job(JobReminder)
	x.now = rem.Due.Add(30 * time.Hour) // the bot was down over the whole Saturday
	out = x.run(rem)
	if len(out.Replies) != 0 {
		t.Fatalf("late reminder sent: %+v", out.Replies)
	}
	// The missed day is still reported, at once.
	if out := x.run(x.job(JobMissedDose)); !slices.Equal(levels(out), []Level{Routine}) {
		t.Fatalf("missed = %+v", out)
	}
}

func TestSetScheduleChangesAndErrors(t *testing.T) {
	p := testProtocol(t)
	now := time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC)
	for _, tz := range []string{"", "Local", "Mars/Olympus", "../etc/passwd", "America/Chicago "} {
		if out, err := p.SetSchedule(Session{}, &DoseSchedule{Weekday: time.Saturday, Hour: 10}, tz, now); err == nil || len(out.Jobs) != 0 {
			t.Errorf("tz %q accepted", tz)
		}
	}
	if _, err := p.SetSchedule(Session{}, &DoseSchedule{Weekday: time.Saturday, Hour: 24}, "UTC", now); err == nil {
		t.Error("hour 24 accepted")
	}
	out, err := p.SetSchedule(Session{}, &DoseSchedule{Weekday: time.Wednesday, Hour: 15}, "UTC", now)
	if err != nil || !out.Jobs[0].Due.Equal(now.AddDate(0, 0, 7)) {
		t.Fatalf("same weekday, same minute: next is in a week: %+v %v", out.Jobs, err)
	}
	first := out.Session
	out, _ = p.SetSchedule(first, &DoseSchedule{Weekday: time.Wednesday, Hour: 16}, "UTC", now)
	if out.Session.Schedule.Run == first.Schedule.Run || !out.Jobs[0].Due.Equal(now.Add(time.Hour)) || len(out.Jobs) != 1 {
		t.Fatalf("changed schedule: %+v", out)
	}
	// The old setting's reminder is stale now.
	old := Job{Kind: JobReminder, Due: first.Schedule.Next, Run: first.Schedule.Run}
	if o, _ := p.RunJob(out.Session, old, old.Due); len(o.Replies) != 0 || len(o.Jobs) != 0 {
		t.Fatalf("old reminder ran: %+v", o)
	}
	off, err := p.SetSchedule(out.Session, nil, "", now)
	if err != nil || off.Session.Schedule != nil || !strings.Contains(allText(off), "removed") {
		t.Fatalf("off = %+v %v", off, err)
	}
}

func TestRunJobUnknownKinds(t *testing.T) {
	p := testProtocol(t)
	for _, kind := range []string{JobRepage, "nonsense", ""} {
		out, err := p.RunJob(Session{}, Job{Kind: kind, Due: t0}, t0)
		if err == nil || !reflect.DeepEqual(out, Outcome{}) {
			t.Errorf("kind %q: %+v %v", kind, out, err)
		}
	}
	if RepageAfter(Urgent) != 5*time.Minute || RepageAfter(High) != 30*time.Minute || RepageAfter(Routine) != 0 {
		t.Error("re-page intervals differ from docs/clinical-basis.md")
	}
}

// TestTimelineOnAClinicProtocol runs the timeline on a protocol whose check
// is not called "predose" and that has no post-session check-in and no
// instruments: its own check counts as the dose day's check-in, and jobs for
// check-ins it does not have do nothing, quietly.
func TestTimelineOnAClinicProtocol(t *testing.T) {
	p := parseTestdata(t, "alt.yaml")
	now := time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC)
	out, err := p.SetSchedule(Session{}, &DoseSchedule{Weekday: time.Saturday, Hour: 10}, "UTC", now)
	if err != nil || len(out.Jobs) != 1 || out.Jobs[0].Kind != JobReminder {
		t.Fatalf("set: %+v %v", out.Jobs, err)
	}
	rem := out.Jobs[0]
	if out, _ = p.RunJob(out.Session, rem, rem.Due); len(out.Replies) != 1 {
		t.Fatalf("reminder: %+v", out)
	}
	var missed Job
	for _, j := range out.Jobs {
		if j.Kind == JobMissedDose {
			missed = j
		}
	}
	out, _ = p.Start(out.Session, "precheck", rem.Due.Add(time.Minute))
	out, _ = p.Step(out.Session, Input{Text: "no"}, rem.Due.Add(2*time.Minute)) // no companion: held
	if out.Completion == nil || out.Completion.Outcome != OutcomeHeld {
		t.Fatalf("not held: %+v", out.Completion)
	}
	if o, err := p.RunJob(out.Session, missed, missed.Due); err != nil || len(o.Escalations) != 0 {
		t.Fatalf("checked in with the clinic's own check, yet: %+v %v", o.Escalations, err)
	}
	s := out.Session
	s.Dose = &Dose{Run: "d", ClearedAt: now, TakenAt: now}
	for _, kind := range []string{JobPostSession, JobFollowUp} {
		if o, err := p.RunJob(s, Job{Kind: kind, Due: now, Run: "d"}, now); err != nil || !reflect.DeepEqual(o, Outcome{Session: s}) {
			t.Errorf("%s on a protocol without it: %+v %v", kind, o, err)
		}
	}
	if o, err := p.RunJob(s, Job{Kind: JobPing, Due: now, Run: "d"}, now); err != nil || len(o.Replies) != 1 {
		t.Errorf("ping: %+v %v", o, err)
	}
}
