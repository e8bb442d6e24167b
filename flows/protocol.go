package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// This file holds the protocol schema: what a clinic's YAML file declares.
// Field tags are the YAML keys; load.go fills the unexported line numbers so
// validate.go can point at name:line for every problem.

// Protocol is a clinic's complete set of flows, thresholds, timeline and
// crisis resources. Treat it as read-only once it is shared between goroutines.
type Protocol struct {
	// Version names this protocol revision; it is stamped on every answer.
	Version string `yaml:"version"`
	// Name is a human label for the protocol, e.g. the clinic's name for it.
	Name string `yaml:"name"`
	// Testing marks a file written for tests and demos: only such a file may
	// set timeline durations below one second.
	Testing    bool       `yaml:"testing"`
	Thresholds Thresholds `yaml:"thresholds"`
	Timeline   Timeline   `yaml:"timeline"`
	Crisis     Crisis     `yaml:"crisis"`
	// Language is the clinic's language, of every text outside
	// Translations (default en); clinicians always read it.
	Language string `yaml:"language"`
	// Translations holds the patient texts in other languages (i18n.go).
	Translations map[string]*Translation `yaml:"translations"`
	// Messages overrides any of the engine's built-in patient messages.
	Messages Messages `yaml:"messages"`
	Flows    []*Flow  `yaml:"flows"`

	source string           // file name used in problems
	yaml   []byte           // the file as parsed, see YAML
	byID   map[string]*Flow // flow index, built by Parse
	// warnings are what validate allows but a clinic should know, e.g. the
	// built-in crisis lexicon turned off.
	warnings Problems
	m        meta
	// langs are the protocol in each language, on the root (the clinic's
	// language); root and lang are set on each translated copy.
	langs map[string]*Protocol
	root  *Protocol
	lang  string
}

// Thresholds are the protocol-wide safety limits.
type Thresholds struct {
	Vitals VitalLimits `yaml:"vitals"`
	m      meta
}

// VitalLimits are the highest blood pressure and pulse that are still safe to
// dose; a reading above any of them is out of range.
type VitalLimits struct {
	SystolicMax  int `yaml:"systolic_max" json:"systolic_max"`
	DiastolicMax int `yaml:"diastolic_max" json:"diastolic_max"`
	PulseMax     int `yaml:"pulse_max" json:"pulse_max"`
	m            meta
}

// DefaultVitalLimits are the limits of docs/clinical-basis.md: 160/90, pulse 100.
var DefaultVitalLimits = VitalLimits{SystolicMax: 160, DiastolicMax: 90, PulseMax: 100}

// Timeline holds the session timeline offsets that bot's timed-job worker uses.
type Timeline struct {
	// PingAfterDose is how long after the dose the "how are you doing?" ping comes.
	PingAfterDose Duration `yaml:"ping_after_dose"`
	// PingRetry is how long to wait for an answer before pinging again.
	PingRetry Duration `yaml:"ping_retry"`
	// NoResponse is how long after the retry an unanswered ping escalates HIGH.
	NoResponse Duration `yaml:"no_response"`
	// PostSession is how long after the dose the post-session check-in starts.
	PostSession Duration `yaml:"post_session"`
	// FollowUpAt is the local clock time ("10:00") of the next-day follow-up.
	FollowUpAt ClockTime `yaml:"follow_up_at"`
	// Instruments is how often PHQ-9 and GAD-7 are offered (e.g. 7d).
	Instruments Duration `yaml:"instruments"`
	// ClearanceValid is how long a pre-dose clearance may be used to record a
	// dose; 0 means no limit. Vitals and fasting answers go stale quickly.
	ClearanceValid Duration `yaml:"clearance_valid"`
	// MinDoseInterval is the least time between two doses (default 6d for
	// weekly dosing); the gate stays `dosed` until it has passed.
	MinDoseInterval Duration `yaml:"min_dose_interval"`
	m               meta
	flows           timelineFlows // the flows named by the long forms, see i18n_timeline.go
}

// Crisis lists the crisis and emergency resources shown with every URGENT
// escalation and every rule marked crisis.
type Crisis struct {
	// Intro opens the crisis message.
	Intro string `yaml:"intro"`
	// Resources are shown one per line, in order: first for self-harm
	// (988), after Emergency for the other crisis groups.
	Resources []string `yaml:"resources"`
	// Emergency lists emergency services (911), shown first for medical
	// emergencies, overdoses and harm from others, after Resources for
	// self-harm. Left out: lines of Resources that name 911 or an emergency
	// lead for those groups.
	Emergency []string `yaml:"emergency"`
	// OnCallText is the line about the clinic's on-call number; "{oncall}" is
	// replaced by OnCall. It is left out while OnCall is empty.
	OnCallText string `yaml:"oncall_text"`
	// OnCall is the clinic's on-call phone number; cmd sets it from config
	// with SetOnCall.
	OnCall string `yaml:"oncall"`
	// Phrases are the clinic's own crisis phrases, in the pattern language
	// of match.go; they extend the built-in lexicon, never replace it.
	Phrases []string `yaml:"phrases"`
	// Builtin screens the built-in lexicon (lexicon.go); only an explicit
	// false turns it off, and protocol check warns about that.
	Builtin *bool `yaml:"builtin"`
	m       meta
}

