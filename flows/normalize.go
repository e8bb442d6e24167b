package flows

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The crisis screen's normaliser: it turns what a patient typed into a list
// of plain tokens so that one lexicon entry catches many ways of writing the
// same thing. Case, accents, apostrophes (straight or curly), stretched
// letters ("diiiie", "kill" and "kil" alike), chat shorthand ("wanna",
// "kms", "unalive") and common misspellings all fold to one form. Lexicon
// patterns go through the same folding, so both sides always agree.

// boundary is the token that ends a sentence: gaps in a pattern never cross
// it, and a negation before it does not reach past it.
const boundary = "."

// pause is the token of a comma: a gap may skip it, a negation stops at it.
const pause = ","

// token is one normalised word with the word the patient typed, so that a
// match can quote the patient's own words.
type token struct {
	norm, orig string
}

// maxScreenRunes bounds how much text is screened; Telegram messages are at
// most 4,096 characters, and nothing longer reaches the screen from outside.
const maxScreenRunes = 8192

// screenTokens normalises text into tokens.
func screenTokens(text string) []token {
	if utf8.RuneCountInString(text) > maxScreenRunes {
		text = string([]rune(text)[:maxScreenRunes])
	}
	toks := make([]token, 0, len(text)/4+2)
	var word, orig strings.Builder
	emit := func(w, o string) {
		w = leet(w)
		if !unsqueezed[w] {
			w = squeeze(w)
		}
		if w == "" {
			return
		}
		if exp, ok := shorthand[w]; ok {
			for _, e := range exp {
				toks = append(toks, token{e, o})
			}
			return
		}
		toks = append(toks, token{w, o})
	}
	flush := func() {
		w, o := word.String(), orig.String()
		word.Reset()
		orig.Reset()
		if w == "" {
			return
		}
		// "he'll", "I'd", "you're": the word and its contraction; "don't"
		// and "can't" join into "dont" and "cant", which shorthand expands.
		base, suffix, cut := strings.Cut(w, "'")
		if exp, ok := contractions[suffix]; ok && cut && base != "" && !strings.Contains(suffix, "'") {
			emit(base, o)
			if suffix == "s" && !isIs[squeeze(base)] {
				return // a possessive: "my friend's cat"
			}
			toks = append(toks, token{exp, o})
			return
		}
		emit(strings.ReplaceAll(w, "'", ""), o)
	}
	mark := func(m string) {
		flush()
		if n := len(toks); n == 0 || toks[n-1].norm == boundary || (m == pause && toks[n-1].norm == pause) {
			return
		}
		if n := len(toks); m == boundary && toks[n-1].norm == pause {
			toks[n-1] = token{boundary, boundary}
			return
		}
		toks = append(toks, token{m, m})
	}
	for _, r := range text {
		switch {
		case isApostrophe(r):
			orig.WriteRune(r)
			if word.Len() > 0 {
				word.WriteByte('\'')
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			orig.WriteRune(r)
			word.WriteString(fold(r))
		case r == '.' || r == '!' || r == '?' || r == ';' || r == '\n' || r == '…' || r == '¿' || r == '¡':
			mark(boundary)
		case r == ',' || r == ':' || r == '(' || r == ')':
			mark(pause)
		default:
			flush()
		}
	}
	mark(boundary)
	return toks
}

// NormalizeCrisisText is the text as the crisis screen reads it, tokens
// joined by spaces. Normalising twice changes nothing (FuzzScreen checks).
func NormalizeCrisisText(text string) string {
	toks := screenTokens(text)
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.norm
	}
	return strings.Join(parts, " ")
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´', 'ʹ', '′':
		return true
	}
	return false
}

// contractions expands what follows an apostrophe (other than n't).
var contractions = map[string]string{"ll": "wil", "re": "are", "ve": "have", "d": "would", "m": "am", "s": "is"}

// isIs are the words whose 's is "is" rather than a possessive.
var isIs = map[string]bool{"he": true, "she": true, "it": true, "what": true, "that": true, "there": true, "who": true, "where": true, "here": true, "everything": true, "nothing": true, "life": true, "this": true}

// accents folds the accented letters of Spanish (and a few more) to plain
// ones: patients often leave accents out, so the lexicon has none.
var accents = map[rune]string{
	'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i",
	'ó': "o", 'ò': "o", 'ô': "o", 'ö': "o", 'õ': "o",
	'ú': "u", 'ù': "u", 'û': "u", 'ü': "u",
	'ñ': "n", 'ç': "c", 'ß': "ss",
}

// fold lower-cases r and strips its accent.
func fold(r rune) string {
	r = unicode.ToLower(r)
	if s, ok := accents[r]; ok {
		return s
	}
	return string(r)
}

