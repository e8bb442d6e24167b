package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// The demo's cast, as the emulator knows them.
var (
	demoClinician = telegramtest.User{ID: 100, FirstName: "Dr. Demo", Username: "demo_clinician"}
	demoPatient   = telegramtest.User{ID: 200, FirstName: "You"}
)

const demoIntro = `checkinbot demo: the real bot, talking to an in-process Telegram emulator
and an embedded Redis. You are the patient, and you can play the clinician
too; what the clinicians receive is shown as [to clinicians].
As the patient: type an answer, a number to press a button ([1], [2], …),
or a command such as /checkin, /after, /help.
As the clinician: c: followed by anything the clinician types (c: /open,
c: /ack 2, c: /history DEMO-001, c: /digest, or the note the bot asks for);
c1 presses button 1 of the newest clinician message with buttons, c1@3
button 1 of escalation #3's message. When a clinician message changes
(Acknowledged by …), it is shown again, marked as updated.
A new patient first answers a short intake screen; then play the clinician
who clears you to dose: c: /clear DEMO-001 reviewed.
The session timeline runs in seconds here: after "I've taken my dose", the
"how are you doing?" ping comes in 20 s (again 20 s later if unanswered,
then the care team is told), and the post-session check-in starts at 60 s.
Ctrl-D (end of input) quits.

`

// demoTimeline compresses the session timeline so a newcomer sees it run.
func demoTimeline(t *flows.Timeline) {
	t.PingAfterDose = flows.Duration(20 * time.Second)
	t.PingRetry = flows.Duration(20 * time.Second)
	t.NoResponse = flows.Duration(15 * time.Second)
	t.PostSession = flows.Duration(60 * time.Second)
	t.ClearanceValid = flows.Duration(10 * time.Minute)
}

// runDemo plays the patient side of the bot in the terminal.
func runDemo(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	tg := telegramtest.NewServer()
	defer tg.Close()
	mr, err := miniredis.Run()
	if err != nil {
		return fmt.Errorf("embedded redis: %w", err)
	}
	defer mr.Close()
	st, err := store.Open(ctx, "redis://"+mr.Addr())
	if err != nil {
		return err
	}
	defer st.Close()
	api, err := bot.Connect(ctx, tg.Token(), tg.Endpoint())
	if err != nil {
		return err
	}
	proto := flows.Default()
	proto.SetOnCall("+1 555 010 0199 (demo)")
	demoTimeline(&proto.Timeline)
	b, err := bot.New(api, st, bot.Config{
		Protocol:   proto,
		Clinicians: []int64{demoClinician.ID},
		TimeZone:   time.UTC, // as checkinbot run without CLINIC_TIMEZONE
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The emulator has no Telegram limits, and a scripted demo types
		// faster than anyone could.
		Unthrottled: true,
	})
	if err != nil {
		return err
	}
	botDone := make(chan error, 1)
	go func() { botDone <- b.Run(ctx) }()
	if err := tg.WaitPolling(ctx); err != nil {
		return err
	}

	d := &demo{tg: tg, out: stdout, printed: map[int64]int{}, edits: map[int]int{}, texts: map[int]string{}}
	fmt.Fprint(stdout, demoIntro)
	// Messages the bot sends on its own (the timeline, re-pages) are shown
	// as they come, not only after the patient's input.
	var watchers sync.WaitGroup
	for _, chatID := range []int64{demoClinician.ID, demoPatient.ID} {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			d.watch(ctx, chatID)
		}()
	}
	if err := d.enrol(ctx); err != nil {
		return err
	}
	d.interact(ctx, stdin)
	cancel()
	watchers.Wait()
	return <-botDone
}

// watch prints the chat's new messages, and the clinicians' edited ones,
// as they arrive, until ctx ends.
func (d *demo) watch(ctx context.Context, chatID int64) {
	for {
		if _, err := d.tg.WaitMessage(ctx, chatID, d.unshown(chatID)); err != nil {
			return
		}
		d.show(chatID)
	}
}

// unshown matches a message not printed yet or, in the clinicians' chat,
// edited since it was printed ("Acknowledged by …"), or in the patient's,
// showing more since (a press is answered in the pressed message).
func (d *demo) unshown(chatID int64) func(telegramtest.Message) bool {
	return func(m telegramtest.Message) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return m.ID > d.printed[chatID] || (chatID == demoClinician.ID && m.EditCount > d.edits[m.ID]) ||
			(chatID == demoPatient.ID && d.grew(m))
	}
}

