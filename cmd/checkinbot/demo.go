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
and an embedded Redis. You are the patient; what the clinicians receive is
shown too. Type an answer, a number to press a button ([1], [2], …), c1 to
press a clinician's button, or a command such as /checkin, /after, /help.
Ctrl-D (end of input) quits.

`

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
	b, err := bot.New(api, st, bot.Config{
		Protocol:   proto,
		Clinicians: []int64{demoClinician.ID},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	botDone := make(chan error, 1)
	go func() { botDone <- b.Run(ctx) }()
	if err := tg.WaitPolling(ctx); err != nil {
		return err
	}

	d := &demo{tg: tg, out: stdout, printed: map[int64]int{}}
	fmt.Fprint(stdout, demoIntro)
	if err := d.enrol(ctx); err != nil {
		return err
	}
	d.interact(ctx, stdin)
	cancel()
	return <-botDone
}

// demo prints the two chats and turns typed lines into patient actions.
type demo struct {
	tg      *telegramtest.Server
	out     io.Writer
	mu      sync.Mutex
	printed map[int64]int // newest message id printed, per chat
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
	d.show(demoClinician.ID)
	_, after, _ := strings.Cut(invite.Text, "?start=")
	d.tg.SendText(demoPatient, "/start "+strings.Fields(after)[0])
	fmt.Fprintf(d.out, "you> /start <invite code>\n")
	d.settle(ctx, 0)
	return nil
}

// interact reads lines until end of input.
func (d *demo) interact(ctx context.Context, stdin io.Reader) {
	lines := bufio.NewScanner(stdin)
	for ctx.Err() == nil {
		fmt.Fprint(d.out, "you> ")
		if !lines.Scan() {
			fmt.Fprintln(d.out)
			return
		}
		line := strings.TrimSpace(lines.Text())
		if line == "" {
			continue
		}
		before := len(d.tg.CallbackAnswers())
		if err := d.act(line); err != nil {
			fmt.Fprintln(d.out, "  ("+err.Error()+")")
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
		fmt.Fprintf(d.out, "  (pressed %q)\n", buttons[n-1].Text)
		_, err := d.tg.PressButton(u, chatID, msgs[i].ID, buttons[n-1].Data)
		return err
	}
	return errors.New("no buttons to press")
}

// settle waits until the bot has answered the last action (a new message or
// a callback answer), lets a moment pass for follow-ups such as escalations,
// and prints what arrived.
func (d *demo) settle(ctx context.Context, answersBefore int) {
	d.mu.Lock()
	last := d.printed[demoPatient.ID]
	d.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = d.tg.WaitMessage(wctx, demoPatient.ID, func(m telegramtest.Message) bool {
		return m.ID > last || len(d.tg.CallbackAnswers()) > answersBefore
	})
	quiet, cancelQuiet := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelQuiet()
	<-quiet.Done()
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
	for _, m := range d.tg.Messages(chatID) {
		if m.ID <= d.printed[chatID] {
			continue
		}
		d.printed[chatID] = m.ID
		fmt.Fprintf(d.out, "\n[%s]\n%s\n", who, indent(m.Text))
		for i, b := range flat(m.Buttons) {
			fmt.Fprintf(d.out, "  [%s%d] %s\n", prefix, i+1, b.Text)
		}
	}
	fmt.Fprintln(d.out)
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
