package bot

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"
)

// The intake gives every chat its own queue, so that no chat waits on
// another: the poller keeps fetching while some chats are busy, each chat's
// updates are handled strictly in order, and at most Workers chats are
// handled at once.
//
// Long polling confirms updates by offset, which covers every update below
// it; so the offset only ever advances past an update once it and every
// earlier one are settled (handled and committed, or failed for good with
// the patient told). getUpdates from the lowest unsettled id returns the
// updates still in hand again, with new ones after them; those already
// known are skipped. Memory stays bounded by Telegram's own window: at most
// getUpdatesLimit ids above the lowest unsettled one are ever known.
type intake struct {
	b *Bot

	mu       sync.Mutex
	advanced chan struct{} // closed and replaced whenever the offset advances
	known    map[int]bool  // ids at or above the offset: true once settled
	maxSeen  int           // the highest update id seen
	chats    map[int64]*chatQueue
	stopped  bool // shutting down: start nothing new

	lastFullLog time.Time

	slots   chan struct{} // one per chat being handled: Workers
	running sync.WaitGroup

	flood *floodGuard
}

// chatQueue is one chat's updates waiting their turn, in update order.
type chatQueue struct {
	waiting []tgbotapi.Update
	active  bool // a goroutine is handling this chat
}

const (
	// getUpdatesLimit is the most updates one getUpdates returns (Telegram's
	// maximum).
	getUpdatesLimit = 100
	// knownPollInterval is how long the poller waits before asking again
	// when getUpdates returned only updates already in hand (it would answer
	// at once instead of long polling), unless the offset advances first:
	// the most a new update waits while others are in hand.
	knownPollInterval = 100 * time.Millisecond
	// fullPollInterval is the same wait when the window was full.
	fullPollInterval = time.Second
)

func newIntake(b *Bot, unthrottled bool) *intake {
	return &intake{
		b:        b,
		advanced: make(chan struct{}),
		known:    map[int]bool{},
		chats:    map[int64]*chatQueue{},
		slots:    make(chan struct{}, b.workers),
		flood:    newFloodGuard(b, unthrottled),
	}
}

// offset is the getUpdates offset that confirms every settled update and
// no unsettled one: the lowest unsettled id, or one past the highest seen.
func (in *intake) offset() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.offsetLocked()
}

func (in *intake) offsetLocked() int {
	lowest := 0
	for id, settled := range in.known {
		if !settled && (lowest == 0 || id < lowest) {
			lowest = id
		}
	}
	if lowest != 0 {
		return lowest
	}
	if in.maxSeen == 0 {
		return 0
	}
	return in.maxSeen + 1
}

// add queues the updates not yet known and starts their chats' handling;
// it returns how many were new and a channel closed when the offset next
// advances (the poller waits on it when nothing was new). stop ends the
// retrying of updates on shutdown.
func (in *intake) add(stop context.Context, updates []tgbotapi.Update) (fresh int, advanced <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	// The offset just sent to Telegram confirmed every id below it.
	floor := in.offsetLocked()
	for id, settled := range in.known {
		if settled && id < floor {
			delete(in.known, id)
		}
	}
	for _, u := range updates {
		if _, ok := in.known[u.UpdateID]; ok || (floor > 0 && u.UpdateID < floor) {
			continue
		}
		fresh++
		in.maxSeen = max(in.maxSeen, u.UpdateID)
		chatID := updateChatID(u)
		q := in.chats[chatID]
		if q == nil {
			q = &chatQueue{}
			in.chats[chatID] = q
		}
		if !in.flood.admit(u, len(q.waiting)) {
			in.known[u.UpdateID] = true // dropped: settled at once
			if len(q.waiting) == 0 && !q.active {
				delete(in.chats, chatID)
			}
			continue
		}
		in.known[u.UpdateID] = false
		q.waiting = append(q.waiting, u)
		if !q.active && !in.stopped {
			q.active = true
			in.running.Add(1)
			go in.serve(stop, chatID, q)
		}
	}
	in.b.metrics.queued.Set(float64(in.unsettledLocked()))
	return fresh, in.advanced
}

