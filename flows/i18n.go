package flows

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Languages. A protocol is written in the clinic's language (`language:`,
// default en) and carries its other languages under `translations:`, keyed
// by language and then by the ids the texts already have:
//
//	translations:
//	  es:
//	    messages: {help: "…"}            # only what the file overrides; the engine ships es defaults
//	    crisis: {intro: "…", resources: ["…"], emergency: ["…"], oncall_text: "…"}
//	    flows:
//	      predose:
//	        title: "…"
//	        intro: "…"
//	        items:
//	          sitter:
//	            text: "…"
//	            choices: {much_better: "Mucho mejor"}
//	            remeasure: "…"                     # the remeasure advice
//	            rules: [{advise: "…", hold: {reason: "…", next: "…"}}]  # by position
//
// Parse builds one Protocol per language with every patient text replaced,
// so the engine runs unchanged in any of them; what clinicians read (item
// summaries, rule reasons, escalations) stays in the clinic's language. A
// text without a translation is a problem protocol check reports at the
// line of the text it translates.

// Translation is one language's patient texts.
type Translation struct {
	Messages map[string]string         `yaml:"messages"`
	Crisis   *CrisisTranslation        `yaml:"crisis"`
	Flows    map[string]*FlowTranslate `yaml:"flows"`
}

// CrisisTranslation translates the crisis block; the lists are the
// language's own (a Spanish line may name 988's Spanish option).
type CrisisTranslation struct {
	Intro      string   `yaml:"intro"`
	Resources  []string `yaml:"resources"`
	Emergency  []string `yaml:"emergency"`
	OnCallText string   `yaml:"oncall_text"`
}

// FlowTranslate translates one flow.
type FlowTranslate struct {
	Title string                    `yaml:"title"`
	Intro string                    `yaml:"intro"`
	Done  string                    `yaml:"done"`
	Items map[string]*ItemTranslate `yaml:"items"`
}

// ItemTranslate translates one item; Rules go by position.
type ItemTranslate struct {
	Text      string            `yaml:"text"`
	Choices   map[string]string `yaml:"choices"`
	Remeasure string            `yaml:"remeasure"`
	Rules     []RuleTranslate   `yaml:"rules"`
}

// RuleTranslate translates a rule's patient texts.
type RuleTranslate struct {
	Advise string `yaml:"advise"`
	Hold   *Hold  `yaml:"hold"`
}

// languageDefaults are the engine's own messages in each language it ships.
var languageDefaults = map[string]*Messages{"en": &DefaultMessages, "es": &DefaultMessagesES}

// LanguageItem is the pseudo-item of the language buttons.
const LanguageItem = "_lang" // not a valid item id, so no item can take it

// baseLanguage is the clinic's language.
func (p *Protocol) baseLanguage() string {
	if p.Language == "" {
		return "en"
	}
	return p.Language
}

// Languages lists the protocol's languages, the clinic's first.
func (p *Protocol) Languages() []string {
	out := []string{p.baseLanguage()}
	var more []string
	for l := range p.Translations {
		if l != p.baseLanguage() {
			more = append(more, l)
		}
	}
	sort.Strings(more)
	return append(out, more...)
}

// LanguageCode is the language of this protocol's texts.
func (p *Protocol) LanguageCode() string {
	if p.lang != "" {
		return p.lang
	}
	return p.baseLanguage()
}

// In returns the protocol in the language that best matches code (a
// Telegram language_code such as "es-MX"), or the clinic's language.
func (p *Protocol) In(code string) *Protocol {
	root := p.rootProtocol()
	if len(root.langs) == 0 || code == "" {
		return root
	}
	if q := root.langs[MatchLanguage(root.Languages(), code)]; q != nil {
		return q
	}
	return root
}

func (p *Protocol) rootProtocol() *Protocol {
	if p.root != nil {
		return p.root
	}
	return p
}

