package flows

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// skipValue is the canonical value of a skipped text item (button data and Answer.Value).
const skipValue = "skip"

// reading is an answer as read from the patient's input.
type reading struct {
	value, display string
	vitals         *Vitals  // for vitals items
	number         *float64 // for number and scale items
	skipped        bool
}

// read turns input into an answer for item it, or returns the friendly
// re-ask text when the input does not answer it.
func (p *Protocol) read(it *Item, in Input) (reading, string) {
	m := &p.Messages
	if in.Button != nil {
		return p.readButton(it, in.Button.Value)
	}
	text := strings.TrimSpace(in.Text)
	switch it.Kind {
	case AnswerYesNo:
		if v, ok := ReadYesNo(text); ok {
			return p.readButton(it, v)
		}
		return reading{}, m.YesNoReask
	case AnswerChoice:
		// An exact label or id is as good as the button; anything else is re-asked.
		for _, ch := range it.Choices {
			if strings.EqualFold(text, ch.ID) || strings.EqualFold(text, ch.Label) {
				return p.readButton(it, ch.ID)
			}
		}
		return reading{}, m.ChoiceReask
	case AnswerScale:
		return p.readButton(it, text)
	case AnswerVitals:
		v, err := ParseVitals(text)
		if errors.Is(err, errImplausible) {
			call := p.Crisis.OnCall
			if call == "" {
				call = "your clinic"
			}
			return reading{}, fill(m.VitalsImplausible, "oncall", call)
		}
		if err != nil {
			return reading{}, m.VitalsReask
		}
		return reading{value: v.String(), display: "BP " + strconv.Itoa(v.Systolic) + "/" + strconv.Itoa(v.Diastolic) + ", pulse " + strconv.Itoa(v.Pulse), vitals: &v}, ""
	case AnswerNumber:
		x, ok := ParseNumber(text, *it.Min, *it.Max)
		if !ok {
			return reading{}, p.numberReask(*it.Min, *it.Max)
		}
		s := strconv.FormatFloat(x, 'f', -1, 64)
		return reading{value: s, display: s, number: &x}, ""
	case AnswerText:
		if it.Skip && strings.EqualFold(text, skipValue) {
			return p.readButton(it, skipValue)
		}
		if text == "" {
			return reading{}, m.TextReask
		}
		if utf8.RuneCountInString(text) > it.MaxLength {
			return reading{}, fill(m.TextTooLong, "max", strconv.Itoa(it.MaxLength))
		}
		return reading{value: text, display: text}, ""
	}
	return reading{}, m.Sorry
}

// ParseNumber reads a typed number answer within [lo, hi]. A decimal comma
// is accepted ("7,5"); NaN, infinities and anything out of range are not.
func ParseNumber(text string, lo, hi float64) (float64, bool) {
	x, err := strconv.ParseFloat(strings.Replace(strings.TrimSpace(text), ",", ".", 1), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
		return 0, false
	}
	return x, true
}

// readButton reads a button's value (or typed text standing in for one).
func (p *Protocol) readButton(it *Item, v string) (reading, string) {
	m := &p.Messages
	switch it.Kind {
	case AnswerYesNo:
		switch v {
		case "yes":
			return reading{value: "yes", display: m.Yes}, ""
		case "no":
			return reading{value: "no", display: m.No}, ""
		}
		return reading{}, m.YesNoReask
	case AnswerChoice:
		if ch := it.choice(v); ch != nil {
			return reading{value: ch.ID, display: ch.Label}, ""
		}
		return reading{}, m.ChoiceReask
	case AnswerScale:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 || len(v) > 2 {
			return reading{}, p.numberReask(0, 10)
		}
		x := float64(n)
		return reading{value: strconv.Itoa(n), display: strconv.Itoa(n), number: &x}, ""
	case AnswerText:
		if it.Skip && v == skipValue {
			return reading{value: skipValue, display: "(skipped)", skipped: true}, ""
		}
		return reading{}, m.TextReask
	case AnswerVitals:
		return reading{}, m.VitalsReask
	case AnswerNumber:
		return reading{}, p.numberReask(*it.Min, *it.Max)
	}
	return reading{}, m.Sorry
}

func (p *Protocol) numberReask(lo, hi float64) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	return fill(p.Messages.NumberReask, "min", f(lo), "max", f(hi), "example", f(math.Round((lo+hi)/2)))
}

// matches reports whether rule r fires for answer a of item it; outOfRange
// is the vitals verdict after any re-measure.
func (r *Rule) matches(it *Item, a reading, outOfRange bool) bool {
	// answered means a real answer: a skip is not one (a skipped "which
	// medication" must not report a new prescription).
	if r.When.Has(WhenAnswered) && !a.skipped {
		return true
	}
	// Only button-like answers match by value: a typed journal entry that
	// happens to read "skipped" must not trigger the skipped rule.
	if (it.Kind == AnswerYesNo || it.Kind == AnswerChoice || it.Kind == AnswerScale) && r.When.Has(a.value) {
		return true
	}
	if a.skipped && r.When.Has(WhenSkipped) {
		return true
	}
	if a.vitals != nil && (r.When.Has(WhenOutOfRange) && outOfRange || r.When.Has(WhenInRange) && !outOfRange) {
		return true
	}
	if a.number != nil && (r.Above != nil || r.Below != nil) {
		return (r.Above == nil || *a.number > *r.Above) && (r.Below == nil || *a.number < *r.Below)
	}
	return false
}
