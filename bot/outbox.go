package bot

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Delivery, the last step of an update's path (update.go): sending the
// replies from the outbox as Telegram messages (message, keyboard), and
// settling the buttons the update answered (settlePrompt, promptMessages).
//
// The sending side of the reply outbox (store/replies.go). Replies are
// committed with the answer and sent from the chat's outbox in order; this
// process remembers, per chat, the last reply it sent, and tells Redis off
// the update's path: a marker writes what was sent as soon as it was sent,
// for all chats sent to meanwhile in one round trip (or the chat's next
// commit does, if it comes first). A reply is sent again only when the
// process that
// committed it cannot have sent it: a redelivered update (its handling did
// not finish), replies of another process older than the grace (it died),
// and the sweeper's takeovers. So a patient may see a reply twice after a
// crash, never zero times.

const (
	// markRetry is how soon a failed mark is tried again.
	markRetry = time.Second
	// sweepInterval is how often an instance looks for chats whose replies
	// stayed unsent past their grace.
	sweepInterval = 2 * time.Second
	// sweepBatch bounds the chats one sweep takes over.
	sweepBatch = 50
)

// replyLedger is what this process sent from the chats' outboxes.
type replyLedger struct {
	mu     sync.Mutex
	sent   map[int64]int64 // the last reply sent, per chat
	marked map[int64]int64 // the last reply Redis knows was sent, per chat
	// locks serialise the sending of one chat's replies within the
	// process (an update, a timed job and the sweeper may meet).
	locks chatLocks
	// sentSome wakes the marker: a reply was sent.
	sentSome chan struct{}
}

func newReplyLedger() *replyLedger {
	return &replyLedger{sent: map[int64]int64{}, marked: map[int64]int64{}, sentSome: make(chan struct{}, 1)}
}

func (l *replyLedger) lastSent(chatID int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent[chatID]
}

func (l *replyLedger) recordSent(chatID, seq int64) {
	l.mu.Lock()
	l.sent[chatID] = max(l.sent[chatID], seq)
	l.mu.Unlock()
	select {
	case l.sentSome <- struct{}{}:
	default: // the marker is awake already
	}
}

// unmarked is the seq to mark in the chat's next commit (0: nothing new).
func (l *replyLedger) unmarked(chatID int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sent[chatID]; s > l.marked[chatID] {
		return s
	}
	return 0
}

func (l *replyLedger) recordMarked(chatID, seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.marked[chatID] = max(l.marked[chatID], seq)
}

// allUnmarked returns every chat with replies sent and not marked.
func (l *replyLedger) allUnmarked() map[int64]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int64]int64{}
	for chat, s := range l.sent {
		if s > l.marked[chat] {
			out[chat] = s
		}
	}
	return out
}

// sendReplies sends a chat's outbox replies in order, skipping those this
// process already sent, and those another process committed less than the
// grace ago (it is sending them) unless takeover says that process cannot
// be (a redelivered update, the sweeper). An entry with Seq 0 is not in the
// outbox (say, /resume's prompt) and is just sent. It returns the message id
// of the last reply with buttons sent (0 for none). A reply Telegram refuses
// for good (the patient blocked the bot) is dropped, not retried forever.
func (b *Bot) sendReplies(ctx context.Context, chatID int64, replies []store.PendingReply, takeover bool) (int, error) {
	return b.sendRepliesIn(ctx, chatID, replies, takeover, nil)
}

