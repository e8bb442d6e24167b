package flows

import (
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default protocol file, e.g. for a clinic
// to copy and adapt.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns a fresh copy of the built-in protocol. It panics only if the
// embedded file is invalid, which TestDefaultIsValid rules out.
func Default() *Protocol {
	p, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic("flows: embedded default protocol is invalid:\n" + err.Error())
	}
	return p
}

// Problem is one thing wrong with a protocol file, with where and what to do.
type Problem struct {
	File    string
	Line    int // 1-based; 0 when the problem concerns the whole file
	Message string
}

// String renders the problem as "file:line: message".
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// Problems is every problem Parse found, sorted by line; it is the error Parse returns.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Parse reads and validates a protocol file. On failure the error is a
// Problems listing everything wrong at once, so a clinic fixes its file in one pass.
func Parse(name string, data []byte) (*Protocol, error) {
	p, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	if len(p.Translations) > 0 {
		if err := p.buildLanguages(func() (*Protocol, error) { return parse(name, data) }); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parse is Parse for the clinic's language alone.
func parse(name string, data []byte) (*Protocol, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlProblems(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Problems{{File: name, Message: "the file is empty; start from the default protocol (checkinbot protocol default)"}}
	}
	p := &Protocol{source: name}
	var ps Problems
	if err := doc.Decode(p); err != nil {
		ps = yamlProblems(name, err)
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, ps // a hard syntax error: nothing more to check
		}
	}
	ps = append(ps, p.validate()...)
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		return nil, ps
	}
	p.Messages = p.Messages.withDefaults()
	p.expandTexts()
	p.yaml = append([]byte(nil), data...)
	return p, nil
}

// YAML returns the file the protocol was parsed from, so it can be kept
// under its version for runs that started on it.
func (p *Protocol) YAML() []byte { return p.yaml }

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblems turns a yaml error (syntax or type errors) into Problems.
func yamlProblems(name string, err error) Problems {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var ps Problems
	for _, m := range msgs {
		p := Problem{File: name, Message: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
		}
		ps = append(ps, p)
	}
	return ps
}

// typeErr reports a problem at node n in the form yaml uses for its own type
// errors, so decoding goes on and every problem is collected.
func typeErr(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
}

// meta is where a schema value was in the file, and the decoding problems
// found inside it. Keeping the problems here, rather than returning them,
// matters: yaml drops a list element whose UnmarshalYAML fails, and a flow
// with one typo would then vanish, hiding every other problem in it.
type meta struct {
	line int
	errs []string // yaml-style "line N: message"
}

// decodeMapping decodes mapping node n into v (a pointer to a struct without
// its own UnmarshalYAML), records the line, and notes unknown keys, which
// are almost always typos that would otherwise silently disable a rule.
func decodeMapping(n *yaml.Node, v any, m *meta, what string) error {
	m.line = n.Line
	if n.Kind != yaml.MappingNode {
		m.errs = append(m.errs, fmt.Sprintf("line %d: expected a %s (a mapping of key: value) here", n.Line, what))
		return nil
	}
	known := yamlKeys(reflect.TypeOf(v).Elem())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !known[k.Value] {
			m.errs = append(m.errs, fmt.Sprintf("line %d: unknown key %q in %s; check the spelling (known keys: %s)",
				k.Line, k.Value, what, strings.Join(sortedKeys(known), ", ")))
		}
	}
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return err
		}
		m.errs = append(m.errs, te.Errors...)
	}
	return nil
}

func yamlKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			keys[tag] = true
		}
	}
	return keys
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// UnmarshalYAML decodes the protocol and records where it starts.
func (p *Protocol) UnmarshalYAML(n *yaml.Node) error {
	type plain Protocol
	return decodeMapping(n, (*plain)(p), &p.m, "protocol")
}

// UnmarshalYAML decodes a flow and records its line.
func (f *Flow) UnmarshalYAML(n *yaml.Node) error {
	type plain Flow
	return decodeMapping(n, (*plain)(f), &f.m, "flow")
}

// UnmarshalYAML decodes an item and records its line.
func (it *Item) UnmarshalYAML(n *yaml.Node) error {
	type plain Item
	return decodeMapping(n, (*plain)(it), &it.m, "item")
}

// UnmarshalYAML decodes a choice and records its line.
func (c *Choice) UnmarshalYAML(n *yaml.Node) error {
	type plain Choice
	return decodeMapping(n, (*plain)(c), &c.m, "choice")
}

// UnmarshalYAML decodes a rule and records its line.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	type plain Rule
	return decodeMapping(n, (*plain)(r), &r.m, "rule")
}

// UnmarshalYAML decodes a hold and records its line.
func (h *Hold) UnmarshalYAML(n *yaml.Node) error {
	type plain Hold
	return decodeMapping(n, (*plain)(h), &h.m, "hold")
}

// UnmarshalYAML decodes a re-measure setting and records its line.
func (r *Remeasure) UnmarshalYAML(n *yaml.Node) error {
	type plain Remeasure
	return decodeMapping(n, (*plain)(r), &r.m, "remeasure")
}

// UnmarshalYAML decodes vitals limits and records their line.
func (v *VitalLimits) UnmarshalYAML(n *yaml.Node) error {
	type plain VitalLimits
	return decodeMapping(n, (*plain)(v), &v.m, "vitals limits")
}

// UnmarshalYAML decodes the timeline and records its line.
func (t *Timeline) UnmarshalYAML(n *yaml.Node) error {
	t.unfoldTimeline(n)
	type plain Timeline
	return decodeMapping(n, (*plain)(t), &t.m, "timeline")
}

// UnmarshalYAML decodes the crisis resources and records their line.
func (c *Crisis) UnmarshalYAML(n *yaml.Node) error {
	type plain Crisis
	return decodeMapping(n, (*plain)(c), &c.m, "crisis")
}

// UnmarshalYAML decodes the thresholds, rejecting unknown keys.
func (t *Thresholds) UnmarshalYAML(n *yaml.Node) error {
	type plain Thresholds
	return decodeMapping(n, (*plain)(t), &t.m, "thresholds")
}

// UnmarshalYAML decodes message overrides, rejecting unknown keys.
func (m *Messages) UnmarshalYAML(n *yaml.Node) error {
	type plain Messages
	return decodeMapping(n, (*plain)(m), &m.m, "messages")
}

// UnmarshalYAML accepts routine, high or urgent in any case.
func (l *Level) UnmarshalYAML(n *yaml.Node) error {
	switch l2 := Level(strings.ToUpper(strings.TrimSpace(n.Value))); l2 {
	case Routine, High, Urgent:
		*l = l2
		return nil
	}
	return typeErr(n, "unknown escalation level %q; use routine, high or urgent", n.Value)
}
