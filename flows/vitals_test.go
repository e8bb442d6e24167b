package flows

import "testing"

func TestParseVitals(t *testing.T) {
	ok := map[string]Vitals{
		"128/82 72":             {128, 82, 72},
		" 128 / 82 , 72 ":       {128, 82, 72},
		"128/82/72":             {128, 82, 72},
		"BP 128/82 pulse 72":    {128, 82, 72},
		"128/82 mmHg, 72 bpm":   {128, 82, 72},
		"70/40 30":              {70, 40, 30},
		"250/150 220":           {250, 150, 220},
		"120/80 hr: 60":         {120, 80, 60},
		"Blood pressure 140/90": {},
	}
	for in, want := range ok {
		got, err := ParseVitals(in)
		if want == (Vitals{}) {
			if err == nil {
				t.Errorf("ParseVitals(%q) = %v, want error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseVitals(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "128", "128/82", "128 82 72", "69/40 60", "251/80 60", "120/39 60", "120/151 60",
		"120/80 29", "120/80 221", "80/80 60", "80/90 60", "1280/82 72", "128/82 72 5", "a/b c", "-128/82 72", "128/-82 72", "+128/82 72"} {
		if v, err := ParseVitals(in); err == nil {
			t.Errorf("ParseVitals(%q) = %v, want error", in, v)
		}
	}
}

func TestVitalLimitsWithin(t *testing.T) {
	l := DefaultVitalLimits
	for v, want := range map[Vitals]bool{
		{160, 90, 100}: true, {161, 80, 70}: false, {150, 91, 70}: false, {150, 80, 101}: false, {100, 60, 50}: true,
	} {
		if l.Within(v) != want {
			t.Errorf("Within(%v) = %v", v, !want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for text, want := range map[string]bool{
		"7": true, "7,5": true, "7.5": true, " 24 ": true, "0": true,
		"-1": false, "24.01": false, "NaN": false, "Inf": false, "": false, "seven": false, "1,2,3": false,
	} {
		if _, ok := ParseNumber(text, 0, 24); ok != want {
			t.Errorf("ParseNumber(%q) ok = %v, want %v", text, ok, want)
		}
	}
}
