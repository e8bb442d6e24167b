package course

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// Summary is the one-screen summary on top of /history: doses taken, holds
// by reason, the last PHQ-9 and GAD-7 and their change from the first, and
// escalations by level. Times are shown in loc.
func (c Course) Summary(loc *time.Location) string {
	var sb strings.Builder
	first, _, ok := c.Span()
	if !ok {
		return fmt.Sprintf("Summary of %s: nothing recorded yet.", c.Label)
	}
	fmt.Fprintf(&sb, "Summary of %s since %s:\n", c.Label, first.In(loc).Format("Mon Jan 2"))
	fmt.Fprintf(&sb, "Doses taken: %d\n", len(c.Doses))
	fmt.Fprintf(&sb, "Holds: %d%s\n", len(c.Holds), countsBy(c.Holds, func(h Hold) string { return cmp.Or(h.Reason, "no reason recorded") }))
	fmt.Fprintf(&sb, "PHQ-9: %s\n", scoreTrend(c.PHQ9, loc))
	fmt.Fprintf(&sb, "GAD-7: %s\n", scoreTrend(c.GAD7, loc))
	fmt.Fprintf(&sb, "Escalations: %d%s", len(c.Escalations), countsBy(c.Escalations, func(e Escalation) string { return string(e.Level) }))
	return sb.String()
}

// countsBy renders " (a 2, b 1)" counting xs by key, most frequent first;
// "" when xs is empty.
func countsBy[T any](xs []T, key func(T) string) string {
	if len(xs) == 0 {
		return ""
	}
	n := map[string]int{}
	for _, x := range xs {
		n[key(x)]++
	}
	keys := slices.SortedFunc(maps.Keys(n), func(a, b string) int {
		return cmp.Or(cmp.Compare(n[b], n[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, n[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// scoreTrend renders the last score and its change from the first.
func scoreTrend(ps []ScorePoint, loc *time.Location) string {
	if len(ps) == 0 {
		return "not taken yet"
	}
	first, last := ps[0], ps[len(ps)-1]
	s := fmt.Sprintf("%d (%s) on %s", last.Total, last.Band, last.At.In(loc).Format("Jan 2"))
	if len(ps) == 1 {
		return s + ", the first"
	}
	switch d := last.Total - first.Total; {
	case d < 0:
		s += fmt.Sprintf(", down %d from %d", -d, first.Total)
	case d > 0:
		s += fmt.Sprintf(", up %d from %d", d, first.Total)
	default:
		s += fmt.Sprintf(", same as the first (%d)", first.Total)
	}
	return s + fmt.Sprintf(" on %s (%d taken)", first.At.In(loc).Format("Jan 2"), len(ps))
}

// levelOrder lists escalation levels from the most to the least urgent.
var levelOrder = []flows.Level{flows.Urgent, flows.High, flows.Routine}
