package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// The weekly digest end to end, on a fake clock in the clinic's time zone:
// it comes at Monday 08:00 local (across a daylight-saving change too),
// covers the week before, says when a week was quiet, is protected and
// audited, runs late after downtime and once with two instances.

// digestJob is the kind of the weekly digest's job in the schedule (of chat 0).
const digestJob = "digest"

var chicago = func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	return loc
}()

// digestInChicago runs the bot in the clinic's zone America/Chicago, with
// the weekly digest at its default time.
func digestInChicago(c *bot.Config) {
	c.TimeZone = chicago
	c.DigestAt = bot.DefaultDigestAt
}

// takeGAD7 answers a GAD-7 with the labels of its seven items.
func (h *harness) takeGAD7(labels ...string) {
	h.t.Helper()
	h.say(patient, "/gad7")
	for i, q := range gad7Items {
		h.answer(q, labels[i])
	}
	h.expect(patient.ID, "Thank you")
}

// digestDue returns when the weekly digest is scheduled, once the jobs due
// by the clock's time have run; there is one.
func (h *harness) digestDue(clock *fakeClock) time.Time {
	h.t.Helper()
	h.settle(clock, 0)
	var due []time.Time
	for _, j := range h.jobs(0) {
		if j.Kind == digestJob {
			due = append(due, j.Due)
		}
	}
	if len(due) != 1 {
		h.t.Fatalf("digest jobs scheduled at %v, want one", due)
	}
	return due[0]
}

// protectedSends counts the sendMessage calls to chat whose text contains
// part, and how many of them were protected.
func (h *harness) protectedSends(chat int64, part string) (sent, protected int) {
	h.t.Helper()
	shown := 0
	for _, m := range h.tg.Messages(chat) {
		if strings.Contains(m.Text, part) {
			shown++
		}
	}
	// The emulator shows a message a moment before it logs its call.
	redistest.WaitFor(h.t, wait, "the calls of the messages shown", func() bool {
		sent, protected = 0, 0
		for _, c := range h.tg.Calls("sendMessage") {
			if c.Params["chat_id"] == fmtID(chat) && strings.Contains(c.Params["text"], part) && c.Status == 200 {
				sent++
				if c.Params["protect_content"] == "true" {
					protected++
				}
			}
		}
		return sent >= shown
	})
	return sent, protected
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

// TestWeeklyDigestAcrossDST: a week with an intake and a GAD-7, then the
// week in which clocks go back (Sunday 1 November 2026 in Chicago): a hold,
// a dose, a GAD-7 5 points up (ROUTINE). Each digest comes at 08:00 local,
// 13:00 UTC and then 14:00 UTC, with the week's numbers; the clinician can
// ask for the week so far, in a private chat only.
func TestWeeklyDigestAcrossDST(t *testing.T) {
	local := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, chicago)
	}
	clock := newFakeClock(local(10, 21, 12, 0)) // Wed 21 Oct, CDT
	h := newHarness(t, withClock(clock), digestInChicago)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	h.takeGAD7("Not at all", "Not at all", "Not at all", "Several days", "Not at all", "Not at all", "Not at all")

	first := h.digestDue(clock)
	if want := time.Date(2026, 10, 26, 13, 0, 0, 0, time.UTC); !first.Equal(want) {
		t.Fatalf("first digest due %v, want %v (Mon 08:00 CDT)", first, want)
	}
	clock.Set(first)
	h.expect(clinician.ID, "Weekly digest", "Mon Oct 19 08:00 – Mon Oct 26 08:00 (America/Chicago)",
		"Patients with activity: 1 of 1 enrolled", "P-0042",
		"• Doses taken: 0", "• Holds: 0", "• Escalations: ROUTINE 1 (resolved 1)",
		"• GAD-7: 1 (minimal) on Wed Oct 21, the first", "• PHQ-9: not taken this week",
		"ROUTINE items this week", "intake screen", "(resolved)")

	// The week in which clocks go back.
	clock.Set(local(10, 28, 12, 0))
	h.say(patient, "/checkin")
	h.answer(qSitter, "No")
	h.press(patient, patient.ID, "No", qSelfHarm)
	h.expect(patient.ID, "Someone sober needs to be with you")
	h.takeDose()
	clock.Advance(time.Hour)
	h.pressNew(patient, "I'm OK", "How are you doing")
	clock.Advance(time.Hour)
	h.answerPostSession()
	h.takeGAD7("Several days", "Several days", "Several days", "Several days", "Several days", "Several days", "Not at all")
	h.expect(clinician.ID, "ROUTINE", "P-0042", "rose 5 points")

	second := h.digestDue(clock)
	if want := time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC); !second.Equal(want) {
		t.Fatalf("second digest due %v, want %v (Mon 08:00 CST, 169 hours after the first)", second, want)
	}
	clock.Set(second.Add(-time.Minute))
	h.settle(clock, 0)
	h.none(clinician.ID, "Mon Oct 26 08:00 – Mon Nov 2")
	clock.Set(second)
	digest := h.expect(clinician.ID, "Weekly digest", "Mon Oct 26 08:00 – Mon Nov 2 08:00 (America/Chicago)", "P-0042",
		"• Doses taken: 1 (Wed Oct 28 ", "• Holds: 1 (Wed Oct 28: held at “Sober adult sitter present for the whole session”)",
		"• Escalations: ROUTINE 1 (not acknowledged 1)",
		"• GAD-7: 6 (mild) on Wed Oct 28, up 5 from 1 on Oct 21", "• Missed dose days: 0",
		"ROUTINE items this week (paged once, never again)", "rose 5 points", "(not acknowledged)")
	t.Logf("the digest as sent:\n%s", digest.Text)
	h.none(patient.ID, "Weekly digest")
	if sent, protected := h.protectedSends(clinician.ID, "Weekly digest"); sent != 2 || protected != 2 {
		t.Errorf("%d weekly digests sent, %d protected; want 2 and 2", sent, protected)
	}
	if n := h.auditCount("digest.sent", map[string]string{"chat": fmtID(clinician.ID)}); n != 2 {
		t.Errorf("%d digest.sent audit entries, want 2", n)
	}
	if next := h.digestDue(clock); !next.Equal(time.Date(2026, 11, 9, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("next digest due %v", next)
	}

	// On demand: the week so far, in a private chat only.
	clock.Set(local(11, 3, 9, 30))
	h.say(clinician, "/digest")
	h.expect(clinician.ID, "Digest of the week so far", "Mon Nov 2 08:00 – Tue Nov 3 09:30 (America/Chicago)")
	if n := h.auditCount("digest.viewed", map[string]string{"by": fmtID(clinician.ID)}); n != 1 {
		t.Errorf("%d digest.viewed audit entries, want 1", n)
	}
	if sent, protected := h.protectedSends(clinician.ID, "Digest of the week so far"); sent != 1 || protected != 1 {
		t.Errorf("on-demand digest: %d sent, %d protected", sent, protected)
	}
	h.say(clinician, "/digest P-0042")
	h.expect(clinician.ID, "Usage: /digest")
	const group = -1001234
	h.tg.SendGroupText(clinician, group, "/digest")
	h.expect(group, "only in a private chat")
}

