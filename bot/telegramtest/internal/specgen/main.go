// Command specgen reduces the machine-readable Bot API description of
// PaulSonOfLars/telegram-bot-api-spec (MIT licence, copied to ../../SPEC_LICENSE)
// to the method signatures the emulator validates against: method name →
// field name → required flag and type strings.
//
// Usage, from bot/telegramtest (see the go:generate line in spec.go):
//
//	go run ./internal/specgen -in /path/to/api.json -out spec.json
//
// An equivalent jq command:
//
//	jq '{version, methods: (.methods | map_values((.fields // []) |
//	    map({key: .name, value: {required, types}}) | from_entries))}' api.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
)

type field struct {
	Required bool     `json:"required"`
	Types    []string `json:"types"`
}

func main() {
	in := flag.String("in", "../../../shared/telegram-bot-api-spec/api.json", "full api.json of telegram-bot-api-spec")
	out := flag.String("out", "spec.json", "reduced spec to write")
	flag.Parse()

	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	var full struct {
		Version string `json:"version"`
		Methods map[string]struct {
			Fields []struct {
				Name     string   `json:"name"`
				Types    []string `json:"types"`
				Required bool     `json:"required"`
			} `json:"fields"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(data, &full); err != nil {
		log.Fatalf("%s: %v", *in, err)
	}
	if len(full.Methods) == 0 {
		log.Fatalf("%s: no methods", *in)
	}

	names := make([]string, 0, len(full.Methods))
	for name := range full.Methods {
		names = append(names, name)
	}
	sort.Strings(names)

	// One method per line keeps the file small and its diffs readable.
	var buf bytes.Buffer
	version, _ := json.Marshal(full.Version)
	fmt.Fprintf(&buf, "{\"version\": %s, \"methods\": {\n", version)
	for i, name := range names {
		fields := map[string]field{}
		for _, f := range full.Methods[name].Fields {
			fields[f.Name] = field{Required: f.Required, Types: f.Types}
		}
		line, err := json.Marshal(fields) // map keys are sorted
		if err != nil {
			log.Fatal(err)
		}
		sep := ","
		if i == len(names)-1 {
			sep = ""
		}
		fmt.Fprintf(&buf, "%q: %s%s\n", name, line, sep)
	}
	buf.WriteString("}}\n")

	if !json.Valid(buf.Bytes()) {
		log.Fatal("generated invalid JSON")
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