// MatchLanguage picks the best of supported for a user's language code,
// with golang.org/x/text's matcher ("es-MX" → "es"); the first when none fits.
func MatchLanguage(supported []string, code string) string {
	if len(supported) == 0 {
		return ""
	}
	tags := make([]language.Tag, len(supported))
	for i, s := range supported {
		tags[i] = language.Make(s)
	}
	want, err := language.Parse(code)
	if err != nil {
		return supported[0]
	}
	_, i, conf := language.NewMatcher(tags).Match(want)
	if conf == language.No {
		return supported[0]
	}
	return supported[i]
}

// buildLanguages makes the translated protocols from a validated one.
// parse re-reads the same file, which is the simplest deep copy.
func (p *Protocol) buildLanguages(parse func() (*Protocol, error)) error {
	p.langs = map[string]*Protocol{p.baseLanguage(): p}
	p.lang = p.baseLanguage()
	for _, l := range p.Languages()[1:] {
		q, err := parse()
		if err != nil {
			return err
		}
		q.translate(l, p.Translations[l])
		q.expandTexts()
		q.root, q.lang, q.langs = p, l, nil
		p.langs[l] = q
	}
	return nil
}

// translate overlays the language's texts; untranslated ones were refused
// as warnings and stay in the clinic's language; messages fall back to the
// engine's defaults in the language.
func (q *Protocol) translate(l string, tr *Translation) {
	if tr == nil {
		tr = &Translation{}
	}
	def := languageDefaults[l]
	mv := reflect.ValueOf(&q.Messages).Elem()
	for i := 0; i < mv.NumField(); i++ {
		f := mv.Type().Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.String {
			continue
		}
		key := f.Tag.Get("yaml")
		switch {
		case tr.Messages[key] != "":
			mv.Field(i).SetString(tr.Messages[key])
		case def != nil:
			mv.Field(i).SetString(reflect.ValueOf(def).Elem().Field(i).String())
		}
	}
	if c := tr.Crisis; c != nil {
		set(&q.Crisis.Intro, c.Intro)
		set(&q.Crisis.OnCallText, c.OnCallText)
		if len(c.Resources) > 0 {
			q.Crisis.Resources = c.Resources
		}
		if len(c.Emergency) > 0 {
			q.Crisis.Emergency = c.Emergency
		}
	}
	for _, f := range q.Flows {
		ft := tr.Flows[f.ID]
		if ft == nil {
			continue
		}
		set(&f.Title, ft.Title)
		set(&f.Intro, ft.Intro)
		set(&f.Done, ft.Done)
		for _, it := range f.Items {
			itr := ft.Items[it.ID]
			if itr == nil {
				continue
			}
			set(&it.Text, itr.Text)
			for i := range it.Choices {
				set(&it.Choices[i].Label, itr.Choices[it.Choices[i].ID])
			}
			if it.Remeasure != nil {
				set(&it.Remeasure.Advise, itr.Remeasure)
			}
			for i := range it.Rules {
				if i >= len(itr.Rules) {
					break
				}
				r, rt := &it.Rules[i], itr.Rules[i]
				set(&r.Advise, rt.Advise)
				if r.Hold != nil && rt.Hold != nil {
					set(&r.Hold.Reason, rt.Hold.Reason)
					set(&r.Hold.Next, rt.Hold.Next)
				}
			}
		}
	}
}

func set(dst *string, s string) {
	if s != "" {
		*dst = s
	}
}

