package flows

import (
	"reflect"
	"regexp"
	"strings"
)

// Patient texts never spell a command or a crisis number themselves: they
// name them through placeholders that Parse fills from the protocol, so a
// clinic whose pre-dose check is /ready, or whose crisis line is Samaritans,
// never has its patients told to send /checkin or call 988.
//
//	{cmd:check}        the command of the first `kind: check` flow
//	{cmd:post_session} the command of the timeline's post-session flow
//	{cmd:follow_up}    the command of the timeline's next-morning flow
//	{cmd:<flow id>}    the command of that flow
//	{commands}         the patient's command list, one "/cmd – title" a line
//	{crisis}           the protocol's crisis resources, one "• line" a line
//
// protocol check refuses a placeholder naming no command, and a literal
// "/word" that is not one of the protocol's commands or the bot's own.

// PatientBotCommands are the bot's own patient commands, in menu order.
var PatientBotCommands = []string{"status", "resume", "cancel", "language", "help"}

var (
	cmdPlaceholder = regexp.MustCompile(`\{cmd:([a-z0-9_]*)\}`)
	// slashCommand finds "/word" at the start of a text or after a space or
	// an opening bracket or quote: not "128/82" and not a URL's path.
	slashCommand = regexp.MustCompile(`(?:^|[\s(“"'«¿¡])/([a-zA-Z][a-zA-Z0-9_]*)`)
)

// Command roles: placeholders that name a flow by what it is for.
const (
	RoleCheck       = "check"
	RolePostSession = "post_session"
	RoleFollowUp    = "follow_up"
)

// roleFlow returns the flow that a role or flow id names, or nil.
func (p *Protocol) roleFlow(name string) *Flow {
	switch name {
	case RoleCheck:
		for _, f := range p.Flows {
			if f != nil && f.Kind == KindCheck && f.Command != "" {
				return f
			}
		}
		return nil
	case RolePostSession:
		return p.flowNamed(p.Timeline.PostSessionFlow())
	case RoleFollowUp:
		return p.flowNamed(p.Timeline.FollowUpFlow())
	}
	return p.flowNamed(name)
}

func (p *Protocol) flowNamed(id string) *Flow {
	for _, f := range p.Flows {
		if f != nil && f.ID == id {
			return f
		}
	}
	return nil
}

// CommandFor returns "/command" for a role or flow id, and whether it exists.
func (p *Protocol) CommandFor(name string) (string, bool) {
	f := p.roleFlow(name)
	if f == nil || f.Command == "" {
		return "", false
	}
	return "/" + f.Command, true
}

// knownCommand says whether a patient may send /name to this protocol.
func (p *Protocol) knownCommand(name string) bool {
	for _, c := range PatientBotCommands {
		if c == name {
			return true
		}
	}
	return p.FlowForCommand(name) != nil
}

// commandProblems lists what is wrong with the commands a clinic's text names.
func (p *Protocol) commandProblems(s string) []string {
	var out []string
	for _, m := range cmdPlaceholder.FindAllStringSubmatch(s, -1) {
		if _, ok := p.CommandFor(m[1]); !ok {
			out = append(out, "{cmd:"+m[1]+"} names no flow with a command; use a flow id or check, post_session, follow_up")
		}
	}
	for _, m := range slashCommand.FindAllStringSubmatch(s, -1) {
		if !p.knownCommand(m[1]) {
			out = append(out, "names /"+m[1]+", which this protocol has no command for; write {cmd:<flow id>} or one of its commands")
		}
	}
	return out
}

// commandList renders the patient's commands, one a line.
func (p *Protocol) commandList() string {
	var lines []string
	for _, c := range p.PatientCommands() {
		lines = append(lines, "/"+c.Name+" – "+c.Description)
	}
	return strings.Join(lines, "\n")
}

// PatientCommand is one entry of the patient's command menu.
type PatientCommand struct{ Name, Description string }

