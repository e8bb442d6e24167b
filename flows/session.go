package flows

import "time"

// This file holds the types that cross the package boundary: what bot hands the
// engine (Session, Input), what the engine hands back (Outcome), and what store
// persists. The protocol's own schema (flows, items, rules) lives in protocol.go.

// Level is an escalation's severity. The empty Level means "no escalation".
type Level string

// The escalation levels of docs/clinical-basis.md, lowest first.
const (
	Routine Level = "ROUTINE"
	High    Level = "HIGH"
	Urgent  Level = "URGENT"
)

// Flow ids of the built-in protocol. A clinic's protocol file may add others.
const (
	FlowPreDose     = "predose"
	FlowPostSession = "postsession"
	FlowFollowUp    = "followup"
	FlowPHQ9        = "phq9"
	FlowGAD7        = "gad7"
)

// Outcomes of a finished flow run, as recorded in a Completion.
const (
	OutcomeCleared   = "cleared"   // pre-dose check passed: the patient may take the dose
	OutcomeHeld      = "held"      // pre-dose check failed: do not take the dose now
	OutcomeCompleted = "completed" // a questionnaire was answered to the end
	OutcomeCancelled = "cancelled" // the patient stopped with /cancel or started another flow
	OutcomeStopped   = "stopped"   // a crisis ended a questionnaire at once (a check ends held)
)

// Session is one chat's conversation state. store keeps it as JSON under the
// chat's key together with a version number used for compare-and-set.
type Session struct {
	// Flow is the flow in progress, "" when the patient is not in a flow.
	Flow string `json:"flow,omitempty"`
	// State is the id of the item now awaited (an fsm state name).
	State string `json:"state,omitempty"`
	// Run identifies this run of the flow. Buttons carry it, so a button from
	// an earlier run (or an earlier question) is recognised as stale.
	Run string `json:"run,omitempty"`
	// ProtocolVersion is the protocol version the run started on; a run
	// finishes on that version even when the clinic deploys a new file.
	ProtocolVersion string    `json:"protocol_version,omitempty"`
	StartedAt       time.Time `json:"started_at,omitzero"`

	// TimeZone is the patient's IANA time zone (e.g. "America/Chicago"),
	// set by the clinician with the dose schedule; local-time jobs (the
	// next-day follow-up, reminders) are computed in it. "" means the
	// clock's own zone.
	TimeZone string `json:"tz,omitempty"`
	// Language is the patient's language (a protocol language code, e.g.
	// "es"): from Telegram at enrolment, confirmed or changed with a tap.
	Language string `json:"lang,omitempty"`
	// Schedule is the patient's weekly dose day, nil when none is set.
	Schedule *DoseSchedule `json:"schedule,omitempty"`
	// Done is when each flow last finished other than cancelled (cleared,
	// held or completed), so timed jobs know what the patient already did.
	Done map[string]time.Time `json:"done,omitempty"`
	// Instruments is, per instrument flow (PHQ-9, GAD-7), when its weekly
	// run is next due; empty until the series starts.
	Instruments map[string]time.Time `json:"instruments,omitempty"`

	// Answers recorded so far in this run, in order.
	Answers []Answer `json:"answers,omitempty"`
	// Tries counts how often an item was re-asked after an out-of-range
	// answer that allows a retry (the vitals re-measure).
	Tries map[string]int `json:"tries,omitempty"`
	// Prompt is the question now awaited, so a reply lost in transit can be
	// shown again on the patient's next message or /resume.
	Prompt *Reply `json:"prompt,omitempty"`
	// Dose is the latest dose clearance, kept across flows so /after does not
	// forget that today's dose was cleared or taken.
	Dose *Dose `json:"dose,omitempty"`
	// Baselines holds the patient's first total on each instrument (by
	// instrument name), against which later scores are compared.
	Baselines map[string]int `json:"baselines,omitempty"`

	// Gate is the patient's dose gate (gate.go); nil, as in sessions stored
	// before it existed, is open.
	Gate *Gate `json:"gate,omitempty"`
	// Limits are the patient's own vitals limits set by a clinician
	// (/limits), used over the protocol's; nil uses the protocol's.
	Limits *VitalLimits `json:"limits,omitempty"`
	// Finishing is set while the run asks its remaining screens after a
	// hold or an end: how the run will end once they are answered.
	Finishing *Finishing `json:"finishing,omitempty"`
}

// Finishing is how a run ends once its remaining screens are answered
// (screens.go): held with the first hold's words, or done.
type Finishing struct {
	State      string `json:"state"` // StateHeld, StateCleared or StateCompleted
	HoldItem   string `json:"hold_item,omitempty"`
	HoldReason string `json:"hold_reason,omitempty"`
	HoldNext   string `json:"hold_next,omitempty"`
	// Early is true when a rule ended the run before its last item, so
	// the flow's own closing words (written for a run that went well) are
	// not used.
	Early bool `json:"early,omitempty"`
}

// Dose records a pre-dose clearance and, once the patient pressed the
// button, when the dose was taken.
type Dose struct {
	Run       string    `json:"run"`
	ClearedAt time.Time `json:"cleared_at"`
	TakenAt   time.Time `json:"taken_at,omitzero"`

	// The session timeline of this dose (see timeline.go): when the "how
	// are you doing?" ping was sent and sent again, its answer, and when
	// each step ran, so a step runs once and an early answer stops the rest.
	PingedAt       time.Time `json:"pinged_at,omitzero"`
	RepingedAt     time.Time `json:"repinged_at,omitzero"`
	PingAnswer     string    `json:"ping_answer,omitempty"` // PingOK or PingHelp
	PingAnsweredAt time.Time `json:"ping_answered_at,omitzero"`
	NoResponseAt   time.Time `json:"no_response_at,omitzero"`
	PostSessionAt  time.Time `json:"post_session_at,omitzero"` // the timeline started the post-session check-in
	FollowUpAt     time.Time `json:"follow_up_at,omitzero"`    // the timeline started the follow-up
}

