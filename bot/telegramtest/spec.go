package telegramtest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

//go:generate go run ./internal/specgen -out spec.json

// specJSON is the reduced Bot API description: method → field → required flag
// and types, generated from PaulSonOfLars/telegram-bot-api-spec (see SPEC_LICENSE).
//
//go:embed spec.json
var specJSON []byte

// specField describes one parameter of a Bot API method.
type specField struct {
	Required bool     `json:"required"`
	Types    []string `json:"types"`
}

// specMethod is one Bot API method: its canonical name and its parameters.
type specMethod struct {
	Name   string
	Fields map[string]specField
}

// apiSpec maps the lower-cased method name to the method, since Telegram
// matches method names case-insensitively.
var apiSpec, apiVersion = loadSpec()

// legacyFields are parameters that no longer appear in the documentation but
// that Telegram still accepts and that tgbotapi v5.5.1 sends; each is allowed
// wherever the field that replaced it is.
var legacyFields = map[string]string{
	"reply_to_message_id":         "reply_parameters",
	"allow_sending_without_reply": "reply_parameters",
	"disable_web_page_preview":    "link_preview_options",
	"thumb":                       "thumbnail",
}

func loadSpec() (map[string]*specMethod, string) {
	var s struct {
		Version string                          `json:"version"`
		Methods map[string]map[string]specField `json:"methods"`
	}
	if err := json.Unmarshal(specJSON, &s); err != nil {
		panic("telegramtest: bad embedded spec.json: " + err.Error())
	}
	methods := make(map[string]*specMethod, len(s.Methods))
	for name, fields := range s.Methods {
		for legacy, modern := range legacyFields {
			if f, ok := fields[modern]; ok {
				fields[legacy] = specField{Types: legacyType(legacy, f)}
			}
		}
		methods[strings.ToLower(name)] = &specMethod{Name: name, Fields: fields}
	}
	return methods, s.Version
}

func legacyType(name string, modern specField) []string {
	switch name {
	case "reply_to_message_id":
		return []string{"Integer"}
	case "allow_sending_without_reply", "disable_web_page_preview":
		return []string{"Boolean"}
	}
	return modern.Types
}

// validate checks the parameters of a call against the method's signature and
// returns a Telegram-style description of the first problem, or "".
// Unknown parameters are rejected, which is stricter than Telegram (it ignores
// them) but catches misspelt fields in tests.
func (m *specMethod) validate(p *params) string {
	names := make([]string, 0, len(m.Fields))
	for name := range m.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if m.Fields[name].Required && !p.has(name) {
			if name == "text" {
				return "Bad Request: message text is empty"
			}
			return fmt.Sprintf("Bad Request: %s is empty", name)
		}
	}
	for _, name := range p.names() {
		f, ok := m.Fields[name]
		if !ok {
			return fmt.Sprintf("Bad Request: method %s does not take parameter %q", m.Name, name)
		}
		if _, isFile := p.files[name]; isFile {
			if !f.accepts("InputFile") {
				return fmt.Sprintf("Bad Request: parameter %q can't be a file", name)
			}
			continue
		}
		if !f.valid(p.values[name]) {
			if name == "reply_markup" {
				return "Bad Request: can't parse reply keyboard markup JSON object"
			}
			return fmt.Sprintf("Bad Request: invalid %s: expected %s", name, strings.Join(f.Types, " or "))
		}
	}
	return ""
}

// accepts reports whether the field may hold the given type.
func (f specField) accepts(typ string) bool {
	for _, t := range f.Types {
		if t == typ {
			return true
		}
	}
	return false
}

// valid reports whether a form value fits one of the field's types; objects
// and arrays must be JSON, the way Telegram expects them in form encodings.
func (f specField) valid(v string) bool {
	for _, t := range f.Types {
		switch {
		case t == "String" || t == "InputFile":
			return true
		case t == "Integer":
			if _, err := strconv.ParseInt(v, 10, 64); err == nil {
				return true
			}
		case t == "Float":
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				return true
			}
		case t == "Boolean":
			if _, err := strconv.ParseBool(v); err == nil {
				return true
			}
		case strings.HasPrefix(t, "Array of "):
			var a []json.RawMessage
			if json.Unmarshal([]byte(v), &a) == nil {
				return true
			}
		default: // an object type
			var o map[string]json.RawMessage
			if json.Unmarshal([]byte(v), &o) == nil {
				return true
			}
		}
	}
	return false
}
