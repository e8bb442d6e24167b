// Command checkinbot runs the check-in bot: `checkinbot run` against Telegram
// and Redis, and the protocol tools. The terminal demo is its own command,
// cmd/checkinbot-demo, so this binary links no emulator and no embedded Redis.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `checkinbot: a Telegram check-in bot for at-home ketamine therapy.

Usage:
  checkinbot run                   run the bot (configuration from the environment, see README)
  checkinbot protocol check FILE   validate a clinic's protocol file
  checkinbot protocol show FILE    print each flow of a protocol as a Mermaid diagram
  checkinbot protocol default      print the built-in protocol, to copy and adapt
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	os.Exit(code)
}

// run is main without the process: it returns the exit code, so tests can
// drive every subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = runBot(ctx, getenv, stderr)
	case "demo":
		fmt.Fprintln(stderr, "The demo is its own command: go run ./cmd/checkinbot-demo")
		return 2
	case "protocol":
		err = runProtocol(args, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var ce *configError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errInvalidProtocol):
		return 1 // the problems are printed already
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "checkinbot:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "checkinbot:", err)
		return 1
	}
}

// newLogger logs as JSON lines: machine-readable, and never with message
// content (the code logs ids, counts and error kinds only).
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
