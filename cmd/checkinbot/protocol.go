package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/checkinbot/checkinbot/flows"
)

const protocolUsage = `usage:
  checkinbot protocol check FILE   report every problem in a protocol file, with file:line
  checkinbot protocol show FILE    print each flow as a Mermaid state diagram
  checkinbot protocol default      print the built-in protocol, to copy and adapt
FILE may be - for the built-in protocol`

// errInvalidProtocol reports that `protocol check` found problems (already
// printed), so the command exits non-zero without repeating them.
var errInvalidProtocol = errors.New("the protocol has problems")

// runProtocol implements the protocol subcommands.
func runProtocol(args []string, stdout io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "default":
		_, err := stdout.Write(flows.DefaultYAML())
		return err
	case len(args) != 2 || (args[0] != "check" && args[0] != "show"):
		return errors.New(protocolUsage)
	}
	p, err := readProtocol(args[1])
	var problems flows.Problems
	if errors.As(err, &problems) {
		for _, pr := range problems {
			fmt.Fprintln(stdout, pr)
		}
		fmt.Fprintf(stdout, "%d problem(s); the bot will not start on this file.\n", len(problems))
		return errInvalidProtocol
	}
	if err != nil {
		return err
	}
	if args[0] == "check" {
		for _, w := range p.Warnings() {
			fmt.Fprintln(stdout, w) // allowed, so the check still succeeds
		}
		fmt.Fprintf(stdout, "%s: ok: protocol %q with %d flows\n", args[1], p.Version, len(p.Flows))
		return nil
	}
	for _, f := range p.Flows {
		diagram, err := p.Diagram(f.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%%%% flow %s: %s\n%s\n", f.ID, f.Title, diagram)
	}
	return nil
}

// readProtocol parses a protocol file; "-" is the built-in default.
func readProtocol(path string) (*flows.Protocol, error) {
	if path == "-" {
		return flows.Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return flows.Parse(path, data)
}
