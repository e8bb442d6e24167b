package bot

import (
	"container/heap"
	"context"
	"slices"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"
)

// sendScheduler turns Telegram's rate limits into a schedule:
//
//   - each chat's calls go out one at a time (a chat's turn), in the order
//     they were made within a priority, so a reply never overtakes the one
//     before it; a more urgent call overtakes the chat's queued less urgent
//     ones (a crisis reply a reminder, an URGENT escalation a ROUTINE one);
//   - messages to one chat keep to the chat's budget: about one a second in
//     a private chat with short bursts, 20 a minute in a group; the chat's
//     next slot goes to an URGENT call first (the turn holder yields it);
//   - an attempt Telegram refused (429, 5xx) was not delivered and costs no
//     budget: its retry goes as soon as the hold-off allows, on the slot
//     the refused attempt took;
//   - all messages together keep to the overall budget (SendRate), and when
//     it is short the waiting message with the highest priority
//     (priority.go) goes first, in arrival order within a priority; edits
//     and other calls that send no new message need no budget, as on
//     Telegram, whose limits count messages;
//   - a 429's retry_after holds off only the chat it was answered for (and
//     everything only for a call outside any chat), in that chat's turn, so
//     a flooded chat waits alone.
//
// Waiting happens in the caller's goroutine; there is no sending goroutine
// to stall.
type sendScheduler struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change a waiter may wait for
	global  *rate.Limiter
	holdAll time.Time // a 429 outside any chat: nothing goes before this
	limits  chatLimits
	chats   map[int64]*chatLane
	queue   waitQueue // calls waiting for the overall budget
	seq     uint64
	granted uint64 // calls that took the overall budget so far
}

// chatLimits are the per-chat message budgets.
type chatLimits struct {
	private, group       rate.Limit
	privateBurst, groupN int
}

// telegramChatLimits keep under Telegram's published limits (about one
// message a second per chat, 20 a minute per group), allowing the short
// bursts Telegram tolerates, e.g. a reply followed by the next question.
var telegramChatLimits = chatLimits{
	private: 1, privateBurst: 8,
	group: rate.Every(3200 * time.Millisecond), groupN: 15,
}

// chatLane is one chat's turn, budget and hold-off.
type chatLane struct {
	busy      bool          // a call holds the chat's turn
	waiting   []*laneWaiter // calls waiting for the turn, in arrival order
	users     int           // turns held or waited for
	budget    *rate.Limiter
	holdUntil time.Time
	// queued is the turn holder's place in the overall budget's queue
	// while it waits there (nil otherwise): a more urgent call that comes
	// to wait for the chat's turn raises its priority (see enter).
	queued *waiter
}

// laneWaiter is a call waiting for its chat's turn.
type laneWaiter struct {
	prio    priority
	granted bool
}

func newSendScheduler(perSecond float64, limits chatLimits) *sendScheduler {
	return &sendScheduler{
		changed: make(chan struct{}),
		global:  rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond))),
		limits:  limits,
		chats:   map[int64]*chatLane{},
	}
}

// callKind is what the scheduler needs to know about a call.
type callKind struct {
	chatID  int64 // 0: outside any chat
	message bool  // a new message: counts against the budgets
	free    bool  // needs no turn or hold-off either (answerCallbackQuery)
}

// sendKind classifies a call by its type and chat.
func sendKind(c tgbotapi.Chattable) callKind {
	switch c := c.(type) {
	case tgbotapi.CallbackConfig:
		return callKind{free: true}
	case tgbotapi.MessageConfig:
		return callKind{chatID: c.ChatID, message: true}
	case tgbotapi.PhotoConfig:
		return callKind{chatID: c.ChatID, message: true}
	case tgbotapi.DocumentConfig:
		return callKind{chatID: c.ChatID, message: true}
	case tgbotapi.EditMessageTextConfig:
		return callKind{chatID: c.ChatID}
	case tgbotapi.EditMessageReplyMarkupConfig:
		return callKind{chatID: c.ChatID}
	case tgbotapi.DeleteMessageConfig:
		return callKind{chatID: c.ChatID}
	}
	return callKind{}
}

// turn is a call's place in its chat's queue.
type turn struct {
	s    *sendScheduler
	chat int64
	lane *chatLane
	prio priority
	held bool // the call holds the chat's turn (it may yield it for a while)
}

