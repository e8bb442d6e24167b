package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Typed yes/no answers: people write "yep", "nope 🙂", "Sí!", "claro". The
// whole message must be one of these phrases once case, accents, emoji and
// punctuation are set aside; anything longer ("no, I'm not ok", "yes but…")
// is re-asked rather than guessed.
var yesNoPhrases = map[string]string{
	// English
	"yes": "yes", "y": "yes", "yeah": "yes", "yea": "yes", "yep": "yes", "yup": "yes", "ya": "yes",
	"sure": "yes", "ok": "yes", "okay": "yes", "k": "yes", "of course": "yes", "yes please": "yes",
	"i am": "yes", "i do": "yes", "i have": "yes", "i will": "yes", "definitely": "yes", "absolutely": "yes",
	"no": "no", "n": "no", "nope": "no", "nah": "no", "no thanks": "no", "not really": "no",
	"i am not": "no", "i'm not": "no", "im not": "no", "i don't": "no", "i dont": "no", "i haven't": "no",
	"i havent": "no", "i won't": "no", "i wont": "no", "not at all": "no", "never": "no", "none": "no",
	// Spanish (accents are folded: sí reads as si)
	"si": "yes", "s": "yes", "claro": "yes", "claro que si": "yes", "vale": "yes", "por supuesto": "yes",
	"si claro": "yes", "correcto": "yes", "asi es": "yes", "sip": "yes", "dale": "yes", "de acuerdo": "yes",
	"no gracias": "no", "nop": "no", "para nada": "no", "nada": "no", "claro que no": "no", "tampoco": "no",
	"en absoluto": "no", "nunca": "no", "ninguno": "no", "ninguna": "no",
}

// foldAccents drops combining marks after decomposition: "sí" → "si".
var foldAccents = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// ReadYesNo reads a typed yes or no; ok is false for anything else.
func ReadYesNo(text string) (value string, ok bool) {
	if len(text) > 64 {
		return "", false
	}
	folded, _, err := transform.String(foldAccents, strings.ToLower(text))
	if err != nil {
		return "", false
	}
	// Keep letters and apostrophes; emoji, punctuation and digits separate words.
	words := strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '’'
	})
	for i, w := range words {
		words[i] = strings.Trim(strings.ReplaceAll(w, "’", "'"), "'")
	}
	value, ok = yesNoPhrases[strings.Join(words, " ")]
	return value, ok
}
