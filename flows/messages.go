package flows

import (
	"reflect"
	"strings"
)

// Messages are the engine's own patient-facing sentences (the questions live
// in the flows). A protocol file may override any of them under `messages:`;
// empty fields fall back to DefaultMessages. Placeholders in braces are filled in.
type Messages struct {
	Help        string `yaml:"help"`         // idle session, typed text
	NotInFlow   string `yaml:"not_in_flow"`  // /resume or a stale button while idle
	Stale       string `yaml:"stale"`        // a button from an earlier question
	YesNoReask  string `yaml:"yesno_reask"`  // free text where Yes/No is expected
	ChoiceReask string `yaml:"choice_reask"` // free text where a choice is expected
	VitalsReask string `yaml:"vitals_reask"` // unreadable or implausible vitals
	NumberReask string `yaml:"number_reask"` // {min} {max} {example}
	TextReask   string `yaml:"text_reask"`   // a button pressed where text is expected
	TextTooLong string `yaml:"text_too_long"`
	Yes         string `yaml:"yes"`
	No          string `yaml:"no"`
	SkipLabel   string `yaml:"skip"`
	// Escalation notes by level, shown with the answer that escalated.
	EscalatedRoutine string `yaml:"escalated_routine"`
	EscalatedHigh    string `yaml:"escalated_high"`
	EscalatedUrgent  string `yaml:"escalated_urgent"`
	// CrisisNoticed opens the reply to a typed message with a crisis phrase.
	CrisisNoticed string `yaml:"crisis_noticed"`
	// Held wraps a hold: {reason} and {next}.
	Held       string `yaml:"held"`
	Cleared    string `yaml:"cleared"`
	DoseButton string `yaml:"dose_button"`
	// DoseTaken is sent when the dose is recorded: {post_session} is the delay
	// to the post-session check-in and {ping} the delay to the first ping.
	DoseTaken       string `yaml:"dose_taken"`
	DoseAlready     string `yaml:"dose_already"` // {time}
	DoseUnknown     string `yaml:"dose_unknown"`
	DoseExpired     string `yaml:"dose_expired"`
	Completed       string `yaml:"completed"`
	Cancelled       string `yaml:"cancelled"`         // {title}
	CancelledDose   string `yaml:"cancelled_predose"` // cancelling a check flow: do not dose yet
	NothingToCancel string `yaml:"nothing_to_cancel"`
	Restarted       string `yaml:"restarted"` // {title}: starting a flow stopped an unfinished one
	Changed         string `yaml:"changed"`   // the protocol changed under a run
	Sorry           string `yaml:"sorry"`     // an internal error; never a Go error string

	// The session timeline (timeline.go).
	Ping          string `yaml:"ping"`       // the "how are you doing?" ping after the dose
	PingAgain     string `yaml:"ping_again"` // the ping, again, when the first got no answer
	PingOKLabel   string `yaml:"ping_ok"`    // its buttons
	PingHelpLabel string `yaml:"ping_help"`
	PingThanks    string `yaml:"ping_thanks"`  // answered I'm OK
	PingLate      string `yaml:"ping_late"`    // answered I'm OK after the care team was told of no response
	PingAlready   string `yaml:"ping_already"` // the ping was already answered
	PingHelped    string `yaml:"ping_helped"`  // answered I need help (crisis resources follow)
	PingReask     string `yaml:"ping_reask"`   // typed text that is not an answer to the ping
	NoResponse    string `yaml:"no_response"`  // the care team was told the ping got no answer
	Reminder      string `yaml:"reminder"`     // dose-day reminder
	ScheduleSet   string `yaml:"schedule_set"` // {day} {time} {tz}: the clinician set the dose day
	ScheduleOff   string `yaml:"schedule_off"` // the clinician removed the dose day

	// The dose gate (gate.go) and the safety invariants.
	GateCrisis        string `yaml:"gate_crisis"`         // {cmd:check} refused after a crisis (crisis resources follow)
	GateReview        string `yaml:"gate_review"`         // refused: the care team reviews an escalation
	GatePaused        string `yaml:"gate_paused"`         // refused: a clinician paused dosing
	GateIntake        string `yaml:"gate_intake"`         // refused: intake not reviewed yet
	GateIntakeRunning string `yaml:"gate_intake_running"` // refused: intake questions not finished
	GateDosed         string `yaml:"gate_dosed"`          // refused: {taken} {next}
	GateCleared       string `yaml:"gate_cleared"`        // a clinician cleared the patient to dose
	GateClearedDosed  string `yaml:"gate_cleared_dosed"`  // cleared, but the minimum interval still runs
	GatePausedNow     string `yaml:"gate_paused_now"`     // a clinician paused dosing
	LimitsSet         string `yaml:"limits_set"`          // a clinician set the patient's own vitals limits
	ScreenNext        string `yaml:"screen_next"`         // before a screen asked after a hold or end
	HeldAfterScreens  string `yaml:"held_after_screens"`  // the end of a held check after its screens
	CrisisHoldReason  string `yaml:"crisis_hold_reason"`  // a check ended by a crisis
	CrisisHoldNext    string `yaml:"crisis_hold_next"`
	BPUrgencyReason   string `yaml:"bp_urgency_reason"` // a reading at or above 180/120
	BPUrgencyNext     string `yaml:"bp_urgency_next"`
	VitalsImplausible string `yaml:"vitals_implausible"` // {oncall}: a reading outside the plausible range
	DoseExtraAsk      string `yaml:"dose_extra_ask"`     // {time}: the dose button pressed again
	DoseExtraYes      string `yaml:"dose_extra_yes"`
	DoseExtraNo       string `yaml:"dose_extra_no"`
	DoseExtraRaised   string `yaml:"dose_extra_raised"` // a confirmed extra dose (HIGH)

	// The bot's own patient texts (bot/).
	Stranger       string `yaml:"stranger"`        // someone without an invite
	InviteUsed     string `yaml:"invite_used"`     // an invite link already used
	InviteInvalid  string `yaml:"invite_invalid"`  // an unknown or expired invite link
	Connected      string `yaml:"connected"`       // /start again once enrolled
	Welcome        string `yaml:"welcome"`         // the first message after the invite
	UnknownCommand string `yaml:"unknown_command"` // a command that is not the protocol's or the bot's
	StaleButton    string `yaml:"stale_button"`    // a button whose question is gone
	TryAgain       string `yaml:"try_again"`       // storage failed; the answer was not saved
	Delayed        string `yaml:"delayed"`         // the message waits for storage to come back
	AckToPatient   string `yaml:"ack_to_patient"`  // a clinician acknowledged the escalation
	Unenrolled     string `yaml:"unenrolled"`      // the clinic disconnected the patient
	Replaced       string `yaml:"replaced"`        // the patient's label moved to another account (/enroll <label> replace)
	EditNoted      string `yaml:"edit_noted"`      // an edited message, not a crisis
	PatientHelp    string `yaml:"patient_help"`    // /help: {commands} {crisis}
	CmdStatus      string `yaml:"cmd_status"`      // the command menu's descriptions
	CmdResume      string `yaml:"cmd_resume"`
	CmdCancel      string `yaml:"cmd_cancel"`
	CmdLanguage    string `yaml:"cmd_language"`
	CmdHelp        string `yaml:"cmd_help"`
	// /status lines.
	StatusReady      string `yaml:"status_ready"`       // the gate is open
	StatusInFlow     string `yaml:"status_in_flow"`     // {title} {progress}
	StatusGate       string `yaml:"status_gate"`        // {reasons}: the dose gate is closed
	StatusGateCrisis string `yaml:"status_gate_crisis"` // each reason, in /status's words
	StatusGateReview string `yaml:"status_gate_review"`
	StatusGatePaused string `yaml:"status_gate_paused"`
	StatusGateIntake string `yaml:"status_gate_intake"`
	StatusGateDosed  string `yaml:"status_gate_dosed"` // {next}
	StatusIdle       string `yaml:"status_idle"`       // no check-in running
	StatusCleared    string `yaml:"status_cleared"`    // {time}
	StatusNotTaken   string `yaml:"status_not_taken"`  // cleared, dose not recorded
	StatusTaken      string `yaml:"status_taken"`      // {time}
	StatusSchedule   string `yaml:"status_schedule"`   // {day} {time} {tz}
	// Languages (i18n.go).
	LanguageName string `yaml:"language_name"` // this language's own name, on its button
	LanguageAsk  string `yaml:"language_ask"`  // the one-tap language choice
	LanguageSet  string `yaml:"language_set"`  // the choice confirmed, in the new language
	// Dates: "|"-separated names, Sunday and January first.
	DaysShort string `yaml:"days_short"` // Sun|Mon|…, in dates
	Days      string `yaml:"days"`       // Sunday|Monday|…
	DoseDays  string `yaml:"dose_days"`  // Sundays|Mondays|…: a weekly dose day
	Months    string `yaml:"months"`     // Jan|Feb|…, in dates
	// Durations in words: "singular|plural" of each unit, and "an hour".
	UnitDay    string `yaml:"unit_day"`
	UnitHour   string `yaml:"unit_hour"`
	UnitMinute string `yaml:"unit_minute"`
	UnitSecond string `yaml:"unit_second"`
	AnHour     string `yaml:"an_hour"`
	// {greeting} in a flow's intro, by the patient's local time of day.
	GoodMorning    string `yaml:"good_morning"`    // 05:00–11:59
	GoodAfternoon  string `yaml:"good_afternoon"`  // 12:00–17:59
	GoodEvening    string `yaml:"good_evening"`    // 18:00–04:59
	Progress       string `yaml:"progress"`        // {n} {total}: where a question is, "3 of 8"
	ProgressSoFar  string `yaml:"progress_so_far"` // {n}: answers so far, when the total is unknown
	StatusProgress string `yaml:"status_progress"` // {n} {total} {answered}: /status's words for where the patient is

	m meta
}