// enter waits for the call's turn in chatID (at once outside any chat).
// The turn goes to the waiting call of the highest priority, in the order
// the calls were made within a priority: a crisis reply or an URGENT
// escalation overtakes a chat's queued routine messages, never a message of
// its own priority.
func (s *sendScheduler) enter(ctx context.Context, chatID int64, prio priority) (*turn, error) {
	t := &turn{s: s, chat: chatID, prio: prio}
	if chatID == 0 {
		return t, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lane := s.chats[chatID]
	if lane == nil {
		lane = &chatLane{budget: s.chatBudget(chatID)}
		s.chats[chatID] = lane
	}
	lane.users++
	t.lane = lane
	if !lane.busy {
		lane.busy = true
		t.held = true
		return t, nil
	}
	w := &laneWaiter{prio: prio}
	lane.waiting = append(lane.waiting, w)
	if q := lane.queued; q != nil && q.prio < prio {
		// Priority inheritance: the call holding the turn waits for the
		// overall budget behind every call more urgent than itself, and
		// this one waits for it; so it waits there at this one's priority.
		// Otherwise an URGENT escalation would wait behind a chat's
		// ROUTINE one for as long as replies to patients keep the overall
		// budget busy.
		q.prio = prio
		heap.Fix(&s.queue, q.index)
	}
	s.notifyLocked() // a turn holder waiting for the chat's budget may yield
	if err := s.waitTurnLocked(ctx, lane, w); err != nil {
		lane.users--
		return nil, err
	}
	t.held = true
	return t, nil
}

// waitTurnLocked waits until w is granted its chat's turn; if ctx ends
// first, w gives its place up (the calls behind it must not wait for it).
func (s *sendScheduler) waitTurnLocked(ctx context.Context, lane *chatLane, w *laneWaiter) error {
	for !w.granted {
		changed := s.changed
		s.mu.Unlock()
		err := waitChange(ctx, changed, 0)
		s.mu.Lock()
		if err != nil && !w.granted {
			lane.waiting = slices.DeleteFunc(lane.waiting, func(x *laneWaiter) bool { return x == w })
			return err
		}
	}
	return nil
}

func (s *sendScheduler) chatBudget(chatID int64) *rate.Limiter {
	if chatID < 0 {
		return rate.NewLimiter(s.limits.group, s.limits.groupN)
	}
	return rate.NewLimiter(s.limits.private, s.limits.privateBurst)
}

// leave ends the call's turn; the chat's next call goes.
func (t *turn) leave() {
	if t.lane == nil {
		return
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.lane.users--
	if t.held {
		t.held = false
		t.s.passTurnLocked(t.lane)
	} else {
		t.s.forgetIdleLocked()
	}
}

// passTurnLocked gives the chat's turn to its next call: the first, in
// arrival order, of the highest priority.
func (s *sendScheduler) passTurnLocked(lane *chatLane) {
	next := -1
	for i, w := range lane.waiting {
		if next < 0 || w.prio > lane.waiting[next].prio {
			next = i
		}
	}
	if next >= 0 {
		lane.waiting[next].granted = true
		lane.waiting = slices.Delete(lane.waiting, next, next+1)
	} else {
		lane.busy = false
	}
	s.forgetIdleLocked()
	s.notifyLocked()
}

// forgetIdleLocked drops lanes with no calls whose budget is full again and
// hold-off over: they are the same as new ones.
func (s *sendScheduler) forgetIdleLocked() {
	if len(s.chats) < 64 {
		return
	}
	now := time.Now()
	for id, l := range s.chats {
		if l.users == 0 && now.After(l.holdUntil) && l.budget.TokensAt(now) >= float64(l.budget.Burst()) {
			delete(s.chats, id)
		}
	}
}

func (s *sendScheduler) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// holdOff delays the chat's calls (everything, outside any chat) by d, as a
// 429's retry_after asks.
func (t *turn) holdOff(d time.Duration) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	until := time.Now().Add(d)
	if t.lane == nil {
		t.s.holdAll = later(t.s.holdAll, until)
	} else {
		t.lane.holdUntil = later(t.lane.holdUntil, until)
	}
	t.s.notifyLocked()
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// await waits, in the call's turn, until it may go: hold-offs over, then
// for a message a token of the chat's budget and one of the overall budget,
// each taken when no message of a higher priority is waiting for one. A
// charged call holds its tokens already: its last attempt was refused, and
// Telegram did not deliver it.
func (t *turn) await(ctx context.Context, k callKind, charged bool) error {
	if k.free {
		return nil
	}
	for {
		if err := t.awaitHoldOff(ctx); err != nil {
			return err
		}
		if !k.message || charged {
			return nil
		}
		if t.lane == nil {
			break
		}
		yielded, err := t.takeChat(ctx)
		if err != nil {
			return err
		}
		if !yielded {
			break
		}
		// A more urgent call had the turn meanwhile: its 429 may hold
		// the chat off.
	}
	return t.s.takeGlobal(ctx, t.prio, t.lane)
}

// awaitHoldOff waits until the hold-offs on the call are over.
func (t *turn) awaitHoldOff(ctx context.Context) error {
	s := t.s
	for {
		s.mu.Lock()
		until := s.holdAll
		if t.lane != nil {
			until = later(until, t.lane.holdUntil)
		}
		s.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
}

// takeChat waits for a token of the chat's budget in the call's turn. When
// an URGENT call comes for the chat meanwhile, it yields the turn to it and
// waits for the turn again (reporting yielded): the chat's next slot goes
// to a crisis reply or an URGENT escalation first, so an URGENT page waits
// for no ROUTINE message that has not gone out yet.
func (t *turn) takeChat(ctx context.Context) (yielded bool, err error) {
	s, lane := t.s, t.lane
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		// Only an URGENT call takes the slot: were replies to take it too,
		// a busy chat's routine message (a flooder's "slow down") would
		// never go.
		if slices.ContainsFunc(lane.waiting, func(w *laneWaiter) bool { return w.prio == prioUrgent && w.prio > t.prio }) {
			// First in line again among its own priority: it came before
			// every call of its priority still waiting.
			w := &laneWaiter{prio: t.prio}
			lane.waiting = slices.Insert(lane.waiting, 0, w)
			t.held = false
			s.passTurnLocked(lane)
			if err := s.waitTurnLocked(ctx, lane, w); err != nil {
				return true, err
			}
			t.held = true
			return true, nil
		}
		now := time.Now()
		r := lane.budget.ReserveN(now, 1)
		wait := r.DelayFrom(now)
		if wait == 0 {
			return false, nil
		}
		r.CancelAt(now)
		changed := s.changed
		s.mu.Unlock()
		err := waitChange(ctx, changed, wait)
		s.mu.Lock()
		if err != nil {
			return false, err
		}
	}
}

// takeGlobal waits for a token of the overall budget: the first waiter by
// priority, then arrival, takes the next one. A call in a chat's turn (lane
// not nil) waits at least at the priority of the chat's most urgent call
// waiting for the turn.
func (s *sendScheduler) takeGlobal(ctx context.Context, prio priority, lane *chatLane) error {
	s.mu.Lock()
	s.seq++
	w := &waiter{prio: prio, seq: s.seq}
	if lane != nil {
		for _, lw := range lane.waiting {
			w.prio = max(w.prio, lw.prio)
		}
		lane.queued = w
	}
	heap.Push(&s.queue, w)
	for {
		var wait time.Duration
		if s.queue[0] == w {
			now := time.Now()
			r := s.global.ReserveN(now, 1)
			wait = r.DelayFrom(now)
			if wait == 0 {
				s.granted++
				heap.Remove(&s.queue, w.index)
				if lane != nil {
					lane.queued = nil
				}
				s.notifyLocked()
				s.mu.Unlock()
				return nil
			}
			r.CancelAt(now)
		}
		changed := s.changed
		s.mu.Unlock()
		if err := waitChange(ctx, changed, wait); err != nil {
			s.mu.Lock()
			heap.Remove(&s.queue, w.index)
			if lane != nil {
				lane.queued = nil
			}
			s.notifyLocked()
			s.mu.Unlock()
			return err
		}
		s.mu.Lock()
	}
}

// waitChange waits until changed is closed or, when d > 0, d has passed.
func waitChange(ctx context.Context, changed <-chan struct{}, d time.Duration) error {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-changed:
	case <-timeout:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// waiter is a call waiting for the overall budget.
type waiter struct {
	prio  priority
	seq   uint64
	index int
}

// waitQueue orders waiters by priority, highest first, then by arrival.
type waitQueue []*waiter

func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *waitQueue) Push(x any) {
	w := x.(*waiter)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	*q = old[:len(old)-1]
	return w
}
