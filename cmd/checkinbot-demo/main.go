// Command checkinbot-demo plays the patient in the terminal: the real bot,
// talking to an in-process Telegram Bot API emulator and an embedded Redis,
// with nothing to install and no token. It is a command of its own so that
// the production binary (cmd/checkinbot) links neither the emulator nor the
// embedded Redis.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runDemo(ctx, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "checkinbot-demo:", err)
		os.Exit(1)
	}
}
