package flows

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// corpusEntry is one labelled message of testdata/crisis_corpus.tsv.
type corpusEntry struct {
	line  int
	label CrisisGroup // "" for benign
	part  string      // design or heldout
	text  string
}

func readCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	f, err := os.Open("testdata/crisis_corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || (fields[1] != "design" && fields[1] != "heldout") || strings.TrimSpace(fields[2]) == "" {
			t.Fatalf("crisis_corpus.tsv:%d: want label<TAB>design|heldout<TAB>message, got %q", n, line)
		}
		e := corpusEntry{line: n, part: fields[1], text: fields[2]}
		if fields[0] != "none" {
			e.label = CrisisGroup(fields[0])
			if groupRank(e.label) == len(CrisisGroups) {
				t.Fatalf("crisis_corpus.tsv:%d: unknown label %q", n, fields[0])
			}
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusScore counts one slice of the corpus.
type corpusScore struct {
	crisis, caught, rightGroup int // crisis messages, screened, with the labelled group
	benign, alarms             int // benign messages, screened anyway
	groupAlarms                map[CrisisGroup]int
	notGroup                   map[CrisisGroup]int
}

func (s *corpusScore) add(e corpusEntry, m CrisisMatch, ok bool) {
	if s.groupAlarms == nil {
		s.groupAlarms, s.notGroup = map[CrisisGroup]int{}, map[CrisisGroup]int{}
	}
	for _, g := range CrisisGroups {
		if e.label != g {
			s.notGroup[g]++
			if ok && m.Group == g {
				s.groupAlarms[g]++
			}
		}
	}
	if e.label == "" {
		s.benign++
		if ok {
			s.alarms++
		}
		return
	}
	s.crisis++
	if ok {
		s.caught++
		if m.Group == e.label {
			s.rightGroup++
		}
	}
}

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

// TestCrisisCorpus measures the screen on the labelled corpus: recall (a
// crisis message screened, whatever group) and false alarms (a benign
// message screened), per group, per part, overall. It fails below 97%
// recall or above 3% false alarms on the whole corpus.
func TestCrisisCorpus(t *testing.T) {
	c := Default().Crisis
	corpus := readCorpus(t)
	scores := map[string]*corpusScore{"all": {}, "design": {}, "heldout": {}}
	byGroup := map[string]map[CrisisGroup]*corpusScore{"all": {}, "heldout": {}}
	parts := map[string]int{}
	var missed, alarms []string
	for _, e := range corpus {
		m, ok := c.Screen(e.text)
		scores["all"].add(e, m, ok)
		scores[e.part].add(e, m, ok)
		parts[e.part]++
		for _, part := range []string{"all", e.part} {
			if byGroup[part] == nil || e.label == "" {
				continue
			}
			if byGroup[part][e.label] == nil {
				byGroup[part][e.label] = &corpusScore{}
			}
			byGroup[part][e.label].add(e, m, ok)
		}
		switch {
		case e.label != "" && !ok:
			missed = append(missed, fmt.Sprintf("  line %d (%s, %s): %q", e.line, e.label, e.part, e.text))
		case e.label == "" && ok:
			alarms = append(alarms, fmt.Sprintf("  line %d (%s): %q matched %q as %s", e.line, e.part, e.text, m.Phrase, m.Group))
		}
	}
	all := scores["all"]
	if len(corpus) < 400 || all.crisis < 180 || all.benign < 180 || parts["heldout"]*4 < len(corpus) {
		t.Errorf("the corpus needs 400+ messages, about half crisis, a quarter held out: %d messages, %d crisis, %d benign, %d held out",
			len(corpus), all.crisis, all.benign, parts["heldout"])
	}
	t.Logf("crisis screen on %d messages (%d crisis, %d benign; %d held out):", len(corpus), all.crisis, all.benign, parts["heldout"])
	groups := append([]CrisisGroup(nil), CrisisGroups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i] < groups[j] })
	for _, part := range []string{"all", "heldout"} {
		for _, g := range groups {
			s := byGroup[part][g]
			if s == nil {
				t.Errorf("no %s messages in the %s corpus", g, part)
				continue
			}
			t.Logf("  %-7s %-16s recall %5.1f%% (%d/%d, right group %d)  false alarms %4.1f%% (%d/%d not %s)",
				part, g, pct(s.caught, s.crisis), s.caught, s.crisis, s.rightGroup,
				pct(scores[part].groupAlarms[g], scores[part].notGroup[g]), scores[part].groupAlarms[g], scores[part].notGroup[g], g)
		}
	}
	for _, part := range []string{"design", "heldout", "all"} {
		s := scores[part]
		t.Logf("  %-24s recall %5.1f%% (%d/%d, right group %d)  false alarms %4.1f%% (%d/%d benign)",
			part, pct(s.caught, s.crisis), s.caught, s.crisis, s.rightGroup, pct(s.alarms, s.benign), s.alarms, s.benign)
	}
	if len(missed) > 0 {
		t.Logf("missed:\n%s", strings.Join(missed, "\n"))
	}
	if len(alarms) > 0 {
		t.Logf("false alarms:\n%s", strings.Join(alarms, "\n"))
	}
	if r := pct(all.caught, all.crisis); r < 97 {
		t.Errorf("recall %.1f%% is below 97%%", r)
	}
	if fa := pct(all.alarms, all.benign); fa > 3 {
		t.Errorf("false alarms %.1f%% are above 3%%", fa)
	}
}