// grew reports whether the patient's message m, printed before, shows
// another text now; d.mu is held.
func (d *demo) grew(m telegramtest.Message) bool {
	text, printed := d.texts[m.ID]
	return printed && m.Text != text
}

// demo prints the two chats and turns typed lines into the patient's and
// the clinician's actions.
type demo struct {
	tg      *telegramtest.Server
	out     io.Writer
	mu      sync.Mutex
	printed map[int64]int  // newest message id printed, per chat
	edits   map[int]int    // the clinicians' chat: edits printed, per message id
	texts   map[int]string // the patient's chat: the text printed, per message id
	answers int            // the bot's answers to button presses printed
}

// enrol plays the clinician creating an invite and the patient opening it.
func (d *demo) enrol(ctx context.Context) error {
	d.tg.SendText(demoClinician, "/enroll DEMO-001")
	invite, err := d.tg.WaitMessage(ctx, demoClinician.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "?start=")
	})
	if err != nil {
		return err
	}
	_, after, _ := strings.Cut(invite.Text, "?start=")
	before := d.state(demoPatient.ID)
	d.tg.SendText(demoPatient, "/start "+strings.Fields(after)[0])
	d.printf("you> /start <invite code>\n")
	d.settle(ctx, before)
	return nil
}

// interact reads lines until end of input.
func (d *demo) interact(ctx context.Context, stdin io.Reader) {
	lines := bufio.NewScanner(stdin)
	for ctx.Err() == nil {
		d.printf("\nyou> ")
		if !lines.Scan() {
			d.printf("\n")
			return
		}
		line := strings.TrimSpace(lines.Text())
		if line == "" {
			continue
		}
		target := demoPatient.ID
		if clinicianLine(line) {
			target = demoClinician.ID
		}
		before := d.state(target)
		if err := d.act(line); err != nil {
			d.printf("  (%s)\n", err)
			continue
		}
		d.settle(ctx, before)
	}
}

// clinicianLine reports a line the demo's person types as the clinician:
// "c: <anything>", "c/<command>", or a clinician's button "c2", "c1@3".
func clinicianLine(line string) bool {
	_, _, ok := clinicianPress(line)
	return ok || strings.HasPrefix(line, "c/") || strings.HasPrefix(line, "c:")
}

// clinicianPress reads "c<button>" or "c<button>@<escalation>".
func clinicianPress(line string) (button int, escalation string, ok bool) {
	rest, found := strings.CutPrefix(strings.ToLower(line), "c")
	if !found {
		return 0, "", false
	}
	n, esc, _ := strings.Cut(rest, "@")
	button, err := strconv.Atoi(n)
	if err != nil || (strings.Contains(rest, "@") && !isNumber(esc)) {
		return 0, "", false
	}
	return button, esc, true
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// act sends one typed line: a button number, text, or (see clinicianLine)
// the clinician's command, text or button.
func (d *demo) act(line string) error {
	if n, err := strconv.Atoi(line); err == nil {
		return d.press(demoPatient, demoPatient.ID, n, "")
	}
	if cmd, ok := strings.CutPrefix(line, "c/"); ok {
		d.tg.SendText(demoClinician, "/"+cmd)
		return nil
	}
	if text, ok := strings.CutPrefix(line, "c:"); ok {
		if text = strings.TrimSpace(text); text == "" {
			return errors.New(`after "c:", type what the clinician says`)
		}
		d.tg.SendText(demoClinician, text)
		return nil
	}
	if n, esc, ok := clinicianPress(line); ok {
		return d.press(demoClinician, demoClinician.ID, n, esc)
	}
	d.tg.SendText(demoPatient, line)
	return nil
}

// press presses button n (counting from 1, row by row) of the newest
// message in the chat that has buttons or, with an escalation number, of
// the newest message with that escalation's buttons.
func (d *demo) press(u telegramtest.User, chatID int64, n int, escalation string) error {
	msgs := d.tg.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		buttons := flat(msgs[i].Buttons)
		if len(buttons) == 0 || (escalation != "" && escalationOf(buttons) != escalation) {
			continue
		}
		if n < 1 || n > len(buttons) {
			return fmt.Errorf("there is no button %d", n)
		}
		d.printf("  (pressed %q)\n", buttons[n-1].Text)
		_, err := d.tg.PressButton(u, chatID, msgs[i].ID, buttons[n-1].Data)
		return err
	}
	if escalation != "" {
		return fmt.Errorf("no message of escalation #%s has buttons", escalation)
	}
	return errors.New("no buttons to press")
}

