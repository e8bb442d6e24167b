package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/checkinbot/checkinbot/flows"
)

// runProtocol implements `protocol check FILE` and `protocol show FILE`.
func runProtocol(args []string, stdout io.Writer) error {
	if len(args) != 2 || (args[0] != "check" && args[0] != "show") {
		return errors.New("usage: checkinbot protocol check|show FILE (FILE may be - for the built-in default)")
	}
	p, err := readProtocol(args[1])
	if err != nil {
		return err
	}
	if args[0] == "check" {
		fmt.Fprintf(stdout, "%s: ok: protocol %q, %d flows\n", args[1], p.Version, len(p.Flows))
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
