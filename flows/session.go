package flows

import "time"

// This file holds the types that cross the package boundary: what bot hands the
// engine (Session, Input), what the engine hands back (Outcome), and what store
// persists. The protocol's own schema (flows, items, rules) lives in protocol.go.

// Level is an escalation's severity. The empty Level means "no escalation".
type Level string

// The escalation levels of CLINICAL.md, lowest first.
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
}

// Dose records a pre-dose clearance and, once the patient pressed the
// button, when the dose was taken.
type Dose struct {
	Run       string    `json:"run"`
	ClearedAt time.Time `json:"cleared_at"`
	TakenAt   time.Time `json:"taken_at,omitzero"`
}

// Input is one patient action for the engine: typed text, or a button press.
type Input struct {
	// Text is what the patient typed (already trimmed); "" for a button.
	Text string
	// Button is the pressed button's decoded callback data; nil for text.
	Button *ButtonPress
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
}

// Job is a timed action to run later for this chat (the session timeline).
type Job struct {
	Kind string    `json:"kind"`
	Due  time.Time `json:"due"`
	Run  string    `json:"run,omitempty"` // the run (e.g. dose run) it belongs to; stale jobs are dropped
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
}

// The "I've taken my dose" button answers the pseudo-item DoseItem with DoseTaken.
const (
	DoseItem  = "dose"
	DoseTaken = "taken"
)
