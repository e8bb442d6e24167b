package flows

import "strings"

// This file is the crisis screen's contract: what a match is and how the
// crisis resources are ordered for it. The engine (crisis.go) and bot (which
// screens typed text before any Redis call) both use it, so a patient sees
// the same crisis reply whichever of them sends it.

// CrisisGroup is what kind of crisis a screened message is about; it sets
// which resources lead the reply and is named in the escalation.
type CrisisGroup string

// The crisis groups of CLINICAL.md.
const (
	GroupSelfHarm       CrisisGroup = "self_harm"        // suicide and self-harm: 988 first
	GroupOverdose       CrisisGroup = "overdose"         // overdose or poisoning: emergency services first
	GroupMedical        CrisisGroup = "medical"          // chest pain, breathing, seizure…: emergency services first
	GroupHarmFromOthers CrisisGroup = "harm_from_others" // being hurt or threatened by someone: emergency services first
)

// CrisisMatch is a screened message's match: its group, the phrase or
// pattern that matched (for the clinician), and whether the message may be
// a negation ("I'm not suicidal"), which still escalates.
type CrisisMatch struct {
	Group   CrisisGroup
	Phrase  string
	Negated bool
}

// Screen checks typed text against the crisis lexicon.
func (c Crisis) Screen(text string) (CrisisMatch, bool) {
	phrase := c.crisisPhrase(text)
	if phrase == "" {
		return CrisisMatch{}, false
	}
	g := GroupSelfHarm
	switch {
	case strings.Contains(phrase, "overdose"):
		g = GroupOverdose
	case strings.Contains(phrase, "breathe"), strings.Contains(phrase, "chest"), strings.Contains(phrase, "seizure"):
		g = GroupMedical
	}
	return CrisisMatch{Group: g, Phrase: phrase}, true
}

// Text is the crisis resources for a group, in the order that group needs.
func (c Crisis) Text(g CrisisGroup) string { return crisisText(c) }

// CrisisAlert is the reply to a typed message that matched the screen: the
// resources for its group and that the care team was alerted. bot sends it
// before touching Redis; the engine then leaves it out (Input.CrisisAlerted).
func (p *Protocol) CrisisAlert(m CrisisMatch) Reply {
	return Reply{Text: p.Messages.CrisisNoticed + "\n\n" + p.Crisis.Text(m.Group) + "\n\n" + p.Messages.EscalatedUrgent}
}
