package course

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// The weekly digest: per patient with activity in the week, the doses
// taken, holds with their reasons, escalations by level and state, the
// PHQ-9 and GAD-7 scores with their change from the score before, and the
// dose days missed; then the week's ROUTINE items, which are paged once and
// never again, so a clinician reviews them here. Patients appear by label
// only.

// Week is what the digest covers: [From, To) shown in Loc.
type Week struct {
	From, To time.Time
	Loc      *time.Location
}

// Contains reports whether t falls in the week.
func (w Week) Contains(t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }

// maxReasonRunes bounds a ROUTINE item's reason in the digest.
const maxReasonRunes = 160

// Digest renders the digest of the week for courses (each holding every
// check-in, so the score before the week is there to compare with, and at
// least the week's answers and escalations), title first. It returns the
// heading, one section per patient with activity and the ROUTINE items, to
// be packed into messages; a week without activity is said to be quiet,
// never left out. enrolled counts the patients enrolled.
func Digest(title string, w Week, enrolled int, courses []Course) []string {
	var active []Course
	for _, c := range courses {
		if c.activeIn(w) {
			active = append(active, c)
		}
	}
	slices.SortFunc(active, func(a, b Course) int { return cmp.Compare(a.Label, b.Label) })
	head := fmt.Sprintf("📋 %s\n%s – %s (%s)\n", title,
		w.From.In(w.Loc).Format("Mon Jan 2 15:04"), w.To.In(w.Loc).Format("Mon Jan 2 15:04"), w.Loc)
	if len(active) == 0 {
		return []string{head + fmt.Sprintf("A quiet week: no check-ins, doses, scores or escalations for any patient (%d enrolled).", enrolled)}
	}
	head += fmt.Sprintf("Patients with activity: %d of %d enrolled.", len(active), enrolled)
	sections := []string{head}
	var routine []string
	for _, c := range active {
		sections = append(sections, c.weekSection(w))
		for _, e := range c.Escalations {
			if e.Level == flows.Routine && w.Contains(e.At) {
				routine = append(routine, fmt.Sprintf("#%s %s · %s · %s (%s)", e.ID, c.Label,
					e.At.In(w.Loc).Format("Mon Jan 2 15:04"), truncateRunes(cmp.Or(e.Reason, "no reason recorded"), maxReasonRunes), stateWords(e.State)))
			}
		}
	}
	if len(routine) == 0 {
		return append(sections, "ROUTINE items this week: none.")
	}
	// One section per message-sized run of items, so none is cut.
	cur := "ROUTINE items this week (paged once, never again):"
	for _, line := range routine {
		if len([]rune(cur))+1+len([]rune(line)) > maxSectionRunes {
			sections = append(sections, cur)
			cur = "ROUTINE items this week, continued:"
		}
		cur += "\n" + line
	}
	return append(sections, cur)
}

// maxSectionRunes bounds a section of the ROUTINE list, well inside
// Telegram's 4,096 characters a message.
const maxSectionRunes = 3500

// activeIn reports whether anything was recorded for the patient in w.
func (c Course) activeIn(w Week) bool {
	return slices.ContainsFunc(c.CheckIns, func(ci flows.Completion) bool { return w.Contains(ci.EndedAt) }) ||
		slices.ContainsFunc(c.Answers, func(a flows.Answer) bool { return w.Contains(a.At) }) ||
		slices.ContainsFunc(c.Escalations, func(e Escalation) bool { return w.Contains(e.At) })
}

// weekSection is one patient's lines of the digest.
func (c Course) weekSection(w Week) string {
	day := func(t time.Time) string { return t.In(w.Loc).Format("Mon Jan 2") }
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n", c.Label)
	var doses []string
	for _, d := range c.Doses {
		if w.Contains(d) {
			doses = append(doses, d.In(w.Loc).Format("Mon Jan 2 15:04"))
		}
	}
	fmt.Fprintf(&sb, "• Doses taken: %d%s\n", len(doses), listed(doses))
	var holds []string
	for _, h := range c.Holds {
		if w.Contains(h.At) {
			holds = append(holds, fmt.Sprintf("%s: %s", day(h.At), cmp.Or(h.Reason, "no reason recorded")))
		}
	}
	fmt.Fprintf(&sb, "• Holds: %d%s\n", len(holds), listed(holds))
	var escs []Escalation
	var missed []string
	for _, e := range c.Escalations {
		if !w.Contains(e.At) {
			continue
		}
		escs = append(escs, e)
		if e.Item == flows.ItemDoseDay {
			// Raised when the dose day ended: the day is the one before.
			missed = append(missed, day(e.At.Add(-time.Minute)))
		}
	}
	fmt.Fprintf(&sb, "• Escalations: %s\n", byLevelAndState(escs))
	fmt.Fprintf(&sb, "• PHQ-9: %s\n", weekScores(c.PHQ9, w))
	fmt.Fprintf(&sb, "• GAD-7: %s\n", weekScores(c.GAD7, w))
	fmt.Fprintf(&sb, "• Missed dose days: %d%s", len(missed), listed(missed))
	return sb.String()
}

// listed renders " (a; b)", or "" for none.
func listed(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return " (" + strings.Join(xs, "; ") + ")"
}

// byLevelAndState renders "URGENT 1 (resolved 1), ROUTINE 2 (not
// acknowledged 1, resolved 1)", most urgent first; "none" for none.
func byLevelAndState(escs []Escalation) string {
	var parts []string
	for _, level := range levelOrder {
		var states []string
		n := 0
		for _, s := range []string{string(flows.EscalationOpen), string(flows.EscalationAcknowledged), string(flows.EscalationResolved)} {
			k := 0
			for _, e := range escs {
				if e.Level == level && e.State == s {
					k++
				}
			}
			if k > 0 {
				states = append(states, fmt.Sprintf("%s %d", stateWords(s), k))
				n += k
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d (%s)", level, n, strings.Join(states, ", ")))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// stateWords names an escalation state for clinicians.
func stateWords(state string) string {
	switch flows.EscalationState(state) {
	case flows.EscalationOpen:
		return "not acknowledged"
	case flows.EscalationAcknowledged:
		return "acknowledged"
	case flows.EscalationResolved:
		return "resolved"
	}
	return cmp.Or(state, "unknown")
}

// weekScores renders each score of the week with its change from the one
// before (in the week or earlier).
func weekScores(ps []ScorePoint, w Week) string {
	var out []string
	for i, p := range ps {
		if !w.Contains(p.At) {
			continue
		}
		s := fmt.Sprintf("%d (%s) on %s", p.Total, p.Band, p.At.In(w.Loc).Format("Mon Jan 2"))
		if i == 0 {
			out = append(out, s+", the first")
			continue
		}
		prev := ps[i-1]
		change := "no change"
		switch d := p.Total - prev.Total; {
		case d < 0:
			change = fmt.Sprintf("down %d", -d)
		case d > 0:
			change = fmt.Sprintf("up %d", d)
		}
		out = append(out, fmt.Sprintf("%s, %s from %d on %s", s, change, prev.Total, prev.At.In(w.Loc).Format("Jan 2")))
	}
	if len(out) == 0 {
		return "not taken this week"
	}
	return strings.Join(out, "; ")
}

// truncateRunes shortens s to at most n runes, marking the cut.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
