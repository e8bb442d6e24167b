package flows

import (
	"strings"
	"testing"
)

func TestCallbackRoundTrip(t *testing.T) {
	data := EncodeAnswer("mbf5s5hc", "health_change", "yes")
	if !strings.HasPrefix(data, AnswerPrefix) {
		t.Fatalf("data %q lacks prefix", data)
	}
	got, ok := DecodeAnswer(data)
	if !ok || got != (ButtonPress{Run: "mbf5s5hc", Item: "health_change", Value: "yes"}) {
		t.Fatalf("DecodeAnswer(%q) = %+v, %v", data, got, ok)
	}
	for _, bad := range []string{"", "a:", "a:r", "a:r:i", "a:r:i:", "a::i:v", "x:r:i:v", "ack:123", "a:r:i:" + strings.Repeat("v", 64), "a:r:i:\xff"} {
		if _, ok := DecodeAnswer(bad); ok {
			t.Errorf("DecodeAnswer(%q) accepted", bad)
		}
	}
}

// TestDefaultButtonsFit checks every button of the default protocol against
// Telegram's 64-byte limit with the longest possible run id.
func TestDefaultButtonsFit(t *testing.T) {
	p := Default()
	for _, f := range p.Flows {
		for _, it := range f.Items {
			for _, row := range p.prompt(worstRun, it).Buttons {
				for _, b := range row {
					if len(b.Data) > MaxCallbackData {
						t.Errorf("%s/%s %q: %d bytes", f.ID, it.ID, b.Label, len(b.Data))
					}
					if _, ok := DecodeAnswer(b.Data); !ok {
						t.Errorf("%s/%s %q does not decode", f.ID, it.ID, b.Data)
					}
				}
			}
		}
	}
}
