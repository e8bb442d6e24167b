package bot

import "context"

// MarkRepliesSent runs one batched mark of the replies b sent, as its
// markLoop does once replies were sent (for tests driving b without Run).
func MarkRepliesSent(b *Bot) { b.markSent(context.Background()) }
