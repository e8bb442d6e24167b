package bot

import (
	"fmt"
	"time"
)

// humanDuration writes a duration the way people say it: "7 days", "2 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	default:
		return d.String()
	}
}

// clock formats a time for clinicians: date, time and zone.
func clock(t time.Time) string {
	return t.Format("2006-01-02 15:04 MST")
}
