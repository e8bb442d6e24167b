package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/looplab/fsm"
)

// Each flow compiles to looplab/fsm transitions: states are the item ids
// plus the terminal states below, events are what an answer can lead to.
// No long-lived fsm.FSM steps a session, because one can be left stuck in a
// transition (see ARCHITECTURE.md): at compile time a machine is built for
// each state and fires each of its events once, and what it did is kept as
// a table (state, event) -> next state, which every step reads. So the
// library decides every transition, and a step builds no machine.

type eventDesc = fsm.EventDesc

// Terminal states of every flow.
const (
	StateCleared   = OutcomeCleared   // a check flow ended safe
	StateCompleted = OutcomeCompleted // a questionnaire or instrument ended
	StateHeld      = OutcomeHeld      // a check flow ended held
)

// Events, one per kind of transition out of an item.
const (
	evAnswer    = "answer"    // to the item's default next item (or the end)
	evGotoPre   = "to_"       // prefix: a rule's goto
	evEnd       = "end"       // a rule ended the flow
	evHold      = "hold"      // a rule held the dose
	evRemeasure = "remeasure" // stay on the item (a self-loop)
)

// doneState is where a flow goes when it ends without a hold.
func (f *Flow) doneState() string {
	if f.Kind == KindCheck {
		return StateCleared
	}
	return StateCompleted
}

// defaultNext returns the state after item i when no rule branches.
func (f *Flow) defaultNext(i int) string {
	switch next := f.Items[i].Next; {
	case next == GotoEnd:
		return f.doneState()
	case next != "":
		return next
	case i+1 < len(f.Items):
		return f.Items[i+1].ID
	default:
		return f.doneState()
	}
}

// compile builds the flow's transition list. It expects ids and goto
// targets to be valid already.
func (f *Flow) compile() {
	f.events = nil
	add := func(ev, src, dst string) {
		f.events = append(f.events, eventDesc{Name: ev, Src: []string{src}, Dst: dst})
	}
	for i, it := range f.Items {
		add(evAnswer, it.ID, f.defaultNext(i))
		for _, r := range it.Rules {
			switch {
			case r.Hold != nil:
				add(evHold, it.ID, StateHeld)
			case r.End || r.Goto == GotoEnd:
				add(evEnd, it.ID, f.doneState())
			case r.Goto != "":
				add(evGotoPre+r.Goto, it.ID, r.Goto)
			}
		}
		if it.Kind == AnswerVitals && it.Remeasure != nil && it.Remeasure.Times > 0 {
			add(evRemeasure, it.ID, it.ID)
		}
	}
	f.table = map[string]map[string]string{}
	for _, e := range f.events {
		src := e.Src[0]
		if f.table[src] == nil {
			f.table[src] = map[string]string{}
		}
		// An event the library refuses from src stays out of the table, and
		// transition then reports it as the library would.
		if next, err := fire(src, e.Name, f.events); err == nil {
			f.table[src][e.Name] = next
		}
	}
}

// fire fires event from state on a fresh machine and returns the new state.
func fire(state, event string, events []eventDesc) (string, error) {
	m := fsm.NewFSM(state, events, nil)
	err := m.Event(context.Background(), event)
	var same fsm.NoTransitionError
	if err != nil && !errors.As(err, &same) { // a self-loop reports NoTransitionError: not a failure
		return "", err
	}
	return m.Current(), nil
}

// transition returns the state event leads to from state, from the table
// compile made.
func (f *Flow) transition(state, event string) (string, error) {
	if next, ok := f.table[state][event]; ok {
		return next, nil
	}
	_, err := fire(state, event, f.events) // the library's own refusal
	if err == nil {
		err = fsm.InvalidEventError{Event: event, State: state}
	}
	return "", fmt.Errorf("flows: %s: event %q from %q: %w", f.ID, event, state, err)
}

// successors lists the states reachable in one step from state.
func (f *Flow) successors(state string) []string {
	var out []string
	for _, e := range f.events {
		if e.Src[0] == state {
			out = append(out, e.Dst)
		}
	}
	return out
}

// isTerminal reports whether state ends a run.
func isTerminal(state string) bool {
	return state == StateCleared || state == StateCompleted || state == StateHeld
}

// Diagram renders a flow as a Mermaid state diagram, for review and docs.
func (p *Protocol) Diagram(flowID string) (string, error) {
	f := p.Flow(flowID)
	if f == nil {
		return "", fmt.Errorf("flows: no flow %q", flowID)
	}
	return fsm.VisualizeWithType(fsm.NewFSM(f.Items[0].ID, f.events, nil), fsm.MERMAID)
}
