package bot

import "time"

// clock formats a time for clinicians: date, time and zone.
func clock(t time.Time) string {
	return t.Format("2006-01-02 15:04 MST")
}