// sendRepliesIn is sendReplies showing the first reply in place, the
// pressed message, when place is set (inPlaceFor).
func (b *Bot) sendRepliesIn(ctx context.Context, chatID int64, replies []store.PendingReply, takeover bool, place *inPlace) (int, error) {
	if len(replies) == 0 {
		return 0, nil
	}
	unlock := b.ledger.locks.lock(chatID)
	defer unlock()
	promptID := 0
	grace := b.store.UnsentGrace()
	for _, r := range replies {
		if r.Seq > 0 && r.Seq <= b.ledger.lastSent(chatID) {
			continue
		}
		if r.Seq > 0 && !takeover && !b.orphaned(r.Owner) && b.now().Sub(r.At) < grace {
			continue // another live instance is sending it
		}
		first := place
		place = nil
		msgID, err := b.sendReply(withPriority(ctx, priority(r.Priority)), chatID, r, first)
		switch {
		case kindOf(err) == kindPermanent:
			b.log.Error("a reply was refused by Telegram and is dropped", "chat", b.chatRef(chatID), "error", err.Error())
		case err != nil:
			return promptID, err
		case len(r.Reply.Buttons) > 0:
			promptID = msgID
		}
		if r.Seq > 0 {
			b.ledger.recordSent(chatID, r.Seq)
		}
	}
	return promptID, nil
}

// markLoop marks the replies sent in Redis as soon as they are sent,
// those of every chat sent to meanwhile in one round trip, until ctx is
// done (Run marks the last ones once the updates in hand are finished).
// The sooner the mark, the fewer replies a crash sends twice.
func (b *Bot) markLoop(ctx context.Context) {
	retry := time.NewTicker(markRetry)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.ledger.sentSome:
		case <-retry.C: // marks that failed (Redis down) are tried again
		}
		b.markSent(ctx)
	}
}

// markSent writes every unmarked sent reply in one round trip.
func (b *Bot) markSent(ctx context.Context) {
	todo := b.ledger.allUnmarked()
	if len(todo) == 0 {
		return
	}
	if err := b.store.MarkRepliesSent(ctx, todo); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("could not mark replies sent; they are marked later", "chats", len(todo), "error", err.Error())
		}
		return
	}
	for chat, seq := range todo {
		b.ledger.recordMarked(chat, seq)
	}
}

// orphaned reports whether replies committed by owner are this process's
// to send: its own, or those of an earlier run of this instance (which a
// crash or kill ended before it sent them).
func (b *Bot) orphaned(owner string) bool {
	instance, _, _ := strings.Cut(owner, "/")
	return owner == b.runID || instance == b.consumer
}

// sweepLoop takes over chats whose replies stayed unsent past their grace
// (their instance died, or its sending failed) until ctx is done. At start
// it first sends what an earlier run of this instance left unsent, at once.
func (b *Bot) sweepLoop(ctx context.Context) {
	b.sendOrphans(ctx)
	for ctx.Err() == nil {
		sleep(ctx, sweepInterval)
		b.sweep(ctx)
	}
}

// sendOrphans sends the replies an earlier run of this instance committed
// and did not confirm sent (sendReplies leaves those of other live
// instances to them until their grace ends).
func (b *Bot) sendOrphans(ctx context.Context) {
	b.sweepChats(ctx, b.store.ChatsWithUnsentReplies, false)
}

// sweep takes over the chats whose replies outlived their grace.
func (b *Bot) sweep(ctx context.Context) {
	b.sweepChats(ctx, func(ctx context.Context) ([]int64, error) {
		return b.store.ClaimUnsentReplies(ctx, sweepBatch)
	}, true)
}

// sweepChats sends the unsent replies of the chats list names.
func (b *Bot) sweepChats(ctx context.Context, list func(context.Context) ([]int64, error), takeover bool) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	chats, err := list(cctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("looking for unsent replies failed", "error", err.Error())
		}
		return
	}
	for _, chat := range chats {
		if ctx.Err() != nil {
			return
		}
		b.sweepChat(chat, takeover)
	}
}

// sweepChat sends one chat's unsent replies (all of them with takeover);
// on its own context, so a shutdown does not cut a reply off half sent.
func (b *Bot) sweepChat(chatID int64, takeover bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	replies, err := b.store.UnsentReplies(ctx, chatID)
	if err == nil {
		_, err = b.sendReplies(ctx, chatID, replies, takeover)
	}
	if err != nil {
		b.log.Warn("unsent replies not delivered yet; the sweeper tries again", "chat", b.chatRef(chatID), "error", err.Error())
		return
	}
	if len(replies) > 0 {
		b.log.Info("unsent replies taken over", "chat", b.chatRef(chatID), "replies", len(replies))
	}
	b.markSent(ctx)
}