// DefaultMessages are the built-in patient messages, in plain and warm words.
var DefaultMessages = Messages{
	Help:        "Hi! I'm your check-in helper. Here's what you can send me:\n{commands}",
	NotInFlow:   "You're not in a check-in right now. Send {cmd:check} before your dose, or {cmd:post_session} once your session is over.",
	Stale:       "That question was already answered, so I've kept your earlier answer.",
	YesNoReask:  "Sorry, I didn't catch that. Please tap Yes or No below (typing yes or no works too).",
	ChoiceReask: "Sorry, I didn't catch that. Please tap one of the buttons below.",
	VitalsReask: "Sorry, I couldn't read that as a blood pressure and pulse. Please type them like this: 128/82 72 " +
		"(the top number, a slash, the bottom number, then your pulse).",
	NumberReask:      "Sorry, I couldn't use that. Please type a number from {min} to {max}, for example {example}.",
	TextReask:        "Please type your answer as a message.",
	TextTooLong:      "Thank you for writing so much. That's a little over the {max}-character limit – could you shorten it a bit and send it again?",
	Yes:              "Yes",
	No:               "No",
	SkipLabel:        "Skip",
	EscalatedRoutine: "I've passed this on to your care team, and they will review it.",
	EscalatedHigh:    "Your care team has been told and will contact you soon.",
	EscalatedUrgent:  "Your care team has been alerted.",
	CrisisNoticed:    "What you wrote worries me, and I want to make sure you're safe.",
	Held:             "Please don't take your dose right now.\n\n{reason}\n\n{next}",
	Cleared:          "Thank you – everything looks good. You're clear to take today's dose. Once you've taken it, tap the button below.",
	DoseButton:       "I've taken my dose",
	DoseTaken: "Got it – I've noted the time. Your sitter should stay with you for the whole session (about 2 hours). " +
		"Please don't drive, cycle or use machinery until tomorrow after a night's sleep. " +
		"I'll check in with you in about {ping}, and again after {post_session} for a short check-in.",
	DoseAlready:     "Your dose is already recorded (at {time}). No need to do anything else.",
	DoseUnknown:     "That button is from an earlier check. Please send {cmd:check} to do today's safety check first.",
	DoseExpired:     "That safety check was a while ago, so things may have changed. Please send {cmd:check} to check again before you take your dose.",
	Completed:       "Thank you – that's everything. Take good care of yourself.",
	Cancelled:       "Okay, I've stopped the {title}.",
	CancelledDose:   "Okay, I've stopped the {title}. Please don't take your dose until you've finished a safety check – send {cmd:check} when you're ready.",
	NothingToCancel: "There's nothing to cancel – you're not in a check-in right now.",
	Restarted:       "I've stopped the unfinished {title} so we can start fresh.",
	Changed:         "Your clinic has updated this check-in since you started it, so let's start again. Please send your command again (for example {cmd:check}).",
	Sorry:           "Sorry, something went wrong on my side. Please try again in a moment. If you feel unwell or unsafe, message your care team. Help is there right now:\n{crisis}",

	Ping:          "Hi, it's been a little while since your dose. How are you doing? Just tap one of the buttons below.",
	PingAgain:     "Just checking in again – how are you doing? Please tap a button below so I know you're alright. If I don't hear from you, I'll let your care team know.",
	PingOKLabel:   "I'm OK",
	PingHelpLabel: "I need help",
	PingThanks:    "Thanks for letting me know. Keep resting where you are, and keep your sitter close. I'll check in again a bit later.",
	PingLate:      "Thank you – I'm glad to hear from you. I had already let your care team know I hadn't heard back, so they may still get in touch to check on you.",
	PingAlready:   "Thanks – I already have your answer. If anything changes, message your care team. In an emergency:\n{crisis}",
	PingHelped:    "I'm here with you. Please ask your sitter to stay right beside you.",
	PingReask:     "Sorry, I didn't catch that. Please tap I'm OK or I need help below, so I know how you're doing.",
	NoResponse: "I haven't heard back from you since your dose, so I've let your care team know – they will contact you soon. " +
		"When you see this, please tap one of the buttons above. If you need help right now:\n{crisis}",
	Reminder:    "Hi! Today is your dose day. When you're ready, send {cmd:check} and we'll go through your safety check first.",
	ScheduleSet: "Your care team has set your dose day: {day} at {time} ({tz} time). I'll send you a reminder then.",
	ScheduleOff: "Your care team has removed your regular dose day, so I won't send dose-day reminders for now.",

	GateCrisis: "I can't start a safety check right now. After what you shared earlier, someone from your care team " +
		"needs to talk with you before your next dose. They have been alerted and will contact you. " +
		"You don't have to wait alone – help is there right now:",
	GateReview: "I can't start a safety check right now: your care team needs to look at your earlier answers " +
		"before your next dose. They have been told and will contact you. Once they've cleared you, " +
		"I'll let you know, and you can send {cmd:check} again.",
	GatePaused: "Your care team has paused your doses for now, so I can't start a safety check. " +
		"They'll let you know when you can go ahead. If you have questions, please message your care team.",
	GateIntake: "Before your first dose, your care team looks over your answers to the first questions. " +
		"I'll let you know as soon as they've cleared you; then send {cmd:check} before your dose.",
	GateIntakeRunning: "Before your first dose, please finish the first few questions (send /resume to see the " +
		"current one). Your care team looks them over, and I'll let you know when you're cleared.",
	GateDosed: "Your last dose was recorded on {taken}. To keep you safe, the next one can be from {next}. " +
		"I'll be here then – send {cmd:check} when it's time.",
	GateCleared:      "Good news: your care team has cleared you to take your next dose. When you're ready, send {cmd:check} for your safety check.",
	GateClearedDosed: "Your care team has reviewed your answers.",
	GatePausedNow:    "Your care team has paused your doses for now. Please don't take a dose until they let you know it's okay. If you have questions, message your care team.",
	LimitsSet:        "Your care team has updated your personal blood pressure and pulse limits for the safety check. Nothing else changes for you.",
	ScreenNext:       "Before we finish, one more question that I ask everyone:",
	HeldAfterScreens: "Thank you for answering. As I said, please don't take your dose today.",
	CrisisHoldReason: "It's safest not to take a dose today, until someone from your care team has talked with you.",
	CrisisHoldNext:   "They'll reach out to you soon.",
	BPUrgencyReason: "Your blood pressure is very high – too high to take a dose today. Please don't re-measure " +
		"and go ahead: this reading needs your care team's attention, and they have been told.",
	BPUrgencyNext: "If you have chest pain, a severe headache, confusion, trouble speaking, weakness or numbness, " +
		"or changes in your vision, call emergency services now. Otherwise sit quietly and rest; your care team will contact you soon.",
	VitalsImplausible: "That reading looks unusual, so please measure again and type the new numbers, like this: 128/82 72. " +
		"If your monitor shows this again, call {oncall} (or emergency services if you feel unwell).",
	DoseExtraAsk:    "Your dose is already recorded (on {time}). Did you just take another dose?",
	DoseExtraYes:    "Yes, another dose",
	DoseExtraNo:     "No, just the one",
	DoseExtraRaised: "Thank you for telling me. Please don't take any more today. Your care team has been told and will contact you soon. If you feel very unwell:\n{crisis}",

	Stranger: "Hello! This bot supports patients of a clinic during their treatment, " +
		"and it only works with an invite link from your clinic. If you are a patient, " +
		"please ask your care team for your link. If you need urgent help:\n{crisis}",
	InviteUsed:     "This invite link has already been used. If you changed phones or accounts, please ask your clinic for a new link.",
	InviteInvalid:  "This invite link is not valid or has expired. Please ask your clinic for a new link.",
	Connected:      "You're connected with your clinic's check-in service.",
	Welcome:        "Welcome! You're now connected with your clinic's check-in service. Before each dose, send {cmd:check} and I'll go through a short safety check with you.",
	UnknownCommand: "Sorry, I don't know that command.",
	StaleButton:    "This button is no longer active.",
	TryAgain: "Sorry, something went wrong on our side and your answer was not saved. " +
		"Please try again in a minute. If you feel unsafe:\n{crisis}",
	Delayed: "Sorry, I'm having a technical problem and can't process your message right now. " +
		"I'll come back to it as soon as it's fixed. If you feel unsafe:\n{crisis}",
	AckToPatient: "A member of your care team has seen your message and will be in touch.",
	Unenrolled: "Your clinic has ended this check-in service for you, so I won't send you " +
		"more messages. If this is a mistake, please ask your clinic for a new invite link. " +
		"If you need help now:\n{crisis}",
	Replaced: "Your clinic has moved your check-ins to another Telegram account, so this chat is " +
		"disconnected and I won't send you more messages here. If this is a mistake, please contact your clinic. " +
		"If you need help now:\n{crisis}",
	EditNoted:        "I saw you edited a message. Edits don't change an answer already given: if something changed, please send it as a new message.",
	PatientHelp:      "Here is what I can do:\n{commands}\n\nIf you feel unsafe at any time:\n{crisis}",
	CmdStatus:        "where you are",
	CmdResume:        "show the current question again",
	CmdCancel:        "stop the current check-in",
	CmdLanguage:      "choose your language",
	CmdHelp:          "what I can do",
	StatusReady:      "You can do your safety check before a dose whenever you're ready ({cmd:check}).",
	StatusInFlow:     "You're in the middle of the {title}: {progress}. Send /resume to see the question again, or /cancel to stop.",
	StatusGate:       "Doses are on hold for now: {reasons}. I'll let you know when you can go ahead.",
	StatusGateCrisis: "your care team needs to talk with you first, after what you told me",
	StatusGateReview: "your care team is reviewing your earlier answers",
	StatusGatePaused: "your care team has paused your doses for now",
	StatusGateIntake: "your care team is reviewing your first answers",
	StatusGateDosed:  "your next dose can be from {next}",
	StatusIdle:       "You're not in a check-in right now.",
	StatusCleared:    "Your last safety check cleared you at {time}.",
	StatusNotTaken:   "You haven't recorded taking that dose.",
	StatusTaken:      "You recorded taking your dose at {time}.",
	Progress:         "Question {n} of {total}",
	ProgressSoFar:    "{n} answered so far",
	StatusProgress:   "question {n} of {total}, {answered} answered so far",
	LanguageName:     "English",
	LanguageAsk:      "Which language would you like me to use? You can change it any time with /language.",
	LanguageSet:      "Okay, I'll write to you in English.",
	DaysShort:        "Sun|Mon|Tue|Wed|Thu|Fri|Sat",
	Days:             "Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday",
	DoseDays:         "Sundays|Mondays|Tuesdays|Wednesdays|Thursdays|Fridays|Saturdays",
	Months:           "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec",
	UnitDay:          "day|days",
	UnitHour:         "hour|hours",
	UnitMinute:       "minute|minutes",
	UnitSecond:       "second|seconds",
	AnHour:           "an hour",
	GoodMorning:      "Good morning!",
	GoodAfternoon:    "Good afternoon!",
	GoodEvening:      "Good evening!",
	StatusSchedule:   "Your dose day is {day} at {time} ({tz} time); I'll remind you then.",
}

// withDefaults fills every empty field from DefaultMessages.
func (m Messages) withDefaults() Messages {
	v := reflect.ValueOf(&m).Elem()
	d := reflect.ValueOf(DefaultMessages)
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).IsExported() && v.Field(i).String() == "" {
			v.Field(i).SetString(d.Field(i).String())
		}
	}
	return m
}

// fill replaces {key} placeholders; pairs are key, value, key, value...
func fill(s string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}