// DoseSchedule is a patient's weekly dose day and time, in Session.TimeZone.
type DoseSchedule struct {
	Weekday time.Weekday `json:"weekday"`
	Hour    int          `json:"hour"`
	Minute  int          `json:"minute"`
	// Run identifies this setting of the schedule: reminders scheduled for
	// an earlier setting are stale.
	Run string `json:"run"`
	// Next is when the next reminder is due.
	Next time.Time `json:"next"`
	// Checked is the last dose day (its local midnight) checked for a
	// missed check-in, so that check runs once per day.
	Checked time.Time `json:"checked,omitzero"`
}

// Input is one patient action for the engine: typed text, or a button press.
type Input struct {
	// Text is what the patient typed (already trimmed); "" for a button.
	Text string
	// Button is the pressed button's decoded callback data; nil for text.
	Button *ButtonPress
	// CrisisAlerted says bot already sent the crisis alert for Text (it
	// screens typed text before any Redis call, so help never waits on
	// storage): the engine still escalates and ends the run, but does not
	// repeat the alert.
	CrisisAlerted bool
}

// ButtonPress is the decoded callback data of an answer button.
type ButtonPress struct {
	Run   string // Session.Run when the button was shown
	Item  string // the item (state) it answers
	Value string // the choice id, "yes"/"no", or an action such as DoseTaken
}

// Reply is one message for the patient, optionally with inline buttons.
type Reply struct {
	Text    string     `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
}

// Button is one inline keyboard button. Data is at most 64 bytes.
type Button struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// Answer is one recorded answer, stamped with where and when it was given.
type Answer struct {
	Flow            string    `json:"flow"`
	Run             string    `json:"run"`
	Item            string    `json:"item"`
	Value           string    `json:"value"`   // canonical value: "yes", a choice id, "128/82 72", a number, text
	Display         string    `json:"display"` // what to show a clinician, e.g. the choice label
	At              time.Time `json:"at"`
	ProtocolVersion string    `json:"protocol_version"`
}

// Escalation is a concerning answer that must reach a clinician.
type Escalation struct {
	Level    Level     `json:"level"`
	Flow     string    `json:"flow"`
	Item     string    `json:"item"`
	Question string    `json:"question"` // short, clinician-facing summary of the item
	Answer   string    `json:"answer"`   // the answer's display text
	Reason   string    `json:"reason"`   // why it escalated, e.g. "BP 172/95 after re-measure"
	At       time.Time `json:"at"`
}

// Completion is a finished run of a flow, recorded with all its answers.
type Completion struct {
	Flow            string    `json:"flow"`
	Run             string    `json:"run"`
	Outcome         string    `json:"outcome"` // one of the Outcome* constants
	Reason          string    `json:"reason,omitempty"`
	Score           *Score    `json:"score,omitempty"` // for instruments (PHQ-9, GAD-7)
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	ProtocolVersion string    `json:"protocol_version"`
	Answers         []Answer  `json:"answers"`
}

// Score is an instrument's result.
type Score struct {
	Instrument string `json:"instrument"`
	Total      int    `json:"total"`
	Band       string `json:"band"`
	// PHQ2Positive records a positive PHQ-2 screen (PHQ-9 items 1 and 2
	// total 3 or more).
	PHQ2Positive bool `json:"phq2_positive,omitempty"`
}

// Job is a timed action to run later for this chat (the session timeline).
// Kind is one of the Job* constants of timeline.go.
type Job struct {
	Kind string    `json:"kind"`
	Due  time.Time `json:"due"`
	Run  string    `json:"run,omitempty"` // the run (e.g. dose run) it belongs to; stale jobs are dropped
	// Flow is the flow a JobInstrument starts.
	Flow string `json:"flow,omitempty"`
	// First is when the job was first due; a job put off while the patient
	// was busy keeps it, so it is still recognised as the same job.
	First time.Time `json:"first,omitzero"`
}

// Outcome is everything one engine step decided. bot sends Replies; store
// commits Session, Answers, Completion, Escalations and Jobs atomically.
type Outcome struct {
	Session     Session
	Accepted    *Answer      // the answer this step accepted, if any (bot marks the old prompt answered)
	Answers     []Answer     // answers to record (normally zero or one)
	Escalations []Escalation // raised by this step
	Replies     []Reply      // to the patient, in order; the last one may be the next prompt
	Completion  *Completion  // set when a flow run finished in this step
	Jobs        []Job        // timed jobs to schedule
	Audit       []AuditEvent // audit entries (gate changes), committed with the session
}

// The "I've taken my dose" button answers the pseudo-item DoseItem with DoseTaken.
const (
	DoseItem  = "dose"
	DoseTaken = "taken"
	// DoseAgain records a second press on a dose already taken; the patient
	// is asked whether it was another dose: DoseExtra (yes) or DoseOnce (no).
	DoseAgain = "again"
	DoseExtra = "extra"
	DoseOnce  = "once"
)
