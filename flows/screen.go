package flows

import (
	"regexp"
	"strings"
	"sync"
	"time"
)

// This file is the crisis screen's contract: what a match is and how the
// crisis resources are ordered for it. The engine (crisis.go) and bot (which
// screens typed text before any Redis call) both use it, so a patient sees
// the same crisis reply whichever of them sends it. The lexicon is in
// lexicon.go, the pattern language in match.go, the normaliser in
// normalize.go.

// CrisisGroup is what kind of crisis a screened message is about; it sets
// which resources lead the reply and is named in the escalation.
type CrisisGroup string

// The crisis groups of docs/clinical-basis.md.
const (
	GroupSelfHarm       CrisisGroup = "self_harm"        // suicide and self-harm: 988 first
	GroupOverdose       CrisisGroup = "overdose"         // overdose or poisoning: emergency services first
	GroupMedical        CrisisGroup = "medical"          // chest pain, breathing, seizure…: emergency services first
	GroupHarmFromOthers CrisisGroup = "harm_from_others" // being hurt or threatened by someone: emergency services first
)

// CrisisGroups lists every group, most urgent for emergency services first.
var CrisisGroups = []CrisisGroup{GroupOverdose, GroupMedical, GroupHarmFromOthers, GroupSelfHarm}

// Label is the group in words, for clinicians.
func (g CrisisGroup) Label() string {
	switch g {
	case GroupSelfHarm:
		return "self-harm or suicide"
	case GroupOverdose:
		return "overdose or poisoning"
	case GroupMedical:
		return "medical emergency"
	case GroupHarmFromOthers:
		return "harm from others"
	}
	return string(g)
}

// CrisisMatch is a screened message's match: its group, the phrase or
// pattern that matched (for the clinician), and whether the message may be
// a negation ("I'm not suicidal"), which still escalates.
type CrisisMatch struct {
	Group   CrisisGroup
	Phrase  string
	Negated bool
}

// BuiltinOn reports whether the built-in lexicon is screened (the default;
// only an explicit builtin: false turns it off).
func (c Crisis) BuiltinOn() bool { return c.Builtin == nil || *c.Builtin }

// Screen checks typed text against the built-in lexicon and the clinic's
// phrases. A match inside an idiom ("dying to know") does not count; a
// negated one ("I'm not suicidal") still does, marked Negated. When several
// parts of a message match, one not negated wins, and then the group whose
// help is most urgent (emergency services before 988).
func (c Crisis) Screen(text string) (CrisisMatch, bool) {
	var sets []*patternSet
	if c.BuiltinOn() {
		sets = append(sets, builtinPatterns)
	}
	if len(c.Phrases) > 0 {
		set, _ := clinicPatterns(c.Phrases) // invalid phrases are refused by validate
		sets = append(sets, set)
	}
	if len(sets) == 0 || strings.TrimSpace(text) == "" {
		return CrisisMatch{}, false
	}
	toks := screenTokens(text)
	var hits []hit
	for _, set := range sets {
		hits = set.find(toks, hits)
	}
	if len(hits) == 0 {
		return CrisisMatch{}, false
	}
	idioms := builtinIdiomSet.find(toks, nil)
	best, found := CrisisMatch{}, false
	for _, h := range hits {
		if insideIdiom(h.span, idioms) {
			continue
		}
		m := CrisisMatch{Group: h.p.group, Phrase: quoteSpan(toks, h.span), Negated: negated(toks, h.start)}
		if !found || better(m, best) {
			best, found = m, true
		}
	}
	return best, found
}

// better reports whether match a should be reported rather than b.
func better(a, b CrisisMatch) bool {
	if a.Negated != b.Negated {
		return !a.Negated
	}
	return groupRank(a.Group) < groupRank(b.Group)
}

func groupRank(g CrisisGroup) int {
	for i, x := range CrisisGroups {
		if x == g {
			return i
		}
	}
	return len(CrisisGroups)
}

// insideIdiom reports whether s overlaps an idiom's match.
func insideIdiom(s span, idioms []hit) bool {
	for _, id := range idioms {
		if s.start < id.end && id.start < s.end {
			return true
		}
	}
	return false
}

// negationWindow is how many words before a match a negation may stand.
const negationWindow = 5

// negations are the words that make a match a possible negation; clause
// words stop the look-back ("I can't sleep and I want to die" is not one).
var (
	negations   = map[string]bool{"not": true, "no": true, "never": true, "nor": true, "without": true, "nunca": true, "jamas": true, "ni": true, "deny": true, "denies": true}
	clauseWords = map[string]bool{"and": true, "but": true, "because": true, "so": true, "then": true, "y": true, "pero": true, "porque": true, "entonces": true}
)

// negated reports whether a negation stands shortly before position i.
func negated(toks []token, i int) bool {
	for j := i - 1; j >= 0 && j >= i-negationWindow; j-- {
		w := toks[j].norm
		if w == boundary || w == pause || clauseWords[w] {
			return false
		}
		if negations[w] {
			return true
		}
	}
	return false
}