// escalationOf is the escalation number an escalation's buttons act on:
// their callback data ends in ":<number>"; "" for other buttons.
func escalationOf(buttons []telegramtest.Button) string {
	for _, b := range buttons {
		if i := strings.LastIndexByte(b.Data, ':'); i >= 0 && isNumber(b.Data[i+1:]) {
			return b.Data[i+1:]
		}
	}
	return ""
}

// chatState is what a chat showed before an action: its newest message and
// each message's edits, and how many presses the bot had answered.
type chatState struct {
	chatID  int64
	last    int
	edits   map[int]int
	answers int
}

func (d *demo) state(chatID int64) chatState {
	st := chatState{chatID: chatID, edits: map[int]int{}, answers: len(d.tg.CallbackAnswers())}
	for _, m := range d.tg.Messages(chatID) {
		st.last = max(st.last, m.ID)
		st.edits[m.ID] = m.EditCount
	}
	return st
}

// settle waits until the bot has answered the last action (a new or edited
// message in the chat acted in, or an answer to a press) and lets a moment
// pass for follow-ups such as escalations, so the next prompt comes after
// the bot's answer.
func (d *demo) settle(ctx context.Context, before chatState) {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = d.tg.WaitMessage(wctx, before.chatID, func(m telegramtest.Message) bool {
		return m.ID > before.last || m.EditCount > before.edits[m.ID] || len(d.tg.CallbackAnswers()) > before.answers
	})
	quiet, cancelQuiet := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelQuiet()
	<-quiet.Done()
	// The watchers print; show catches anything they have not got to yet.
	d.show(demoClinician.ID)
	d.show(demoPatient.ID)
	d.showAnswers()
}

// show prints the chat's messages not printed yet and, in the clinicians'
// chat, the new text of edited ones, with their buttons: the patient's as
// [1], [2], …; the clinician's as [c1], [c2], … and, on an escalation's
// message, [c1@3] too (button 1 of escalation #3).
func (d *demo) show(chatID int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	clinicians := chatID == demoClinician.ID
	for _, m := range d.tg.Messages(chatID) {
		var head string
		switch {
		case m.ID > d.printed[chatID]:
			d.printed[chatID] = m.ID
			head = "[bot]"
			if clinicians {
				head = "[to clinicians]"
			}
		case clinicians && m.EditCount > d.edits[m.ID]:
			head = "[to clinicians: an earlier message, updated]"
		case !clinicians && d.grew(m):
			head = "[bot, in the message above]"
		default:
			continue
		}
		text := m.Text
		if clinicians {
			d.edits[m.ID] = m.EditCount
		} else {
			if added, ok := strings.CutPrefix(m.Text, d.texts[m.ID]); ok && d.texts[m.ID] != "" {
				text = strings.TrimLeft(added, "\n") // what the answer in place added
			}
			d.texts[m.ID] = m.Text
		}
		fmt.Fprintf(d.out, "\n%s\n%s\n", head, indent(text))
		if m.File != nil {
			fmt.Fprintf(d.out, "  (a %s: %s)\n", m.File.Kind, m.File.Name)
		}
		buttons := flat(m.Buttons)
		esc := escalationOf(buttons)
		for i, b := range buttons {
			switch {
			case !clinicians:
				fmt.Fprintf(d.out, "  [%d] %s\n", i+1, b.Text)
			case esc != "":
				fmt.Fprintf(d.out, "  [c%d] or [c%d@%s] %s\n", i+1, i+1, esc, b.Text)
			default:
				fmt.Fprintf(d.out, "  [c%d] %s\n", i+1, b.Text)
			}
		}
	}
}

// showAnswers prints the bot's answers to button presses not printed yet
// (Telegram shows them as a brief notice).
func (d *demo) showAnswers() {
	answers := d.tg.CallbackAnswers()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range answers[min(d.answers, len(answers)):] {
		if a.Text != "" {
			fmt.Fprintf(d.out, "  (notice: %s)\n", a.Text)
		}
	}
	d.answers = len(answers)
}

// printf writes to the terminal; the watchers write too, so it locks.
func (d *demo) printf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, format, args...)
}

func flat(rows [][]telegramtest.Button) []telegramtest.Button {
	var out []telegramtest.Button
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
