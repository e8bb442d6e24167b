package bot

import (
	"context"
	"sync"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// promptMessages remembers, per chat, which Telegram message shows the
// buttons of the question now awaited, so a typed answer can settle them.
//
// It lives in memory on purpose. The message id is known only after the
// reply is sent, that is after the commit; writing it to Redis would be a
// third round trip on nearly every update. Losing it (a restart, another
// instance) costs only cosmetics: the old buttons stay on screen, and the
// engine refuses a press on them as stale.
type promptMessages struct {
	mu   sync.Mutex
	refs map[int64]promptRef
}

// promptRef ties a message to the session version it was sent for.
type promptRef struct {
	version   int64
	messageID int
}

// maxPromptRefs bounds the memory one instance spends on this.
const maxPromptRefs = 100_000

func newPromptMessages() *promptMessages {
	return &promptMessages{refs: map[int64]promptRef{}}
}

// get returns the prompt message of chatID if it belongs to the session at
// version, else 0.
func (p *promptMessages) get(chatID, version int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ref, ok := p.refs[chatID]; ok && ref.version == version {
		return ref.messageID
	}
	return 0
}

// set records the prompt message of chatID's session at version; a
// messageID of 0 forgets it.
func (p *promptMessages) set(chatID, version int64, messageID int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if messageID == 0 {
		delete(p.refs, chatID)
		return
	}
	if len(p.refs) >= maxPromptRefs {
		for id := range p.refs { // evict an arbitrary entry
			delete(p.refs, id)
			break
		}
	}
	p.refs[chatID] = promptRef{version: version, messageID: messageID}
}

// settlePrompt edits the message whose buttons this update answered or made
// obsolete: an accepted answer is shown under its question; otherwise the
// buttons are just removed, as the reply brings the live ones again.
func (b *Bot) settlePrompt(ctx context.Context, snap store.Snapshot, out flows.Outcome, q *tgbotapi.CallbackQuery) {
	msgID, text := b.prompts.get(snap.ChatID, snap.Version), ""
	if snap.Session.Prompt != nil {
		text = snap.Session.Prompt.Text
	}
	if q != nil && q.Message != nil {
		msgID, text = q.Message.MessageID, q.Message.Text
	}
	if msgID == 0 {
		return
	}
	if q == nil && out.Accepted == nil && isPing(snap.Session.Prompt) && !hasPing(out.Replies) {
		// An unanswered "how are you doing?" keeps its buttons when a
		// check-in starts meanwhile: it is still the patient's to answer.
		return
	}
	var edit tgbotapi.Chattable
	switch {
	case out.Accepted != nil && text != "":
		edit = markAnswered(snap.ChatID, msgID, text, out.Accepted.Display)
	case q != nil || hasButtons(out.Replies):
		edit = tgbotapi.NewEditMessageReplyMarkup(snap.ChatID, msgID, *noKeyboard())
	default:
		return
	}
	if err := b.send.request(ctx, edit); err != nil {
		// Cosmetic: a stale button is refused by the engine anyway.
		b.log.Warn("could not settle answered prompt", "chat", b.chatRef(snap.ChatID), "error", err.Error())
	}
}

// isPing reports whether r is the timeline's ping, by its buttons.
func isPing(r *flows.Reply) bool {
	if r == nil {
		return false
	}
	for _, row := range r.Buttons {
		for _, btn := range row {
			if p, ok := flows.DecodeAnswer(btn.Data); ok && p.Item == flows.PingItem {
				return true
			}
		}
	}
	return false
}

func hasPing(replies []flows.Reply) bool {
	for i := range replies {
		if isPing(&replies[i]) {
			return true
		}
	}
	return false
}

func hasButtons(replies []flows.Reply) bool {
	for _, r := range replies {
		if len(r.Buttons) > 0 {
			return true
		}
	}
	return false
}