// PatientCommands are the protocol's flows that have a command, then the
// bot's own, each described in the protocol's words.
func (p *Protocol) PatientCommands() []PatientCommand {
	var cmds []PatientCommand
	for _, f := range p.Flows {
		if f != nil && f.Command != "" {
			cmds = append(cmds, PatientCommand{f.Command, f.Title})
		}
	}
	m := p.Messages
	for _, c := range []PatientCommand{
		{"status", m.CmdStatus}, {"resume", m.CmdResume}, {"cancel", m.CmdCancel},
		{"language", m.CmdLanguage}, {"help", m.CmdHelp},
	} {
		if c.Description != "" {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// crisisLines is the protocol's crisis resources without the intro and
// on-call line: what a short text names when it says where help is.
func (c Crisis) crisisLines() string {
	var lines []string
	for _, r := range append(append([]string(nil), c.Resources...), c.Emergency...) {
		lines = append(lines, "• "+r)
	}
	return strings.Join(lines, "\n")
}

// expand fills the command and crisis placeholders of one text. A role the
// protocol lacks (a built-in message naming {cmd:check} in a file with no
// check flow) becomes /help, which every patient can send.
func (p *Protocol) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	s = cmdPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		if c, ok := p.CommandFor(cmdPlaceholder.FindStringSubmatch(m)[1]); ok {
			return c
		}
		return "/help"
	})
	if strings.Contains(s, "{commands}") {
		s = strings.ReplaceAll(s, "{commands}", p.commandList())
	}
	return strings.ReplaceAll(s, "{crisis}", p.Crisis.crisisLines())
}

// expandTexts fills the placeholders of every patient text once, at load.
func (p *Protocol) expandTexts() {
	mv := reflect.ValueOf(&p.Messages).Elem()
	for i := 0; i < mv.NumField(); i++ {
		if mv.Type().Field(i).IsExported() && mv.Field(i).Kind() == reflect.String {
			mv.Field(i).SetString(p.expand(mv.Field(i).String()))
		}
	}
	p.Crisis.Intro = p.expand(p.Crisis.Intro)
	for _, f := range p.Flows {
		eachFlowText(f, func(s *string) { *s = p.expand(*s) })
	}
}

// eachFlowText calls fn with every patient-facing text of a flow.
func eachFlowText(f *Flow, fn func(*string)) {
	if f == nil {
		return
	}
	fn(&f.Intro)
	fn(&f.Done)
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		fn(&it.Text)
		if it.Remeasure != nil {
			fn(&it.Remeasure.Advise)
		}
		for i := range it.Rules {
			r := &it.Rules[i]
			fn(&r.Advise)
			if r.Hold != nil {
				fn(&r.Hold.Reason)
				fn(&r.Hold.Next)
			}
		}
	}
}

// commandTexts reports every clinic-written text that names a command the
// protocol lacks.
func (c *checker) commandTexts() {
	p := c.p
	mv := reflect.ValueOf(p.Messages)
	for i := 0; i < mv.NumField(); i++ {
		if !mv.Type().Field(i).IsExported() || mv.Field(i).Kind() != reflect.String {
			continue
		}
		for _, msg := range p.commandProblems(mv.Field(i).String()) {
			c.add(p.Messages.m.line, "messages.%s %s", mv.Type().Field(i).Tag.Get("yaml"), msg)
		}
	}
	for _, f := range p.Flows {
		if f == nil {
			continue
		}
		line := f.m.line
		check := func(s *string) {
			for _, msg := range p.commandProblems(*s) {
				c.add(line, "flow %q: a text %s", f.ID, msg)
			}
		}
		check(&f.Intro)
		check(&f.Done)
		for _, it := range f.Items {
			if it == nil {
				continue
			}
			line = it.m.line
			one := &Flow{ID: f.ID, Items: []*Item{it}}
			eachFlowText(one, check)
		}
	}
}