// isKnown reports an update add would skip as known, for a getUpdates
// asked from offset: below it (confirmed), or in hand or settled above it.
// (Only add forgets an id, the poller's own call after this one, and only
// one below the offset.)
func (in *intake) isKnown(id, offset int) bool {
	if offset > 0 && id < offset {
		return true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	_, ok := in.known[id]
	return ok
}

func (in *intake) unsettledLocked() int {
	n := 0
	for _, settled := range in.known {
		if !settled {
			n++
		}
	}
	return n
}

// serve handles one chat's queue in order until it is empty, taking a
// worker slot for each update so that a busy chat does not hold one while
// others wait. An update that cannot be settled before shutdown stops the
// chat: its later updates must wait their turn, unconfirmed.
func (in *intake) serve(stop context.Context, chatID int64, q *chatQueue) {
	defer in.running.Done()
	for {
		in.mu.Lock()
		if len(q.waiting) == 0 || in.stopped {
			q.active = false
			if len(q.waiting) == 0 {
				delete(in.chats, chatID)
			}
			in.mu.Unlock()
			return
		}
		u := q.waiting[0]
		in.mu.Unlock()

		select {
		case in.slots <- struct{}{}:
		case <-stop.Done():
			in.mu.Lock()
			q.active = false
			in.mu.Unlock()
			return
		}
		// The slot bounds the chats being loaded, decided and committed;
		// it is freed at the first commit, so the sending of the replies
		// (a second's wait on a 429, the chat's budget) holds no other
		// chat back. The update is settled only once fully handled: a
		// handler may commit more than once.
		freeSlot := sync.OnceFunc(func() { <-in.slots })
		settled := in.b.handleWithRetry(stop, u, freeSlot)
		freeSlot()

		in.mu.Lock()
		if !settled {
			q.active = false
			in.mu.Unlock()
			return
		}
		q.waiting = q.waiting[1:]
		in.mu.Unlock()
		in.committed(u.UpdateID)
		in.mu.Lock()
		in.b.metrics.queued.Set(float64(in.unsettledLocked()))
		in.mu.Unlock()
	}
}

// committed settles an update in hand once it is handled: committed and
// its replies sent (or failed for good with the patient told). Telegram
// may then forget it. A kill before that leaves it unconfirmed: the next
// start gets it again, recognises it as committed, and sends what its
// chat's reply outbox still holds.
func (in *intake) committed(updateID int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if settled, ok := in.known[updateID]; !ok || settled {
		return
	}
	before := in.offsetLocked()
	in.known[updateID] = true
	if in.offsetLocked() != before {
		close(in.advanced)
		in.advanced = make(chan struct{})
	}
}

// shutdown starts nothing new, waits for the updates in hand, and returns
// the offset that confirms what was settled.
func (in *intake) shutdown() int {
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	in.running.Wait()
	return in.offset()
}

// pollOnce asks Telegram for the updates from the lowest unsettled one on
// and queues the new ones; when it got only updates already in hand it
// waits for one to settle (or a short interval) so as not to spin.
func (in *intake) pollOnce(ctx context.Context) error {
	offset := in.offset()
	got, updates, err := in.b.send.tg.getUpdates(tgbotapi.UpdateConfig{
		Offset: offset, Timeout: pollTimeout, Limit: getUpdatesLimit, AllowedUpdates: allowedUpdates,
	}, func(id int) bool { return in.isKnown(id, offset) })
	if err != nil {
		return err
	}
	fresh, advanced := in.add(ctx, updates)
	if got == 0 || fresh > 0 {
		return nil
	}
	wait := knownPollInterval
	if got == getUpdatesLimit {
		// Nothing new can come before the offset advances.
		in.windowFull()
		wait = fullPollInterval
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-advanced:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// windowFull notes that Telegram's window behind the lowest unsettled
// update is full of updates in hand: new ones wait until it settles. It
// logs which chat holds the window back, at most every 10 s.
func (in *intake) windowFull() {
	in.b.metrics.windowFull.Inc()
	in.mu.Lock()
	defer in.mu.Unlock()
	if time.Since(in.lastFullLog) < 10*time.Second {
		return
	}
	in.lastFullLog = time.Now()
	lowest := in.offsetLocked()
	for chatID, q := range in.chats {
		if len(q.waiting) > 0 && q.waiting[0].UpdateID == lowest {
			in.b.log.Warn("intake window full: one chat's unsettled update holds the others back",
				"chat", in.b.chatRef(chatID), "waiting", len(q.waiting))
		}
	}
}

// The flood limit: a chat whose updates pile up is throttled. While fewer
// than floodDepth of its updates are waiting (the one in hand included),
// every new one is taken: a patient answering as fast as the bot replies,
// or typing a few lines at once, is never throttled. Beyond that, a token
// bucket lets floodRate a second through (after a floodBurst), and the
// rest are dropped from processing: settled at once, so that they hold no
// one up, answered by one short notice per burst and audited by count. An
// update whose text the crisis screen matches is never dropped.
//
// The depth is small on purpose: a chat's waiting updates keep the
// long-polling offset back, and only getUpdatesLimit updates fit behind it.
// For the same reason a chat that is flooding (it had an update dropped in
// the last floodQuiet) gets the bucket's updates only when none of its
// updates is in hand: none of them then waits, unsettled, behind another's
// replies.
//
// In webhook mode Telegram holds a chat's next update until the previous
// one is answered, so updates never pile up here and the depth says
// nothing; there a looser bucket alone (webhookBurst, then webhookRate a
// second) tells a flood from a fast patient.
const (
	floodDepth = 2
	floodRate  = rate.Limit(0.5) // updates a second, sustained, once piled up
	floodBurst = 4

	webhookRate  = rate.Limit(0.5)
	webhookBurst = 10
	// floodNoticeGap is the least time between two "slow down" notices to
	// one chat: one notice per burst, not per message.
	floodNoticeGap = time.Minute
	// floodQuiet is how long a chat must drop nothing before its dropped
	// updates are audited.
	floodQuiet = 10 * time.Second
)

// textSlowDown answers a chat whose messages are being dropped; it carries
// the crisis numbers, since a dropped message is not read by anyone.
const textSlowDown = "You're sending messages faster than I can read them, so I skipped some. " +
	"Please send one message at a time and wait for my answer. " +
	"If you are in danger or thinking of harming yourself, call or text 988 now, or call 911."

// waitingUnknown stands for the depth of a chat's queue in webhook mode.
const waitingUnknown = -1

type floodGuard struct {
	b     *Bot
	off   bool // Config.Unthrottled
	mu    sync.Mutex
	chats map[int64]*floodState
}

type floodState struct {
	bucket   *rate.Limiter
	dropped  int
	lastDrop time.Time
	lastNote time.Time
}

func newFloodGuard(b *Bot, off bool) *floodGuard {
	return &floodGuard{b: b, off: off, chats: map[int64]*floodState{}}
}

// admit reports whether u is to be handled, given how many of its chat's
// updates are waiting before it (waitingUnknown in webhook mode). A dropped
// update of a new burst gets the chat a "slow down" notice, sent in the
// background.
func (f *floodGuard) admit(u tgbotapi.Update, waiting int) bool {
	chatID := updateChatID(u)
	if chatID == 0 || f.off || f.fromClinician(u) {
		return true
	}
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sweepLocked(now)
	st := f.chats[chatID]
	if st == nil {
		st = &floodState{bucket: rate.NewLimiter(floodRate, floodBurst)}
		if waiting == waitingUnknown {
			st.bucket = rate.NewLimiter(webhookRate, webhookBurst)
		}
		f.chats[chatID] = st
	}
	var take bool
	if waiting != waitingUnknown && now.Sub(st.lastDrop) < floodQuiet {
		// A chat already flooding gets an update handled only when it
		// has none in hand: an update queued behind another stays
		// unsettled while that one's replies wait for the chat's budget,
		// and so holds the long-polling window, and every other chat,
		// back.
		take = waiting == 0 && st.bucket.AllowN(now, 1)
	} else {
		take = (waiting != waitingUnknown && waiting < floodDepth) || st.bucket.AllowN(now, 1)
	}
	if take || f.crisis(u) {
		return true
	}
	st.dropped++
	st.lastDrop = now
	f.b.metrics.floodDropped.Inc()
	if now.Sub(st.lastNote) >= floodNoticeGap {
		st.lastNote = now
		go f.notify(chatID)
	}
	return false
}

// fromClinician reports whether u comes from one of the clinic's
// clinicians. Their updates are never dropped: a /clear or a resolution
// note typed quickly after another is care, not a flood, and the clinic
// chose these accounts.
func (f *floodGuard) fromClinician(u tgbotapi.Update) bool {
	from := u.SentFrom()
	return from != nil && f.b.clinicians[from.ID]
}

// crisis reports whether the crisis screen matches u's text: such a
// message is always handled.
func (f *floodGuard) crisis(u tgbotapi.Update) bool {
	m := u.Message
	if m == nil {
		m = u.EditedMessage
	}
	if m == nil {
		return false
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	_, hit := f.b.protocol.Crisis.Screen(text)
	return hit
}

func (f *floodGuard) notify(chatID int64) {
	ctx, cancel := context.WithTimeout(withPriority(context.Background(), prioRoutine), time.Minute)
	defer cancel()
	if _, err := f.b.send.send(ctx, tgbotapi.NewMessage(chatID, textSlowDown)); err != nil {
		f.b.log.Warn("could not send the slow-down notice", "chat", f.b.chatRef(chatID), "error", err.Error())
	}
}

// sweepLocked audits the drops of chats that went quiet and forgets chats
// whose bucket is full again.
func (f *floodGuard) sweepLocked(now time.Time) {
	for id, st := range f.chats {
		if st.dropped > 0 && now.Sub(st.lastDrop) >= floodQuiet {
			f.audit(id, st.dropped)
			st.dropped = 0
		}
		if st.dropped == 0 && st.bucket.TokensAt(now) >= float64(st.bucket.Burst()) && now.Sub(st.lastNote) >= floodNoticeGap {
			delete(f.chats, id)
		}
	}
}

// sweepEvery audits the drops of chats gone quiet every interval until ctx
// is done, then flushes what is left.
func (f *floodGuard) sweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			f.flush()
			return
		case <-t.C:
			f.mu.Lock()
			f.sweepLocked(time.Now())
			f.mu.Unlock()
		}
	}
}

// flush audits every drop not yet audited (on shutdown).
func (f *floodGuard) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]int64, 0, len(f.chats))
	for id, st := range f.chats {
		if st.dropped > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		f.auditNow(id, f.chats[id].dropped)
		f.chats[id].dropped = 0
	}
}

// audit records how many of a chat's updates the flood limit dropped: the
// count and the chat's pseudonym, never their content.
// It runs in the background, off the poller's path.
func (f *floodGuard) audit(chatID int64, dropped int) {
	go f.auditNow(chatID, dropped)
}

func (f *floodGuard) auditNow(chatID int64, dropped int) {
	f.b.log.Warn("flood limit dropped updates", "chat", f.b.chatRef(chatID), "dropped", dropped)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := f.b.store.Audit(ctx, "flood_dropped", map[string]string{
		"chat": f.b.chatRef(chatID), "count": strconv.Itoa(dropped),
	})
	if err != nil {
		f.b.log.Warn("could not audit dropped updates", "error", err.Error())
	}
}
