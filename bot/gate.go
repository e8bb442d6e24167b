package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The clinicians' commands that change a patient's dosing, all through
// changePatient: the dose gate (flows/gate.go), which /clear opens, /pause
// closes by hand and /limits tunes with the patient's own vitals limits,
// and /schedule, the weekly dose day (at the end of this file). A new
// patient's intake starts here too. Each change is an engine step
// committed to the patient's chat with UpdateID 0 (a clinician's update id
// must never become a patient's de-duplication mark), its audit entries in
// the same commit; the clinician is answered with what changed and the
// patient is told in plain words.

const (
	textClearUsage = "Usage: /clear <label> <note>\n" +
		"Clears the patient to dose again after a crisis, a review, a pause or the intake screen, " +
		"with a short note for the record (e.g. /clear P-0042 Called her, safe, next dose as planned). " +
		"Acknowledging an escalation does not clear; the minimum time between doses still applies."
	textPauseUsage = "Usage: /pause <label> <reason>\n" +
		"Closes the patient's dose gate by hand: no safety check starts until someone sends /clear."
	textLimitsUsage = "Usage: /limits <label> <systolic>/<diastolic> <pulse>, e.g. /limits P-0042 150/95 105\n" +
		"Sets the patient's own highest safe blood pressure and pulse for the safety check " +
		"(systolic 90–250, diastolic 50–150, pulse 40–220); /limits <label> off goes back to the protocol's."
	textNothingToClear = "%s: there was nothing for you to clear. %s"
)

// maxGateNote bounds a /clear note or a /pause reason.
const maxGateNote = 500

// clinicianActor is who changes a gate, for the session and the audit.
func clinicianActor(u *tgbotapi.User) flows.GateActor {
	return flows.GateActor{ID: strconv.FormatInt(u.ID, 10), Name: displayName(u)}
}

// labelAndText splits "<label> <text>" with a valid label and a text of
// 1–maxGateNote characters.
func labelAndText(args string) (label, text string, ok bool) {
	label, text, _ = strings.Cut(strings.TrimSpace(args), " ")
	text = strings.TrimSpace(text)
	n := utf8.RuneCountInString(text)
	return label, text, validLabel(label) && n > 0 && n <= maxGateNote
}

// changePatient applies a clinician's decision to the session of the
// patient enrolled as label and tells the patient. found is false (and the
// clinician is told) when no one is enrolled under label.
func (b *Bot) changePatient(ctx context.Context, m *tgbotapi.Message, label string, decide decision) (out flows.Outcome, found bool, err error) {
	chatID, err := b.store.Patient(ctx, label)
	if errors.Is(err, store.ErrNotFound) {
		return out, false, b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoPatient, label))
	}
	if err != nil {
		return out, false, err
	}
	return b.changeChat(ctx, chatID, decide)
}

// changeChat is changePatient for a chat already known.
// with adds to the commit what the engine does not decide (an invite).
func (b *Bot) changeChat(ctx context.Context, chatID int64, decide decision, with ...func(*store.Commit)) (flows.Outcome, bool, error) {
	snap, err := b.store.Load(ctx, chatID, 0)
	if err != nil {
		return flows.Outcome{}, true, err
	}
	snap, out, version, err := b.apply(ctx, snap, 0, decide, with...)
	if err != nil {
		return out, true, err
	}
	if snap.Seen {
		// The clinician's update was committed before (this is a retry):
		// the patient gets what it committed and not yet sent, the
		// clinician an answer from the state as it now is.
		if _, err := b.sendReplies(ctx, chatID, snap.Unsent, true); err != nil {
			b.log.Warn("could not deliver a change's replies", "chat", b.chatRef(chatID), "error", err.Error())
		}
		return out, true, nil
	}
	if err := b.deliver(ctx, snap, version, out, nil, true); err != nil {
		b.log.Warn("could not deliver a change's replies", "chat", b.chatRef(chatID), "error", err.Error())
	}
	return out, true, nil
}

// clearCommand answers /clear <label> <note>.
func (b *Bot) clearCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	label, note, ok := labelAndText(args)
	if !ok {
		return b.reply(ctx, m.Chat.ID, textClearUsage)
	}
	chatID, err := b.store.Patient(ctx, label)
	if errors.Is(err, store.ErrNotFound) {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoPatient, label))
	}
	if err != nil {
		return err
	}
	text, err := b.clearGate(ctx, chatID, label, m.From, note)
	if err != nil {
		return err
	}
	return b.reply(ctx, m.Chat.ID, text)
}

// clearGate opens the gate of the patient in chatID as clinician from
// decided, and returns what to tell the clinician.
func (b *Bot) clearGate(ctx context.Context, chatID int64, label string, from *tgbotapi.User, note string) (string, error) {
	var opened []flows.GateReason
	out, _, err := b.changeChat(ctx, chatID, func(_ *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		var o flows.Outcome
		o, opened = b.patientProtocol(s).ClearGate(s, clinicianActor(from), note, now)
		return o, nil
	})
	if err != nil {
		return "", err
	}
	now := b.now()
	summary := flows.GateSummary(out.Session, now, now.Location())
	if len(opened) == 0 {
		return fmt.Sprintf(textNothingToClear, label, summary), nil
	}
	names := make([]string, len(opened))
	for i, r := range opened {
		names[i] = string(r)
	}
	b.log.Info("dose gate cleared", "chat", b.chatRef(chatID), "clinician", b.chatRef(from.ID))
	return fmt.Sprintf("%s: cleared (%s); your note is saved and the patient has been told.\n%s",
		label, strings.Join(names, ", "), summary), nil
}

