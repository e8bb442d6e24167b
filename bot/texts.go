package bot

// Patient- and clinician-facing sentences that belong to the bot rather than
// to a clinic's protocol. Plain text, no markup.

const (
	textStranger = "Hello! This bot supports patients of a clinic during their treatment, " +
		"and it only works with an invite link from your clinic. If you are a patient, " +
		"please ask your care team for your link. If you need urgent help, call or text 988 " +
		"(US), or call 911 in an emergency."

	textInviteUsed = "This invite link has already been used. If you changed phones or " +
		"accounts, please ask your clinic for a new link."
	textInviteInvalid = "This invite link is not valid or has expired. Please ask your " +
		"clinic for a new link."

	textConnected = "You're connected with your clinic's check-in service."
	textWelcome   = "Welcome! You're now connected with your clinic's check-in service. " +
		"Before each dose, send /checkin and I'll go through a short safety check with you."

	textUnknownCommand = "Sorry, I don't know that command."

	textStaleButton = "This button is no longer active."

	textTryAgain = "Sorry, something went wrong on our side and your answer was not saved. " +
		"Please try again in a minute. If you feel unsafe, call or text 988 (US) or call 911."

	textClinicianHelp = "Clinician commands:\n" +
		"/enroll <label> – create a one-time invite link for a patient (label: the clinic's " +
		"pseudonymous id, e.g. P-0042)\n" +
		"/help – this message\n\n" +
		"Escalations arrive here with an [Acknowledge] button."

	textEnrollUsage = "Usage: /enroll <label>\nThe label is your clinic's pseudonymous patient id: " +
		"1–32 letters, digits, '-', '_' or '.', no names please (e.g. /enroll P-0042)."

	textOnlyClinicians = "Only the care team can acknowledge escalations."

	textAckToPatient = "A member of your care team has seen your message and will be in touch."
)