// FlowKind says how a flow ends and what its end means.
type FlowKind string

// Flow kinds.
const (
	// KindCheck is a pre-dose style safety check: it ends cleared (with the
	// dose button) or held.
	KindCheck FlowKind = "check"
	// KindQuestionnaire is a check-in whose end is simply completed.
	KindQuestionnaire FlowKind = "questionnaire"
	// KindInstrument is a scored standard instrument such as PHQ-9.
	KindInstrument FlowKind = "instrument"
	// KindIntake is the yes/no screen a new patient answers after the
	// invite; its end tells the clinicians, who clear the gate.
	KindIntake FlowKind = "intake"
)

// Flow is one conversation: an ordered list of items with branching rules.
type Flow struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"` // patient-facing name, e.g. "pre-dose safety check"
	// ClinicalName is what clinicians read in escalations, e.g. "Pre-dose
	// safety check"; "" takes a default by kind (Protocol.ClinicalFlowName).
	ClinicalName string   `yaml:"clinical_name"`
	Kind         FlowKind `yaml:"kind"`
	// Instrument names the scorer of a KindInstrument flow: "phq9" or "gad7".
	Instrument string `yaml:"instrument"`
	// Command is the patient command that starts the flow, without the
	// slash (e.g. "checkin"); a flow without one is started only by the
	// timeline.
	Command string `yaml:"command"`
	// Intro is sent before the first question.
	Intro string `yaml:"intro"`
	// Done is sent when the flow ends cleared or completed.
	Done  string  `yaml:"done"`
	Items []*Item `yaml:"items"`

	m      meta
	byID   map[string]*Item
	events []eventDesc                  // compiled transitions, see machine.go
	table  map[string]map[string]string // state -> event -> next state, as the library fires them
}

// AnswerKind is how an item is answered.
type AnswerKind string

// Answer kinds.
const (
	AnswerYesNo  AnswerKind = "yesno"  // Yes/No buttons; typed yes/no/y/n also work
	AnswerChoice AnswerKind = "choice" // one button per choice
	AnswerVitals AnswerKind = "vitals" // typed "SYS/DIA PULSE"
	AnswerNumber AnswerKind = "number" // typed number within min..max
	AnswerScale  AnswerKind = "scale"  // 0–10, buttons or typed
	AnswerText   AnswerKind = "text"   // free text up to max_length, optionally skippable
)

// Item is one question of a flow; its id is the fsm state name.
type Item struct {
	ID string `yaml:"id"`
	// Summary is the short clinician-facing description used in escalations.
	Summary string     `yaml:"summary"`
	Text    string     `yaml:"text"`
	Kind    AnswerKind `yaml:"kind"`
	Choices []Choice   `yaml:"choices"`
	// Min and Max bound a number answer.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// MaxLength bounds a text answer in characters (default and ceiling 4096).
	MaxLength int `yaml:"max_length"`
	// Skip lets a text item be skipped with a button or by typing "skip".
	Skip bool `yaml:"skip"`
	// Screen marks an item that is always asked: a hold or an end earlier in
	// the run still asks it before the run ends (only a crisis ends a run
	// at once). Self-harm items must be screens.
	Screen bool `yaml:"screen"`
	// Limits overrides the protocol's vitals thresholds for this item.
	Limits *VitalLimits `yaml:"limits"`
	// Remeasure, for vitals, allows re-measuring before out_of_range rules apply.
	Remeasure *Remeasure `yaml:"remeasure"`
	Rules     []Rule     `yaml:"rules"`
	// Next is the item that follows (default: the next in the list, or the
	// end after the last one). "end" ends the flow.
	Next string `yaml:"next"`

	m meta
}

// Choice is one button of a choice item.
type Choice struct {
	ID    string `yaml:"id"`
	Label string `yaml:"label"`
	// Score is the choice's points in an instrument; nil for unscored items.
	Score *int `yaml:"score"`
	m     meta
}

// Remeasure lets a vitals item ask again before treating a reading as out of range.
type Remeasure struct {
	// Times is how many re-measures are allowed (docs/clinical-basis.md: one).
	Times int `yaml:"times"`
	// Advise is what the patient is told, e.g. rest 10 minutes and measure again.
	Advise string `yaml:"advise"`
	m      meta
}

// Special values of Rule.When besides yes/no and choice ids.
const (
	WhenOutOfRange = "out_of_range" // vitals above the limits (after any re-measure)
	WhenInRange    = "in_range"     // vitals within the limits
	WhenSkipped    = "skipped"      // a skippable text item was skipped
	WhenAnswered   = "answered"     // any accepted answer
)

