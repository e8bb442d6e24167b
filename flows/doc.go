// Package flows is checkinbot's clinical domain, free of Redis and Telegram:
// the protocol schema and its YAML loader and validator, the built-in
// default protocol, the engine that steps a patient's session through a flow
// (compiled to looplab/fsm transitions), and PHQ-9/GAD-7 scoring.
//
// A protocol file (see default.yaml) has:
//
//	version, name
//	thresholds.vitals: systolic_max, diastolic_max, pulse_max (default 160/90, 100)
//	timeline: ping_after_dose, ping_retry, no_response, post_session (durations
//	          like 90s, 60m, 2h, 7d), follow_up_at ("10:00" local), instruments,
//	          clearance_valid
//	crisis: intro, resources (list), oncall_text ("{oncall}"), oncall (set by cmd)
//	messages: overrides of any DefaultMessages field
//	flows: list of {id, title, kind: check|questionnaire|instrument,
//	        instrument: phq9|gad7, intro, done, items}
//	items: {id, summary (clinician-facing), text, kind: yesno|choice|vitals|
//	        number|scale|text, choices [{id, label, score}], min, max,
//	        max_length, skip, limits (vitals override), remeasure {times, advise},
//	        next (item id or end), rules}
//	rules: {when (value, list, or out_of_range|in_range|skipped|answered),
//	        above, below, hold {reason, next}, escalate: routine|high|urgent,
//	        reason, advise, crisis, goto (item id or end), end}
//
// Parse reports every problem with file:line; Default returns the embedded
// protocol. The engine (Start, Step, Cancel, Resume) is a pure function of
// the session, the input and the clock, and always returns a reply.
//
// The session timeline (timeline.go) is pure too: taking a dose, and a
// clinician's SetSchedule, return timed Jobs; RunJob decides what a due job
// does (the ping and its retry, the no-response escalation, the post-session
// check-in, the next-day follow-up, the weekly instruments, dose-day
// reminders and the missed-day check), and a job the session no longer wants
// does nothing. Local times are computed in the patient's time zone.
package flows
