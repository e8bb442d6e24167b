package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// scheduleRequest is a parsed /schedule command.
type scheduleRequest struct {
	label    string
	schedule *flows.DoseSchedule // nil removes the schedule
	tz       string
}

// weekdays maps what a clinician may type for a day.
var weekdays = map[string]time.Weekday{}

func init() {
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		weekdays[name] = d
		weekdays[name[:3]] = d
	}
	weekdays["tues"], weekdays["thur"], weekdays["thurs"] = time.Tuesday, time.Thursday, time.Thursday
}

// parseSchedule reads the arguments of /schedule: "<label> <day> <HH:MM>
// <time zone>" or "<label> off". The error says what is wrong, in words a
// clinician can act on.
func parseSchedule(args string) (scheduleRequest, error) {
	f := strings.Fields(args)
	if len(f) == 0 || !validLabel(f[0]) {
		return scheduleRequest{}, errors.New("the first word must be the patient's label, e.g. P-0042")
	}
	req := scheduleRequest{label: f[0]}
	if len(f) == 2 && (strings.EqualFold(f[1], "off") || strings.EqualFold(f[1], "none")) {
		return req, nil
	}
	if len(f) != 4 {
		return scheduleRequest{}, errors.New("give a day, a time and a time zone after the label")
	}
	day, ok := weekdays[strings.ToLower(f[1])]
	if !ok {
		return scheduleRequest{}, fmt.Errorf("%q is not a day of the week", f[1])
	}
	hour, minute, ok := parseClock(f[2])
	if !ok {
		return scheduleRequest{}, fmt.Errorf("%q is not a 24-hour time such as 10:00 or 18:30", f[2])
	}
	if _, err := flows.LoadTimeZone(f[3]); err != nil {
		return scheduleRequest{}, fmt.Errorf("%q is not a time zone I know; use an IANA name such as America/Chicago", f[3])
	}
	req.schedule = &flows.DoseSchedule{Weekday: day, Hour: hour, Minute: minute}
	req.tz = f[3]
	return req, nil
}

// parseClock reads "H:MM" or "HH:MM" in 24-hour time.
func parseClock(s string) (hour, minute int, ok bool) {
	h, m, found := strings.Cut(s, ":")
	if !found || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, 0, false
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

// schedule handles /schedule: it sets (or removes) a patient's weekly dose
// day through the engine, which tells the patient and schedules the
// reminders, and confirms to the clinician.
func (b *Bot) schedule(ctx context.Context, m *tgbotapi.Message, args string) error {
	req, err := parseSchedule(args)
	if err != nil {
		return b.reply(ctx, m.Chat.ID, "Sorry, "+err.Error()+".\n\n"+textScheduleUsage)
	}
	event := "schedule.removed"
	if req.schedule != nil {
		event = "schedule.set"
	}
	// The change, its audit entry and the clinician's update id commit
	// together, in the patient's chat (changeChat, commitOf).
	out, found, err := b.changePatient(ctx, m, req.label, func(p *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		out, err := p.SetSchedule(s, req.schedule, req.tz, now)
		out.Audit = append(out.Audit, flows.AuditEvent{Event: event, Fields: map[string]string{"by": strconv.FormatInt(m.From.ID, 10)}})
		return out, err
	})
	if err != nil || !found {
		return err
	}
	b.log.Info("dose schedule changed", "clinician", b.chatRef(m.From.ID), "set", req.schedule != nil)
	if req.schedule == nil {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf("Dose day for %s removed: no more reminders.", req.label))
	}
	sch := out.Session.Schedule
	loc, _ := flows.LoadTimeZone(req.tz)
	return b.reply(ctx, m.Chat.ID, fmt.Sprintf(
		"Dose day for %s: %ss at %02d:%02d (%s). First reminder: %s. You'll get a ROUTINE escalation if a dose day passes without a check-in.",
		req.label, sch.Weekday, sch.Hour, sch.Minute, req.tz, sch.Next.In(loc).Format("Mon 2 Jan 15:04 MST")))
}