// GotoEnd as Item.Next or Rule.Goto ends the flow.
const GotoEnd = "end"

// Rule is what happens when an answer matches: effects (hold, escalate,
// advise, crisis) and flow control (goto, end). Every matching rule applies,
// in order; for flow control the first hold, then end, then goto wins.
type Rule struct {
	// When lists the answer values that trigger the rule: "yes"/"no", choice
	// ids, or one of the When* constants. A scalar or a list.
	When Values `yaml:"when"`
	// Above and Below trigger on number and scale answers (value > Above, value < Below).
	Above *float64 `yaml:"above"`
	Below *float64 `yaml:"below"`
	// Hold stops a check flow: the patient must not take the dose now.
	Hold *Hold `yaml:"hold"`
	// Escalate raises an escalation at this level (routine, high, urgent).
	Escalate Level `yaml:"escalate"`
	// Reason is the clinician-facing reason for the escalation.
	Reason string `yaml:"reason"`
	// Advise is a message shown to the patient.
	Advise string `yaml:"advise"`
	// Crisis shows the crisis resources (always shown for urgent escalations).
	Crisis bool `yaml:"crisis"`
	// Goto branches to another item, or "end".
	Goto string `yaml:"goto"`
	// End ends the flow after this answer.
	End bool `yaml:"end"`
	m   meta
}

// Hold is the patient-facing explanation of a held dose.
type Hold struct {
	// Reason says plainly why the dose is held.
	Reason string `yaml:"reason"`
	// Next says what to do now, e.g. wait for the sitter, then /checkin again.
	Next string `yaml:"next"`
	m    meta
}

// Values is a list of strings that YAML may also write as one scalar.
type Values []string

// UnmarshalYAML accepts `when: no` as well as `when: [a, b]`.
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*v = Values{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*v = list
	return nil
}

// Has reports whether s is one of the values.
func (v Values) Has(s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

// Duration is a time.Duration written in YAML like 90s, 60m, 2h or 7d.
type Duration time.Duration

// explicitZero marks a duration written as 0 in the file, which validation
// tells apart from one left out (and so defaulted).
const explicitZero = -1

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses Go duration syntax plus a whole-day suffix "d".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeErr(n, "cannot read %q as a duration; write it like 90s, 60m, 2h or 7d", n.Value)
	}
	if v == 0 {
		v = explicitZero
	}
	*d = Duration(v)
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 366 {
			return 0, fmt.Errorf("bad day count %q", days)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration")
	}
	return v, nil
}

// ClockTime is a local time of day written "HH:MM".
type ClockTime struct {
	Hour, Minute int
	Set          bool
}

// UnmarshalYAML parses "HH:MM" in 24-hour time.
func (c *ClockTime) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("15:04", strings.TrimSpace(n.Value))
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeErr(n, "cannot read %q as a time of day; write it like 10:00", n.Value)
	}
	*c = ClockTime{Hour: t.Hour(), Minute: t.Minute(), Set: true}
	return nil
}

// Next returns the first moment after now at this time of day, in now's
// location (bot passes now in the patient's time zone).
func (c ClockTime) Next(now time.Time) time.Time {
	t := time.Date(now.Year(), now.Month(), now.Day(), c.Hour, c.Minute, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(now.Year(), now.Month(), now.Day()+1, c.Hour, c.Minute, 0, 0, now.Location())
	}
	return t
}

// String renders the time as HH:MM.
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// Warnings are what the protocol allows but a clinic should reconsider;
// `protocol check` prints them and still succeeds.
func (p *Protocol) Warnings() Problems { return p.warnings }

// SetOnCall sets the clinic's on-call number shown in crisis messages; cmd
// calls it after loading, before sharing the protocol.
func (p *Protocol) SetOnCall(number string) {
	p.Crisis.OnCall = strings.TrimSpace(number)
	for _, q := range p.langs {
		q.Crisis.OnCall = p.Crisis.OnCall
	}
}

// FlowForCommand returns the flow a patient command starts, or nil.
func (p *Protocol) FlowForCommand(command string) *Flow {
	for _, f := range p.Flows {
		if f != nil && f.Command != "" && f.Command == command {
			return f
		}
	}
	return nil
}

// Flow returns the flow with the given id, or nil.
func (p *Protocol) Flow(id string) *Flow { return p.byID[id] }

// Item returns the item with the given id, or nil.
func (f *Flow) Item(id string) *Item { return f.byID[id] }

// limits returns the vitals limits in force for a vitals item: the
// patient's own (/limits), else the item's, else the protocol's.
func (p *Protocol) limits(s Session, it *Item) VitalLimits {
	if s.Limits != nil {
		return *s.Limits
	}
	if it.Limits != nil {
		return *it.Limits
	}
	return p.Thresholds.Vitals
}

// choice returns the choice with the given id, or nil.
func (it *Item) choice(id string) *Choice {
	for i := range it.Choices {
		if it.Choices[i].ID == id {
			return &it.Choices[i]
		}
	}
	return nil
}