// squeeze collapses every run of one repeated letter: "diiiie" and "die",
// "kill" and "kil", "pills" and "pils" read the same. The few words this
// merges ("too" and "to") never change whether a message is a crisis.
func squeeze(w string) string {
	var b strings.Builder
	var last rune = -1
	for _, r := range w {
		if r != last || !unicode.IsLetter(r) { // 911 stays 911
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// leet reads digits typed for letters inside a word ("k1ll", "0verdose");
// a word of digits alone (a blood pressure, 911) is left as it is.
func leet(w string) string {
	hasLetter, hasDigit := false, false
	for _, r := range w {
		hasLetter = hasLetter || unicode.IsLetter(r)
		hasDigit = hasDigit || (r >= '0' && r <= '9')
	}
	if !hasLetter || !hasDigit {
		return w
	}
	return leetDigits.Replace(w)
}

var leetDigits = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s")

// unsqueezed are words whose squeezed form is another, common word:
// "noose" must not read as "nose", nor "off myself" as "of myself".
var unsqueezed = map[string]bool{"noose": true, "nooses": true, "off": true}

// shorthand expands chat shorthand, contractions without their apostrophe
// and frequent misspellings into the lexicon's words. Keys and values are in
// squeezed form (init checks), and no value is itself a key, so normalising
// is idempotent.
var shorthand = map[string][]string{}

func init() {
	for k, v := range map[string]string{
		// chat shorthand
		"wanna": "want to", "wana": "want to", "wantto": "want to", "gonna": "going to", "gona": "going to",
		"gotta": "got to", "kms": "kill myself", "kys": "kill yourself", "unalive": "kill",
		"unalived": "killed", "unaliving": "killing", "u": "you", "ur": "your", "r": "are", "rn": "right now",
		"pls": "please", "plz": "please", "bc": "because", "cuz": "because", "coz": "because",
		"ppl": "people", "whats": "what is", "thats": "that is", "bf": "boyfriend", "gf": "girlfriend",
		"hubby": "husband", "meds": "medication", "med": "medication", "yall": "you all",
		// contractions typed without the apostrophe (it is dropped first)
		"im": "i am", "ive": "i have", "cant": "can not", "cannot": "can not", "canot": "can not",
		"dont": "do not", "doesnt": "does not", "didnt": "did not", "wont": "will not",
		"isnt": "is not", "arent": "are not", "wasnt": "was not", "werent": "were not",
		"havent": "have not", "hasnt": "has not", "hadnt": "had not", "wouldnt": "would not",
		"couldnt": "could not", "shouldnt": "should not", "aint": "am not", "hes": "he is",
		"shes": "she is", "theyre": "they are", "youre": "you are", "idk": "i do not know",
		"imma": "i am going to", "ima": "i am going to",
		// misspellings seen in distress messages
		"myslef": "myself", "mysefl": "myself", "mysef": "myself", "meself": "myself", "mself": "myself",
		"myselfe": "myself", "myseld": "myself", "mysself": "myself",
		"sucide": "suicide", "suicde": "suicide", "suiside": "suicide", "sucicide": "suicide",
		"suacide": "suicide", "suside": "suicide", "sucidal": "suicidal", "suicdal": "suicidal",
		"suisidal": "suicidal", "sucicidal": "suicidal", "suicidel": "suicidal",
		"breath": "breathe", "breth": "breathe", "brethe": "breathe", "breahte": "breathe", "breate": "breathe",
		"breating": "breathing", "brething": "breathing", "breahting": "breathing",
		"pils": "pills", "pilz": "pills", "tablits": "tablets", "overdoes": "overdose",
		"overdosed": "overdose", "overdosing": "overdose", "overdoses": "overdose", "ovedose": "overdose",
		"ovrdose": "overdose", "overdoze": "overdose",
		"dieing": "dying", "dyin": "dying", "ded": "dead", "wnat": "want", "wan": "want",
		"siezure": "seizure", "seisure": "seizure", "seizure": "seizure", "seziure": "seizure", "seazure": "seizure",
		"cheast": "chest", "chets": "chest", "hert": "heart", "hart": "heart",
		"tommorow": "tomorrow", "tomorow": "tomorrow", "anymore": "any more", "nomore": "no more",
		"goodby": "goodbye", "gbye": "goodbye", "goodbye": "goodbye",
	} {
		var vs []string
		for _, f := range strings.Fields(v) {
			vs = append(vs, squeeze(f))
		}
		shorthand[squeeze(k)] = vs
	}
	for k, vs := range shorthand {
		for _, v := range vs {
			if other, ok := shorthand[v]; ok && !(len(other) == 1 && other[0] == v) {
				panic("flows: crisis shorthand " + k + " expands to another key " + v)
			}
		}
	}
}
