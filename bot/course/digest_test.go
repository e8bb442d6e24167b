package course_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/course"
	"github.com/checkinbot/checkinbot/flows"
)

// digestWeek is the fixture's fourth week, Monday 08:00 to Monday 08:00 in
// Chicago.
var digestWeek = course.Week{
	From: time.Date(2026, 11, 23, 8, 0, 0, 0, chicago),
	To:   time.Date(2026, 11, 30, 8, 0, 0, 0, chicago),
	Loc:  chicago,
}

// digestFixture is the fixture's patient with two escalations in the
// week, a second patient with a missed dose day and a HIGH escalation, and
// a third with nothing this week.
func digestFixture() []course.Course {
	c, _ := fixture()
	escs := append(c.Escalations,
		course.Escalation{ID: "7", Level: flows.Routine, At: time.Date(2026, 11, 25, 21, 5, 0, 0, chicago), State: string(flows.EscalationOpen),
			Reason: "Severe nausea or vomiting"},
		course.Escalation{ID: "9", Level: flows.Urgent, At: time.Date(2026, 11, 27, 18, 40, 0, 0, chicago), State: string(flows.EscalationResolved),
			Reason: "Reported thoughts of ending their life right now"})
	other := []course.Escalation{
		{ID: "8", Level: flows.Routine, At: time.Date(2026, 11, 27, 0, 0, 0, 0, chicago), State: string(flows.EscalationAcknowledged),
			Item: flows.ItemDoseDay, Reason: "No pre-dose check-in on the scheduled dose day, Thu 26 Nov (America/Chicago)"},
		{ID: "10", Level: flows.High, At: time.Date(2026, 11, 28, 11, 30, 0, 0, chicago), State: string(flows.EscalationAcknowledged),
			Reason: "Blood pressure 172/96 stayed above 160/90 after a re-measure"},
	}
	return []course.Course{
		course.Build("P-0042", c.CheckIns, c.Answers, escs),
		course.Build("P-0051", nil, nil, other),
		course.Build("P-0060", nil, nil, nil),
	}
}

// TestDigestGolden: the digest of the fixture's week, as clinicians read
// it (the README shows this file).
func TestDigestGolden(t *testing.T) {
	got := strings.Join(course.Digest("Weekly digest", digestWeek, 3, digestFixture()), "\n\n") + "\n"
	golden := filepath.Join("testdata", "digest.golden.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the digest differs from %s; look at it, then run with -update if the change is meant:\n%s", golden, got)
	}
}

// TestDigestQuietWeek: a week with nothing recorded says so.
func TestDigestQuietWeek(t *testing.T) {
	quiet := course.Week{From: digestWeek.To, To: digestWeek.To.AddDate(0, 0, 7), Loc: chicago}
	got := course.Digest("Weekly digest", quiet, 3, digestFixture())
	if len(got) != 1 || !strings.Contains(got[0], "Mon Nov 30 08:00 – Mon Dec 7 08:00 (America/Chicago)") ||
		!strings.Contains(got[0], "A quiet week") || !strings.Contains(got[0], "(3 enrolled)") {
		t.Errorf("quiet week: %q", got)
	}
}

// TestDigestLongRoutineList: a long list of ROUTINE items is split into
// sections that each fit a message, and none is lost.
func TestDigestLongRoutineList(t *testing.T) {
	var escs []course.Escalation
	for i := range 60 {
		escs = append(escs, course.Escalation{ID: fmt.Sprint(100 + i), Level: flows.Routine, State: string(flows.EscalationOpen),
			At: digestWeek.From.Add(time.Duration(i) * time.Hour), Reason: strings.Repeat("a long reason ", 12)})
	}
	sections := course.Digest("Weekly digest", digestWeek, 1, []course.Course{course.Build("P-0042", nil, nil, escs)})
	all := strings.Join(sections, "\n")
	for i := range 60 {
		if !strings.Contains(all, fmt.Sprintf("#%d P-0042", 100+i)) {
			t.Errorf("ROUTINE item #%d is missing", 100+i)
		}
	}
	for i, s := range sections {
		if n := len([]rune(s)); n > 4000 {
			t.Errorf("section %d has %d characters", i, n)
		}
	}
	if len(sections) < 4 || !strings.Contains(sections[len(sections)-1], "continued") {
		t.Errorf("%d sections; want the list split in several", len(sections))
	}
}
