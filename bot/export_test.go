package bot

import "context"

// MarkRepliesSent runs one batched mark of the replies b sent, as its
// markLoop does once replies were sent (for tests driving b without Run).
func MarkRepliesSent(b *Bot) { b.markSent(context.Background()) }

// BeforeCommit has b run f between each update's load and its commit, to
// let a test write meanwhile (a compare-and-set conflict).
func BeforeCommit(b *Bot, f func()) { b.beforeCommit = f }
