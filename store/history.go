package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/flows"
)

// The history lists hold each answer once. An answer is written to the
// chat's answers list when it is given; a finished run's entry in the
// check-ins list names how many answers it had, and reading it takes them
// back from the answers list (the first that many of its run: a run's
// answers come before anything else recorded under its id, such as the
// dose taken after a cleared check). Entries use short field names and
// times in nanoseconds from the entry's own time (the "<unix ms>|" prefix),
// which keeps a chat's lists small (BENCHMARKS.md).
//
// Entries written before this (flows.Answer and flows.Completion as JSON,
// the completion with its answers inside) are still read: a compact entry
// starts with `{"f":`, an older one with `{"flow":`.

// answerEntry is an answer as stored.
type answerEntry struct {
	Flow            string `json:"f"`
	Run             string `json:"r"`
	Item            string `json:"i"`
	Value           string `json:"v"`
	Display         string `json:"d,omitempty"`
	At              int64  `json:"t"` // ns after the entry's time (may be negative)
	ProtocolVersion string `json:"p"`
}

// completionEntry is a finished run as stored; Answers counts its answers,
// which the answers list holds.
type completionEntry struct {
	Flow            string       `json:"f"`
	Run             string       `json:"r"`
	Outcome         string       `json:"o"`
	Reason          string       `json:"x,omitempty"`
	Score           *flows.Score `json:"s,omitempty"`
	StartedAt       int64        `json:"b"` // ns after the entry's time
	EndedAt         int64        `json:"e"` // ns after the entry's time
	ProtocolVersion string       `json:"p"`
	Answers         int          `json:"n"`
}

// compactPrefix starts every compact entry.
const compactPrefix = `{"f":`

// offset is t in ns after base (unix ms); the zero time stays recognisable.
func offset(t time.Time, baseMS int64) int64 {
	if t.IsZero() {
		return zeroOffset
	}
	return t.UnixNano() - baseMS*int64(time.Millisecond)
}

// zeroOffset stands for the zero time (no real time is that far before its
// entry).
const zeroOffset = -1 << 62

func atOffset(ns, baseMS int64) time.Time {
	if ns == zeroOffset {
		return time.Time{}
	}
	return time.Unix(0, baseMS*int64(time.Millisecond)+ns).UTC()
}

func encodeAnswer(a flows.Answer, baseMS int64) ([]byte, error) {
	return json.Marshal(answerEntry{Flow: a.Flow, Run: a.Run, Item: a.Item, Value: a.Value, Display: a.Display,
		At: offset(a.At, baseMS), ProtocolVersion: a.ProtocolVersion})
}

func decodeAnswer(js []byte, baseMS int64) (flows.Answer, error) {
	if !strings.HasPrefix(string(js), compactPrefix) {
		var a flows.Answer
		err := json.Unmarshal(js, &a)
		return a, err
	}
	var e answerEntry
	if err := json.Unmarshal(js, &e); err != nil {
		return flows.Answer{}, err
	}
	return flows.Answer{Flow: e.Flow, Run: e.Run, Item: e.Item, Value: e.Value, Display: e.Display,
		At: atOffset(e.At, baseMS), ProtocolVersion: e.ProtocolVersion}, nil
}

func encodeCompletion(c flows.Completion, baseMS int64) ([]byte, error) {
	return json.Marshal(completionEntry{Flow: c.Flow, Run: c.Run, Outcome: c.Outcome, Reason: c.Reason, Score: c.Score,
		StartedAt: offset(c.StartedAt, baseMS), EndedAt: offset(c.EndedAt, baseMS),
		ProtocolVersion: c.ProtocolVersion, Answers: len(c.Answers)})
}

// decodeCompletion decodes a check-in entry; n is how many answers it
// expects from the answers list (0 for an older entry, which holds its own).
func decodeCompletion(js []byte, baseMS int64) (c flows.Completion, n int, err error) {
	if !strings.HasPrefix(string(js), compactPrefix) {
		err = json.Unmarshal(js, &c)
		return c, 0, err
	}
	var e completionEntry
	if err := json.Unmarshal(js, &e); err != nil {
		return flows.Completion{}, 0, err
	}
	return flows.Completion{Flow: e.Flow, Run: e.Run, Outcome: e.Outcome, Reason: e.Reason, Score: e.Score,
		StartedAt: atOffset(e.StartedAt, baseMS), EndedAt: atOffset(e.EndedAt, baseMS),
		ProtocolVersion: e.ProtocolVersion, Answers: []flows.Answer{}}, e.Answers, nil
}

// attachAnswers gives each compact check-in (want[i] answers, 0 for an
// older one that holds its own) the answers of its run from answers (the
// chat's answers list, oldest first). If retention deleted some of them,
// what is left is shown.
func attachAnswers(checkins []flows.Completion, want []int, answers []flows.Answer) {
	byRun := map[string][]flows.Answer{}
	for _, a := range answers {
		byRun[a.Run] = append(byRun[a.Run], a)
	}
	for i := range checkins {
		if want[i] > 0 {
			run := byRun[checkins[i].Run]
			checkins[i].Answers = append(checkins[i].Answers, run[:min(len(run), want[i])]...)
		}
	}
}

// historyEntries opens the entries of a history list: each one's time
// (unix ms, 0 for an entry without one) and payload.
func (s *Store) historyEntries(raw []string, key, what string) (ms []int64, payloads [][]byte, err error) {
	ms, payloads = make([]int64, len(raw)), make([][]byte, len(raw))
	for i, e := range raw {
		at, p, _ := historyTime(e)
		js, err := s.openValue(p, key, what)
		if err != nil {
			return nil, nil, err
		}
		ms[i], payloads[i] = at, js
	}
	return ms, payloads, nil
}

// decodeCheckIns decodes chatID's check-ins list entries, each with its
// answers from answers (entries of its answers list, oldest first: the
// whole list gives every check-in all of its answers).
func (s *Store) decodeCheckIns(chatID int64, raw, answers []string) ([]flows.Completion, error) {
	k := keysFor(chatID)
	ms, js, err := s.historyEntries(raw, k.checkins, "a check-in of a chat")
	if err != nil {
		return nil, err
	}
	out, want := make([]flows.Completion, len(js)), make([]int, len(js))
	for i := range js {
		if out[i], want[i], err = decodeCompletion(js[i], ms[i]); err != nil {
			return nil, fmt.Errorf("decode check-in: %w", err)
		}
	}
	if slices.ContainsFunc(want, func(n int) bool { return n > 0 }) {
		all, err := s.decodeAnswers(answers, k.answers)
		if err != nil {
			return nil, err
		}
		attachAnswers(out, want, all)
	}
	return out, nil
}

// decodeAnswers decodes an answers list.
func (s *Store) decodeAnswers(raw []string, key string) ([]flows.Answer, error) {
	ms, js, err := s.historyEntries(raw, key, "an answer of a chat")
	if err != nil {
		return nil, err
	}
	out := make([]flows.Answer, len(js))
	for i := range js {
		if out[i], err = decodeAnswer(js[i], ms[i]); err != nil {
			return nil, fmt.Errorf("decode answer: %w", err)
		}
	}
	return out, nil
}