// TestWeeklyDigestQuietWeek: a week in which nothing was recorded gets a
// digest that says so, not silence; with an escalation chat, the digest
// goes there (protected), not to each clinician.
func TestWeeklyDigestQuietWeek(t *testing.T) {
	const group = -100500
	clock := newFakeClock(time.Date(2026, 11, 4, 12, 0, 0, 0, chicago))
	h := newHarness(t, withClock(clock), digestInChicago, withEscalationChat(group))
	h.tg.SendGroupText(clinician, group, "hello team")
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	clock.Set(h.digestDue(clock))
	h.expect(group, "Weekly digest", "Patients with activity: 1 of 1 enrolled", "intake screen")
	clock.Set(h.digestDue(clock))
	h.expect(group, "Weekly digest", "Mon Nov 9 08:00 – Mon Nov 16 08:00",
		"A quiet week: no check-ins, doses, scores or escalations for any patient (1 enrolled).")
	if sent, protected := h.protectedSends(group, "Weekly digest"); sent != 2 || protected != 2 {
		t.Errorf("%d digests sent to the group, %d protected; want 2 and 2", sent, protected)
	}
	h.none(clinician.ID, "Weekly digest")
}

// TestWeeklyDigestAfterDowntime: a digest that came due while the bot was
// down is sent when it is back, late, once, covering its own week, even
// with a second instance starting at the same time; the next week's is
// scheduled once.
func TestWeeklyDigestAfterDowntime(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 4, 12, 0, 0, 0, chicago))
	h := newHarness(t, withClock(clock), digestInChicago)
	h.enroll(patient, "P-0042")
	h.openChat(clinician)
	due := h.digestDue(clock)

	h.stopBot()
	clock.Set(due.Add(26 * time.Hour)) // back on Tuesday, 10:00
	h.startBot()                       // the poller again: startBot waits for its poll
	ctx, cancel := context.WithCancel(context.Background())
	second, _, _ := newTestBot(ctx, t, h.tg, h.redisURL, h.config(), h.storeOpts...)
	runInBackground(t, ctx, cancel, second, "second instance")

	h.expect(clinician.ID, "Weekly digest", "Mon Nov 2 08:00 – Mon Nov 9 08:00", "P-0042")
	h.settle(clock, 0)
	if n := h.count(clinician.ID, "Weekly digest"); n != 1 {
		t.Fatalf("%d weekly digests after the restart, want 1", n)
	}
	if next := h.digestDue(clock); !next.Equal(time.Date(2026, 11, 16, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("next digest due %v, want Mon 16 Nov 08:00 CST", next)
	}
}

// TestParseDigestAt: what DIGEST_AT accepts.
func TestParseDigestAt(t *testing.T) {
	for _, ok := range []string{"", "mon 08:00", "Friday 17:30", "sun 0:05", "off", " OFF "} {
		if err := bot.ParseDigestAt(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"monday", "08:00", "mon 8am", "mon 24:00", "someday 08:00", "mon 08:00 UTC", "on"} {
		if err := bot.ParseDigestAt(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
