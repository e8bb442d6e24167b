package bot

// Clinician-facing sentences. Every sentence a patient reads is a message of
// the protocol (flows.Messages), so it names the clinic's commands and crisis
// resources. Plain text, no markup.

const (
	textClinicianHelp = "Clinician commands:\n" +
		"/enroll <label> – create a one-time invite link for a patient (label: the clinic's " +
		"pseudonymous id, e.g. P-0042)\n" +
		"/schedule <label> <day> <HH:MM> <time zone> – set the patient's weekly dose day, e.g. " +
		"/schedule P-0042 sat 10:00 America/Chicago (the patient is reminded then, and you are told if " +
		"the day passes without a check-in); /schedule <label> off removes it\n" +
		"/open – escalations not yet resolved, oldest first\n" +
		"/unenroll <label> confirm – disconnect a patient (their records stay)\n" +
		"/history <label> [n] – the patient's last n completed check-ins with their answers (private chat only)\n" +
		"/trend <label> – a chart of the patient's course: scores, blood pressure, doses, holds (private chat only)\n" +
		"/export <label> – the patient's check-ins as CSV and a FHIR R4 bundle for your records (private chat only)\n" +
		"/digest – the weekly digest of the week so far (private chat only; the full week's comes by itself)\n" +
		"/resolve <number> <note> – resolve an escalation with a short note; start the note with \"clear\" " +
		"to also clear the patient to dose\n" +
		"/clear <label> <note> – clear the patient to dose again (after a crisis, a review, a pause or the intake screen)\n" +
		"/pause <label> <reason> – pause the patient's doses until /clear\n" +
		"/limits <label> 150/95 105 – the patient's own highest blood pressure and pulse (/limits <label> off: the protocol's)\n" +
		"/help – this message\n\n" +
		"Escalations arrive here with [Acknowledge] and [Resolve] buttons. URGENT ones are sent " +
		"again every 5 minutes and HIGH ones every 30 minutes, to the on-call list too, until " +
		"someone acknowledges them. [Resolve] asks for a short note: your next message in the chat. " +
		"Acknowledging or resolving does not clear a patient to dose: /clear does."

	textEnrollUsage = "Usage: /enroll <label>\nThe label is your clinic's pseudonymous patient id: " +
		"1–32 letters, digits, '-', '_' or '.', no names please (e.g. /enroll P-0042)."

	textOnlyClinicians = "Only the care team can acknowledge escalations."

	// The escalation ladder (ladder.go).
	textAskNote = "%s, please type a short note on how escalation #%s (patient %s) was resolved. " +
		"Your next message in this chat is saved as the note; start it with \"clear\" to also clear the " +
		"patient to dose; send /cancel to leave it unresolved."
	textNoteCancelled   = "Okay, escalation #%s stays unresolved."
	textNoteInvalid     = "Please type the note as a text message of at most %d characters."
	textResolved        = "Escalation #%s is resolved; your note is saved."
	textAlreadyResolved = "Escalation #%s was already resolved by %s at %s."
	textNoEscalation    = "There is no escalation #%s."
	textResolveUsage    = "Usage: /resolve <number> <note>, e.g. /resolve 12 Called the patient, all well.\n" +
		"The number is the escalation's (see /open). Without a note I'll ask for one."
	textNoOpen     = "No escalations are waiting: every one is resolved."
	textOpenFooter = "Use the buttons on an escalation's message, or /resolve <number> <note>."

	// Dose schedules (schedule.go).
	textScheduleUsage = "Usage: /schedule <label> <day> <HH:MM> <time zone>\n" +
		"e.g. /schedule P-0042 sat 10:00 America/Chicago\n" +
		"The day is mon, tue, wed, thu, fri, sat or sun; the time is 24-hour; the time zone is an " +
		"IANA name such as America/New_York, Europe/London or UTC.\n" +
		"/schedule <label> off removes the schedule."
	textNoPatient = "No patient is enrolled as %s."
)