// translations reports every patient text of the file without a
// translation in each of its languages, at the text's line.
func (c *checker) translations() {
	p := c.p
	for _, l := range p.Languages()[1:] {
		if _, err := language.Parse(l); err != nil {
			c.add(p.m.line, "translations: %q is not a language code; use e.g. es or pt-BR", l)
			continue
		}
		tr := p.Translations[l]
		if tr == nil {
			tr = &Translation{}
		}
		// A warning, not a refusal: an untranslated text falls back to the
		// clinic's language, which a patient can still read with help, and
		// a clinic editing one English sentence must not be kept from starting.
		miss := func(line int, what, where string) {
			c.warn(line, "%s has no %s translation; add it under translations: %s: %s", what, l, l, where)
		}
		mv := reflect.ValueOf(p.Messages)
		for i := 0; i < mv.NumField(); i++ {
			f := mv.Type().Field(i)
			if f.IsExported() && f.Type.Kind() == reflect.String && mv.Field(i).String() != "" && tr.Messages[f.Tag.Get("yaml")] == "" {
				miss(p.Messages.m.line, "messages."+f.Tag.Get("yaml"), "messages")
			}
		}
		cr := p.Crisis
		if t := tr.Crisis; t == nil || (cr.Intro != "" && t.Intro == "") || len(t.Resources) < min(1, len(cr.Resources)) ||
			len(t.Emergency) < min(1, len(cr.Emergency)) || (cr.OnCallText != "" && t.OnCallText == "") {
			miss(cr.m.line, "the crisis block (intro, resources, emergency, oncall_text)", "crisis")
		}
		for _, f := range p.Flows {
			if f == nil || f.Kind == "" && len(f.Items) == 0 {
				continue
			}
			ft := tr.Flows[f.ID]
			if ft == nil {
				ft = &FlowTranslate{}
			}
			where := "flows: " + f.ID
			for _, x := range []struct{ base, tr, name string }{{f.Title, ft.Title, "title"}, {f.Intro, ft.Intro, "intro"}, {f.Done, ft.Done, "done"}} {
				if x.base != "" && x.tr == "" {
					miss(f.m.line, fmt.Sprintf("flow %q %s", f.ID, x.name), where+": "+x.name)
				}
			}
			for _, it := range f.Items {
				if it == nil {
					continue
				}
				c.itemTranslation(it, ft.Items[it.ID], func(what, key string) {
					miss(it.m.line, fmt.Sprintf("item %q %s", it.ID, what), where+": items: "+it.ID+": "+key)
				})
			}
		}
	}
}

func (c *checker) itemTranslation(it *Item, t *ItemTranslate, miss func(what, key string)) {
	if t == nil {
		t = &ItemTranslate{}
	}
	if it.Text != "" && t.Text == "" {
		miss("text", "text")
	}
	var choices []string
	for _, ch := range it.Choices {
		if t.Choices[ch.ID] == "" {
			choices = append(choices, ch.ID)
		}
	}
	if len(choices) > 0 {
		miss("choices "+strings.Join(choices, ", "), "choices")
	}
	if it.Remeasure != nil && it.Remeasure.Advise != "" && t.Remeasure == "" {
		miss("remeasure advice", "remeasure")
	}
	for i, r := range it.Rules {
		var rt RuleTranslate
		if i < len(t.Rules) {
			rt = t.Rules[i]
		}
		if r.Advise != "" && rt.Advise == "" || r.Hold != nil && (rt.Hold == nil || rt.Hold.Reason == "" || rt.Hold.Next == "") {
			miss(fmt.Sprintf("rule %d (advise, hold)", i+1), "rules")
		}
	}
}

// LanguagePrompt offers the protocol's languages as buttons, each in its
// own words.
func (p *Protocol) LanguagePrompt() Reply {
	root := p.rootProtocol()
	var row []Button
	for _, l := range root.Languages() {
		q := root.In(l)
		row = append(row, Button{Label: q.Messages.LanguageName, Data: EncodeAnswer("l", LanguageItem, l)})
	}
	return Reply{Text: p.Messages.LanguageAsk, Buttons: [][]Button{row}}
}

// chooseLanguage records the patient's language and answers in it; a
// question in progress is shown again in the new language.
func (p *Protocol) chooseLanguage(s Session, code string) Outcome {
	root := p.rootProtocol()
	if !slices.Contains(root.Languages(), code) {
		return Outcome{Session: s, Replies: []Reply{p.LanguagePrompt()}}
	}
	s.Language = code
	q := root.In(code)
	out := Outcome{Session: s, Replies: []Reply{{Text: q.Messages.LanguageSet}}}
	if f := q.Flow(s.Flow); f != nil {
		if it := f.Item(s.State); it != nil && s.Finishing == nil || it != nil && it.Screen {
			pr := q.promptAt(f, s, it)
			out.Session.Prompt = &pr
			out.Replies = append(out.Replies, pr)
		}
	}
	return out
}
