package bot

import (
	"testing"
	"time"
)

// TestDigestTimeOnTheClinicCalendar: the digest time is a local time,
// whatever daylight saving does: the week in which clocks go forward is
// 167 hours long, the one in which they go back 169, and a time that does
// not exist that night still comes once.
func TestDigestTimeOnTheClinicCalendar(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
	}
	monday, _ := parseDigestAt("")
	sunday, _ := parseDigestAt("sun 02:30")
	for _, c := range []struct {
		name       string
		at         digestTime
		now        time.Time
		next, prev time.Time
	}{
		{"before the time on the day", monday, utc(3, 2, 13, 59), utc(3, 2, 14, 0), utc(2, 23, 14, 0)},
		{"at the time: the next week's", monday, utc(3, 2, 14, 0), utc(3, 9, 13, 0), utc(3, 2, 14, 0)},
		{"the week clocks go back", monday, utc(10, 28, 12, 0), utc(11, 2, 14, 0), utc(10, 26, 13, 0)},
		// Go reads 02:30 of the night clocks go forward at the summer
		// offset: 01:30 CST. It comes once, an hour early.
		{"2:30 that does not exist", sunday, utc(3, 7, 12, 0), utc(3, 8, 7, 30), utc(3, 1, 8, 30)},
	} {
		next := c.at.next(c.now, chicago)
		prev := c.at.weekBefore(next, chicago)
		if !next.Equal(c.next) || !prev.Equal(c.prev) {
			t.Errorf("%s: next %v after %v, week from %v; want %v from %v", c.name, next, c.now, prev, c.next, c.prev)
		}
		if again := c.at.next(next.Add(-time.Minute), chicago); !again.Equal(next) {
			t.Errorf("%s: %v is not recognised as a digest time (%v)", c.name, next, again)
		}
	}
}