// pauseCommand answers /pause <label> <reason>.
func (b *Bot) pauseCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	label, reason, ok := labelAndText(args)
	if !ok {
		return b.reply(ctx, m.Chat.ID, textPauseUsage)
	}
	out, found, err := b.changePatient(ctx, m, label, func(_ *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		return b.patientProtocol(s).PauseGate(s, clinicianActor(m.From), reason, now), nil
	})
	if err != nil || !found {
		return err
	}
	b.log.Info("dose gate paused", "clinician", b.chatRef(m.From.ID))
	now := b.now()
	return b.reply(ctx, m.Chat.ID, fmt.Sprintf("%s: doses paused; the patient has been told. /clear %s <note> lets them dose again.\n%s",
		label, label, flows.GateSummary(out.Session, now, now.Location())))
}

// parseLimits reads the arguments of /limits: "<label> SYS/DIA PULSE" or
// "<label> off" (lim nil). The error says what is wrong.
func parseLimits(args string) (label string, lim *flows.VitalLimits, err error) {
	label, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	if !validLabel(label) || rest == "" {
		return "", nil, errors.New("give the patient's label and the limits")
	}
	if strings.EqualFold(rest, "off") {
		return label, nil, nil
	}
	v, err := flows.ParseVitals(rest)
	if err != nil {
		return "", nil, errors.New("those limits could not be read")
	}
	lim = &flows.VitalLimits{SystolicMax: v.Systolic, DiastolicMax: v.Diastolic, PulseMax: v.Pulse}
	if err := lim.Check(); err != nil {
		return "", nil, err
	}
	return label, lim, nil
}

// limitsCommand answers /limits <label> 150/95 105 (or off).
func (b *Bot) limitsCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	label, lim, err := parseLimits(args)
	if err != nil {
		return b.reply(ctx, m.Chat.ID, "Sorry, "+err.Error()+".\n\n"+textLimitsUsage)
	}
	out, found, err := b.changePatient(ctx, m, label, func(_ *flows.Protocol, s flows.Session, _ time.Time) (flows.Outcome, error) {
		return b.patientProtocol(s).SetLimits(s, lim, clinicianActor(m.From))
	})
	if err != nil || !found {
		return err
	}
	if out.Session.Limits == nil {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf("%s: the protocol's vitals limits apply again; the patient has been told.", label))
	}
	return b.reply(ctx, m.Chat.ID, fmt.Sprintf("%s: own vitals limits set to %s (used over the protocol's); the patient has been told.", label, out.Session.Limits))
}

// startIntake begins a newly enrolled patient: the welcome, then the
// protocol's intake questions, with the gate closed until a clinician
// clears it.
func (b *Bot) startIntake(ctx context.Context, chatID int64) error {
	p := b.telegramProtocol(ctx)
	_, _, err := b.changeChat(ctx, chatID, func(_ *flows.Protocol, s flows.Session, now time.Time) (flows.Outcome, error) {
		s.Language = p.LanguageCode()
		out := p.Enrol(s, now)
		welcome := append([]flows.Reply{{Text: p.Messages.Welcome + "\n\n" + patientHelp(p)}}, languageChoice(p)...)
		out.Replies = append(welcome, out.Replies...)
		return out, nil
	})
	return err
}

// reconnect answers a patient who opens their own invite again. A session
// never used (the bot stopped between the redemption and the intake) gets
// the intake now, so no new patient skips it; anyone else is told they are
// connected.
func (b *Bot) reconnect(ctx context.Context, chatID int64) error {
	snap, err := b.store.Load(ctx, chatID, 0)
	if err != nil {
		return err
	}
	if s := snap.Session; s.Gate == nil && s.Flow == "" && s.Dose == nil && len(s.Done) == 0 && snap.Version == 0 {
		return b.startIntake(ctx, chatID)
	}
	p := b.patientProtocol(snap.Session)
	return b.reply(ctx, chatID, p.Messages.Connected+"\n\n"+patientHelp(p))
}

// gateLine is the dose gate of the patient in chatID for clinicians, with
// their own vitals limits when set; "" when it cannot be read.
func (b *Bot) gateLine(ctx context.Context, chatID int64) string {
	snap, err := b.store.Load(ctx, chatID, 0)
	if err != nil {
		b.log.Warn("could not read a patient's dose gate", "chat", b.chatRef(chatID), "error", err.Error())
		return ""
	}
	now := b.now()
	line := flows.GateSummary(snap.Session, now, now.Location())
	if l := snap.Session.Limits; l != nil {
		line += "\nOwn vitals limits: " + l.String()
	}
	return line
}

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
