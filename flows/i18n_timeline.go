package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	xplural "golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// The timeline names the flows it starts. The long forms
//
//	post_session: {flow: debrief, after: 2h}
//	follow_up:    {flow: morning, at: "10:00"}
//	instruments:  {flows: [phq9, gad7], every: 7d}
//
// say which flow starts after the dose, which the next morning and which
// weekly. The short forms of earlier files (post_session: 2h, follow_up_at:
// "10:00", instruments: 7d) keep meaning what they always meant: the flows
// with ids postsession and followup, and every kind: instrument flow.

// timelineFlows are the flow names a timeline's long forms gave, with the
// line of each, for validation.
type timelineFlows struct {
	postSession, followUp string
	instruments           []string
	instrumentsSet        bool
	lines                 map[string]int // "post_session", "follow_up", "instruments"
	short                 []string       // keys written in the short form
}

// PostSessionFlow is the id of the flow the timeline starts after the dose.
func (t Timeline) PostSessionFlow() string {
	if t.flows.postSession != "" {
		return t.flows.postSession
	}
	return FlowPostSession
}

// FollowUpFlow is the id of the flow the timeline starts the next morning.
func (t Timeline) FollowUpFlow() string {
	if t.flows.followUp != "" {
		return t.flows.followUp
	}
	return FlowFollowUp
}

// InstrumentFlows are the flows the timeline offers weekly.
func (p *Protocol) InstrumentFlows() []*Flow {
	var out []*Flow
	if p.Timeline.flows.instrumentsSet {
		for _, id := range p.Timeline.flows.instruments {
			if f := p.flowNamed(id); f != nil {
				out = append(out, f)
			}
		}
		return out
	}
	for _, f := range p.Flows {
		if f != nil && f.Kind == KindInstrument {
			out = append(out, f)
		}
	}
	return out
}

// unfoldTimeline rewrites the long forms of n in place into the short
// ones the Timeline fields decode, keeping the flow names aside.
func (t *Timeline) unfoldTimeline(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	t.flows.lines = map[string]int{}
	drop := map[int]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.MappingNode {
			if k.Value == "post_session" || k.Value == "follow_up_at" {
				t.flows.short = append(t.flows.short, strings.TrimSuffix(k.Value, "_at"))
			}
			continue
		}
		var long struct {
			Flow  string    `yaml:"flow"`
			Flows []string  `yaml:"flows"`
			After yaml.Node `yaml:"after"`
			At    yaml.Node `yaml:"at"`
			Every yaml.Node `yaml:"every"`
		}
		if err := v.Decode(&long); err != nil {
			t.m.errs = append(t.m.errs, fmt.Sprintf("line %d: cannot read timeline.%s; write it like {flow: debrief, after: 2h}", v.Line, k.Value))
			continue
		}
		var value yaml.Node
		switch k.Value {
		case "post_session":
			t.flows.postSession, value = long.Flow, long.After
		case "follow_up":
			t.flows.followUp, value = long.Flow, long.At
			k.Value = "follow_up_at"
		case "instruments":
			t.flows.instruments, t.flows.instrumentsSet, value = long.Flows, true, long.Every
		default:
			continue
		}
		t.flows.lines[strings.TrimSuffix(k.Value, "_at")] = v.Line
		if value.Kind == 0 { // no duration or time given: the default
			drop[i] = true
			continue
		}
		n.Content[i+1] = &value
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !drop[i] {
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
	}
	n.Content = kept
}

