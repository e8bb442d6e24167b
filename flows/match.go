package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// The crisis screen's pattern language, shared by the built-in lexicon
// (lexicon.go) and a clinic's crisis.phrases:
//
//	want to die          words in this order, next to each other
//	want … die           "…" (or "...") lets up to 4 words come between
//	want ~2 die          "~N" lets up to N words come between (N ≤ 8)
//	kill|end myself      "|" separates alternatives for one word
//	suicid*              "*" ends a word prefix (suicide, suicidal, suicidio)
//	go on .              "." (or "$") is the end of a sentence
//
// Gaps never cross the end of a sentence. Every word is normalised like the
// patient's text (normalize.go), so "can't", "cant" and "cannot" are alike.

// defaultGap is how many words "…" lets come between two pattern words.
const defaultGap = 4

// maxGap bounds ~N, which keeps matching fast.
const maxGap = 8

// alt is one alternative of a slot: one or more words in a row, the last
// of which may be a prefix.
type alt struct {
	words  []string
	prefix bool
}

// matchAt returns the end of alt a at toks[j:], or -1.
func (a alt) matchAt(toks []token, j int) int {
	if j+len(a.words) > len(toks) {
		return -1
	}
	last := len(a.words) - 1
	for i, w := range a.words {
		t := toks[j+i].norm
		if t != w && !(i == last && a.prefix && strings.HasPrefix(t, w)) {
			return -1
		}
	}
	return j + len(a.words)
}

// slot is one pattern word (or phrase) with its alternatives, and how many
// message words may come between it and the previous slot.
type slot struct {
	alts []alt
	gap  int
}

// pattern is one compiled lexicon entry or clinic phrase.
type pattern struct {
	group  CrisisGroup
	source string
	slots  []slot
}

// compilePattern compiles src in the pattern language.
func compilePattern(g CrisisGroup, src string) (pattern, error) {
	p := pattern{group: g, source: strings.TrimSpace(src)}
	gap := 0
	for _, field := range strings.Fields(strings.ReplaceAll(strings.ReplaceAll(src, "…", " … "), "...", " … ")) {
		if field == "…" {
			gap = defaultGap
			continue
		}
		if field == boundary || field == "$" {
			// The end of a sentence: "go on ." is not "go on the trip".
			p.slots = append(p.slots, slot{alts: []alt{{words: []string{boundary}}}, gap: gap})
			gap = 0
			continue
		}
		if strings.HasPrefix(field, "~") {
			n, err := strconv.Atoi(field[1:])
			if err != nil || n < 1 || n > maxGap {
				return p, fmt.Errorf("gap %q must be ~1 to ~%d", field, maxGap)
			}
			gap = n
			continue
		}
		s := slot{gap: gap}
		for _, src := range strings.Split(field, "|") {
			a, err := compileAlt(src)
			if err != nil {
				return p, err
			}
			s.alts = append(s.alts, a)
		}
		p.slots = append(p.slots, s)
		gap = 0
	}
	if len(p.slots) == 0 {
		return p, fmt.Errorf("pattern %q has no words", src)
	}
	if gap != 0 || p.slots[0].gap != 0 {
		return p, fmt.Errorf("pattern %q starts or ends with a gap", src)
	}
	return p, nil
}

// compileAlt compiles one alternative; "_" joins the words of a phrase
// alternative ("go_on|continue").
func compileAlt(src string) (alt, error) {
	if src == boundary || src == "$" {
		return alt{words: []string{boundary}}, nil
	}
	prefix := strings.HasSuffix(src, "*")
	words := strings.TrimSuffix(src, "*")
	toks := screenTokens(strings.ReplaceAll(words, "_", " "))
	if n := len(toks); n > 0 && toks[n-1].norm == boundary {
		toks = toks[:n-1]
	}
	var a alt
	for _, t := range toks {
		if t.norm == boundary || t.norm == pause {
			return a, fmt.Errorf("%q: punctuation is not a word", src)
		}
		a.words = append(a.words, t.norm)
	}
	switch {
	case len(a.words) == 0:
		return a, fmt.Errorf("%q has no letters", src)
	case prefix && len(a.words[len(a.words)-1]) < 3:
		return a, fmt.Errorf("prefix %q must have 3 or more letters", src)
	}
	a.prefix = prefix
	return a, nil
}

// span is where a pattern matched: tokens [start, end).
type span struct{ start, end int }

// matchAt reports whether p matches toks starting at i, and where it ends.
func (p *pattern) matchAt(toks []token, i int) (int, bool) {
	for _, a := range p.slots[0].alts {
		if e := a.matchAt(toks, i); e >= 0 {
			if end, ok := p.rest(toks, 1, e); ok {
				return end, true
			}
		}
	}
	return 0, false
}

// rest matches slots[k:] from position pos, trying every allowed gap.
func (p *pattern) rest(toks []token, k, pos int) (int, bool) {
	if k == len(p.slots) {
		return pos, true
	}
	s := p.slots[k]
	for j := pos; j < len(toks) && j <= pos+s.gap; j++ {
		for _, a := range s.alts {
			if e := a.matchAt(toks, j); e >= 0 {
				if end, ok := p.rest(toks, k+1, e); ok {
					return end, true
				}
			}
		}
		if toks[j].norm == boundary {
			break // a gap never crosses the end of a sentence
		}
	}
	return 0, false
}

// patternSet is compiled patterns indexed by what their first word can be,
// so a message is checked only against patterns that can start at a word.
type patternSet struct {
	all      []pattern
	byFirst  map[string][]int // exact first words
	byPrefix map[string][]int // first three bytes of a first-word prefix
}

func newPatternSet(ps []pattern) *patternSet {
	set := &patternSet{all: ps, byFirst: map[string][]int{}, byPrefix: map[string][]int{}}
	for i, p := range ps {
		firsts, prefixes := map[string]bool{}, map[string]bool{}
		for _, a := range p.slots[0].alts {
			if a.prefix && len(a.words) == 1 {
				prefixes[a.words[0][:3]] = true // compileAlt: 3 letters or more
			} else {
				firsts[a.words[0]] = true
			}
		}
		for w := range firsts {
			set.byFirst[w] = append(set.byFirst[w], i)
		}
		for k := range prefixes {
			set.byPrefix[k] = append(set.byPrefix[k], i)
		}
	}
	return set
}

// hit is one pattern matched in a message.
type hit struct {
	p *pattern
	span
}

// find returns every match of the set in toks, by start position.
func (set *patternSet) find(toks []token, hits []hit) []hit {
	if set == nil {
		return hits
	}
	for i, t := range toks {
		if t.norm == boundary || t.norm == pause {
			continue
		}
		try := func(idx int) {
			p := &set.all[idx]
			if end, ok := p.matchAt(toks, i); ok {
				hits = append(hits, hit{p, span{i, end}})
			}
		}
		for _, idx := range set.byFirst[t.norm] {
			try(idx)
		}
		if len(t.norm) >= 3 {
			for _, idx := range set.byPrefix[t.norm[:3]] {
				try(idx)
			}
		}
	}
	return hits
}
