package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
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
and an embedded Redis. You are the patient; what the clinicians receive is
shown too. Type an answer, a number to press a button ([1], [2], …), c1 to
press a clinician's button, or a command such as /checkin, /after, /help.
A new patient first answers a short intake screen; then play the clinician
who clears you to dose: c/clear DEMO-001 reviewed (c/ sends any clinician
command, e.g. c/pause DEMO-001 call first, c/open, c/history DEMO-001).
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

	d := &demo{tg: tg, out: stdout, printed: map[int64]int64{}, shown: map[int64]map[int]string{}}
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

// watch prints the chat's new messages as they arrive, until ctx ends.
func (d *demo) watch(ctx context.Context, chatID int64) {
	for {
		d.mu.Lock()
		last := d.printed[chatID]
		d.mu.Unlock()
		if _, err := d.tg.WaitMessage(ctx, chatID, func(m telegramtest.Message) bool { return m.Changed > last }); err != nil {
			return
		}
		d.show(chatID)
	}
}

// demo prints the two chats and turns typed lines into patient actions.
type demo struct {
	tg      *telegramtest.Server
	out     io.Writer
	mu      sync.Mutex
	printed map[int64]int64 // the latest change printed (telegramtest.Message.Changed), per chat
	// shown is the text printed of each message, per chat: an edit (a
	// button answered in place) prints what it added.
	shown map[int64]map[int]string
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
	d.tg.SendText(demoPatient, "/start "+strings.Fields(after)[0])
	d.printf("you> /start <invite code>\n")
	d.settle(ctx, 0)
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
		before := len(d.tg.CallbackAnswers())
		if err := d.act(line); err != nil {
			d.printf("  (%s)\n", err)
			continue
		}
		d.settle(ctx, before)
	}
}

// act sends one typed line: a button number, a clinician button, or text.
func (d *demo) act(line string) error {
	if n, err := strconv.Atoi(line); err == nil {
		return d.pressNth(demoPatient, demoPatient.ID, n)
	}
	if cmd, ok := strings.CutPrefix(line, "c/"); ok {
		d.tg.SendText(demoClinician, "/"+cmd)
		return nil
	}
	if rest, ok := strings.CutPrefix(strings.ToLower(line), "c"); ok {
		if n, err := strconv.Atoi(rest); err == nil {
			return d.pressNth(demoClinician, demoClinician.ID, n)
		}
	}
	d.tg.SendText(demoPatient, line)
	return nil
}

// pressNth presses button n (counting from 1, row by row) of the newest
// message in the chat that has buttons.
func (d *demo) pressNth(u telegramtest.User, chatID int64, n int) error {
	msgs := d.tg.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		buttons := flat(msgs[i].Buttons)
		if len(buttons) == 0 {
			continue
		}
		if n < 1 || n > len(buttons) {
			return fmt.Errorf("there is no button %d", n)
		}
		d.printf("  (pressed %q)\n", buttons[n-1].Text)
		_, err := d.tg.PressButton(u, chatID, msgs[i].ID, buttons[n-1].Data)
		return err
	}
	return errors.New("no buttons to press")
}

// settle waits until the bot has answered the last action (a new message or
// a callback answer) and lets a moment pass for follow-ups such as
// escalations, so the next prompt comes after the bot's answer.
func (d *demo) settle(ctx context.Context, answersBefore int) {
	d.mu.Lock()
	last := d.printed[demoPatient.ID]
	d.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = d.tg.WaitMessage(wctx, demoPatient.ID, func(m telegramtest.Message) bool {
		return m.Changed > last || len(d.tg.CallbackAnswers()) > answersBefore
	})
	quiet, cancelQuiet := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelQuiet()
	<-quiet.Done()
	// The watchers print; show catches anything they have not got to yet.
	d.show(demoClinician.ID)
	d.show(demoPatient.ID)
}

// show prints the chat's messages not printed yet.
func (d *demo) show(chatID int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	who, prefix := "bot", ""
	if chatID == demoClinician.ID {
		who, prefix = "to clinicians", "c"
	}
	msgs := d.tg.Messages(chatID)
	slices.SortFunc(msgs, func(a, b telegramtest.Message) int { return cmp.Compare(a.Changed, b.Changed) })
	if d.shown[chatID] == nil {
		d.shown[chatID] = map[int]string{}
	}
	for _, m := range msgs {
		if m.Changed <= d.printed[chatID] {
			continue
		}
		d.printed[chatID] = m.Changed
		before, edited := d.shown[chatID][m.ID]
		d.shown[chatID][m.ID] = m.Text
		switch added, extended := strings.CutPrefix(m.Text, before); {
		case !edited:
			fmt.Fprintf(d.out, "\n[%s]\n%s\n", who, indent(m.Text))
		case m.Text == before && len(m.Buttons) == 0:
			continue // only its buttons went away
		case extended && added != "":
			fmt.Fprintf(d.out, "\n[%s, in the message above]\n%s\n", who, indent(strings.TrimLeft(added, "\n")))
		default:
			fmt.Fprintf(d.out, "\n[%s, edited]\n%s\n", who, indent(m.Text))
		}
		for i, b := range flat(m.Buttons) {
			fmt.Fprintf(d.out, "  [%s%d] %s\n", prefix, i+1, b.Text)
		}
	}
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