// timelineFlowNames refuses a timeline flow name that is not a flow, and
// warns when the short form names a flow the protocol lacks, which would
// silently turn the automatic start off.
func (c *checker) timelineFlowNames() {
	p, t := c.p, &c.p.Timeline
	known := func(id string) bool { return p.flowNamed(id) != nil }
	check := func(key, id string) {
		if line, long := t.flows.lines[key]; long {
			if !known(id) {
				c.add(line, "timeline.%s names flow %q, which this protocol does not have; use one of its flow ids (%s)", key, id, p.flowIDs())
			}
			return
		}
		if !known(id) && slices.Contains(t.flows.short, key) {
			c.warn(t.m.line, "no flow has id %q, so nothing starts by itself for timeline.%s; name the flow with %s: {flow: <id>, …}", id, key, key)
		}
	}
	check("post_session", t.PostSessionFlow())
	check("follow_up", t.FollowUpFlow())
	if line, long := t.flows.lines["instruments"]; long {
		for _, id := range t.flows.instruments {
			if !known(id) {
				c.add(line, "timeline.instruments names flow %q, which this protocol does not have; use one of its flow ids (%s)", id, p.flowIDs())
			}
		}
	}
}

func (p *Protocol) flowIDs() string {
	var ids []string
	for _, f := range p.Flows {
		if f != nil {
			ids = append(ids, f.ID)
		}
	}
	return strings.Join(ids, ", ")
}

// localTime writes a date and time for the patient, "Sat 7 Jun 15:00", in
// the protocol's language.
func (p *Protocol) localTime(t time.Time) string {
	days, months := strings.Split(p.Messages.DaysShort, "|"), strings.Split(p.Messages.Months, "|")
	if len(days) != 7 || len(months) != 12 {
		return t.Format("Mon 2 Jan 15:04")
	}
	return fmt.Sprintf("%s %d %s %02d:%02d", days[t.Weekday()], t.Day(), months[t.Month()-1], t.Hour(), t.Minute())
}

// dayName is a weekday's name from a "|"-separated list of seven, Sunday first.
func dayName(list string, d time.Weekday) string {
	names := strings.Split(list, "|")
	if len(names) != 7 || d < time.Sunday || d > time.Saturday {
		return d.String()
	}
	return names[d]
}

// Greeting is the protocol's greeting for the patient's local time of day.
func (p *Protocol) Greeting(local time.Time) string {
	switch h := local.Hour(); {
	case h >= 5 && h < 12:
		return p.Messages.GoodMorning
	case h >= 12 && h < 18:
		return p.Messages.GoodAfternoon
	default:
		return p.Messages.GoodEvening
	}
}

// HumanDuration writes a duration the way people say it in English: "90
// seconds", "an hour", "1 hour 30 minutes", "2 days".
func HumanDuration(d time.Duration) string {
	return humanDuration(d, "an hour", plural)
}

// Duration writes a duration in the protocol's language, with that
// language's plural rules (golang.org/x/text/feature/plural).
func (p *Protocol) Duration(d time.Duration) string {
	m := p.Messages
	tag := language.Make(p.LanguageCode())
	forms := map[string]string{"day": m.UnitDay, "hour": m.UnitHour, "minute": m.UnitMinute, "second": m.UnitSecond}
	return humanDuration(d, m.AnHour, func(n int, unit string) string {
		one, other, _ := strings.Cut(forms[unit], "|")
		if other == "" {
			other = one
		}
		w := other
		if xplural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) == xplural.One {
			w = one
		}
		return strconv.Itoa(n) + " " + w
	})
}

func humanDuration(d time.Duration, anHour string, plural func(n int, unit string) string) string {
	const day = 24 * time.Hour
	switch {
	case d < 2*time.Minute && d%time.Minute != 0:
		return plural(int(d.Round(time.Second)/time.Second), "second")
	case d == time.Hour && anHour != "":
		return anHour
	}
	d = d.Round(time.Minute)
	var parts []string
	for _, u := range []struct {
		size time.Duration
		name string
	}{{day, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if n := int(d / u.size); n > 0 {
			parts = append(parts, plural(n, u.name))
			d -= time.Duration(n) * u.size
		}
	}
	if len(parts) == 0 {
		return plural(0, "minute")
	}
	return strings.Join(parts, " ")
}
