package bot

import (
	"context"

	"github.com/checkinbot/checkinbot/flows"
)

// screenCrisis runs the crisis screen on typed text before anything touches
// Redis, from the protocol in memory, and on a match sends the crisis
// alert at once, first in Telegram's queue: help never waits on storage. It
// reports whether the alert was sent (for this update, by this or an
// earlier attempt); if not, the engine's outcome carries it instead.
func (b *Bot) screenCrisis(ctx context.Context, chatID int64, text string) bool {
	match, ok := b.protocol.Crisis.Screen(text)
	if !ok {
		return false
	}
	st := stateOf(ctx)
	st.crisis = &match
	st.chatID, st.text = chatID, text
	if st.alerted.Load() {
		return true
	}
	if _, err := b.send.send(withPriority(ctx, prioUrgent), message(chatID, b.telegramProtocol(ctx).CrisisAlert(match))); err != nil {
		b.log.Error("crisis alert not sent before the commit; the committed reply carries it", "chat", b.chatRef(chatID), "error", err.Error())
		return false
	}
	st.alerted.Store(true)
	return true
}

// raiseCrisis records an URGENT escalation for a screened message without
// the chat's session (it could not be loaded, or the chat is not enrolled),
// so a crisis reaches the clinicians whatever storage holds.
func (b *Bot) raiseCrisis(ctx context.Context) error {
	st := stateOf(ctx)
	if st.crisis == nil || st.raised.Load() || st.committed.Load() {
		return nil
	}
	e := flows.Escalation{
		Level: flows.Urgent, Flow: flows.FlowMessage,
		Question: "Typed message", Answer: truncate(st.text, maxQuoted),
		Reason: "the message contains \"" + st.crisis.Phrase + "\" (automatic phrase match: please read it; " +
			"raised without the chat's session, which could not be read or is not enrolled)",
		At: b.now(),
	}
	if _, err := b.store.RaiseEscalation(ctx, st.chatID, "", e); err != nil {
		return err
	}
	st.raised.Store(true)
	b.log.Warn("crisis escalation raised without the session", "chat", b.chatRef(st.chatID))
	return nil
}

// maxQuoted bounds how much of a message an escalation quotes.
const maxQuoted = 300
