package bot

// Clinician-facing sentences. Every sentence a patient reads is a message of
// the protocol (flows.Messages), so it names the clinic's commands and crisis
// resources. Plain text, no markup.

const (
	textClinicianHelp = "Clinician commands:\n" +
		"/enroll <label> – create a one-time invite link for a patient (label: the clinic's " +
		"pseudonymous id, e.g. P-0042); for a label already enrolled, /enroll <label> replace moves it " +
		"to whoever opens the new link and disconnects the old account\n" +
		"/schedule <label> <day> <HH:MM> <time zone> – set the patient's weekly dose day, e.g. " +
		"/schedule P-0042 sat 10:00 America/Chicago (the patient is reminded then, and you are told if " +
		"the day passes without a check-in); /schedule <label> off removes it\n" +
		"/open – escalations not yet resolved, oldest first\n" +
		"/ack <number> – acknowledge an escalation (as its button does)\n" +
		"/unenroll <label> confirm – disconnect a patient (their records stay)\n" +
		"/history <label> [n] – the patient's last n completed check-ins with their answers (private chat only)\n" +
		"/trend <label> – a chart of the patient's course: scores, blood pressure, doses, holds (private chat only)\n" +
		"/export <label> – the patient's check-ins as CSV and a FHIR R4 bundle for your records (private chat only)\n" +
		"/digest – the weekly digest of the week so far (private chat only; the full week's comes by itself)\n" +
		"/resolve <number> <note> – resolve an escalation with a short note; start the note with \"clear\" " +
		"to also clear the patient to dose\n" +
		"/reopen <number> – reopen a resolved escalation\n" +
		"/clear <label> <note> – clear the patient to dose again (after a crisis, a review, a pause or the intake screen)\n" +
		"/pause <label> <reason> – pause the patient's doses until /clear\n" +
		"/limits <label> 150/95 105 – the patient's own highest blood pressure and pulse (/limits <label> off: the protocol's)\n" +
		"/help – this message\n\n" +
		"Escalations arrive here with [Acknowledge] and [Resolve] buttons. URGENT ones are sent " +
		"again every 5 minutes and HIGH ones every 30 minutes, to the on-call list too, until " +
		"someone acknowledges them. [Resolve] asks for a short note as a reply to its question (only a reply " +
		"to it counts), then shows it to you to confirm before saving. " +
		"Acknowledging or resolving does not clear a patient to dose: /clear does."

	textEnrollUsage = "Usage: /enroll <label>\nThe label is your clinic's pseudonymous patient id: " +
		"1–32 letters, digits, '-', '_' or '.', no names please (e.g. /enroll P-0042). " +
		"/enroll <label> replace makes an invite for a label already enrolled, which disconnects its account when opened."

	textOnlyClinicians = "Only the care team can acknowledge escalations."
	textGroupHelp      = "My commands here are for the clinic's care team (the clinicians the clinic configured). " +
		"Patients talk to me in a private chat, with the invite link their clinic sent them."

	// The escalation ladder (ladder.go).
	textAskNotePrefix = "Resolution note for escalation "
	textAskNote       = textAskNotePrefix + "%s: %s\n" +
		"%s, reply to this message with a short note on how it was resolved; I'll show it to you to " +
		"confirm before anything is saved. Start it with \"clear\" to also clear the patient to dose. " +
		"Reply /cancel to leave it unresolved. Only a reply to this message is taken as the note."
	textPromptClosed = "That request for a note is no longer open for you (it was another clinician's, expired, " +
		"was answered, or a newer one replaced it): nothing was saved. Press the escalation's Resolve button, " +
		"or send /resolve <number> <note>."
	textConfirmResolve   = "Resolve escalation %s?\nQuestion: %s\nAnswer: %s\nYour note: %s"
	textConfirmClears    = "\nThe note starts with \"clear\": %s will also be cleared to dose."
	textConfirmed        = "Confirmed: resolving #%s."
	textConfirmationGone = "This confirmation has expired or was already answered: nothing more was saved. " +
		"/open shows where each escalation stands."
	textNotYourNote     = "Only the clinician who wrote this note can confirm it."
	textNoteCancelled   = "Okay, nothing was saved: escalation #%s stays unresolved."
	textNoteInvalid     = "Please reply with the note as a text message of at most %d characters; nothing was saved."
	textResolved        = "Escalation #%s is resolved (%s); your note is saved: %s"
	textResolvedAcked   = "\nIt was not acknowledged yet: it is acknowledged too, re-paging stopped, and the patient has been told a member of the care team has seen it."
	textAlreadyResolved = "Escalation #%s was already resolved by %s at %s; nothing was changed. /reopen %s reopens it."
	textNoEscalation    = "There is no escalation #%s; nothing was changed. /open lists the escalations not yet resolved."
	textResolveUsage    = "Usage: /resolve <number> <note>, e.g. /resolve 12 Called the patient, all well.\n" +
		"The number is the escalation's (see /open). Without a note I'll ask for one."
	textAckUsage     = "Usage: /ack <number>, e.g. /ack 12: acknowledges escalation #12 (see /open)."
	textAcked        = "Escalation %s is acknowledged by you; the patient has been told a member of the care team has seen it."
	textAckedRepage  = " Re-paging stopped."
	textAlreadyAcked = "Escalation %s was already acknowledged by %s at %s; nothing was changed."
	textReopenUsage  = "Usage: /reopen <number>, e.g. /reopen 12: a resolved escalation is unresolved again."
	textReopened     = "Escalation %s is reopened: /open lists it again and it waits for a new resolution " +
		"(/resolve %s <note>). It stays acknowledged, so it is not re-paged; the dose gate is unchanged."
	textNotResolved = "Escalation %s is not resolved; nothing was changed."
	textNoOpen      = "No escalations are waiting: every one is resolved."
	textOpenFooter  = "Use the buttons on an escalation's message, or /ack <number> and /resolve <number> <note>."

	// Dose schedules (schedule.go).
	textScheduleUsage = "Usage: /schedule <label> <day> <HH:MM> <time zone>\n" +
		"e.g. /schedule P-0042 sat 10:00 America/Chicago\n" +
		"The day is mon, tue, wed, thu, fri, sat or sun; the time is 24-hour; the time zone is an " +
		"IANA name such as America/New_York, Europe/London or UTC.\n" +
		"/schedule <label> off removes the schedule."
	textNoPatient = "No patient is enrolled as %s."
)
