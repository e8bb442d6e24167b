package bot

import (
	"context"
	"sync"
	"unicode/utf8"

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

// promptRef ties a message to the session version it was sent for;
// inPlace says it shows more than the prompt (a press answered in place:
// earlier questions and answers), so settling it only removes its buttons.
type promptRef struct {
	version   int64
	messageID int
	inPlace   bool
}

// maxPromptRefs bounds the memory one instance spends on this.
const maxPromptRefs = 100_000

func newPromptMessages() *promptMessages {
	return &promptMessages{refs: map[int64]promptRef{}}
}

// get returns the prompt message of chatID if it belongs to the session at
// version (else 0), and whether it was answered in place.
func (p *promptMessages) get(chatID, version int64) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ref, ok := p.refs[chatID]; ok && ref.version == version {
		return ref.messageID, ref.inPlace
	}
	return 0, false
}

// set records the prompt message of chatID's session at version, and
// whether a press was answered in it; a messageID of 0 forgets it.
func (p *promptMessages) set(chatID, version int64, messageID int, inPlace bool) {
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
	p.refs[chatID] = promptRef{version: version, messageID: messageID, inPlace: inPlace}
}

// settlePrompt edits the message whose buttons this update answered or made
// obsolete: an accepted answer is shown under its question; otherwise the
// buttons are just removed, as the reply brings the live ones again.
func (b *Bot) settlePrompt(ctx context.Context, snap store.Snapshot, out flows.Outcome, q *tgbotapi.CallbackQuery) {
	msgID, inPlace := b.prompts.get(snap.ChatID, snap.Version)
	text := ""
	if !inPlace && snap.Session.Prompt != nil {
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
	case q != nil || hasButtons(out.Replies) || inPlace && out.Accepted != nil:
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

// inPlace is the pressed message a button answer's first reply is shown in:
// one edit shows the question with its answer (head), then the reply (the
// next question and its buttons, the hold, the end of the check). tried
// says the edit was tried (it settles the press, or Telegram refused to
// edit the message, and settling it would fail too).
type inPlace struct {
	messageID int
	head      string
	tried     bool
}

// inPlaceFor returns where to show a press's first reply, nil for none.
func inPlaceFor(out flows.Outcome, q *tgbotapi.CallbackQuery) *inPlace {
	if q == nil || q.Message == nil || q.Message.MessageID == 0 || q.Message.Text == "" {
		return nil
	}
	head := q.Message.Text
	if out.Accepted != nil {
		head = answeredText(head, out.Accepted.Display)
	}
	return &inPlace{messageID: q.Message.MessageID, head: head}
}

// sendReply sends one reply: shown in place when place is set, else (and
// for a crisis reply, which must notify the patient as only a new message
// does, a protected one, a text past Telegram's limit, or when Telegram
// refuses the edit, say the message was deleted) as a new message. It returns the id of
// the message that shows the reply.
func (b *Bot) sendReply(ctx context.Context, chatID int64, r store.PendingReply, place *inPlace) (int, error) {
	if r.Protect { // protected content is set on a new message only
		msg, err := b.sendProtectedText(ctx, chatID, r.Reply.Text)
		return msg.MessageID, err
	}
	if place != nil && priority(r.Priority) < prioUrgent {
		text := place.head + "\n\n" + r.Reply.Text
		if utf8.RuneCountInString(text) <= maxMessageLen {
			err := b.send.request(ctx, showInPlace(chatID, place.messageID, text, r.Reply.Buttons))
			place.tried = err == nil || kindOf(err) == kindPermanent
			if err == nil {
				return place.messageID, nil
			}
			if kindOf(err) != kindPermanent {
				return 0, err
			}
			b.log.Warn("could not answer in place; sending a new message", "chat", b.chatRef(chatID), "error", err.Error())
		}
	}
	msg, err := b.send.send(ctx, message(chatID, r.Reply))
	return msg.MessageID, err
}