// quoteSpan is the matched words as the patient wrote them.
func quoteSpan(toks []token, s span) string {
	var words []string
	last := ""
	for i := s.start; i < s.end && i < len(toks); i++ {
		o := toks[i].orig
		if o == boundary || o == pause || o == last {
			continue // shorthand expands one word into several
		}
		words, last = append(words, o), o
	}
	return strings.ToLower(strings.Join(words, " "))
}

// clinicCache keeps each clinic's compiled phrases: Screen runs on every
// typed message and the phrases change only with the protocol.
var clinicCache sync.Map // joined phrases → *patternSet

// maxClinicCache bounds the cache; beyond it phrases are compiled per call.
const maxClinicCache = 64

var clinicCacheSize int
var clinicCacheMu sync.Mutex

// clinicPatterns compiles a clinic's phrases; each takes the group of the
// built-in pattern its own words match (so "chest tightness" leads with
// emergency services), or self-harm.
func clinicPatterns(phrases []string) (*patternSet, error) {
	key := strings.Join(phrases, "\x00")
	if set, ok := clinicCache.Load(key); ok {
		return set.(*patternSet), nil
	}
	var ps []pattern
	var firstErr error
	for _, ph := range phrases {
		if strings.TrimSpace(ph) == "" {
			continue
		}
		p, err := compilePattern(phraseGroup(ph), ph)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ps = append(ps, p)
	}
	set := newPatternSet(ps)
	clinicCacheMu.Lock()
	if clinicCacheSize < maxClinicCache {
		if _, loaded := clinicCache.LoadOrStore(key, set); !loaded {
			clinicCacheSize++
		}
	}
	clinicCacheMu.Unlock()
	return set, firstErr
}

// phraseGroup is the group of a clinic phrase: that of the first built-in
// pattern its words match, or self-harm.
func phraseGroup(phrase string) CrisisGroup {
	plain := strings.NewReplacer("…", " ", "...", " ", "|", " ", "*", "", "_", " ").Replace(phrase)
	toks := screenTokens(plain)
	best := GroupSelfHarm
	for _, h := range builtinPatterns.find(toks, nil) {
		if groupRank(h.p.group) < groupRank(best) {
			best = h.p.group
		}
	}
	return best
}

// emergencyLine spots a resource line about emergency services, which leads
// the reply for every group but self-harm when a protocol has no separate
// emergency list.
var emergencyLine = regexp.MustCompile(`(?i)\b(911|112|999|000|emergenc|ambulance)`)

// Text is the crisis resources for a group, in the order that group needs:
// 988 and the other resources first for self-harm, emergency services first
// for the rest; the clinic's on-call line always closes.
func (c Crisis) Text(g CrisisGroup) string {
	var first, then []string
	switch {
	case g == GroupSelfHarm:
		first, then = c.Resources, c.Emergency
	case len(c.Emergency) > 0:
		first, then = c.Emergency, c.Resources
	default:
		for _, r := range c.Resources {
			if emergencyLine.MatchString(r) {
				first = append(first, r)
			} else {
				then = append(then, r)
			}
		}
	}
	lines := []string{}
	if c.Intro != "" {
		lines = append(lines, c.Intro)
	}
	for _, r := range append(append([]string(nil), first...), then...) {
		lines = append(lines, "• "+r)
	}
	if c.OnCall != "" && c.OnCallText != "" {
		lines = append(lines, "• "+fill(c.OnCallText, "oncall", c.OnCall))
	}
	return strings.Join(lines, "\n")
}

// crisisReason tells the clinician what the screen saw: the group, the
// words, and whether the message may be a negation (it escalates anyway).
func crisisReason(m CrisisMatch) string {
	r := "crisis screen: " + m.Group.Label() + ", the message contains \"" + m.Phrase + "\" (automatic phrase match: please read it)"
	if m.Negated {
		r += "; the message may be a negation"
	}
	return r
}

// ScreenEdit is the outcome of a patient's edited message: an edit changes
// no answer, but a crisis typed into one is answered like a typed message
// (the alert, an URGENT escalation, and whatever else a crisis match does).
// ok is false, and the outcome empty, when the edit is not a crisis.
func (p *Protocol) ScreenEdit(s Session, text string, now time.Time) (out Outcome, ok bool) {
	out = Outcome{Session: s}
	p.screen(&out, s, Input{Text: text}, now)
	for i := range out.Escalations {
		out.Escalations[i].Question = "Edited message"
	}
	return out, len(out.Escalations) > 0
}

// CrisisAlert is the reply to a typed message that matched the screen: the
// resources for its group and that the care team was alerted. bot sends it
// before touching Redis; the engine then leaves it out (Input.CrisisAlerted).
func (p *Protocol) CrisisAlert(m CrisisMatch) Reply {
	return Reply{Text: p.Messages.CrisisNoticed + "\n\n" + p.Crisis.Text(m.Group) + "\n\n" + p.Messages.EscalatedUrgent}
}
