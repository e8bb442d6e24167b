package bot

import "context"

// priority orders outgoing Telegram calls when the send budget is short:
// crisis replies and URGENT escalations first, then HIGH, then replies to a
// patient who is answering, then reminders and routine messages.
type priority int

// Send priorities, lowest first.
const (
	prioRoutine priority = iota // reminders, routine escalations, cosmetic edits
	prioReply                   // replies to the patient who is answering now
	prioHigh                    // HIGH escalations
	prioUrgent                  // crisis replies and URGENT escalations
)

type priorityKey struct{}

// withPriority marks the Telegram calls made under ctx with p.
func withPriority(ctx context.Context, p priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// priorityOf is the priority of calls made under ctx (prioReply when unset).
func priorityOf(ctx context.Context) priority {
	if p, ok := ctx.Value(priorityKey{}).(priority); ok {
		return p
	}
	return prioReply
}
