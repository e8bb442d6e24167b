package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/checkinbot/checkinbot/flows"
)

// FuzzGateArgs feeds the arguments of /clear, /pause and /limits and a
// resolution note to their parsers: nothing panics, and what is accepted
// is a valid label with a bounded note or limits within the ranges.
func FuzzGateArgs(f *testing.F) {
	for _, s := range []string{
		"P-0042 called, safe", "P-0042", "", " P-0042  150/95 105 ", "P-0042 off", "P-0042 300/95 105",
		"P-0042 95/150 80", "bad!label note", "clear: called her", "CLEAR", strings.Repeat("x ", 400),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		if label, text, ok := labelAndText(args); ok {
			if !validLabel(label) || text == "" || utf8.RuneCountInString(text) > maxGateNote {
				t.Fatalf("labelAndText(%q) accepted %q %q", args, label, text)
			}
		}
		if label, lim, err := parseLimits(args); err == nil {
			if !validLabel(label) || (lim != nil && lim.Check() != nil) {
				t.Fatalf("parseLimits(%q) accepted %q %+v", args, label, lim)
			}
		}
		if clear, rest := flows.ResolutionClears(args); clear && len(rest) > len(args) {
			t.Fatalf("ResolutionClears(%q) grew the note to %q", args, rest)
		}
	})
}

func TestParseSchedule(t *testing.T) {
	for _, c := range []struct {
		args string
		want string // "label day hh:mm tz", "label off", or "" for an error
	}{
		{"P-0042 sat 10:00 America/Chicago", "P-0042 Saturday 10:00 America/Chicago"},
		{"  P-0042   Saturday  9:05   Europe/London ", "P-0042 Saturday 09:05 Europe/London"},
		{"p.1 THU 23:59 UTC", "p.1 Thursday 23:59 UTC"},
		{"P-1 tues 0:00 Asia/Kolkata", "P-1 Tuesday 00:00 Asia/Kolkata"},
		{"P-0042 off", "P-0042 off"},
		{"P-0042 OFF", "P-0042 off"},
		{"", ""},
		{"P-0042", ""},
		{"P-0042 sat 10:00", ""},
		{"P-0042 sat 10:00 America/Chicago extra", ""},
		{"Jane_Doe! sat 10:00 UTC", ""},
		{"P-0042 satur 10:00 UTC", ""},
		{"P-0042 sat 24:00 UTC", ""},
		{"P-0042 sat 10:60 UTC", ""},
		{"P-0042 sat 10:0 UTC", ""},
		{"P-0042 sat 100:00 UTC", ""},
		{"P-0042 sat +1:00 UTC", ""},
		{"P-0042 sat 1:-1 UTC", ""},
		{"P-0042 sat 10.00 UTC", ""},
		{"P-0042 sat 10:00 Local", ""},
		{"P-0042 sat 10:00 ../../etc/passwd", ""},
		{"P-0042 sat 10:00 /etc/localtime", ""},
		{"P-0042 sat 10:00 America/Nowhere", ""},
	} {
		req, err := parseSchedule(c.args)
		got := ""
		if err == nil {
			got = render(req)
		}
		if got != c.want {
			t.Errorf("parseSchedule(%q) = %q, %v; want %q", c.args, got, err, c.want)
		}
	}
}

func render(r scheduleRequest) string {
	if r.schedule == nil {
		return r.label + " off"
	}
	return fmt.Sprintf("%s %s %02d:%02d %s", r.label, r.schedule.Weekday, r.schedule.Hour, r.schedule.Minute, r.tz)
}

// FuzzParseSchedule feeds the /schedule parser arbitrary clinician input:
// it never panics, and what it accepts is a valid label, a real day and
// time, and a time zone the engine accepts, which reads back the same.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{
		"P-0042 sat 10:00 America/Chicago", "P-0042 off", "x sun 0:00 UTC", "P-1 wednesday 23:59 Etc/GMT+5",
		"P-0042 sat 10:00 \x00", "P-0042 ɐs 10:00 UTC", "P-0042 sat ١٠:٠٠ UTC", strings.Repeat("a ", 100),
	} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC)
	p := flows.Default()
	f.Fuzz(func(t *testing.T, args string) {
		req, err := parseSchedule(args)
		if err != nil {
			if req != (scheduleRequest{}) {
				t.Fatalf("error with a result: %+v", req)
			}
			return
		}
		if !validLabel(req.label) {
			t.Fatalf("accepted label %q", req.label)
		}
		if req.schedule == nil {
			return
		}
		sch := req.schedule
		if sch.Hour < 0 || sch.Hour > 23 || sch.Minute < 0 || sch.Minute > 59 || sch.Weekday < time.Sunday || sch.Weekday > time.Saturday {
			t.Fatalf("accepted %+v", sch)
		}
		again, err := parseSchedule(render(req))
		if err != nil || render(again) != render(req) {
			t.Fatalf("%q reads back as %q, %v", render(req), render(again), err)
		}
		out, err := p.SetSchedule(flows.Session{}, sch, req.tz, now)
		if err != nil || out.Session.Schedule == nil || !out.Session.Schedule.Next.After(now) {
			t.Fatalf("the engine refused %q: %v", render(req), err)
		}
	})
}