// chatLocks serialises the handling of each chat's updates.
type chatLocks struct {
	mu    sync.Mutex
	chats map[int64]*chatLock
}

type chatLock struct {
	sync.Mutex
	users int // holders and waiters; the entry goes when it reaches 0
}

// lock takes chatID's lock and returns its release.
func (c *chatLocks) lock(chatID int64) (unlock func()) {
	c.mu.Lock()
	if c.chats == nil {
		c.chats = map[int64]*chatLock{}
	}
	l := c.chats[chatID]
	if l == nil {
		l = &chatLock{}
		c.chats[chatID] = l
	}
	l.users++
	c.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		c.mu.Lock()
		if l.users--; l.users == 0 {
			delete(c.chats, chatID)
		}
		c.mu.Unlock()
	}
}

// keyboard renders flows buttons as an inline keyboard; nil when there are none.
func keyboard(rows [][]flows.Button) *tgbotapi.InlineKeyboardMarkup {
	if len(rows) == 0 {
		return nil
	}
	n := 0
	for _, row := range rows {
		n += len(row)
	}
	// One allocation each for the rows, the buttons and their data.
	kb := &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: make([][]tgbotapi.InlineKeyboardButton, len(rows))}
	buttons := make([]tgbotapi.InlineKeyboardButton, n)
	data := make([]string, n)
	i := 0
	for r, row := range rows {
		kb.InlineKeyboard[r] = buttons[i : i+len(row) : i+len(row)]
		for _, b := range row {
			data[i] = b.Data
			buttons[i] = tgbotapi.InlineKeyboardButton{Text: b.Label, CallbackData: &data[i]}
			i++
		}
	}
	return kb
}

// noKeyboard is an explicit empty keyboard: sent with an edit, it removes the
// buttons of the edited message.
func noKeyboard() *tgbotapi.InlineKeyboardMarkup {
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
}

// message renders one reply as a sendMessage call. Replies are plain text:
// no parse mode, so nothing a clinic writes in a protocol can break the markup.
func message(chatID int64, r flows.Reply) tgbotapi.MessageConfig {
	m := tgbotapi.NewMessage(chatID, r.Text)
	if kb := keyboard(r.Buttons); kb != nil {
		m.ReplyMarkup = *kb
	}
	return m
}

// markAnswered edits a prompt message so it shows the answer given and no
// longer offers buttons, so an answered question cannot be answered twice.
func markAnswered(chatID int64, messageID int, prompt, answer string) tgbotapi.EditMessageTextConfig {
	edit := tgbotapi.NewEditMessageText(chatID, messageID, truncate(answeredText(prompt, answer), maxMessageLen))
	edit.ReplyMarkup = noKeyboard()
	return edit
}

// answeredText is a question as shown once answered.
func answeredText(prompt, answer string) string { return prompt + "\n\n✓ " + answer }

// showInPlace edits a message to show text and buttons instead of its own
// (none: its buttons go away).
func showInPlace(chatID int64, messageID int, text string, buttons [][]flows.Button) tgbotapi.EditMessageTextConfig {
	edit := tgbotapi.NewEditMessageText(chatID, messageID, text)
	edit.ReplyMarkup = keyboard(buttons)
	if edit.ReplyMarkup == nil {
		edit.ReplyMarkup = noKeyboard()
	}
	return edit
}

// maxMessageLen is Telegram's limit on a message's text, in characters.
const maxMessageLen = 4096

// truncate shortens s to at most n characters (runes), marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

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
		msg, err := b.sendProtectedText(ctx, chatID, r.Reply.Text, nil)
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
