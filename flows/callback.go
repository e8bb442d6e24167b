package flows

import (
	"strings"
	"unicode/utf8"
)

// AnswerPrefix starts the callback data of every answer button, so bot can
// tell them from its own buttons (e.g. a clinician's Acknowledge).
const AnswerPrefix = "a:"

// MaxCallbackData is Telegram's limit on a button's callback data, in bytes.
const MaxCallbackData = 64

// EncodeAnswer builds an answer button's callback data "a:run:item:value".
// Parse guarantees every button of a valid protocol fits in MaxCallbackData.
func EncodeAnswer(run, item, value string) string {
	return AnswerPrefix + run + ":" + item + ":" + value
}

// DecodeAnswer reads callback data built by EncodeAnswer; ok is false for
// anything else, including data over MaxCallbackData or not valid UTF-8.
func DecodeAnswer(data string) (ButtonPress, bool) {
	rest, ok := strings.CutPrefix(data, AnswerPrefix)
	if !ok || len(data) > MaxCallbackData || !utf8.ValidString(data) {
		return ButtonPress{}, false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return ButtonPress{}, false
	}
	return ButtonPress{Run: parts[0], Item: parts[1], Value: parts[2]}, true
}
