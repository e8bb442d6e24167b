package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// outboxBlock is how long one outbox read waits for new entries; it also
// bounds how long shutdown waits for the dispatcher.
const outboxBlock = 2 * time.Second

// dispatchLoop delivers escalations from the outbox to the clinicians. An
// entry is acknowledged in the outbox only after Telegram accepted at least
// one copy; until then it stays pending, and any instance reclaims it.
func (b *Bot) dispatchLoop(ctx context.Context) {
	// What an earlier run of this instance read and did not deliver goes
	// first, at once (other instances reclaim it only after OutboxMinIdle).
	after := "0"
	for ctx.Err() == nil {
		entries, err := b.store.PendingOutbox(ctx, b.consumer, after, 10)
		if err != nil {
			b.log.Error("reading the escalation outbox failed", "error", err.Error())
			sleep(ctx, time.Second)
			continue
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if !b.startDelivery(e) {
				return
			}
		}
		after = entries[len(entries)-1].StreamID
	}
	for ctx.Err() == nil {
		entries, err := b.store.ReadOutbox(ctx, b.consumer, 10, outboxBlock)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("reading the escalation outbox failed", "error", err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, e := range entries {
			if !b.startDelivery(e) {
				return
			}
		}
	}
}

// dispatchers bounds the escalations delivered at once. Deliveries wait in
// the clinicians' chat for its budget (about one message a second), where
// an URGENT one overtakes the ROUTINE ones queued (sendsched.go); but it
// can only overtake once it is read from the outbox, and the outbox is read
// in order. So the bound is far above any realistic backlog (a waiting
// delivery is a parked goroutine): with 64, the ROUTINE intake reviews of
// 200 new patients held an URGENT page back for over a minute.
const dispatchers = 1024

// inFlight is the set of outbox entries being delivered, so that an entry
// reclaimed while its delivery is still under way is not sent twice.
type inFlight struct {
	mu  sync.Mutex
	ids map[string]bool
	sem chan struct{}
}

func newInFlight() *inFlight {
	return &inFlight{ids: map[string]bool{}, sem: make(chan struct{}, dispatchers)}
}

// startDelivery delivers e in the background (waiting for a free
// dispatcher first) unless the bot has stopped; it reports whether the bot
// is still running.
func (b *Bot) startDelivery(e store.OutboxEntry) bool {
	f := b.inFlight
	f.mu.Lock()
	busy := f.ids[e.StreamID]
	f.ids[e.StreamID] = true
	f.mu.Unlock()
	if busy {
		return true
	}
	f.sem <- struct{}{}
	b.delivery.RLock()
	stopped := b.stopped
	b.delivery.RUnlock()
	if stopped {
		<-f.sem
		return false
	}
	go func() {
		defer func() {
			f.mu.Lock()
			delete(f.ids, e.StreamID)
			f.mu.Unlock()
			<-f.sem
		}()
		b.deliver1(e)
	}()
	return true
}

// deliver1 delivers one outbox entry unless the bot has stopped; it reports
// whether the bot is still running.
func (b *Bot) deliver1(e store.OutboxEntry) bool {
	b.delivery.RLock()
	defer b.delivery.RUnlock()
	if b.stopped {
		return false // left pending: another instance or the next start reclaims it
	}
	// Delivery runs on its own context so a shutdown does not cut an
	// escalation off half sent.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.dispatch(ctx, e); err != nil {
		b.log.Error("escalation not delivered yet; it stays in the outbox",
			"escalation", e.EscalationID, "error", err.Error())
	}
	return true
}

// dispatch sends one escalation to every recipient that has not had it yet.
func (b *Bot) dispatch(ctx context.Context, e store.OutboxEntry) error {
	rec, err := b.store.Escalation(ctx, e.EscalationID)
	if errors.Is(err, store.ErrNotFound) {
		b.log.Error("outbox names an unknown escalation", "escalation", e.EscalationID)
		return b.store.AckOutbox(ctx, e.StreamID)
	}
	if err != nil {
		return err
	}
	// A delivery cut short earlier sent some copies already; not again.
	var todo []int64
	for _, chatID := range b.pageRecipients(rec.Level) {
		if !slices.ContainsFunc(rec.Messages, func(r store.MessageRef) bool { return r.ChatID == chatID }) {
			todo = append(todo, chatID)
		}
	}
	n, err := b.sendCopies(withPriority(ctx, levelPriority(rec.Level)), rec, todo, "")
	if err != nil {
		return err
	}
	copies := n + len(rec.Messages)
	if copies == 0 {
		return errors.New("no clinician chat accepted the escalation")
	}
	b.log.Info("escalation delivered", "escalation", rec.ID, "esc_level", string(rec.Level), "copies", copies)
	b.metrics.escalations.WithLabelValues(string(rec.Level), "delivered").Inc()
	return b.store.AckOutbox(ctx, e.StreamID)
}

// sendCopies sends the escalation, headed by head, to each chat as a new
// message with the buttons that apply, and records every copy so that an
// acknowledgement can update it. The chats are sent to at once, so that a
// 429 or a slow answer in one clinician's chat delays no other's copy. A
// chat the bot cannot write to is skipped; any other failure is returned,
// for the caller to try again (the copies recorded are not sent again). It
// returns how many chats accepted a copy.
func (b *Bot) sendCopies(ctx context.Context, rec store.EscalationRecord, chats []int64, head string) (int, error) {
	text := truncate(head+b.escalationText(rec, b.patientContext(ctx, rec)), maxMessageLen)
	var (
		mu       sync.Mutex
		sent     int
		firstErr error
		wg       sync.WaitGroup
	)
	for _, chatID := range chats {
		wg.Go(func() {
			err := b.sendCopy(ctx, rec, chatID, text)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				sent++
			case errors.Is(err, errUnreachableChat): // skipped
			case firstErr == nil:
				firstErr = err
			}
		})
	}
	wg.Wait()
	return sent, firstErr
}

// sendCopy sends one clinician chat its copy, as protected content, and
// records it; an
// unreachable chat is logged and reported as errUnreachableChat.
func (b *Bot) sendCopy(ctx context.Context, rec store.EscalationRecord, chatID int64, text string) error {
	// Protected content: Telegram offers no forwarding or saving of what a
	// patient said.
	m, err := b.sendProtectedText(ctx, chatID, text, escalationKeyboard(rec))
	if isUnreachable(err) {
		b.log.Warn("clinician chat unreachable (has the clinician started the bot?)",
			"escalation", rec.ID, "chat", b.chatRef(chatID))
		return errUnreachableChat
	}
	if err != nil {
		return err
	}
	return b.store.AddEscalationMessage(ctx, rec.ID, store.MessageRef{ChatID: chatID, MessageID: m.MessageID})
}

// errUnreachableChat is a clinician chat the bot cannot write to: skipped,
// not retried.
var errUnreachableChat = errors.New("clinician chat unreachable")

// levelPriority is the send priority of an escalation of level l: URGENT
// rides with crisis replies, ahead of everything else.
func levelPriority(l flows.Level) priority {
	switch l {
	case flows.Urgent:
		return prioUrgent
	case flows.High:
		return prioHigh
	}
	return prioRoutine
}

// pageRecipients are the chats an escalation is first sent to: the
// escalation recipients, and for an URGENT one the on-call list as well, at
// once. A crisis page should ring the on-call clinician's own phone rather
// than wait for a re-page, and the copies go out in parallel, so a 429 in
// one chat (a busy group, say) holds up no other's.
func (b *Bot) pageRecipients(l flows.Level) []int64 {
	if l == flows.Urgent {
		return b.repageRecipients()
	}
	return b.escalationRecipients()
}

// escalationRecipients are the chats an escalation goes to.
func (b *Bot) escalationRecipients() []int64 {
	if b.escChat != 0 {
		return []int64{b.escChat}
	}
	ids := make([]int64, 0, len(b.clinicians))
	for id := range b.clinicians {
		ids = append(ids, id)
	}
	return ids
}

// levelMarks make the level visible at a glance in a busy group chat.
var levelMarks = map[flows.Level]string{flows.Urgent: "🔴", flows.High: "🟠", flows.Routine: "🔵"}

// escalationText is what clinicians read: the minimum necessary, the patient
// named only by the clinic's label, the flow in clinical words, times in the
// clinic's zone, and the patient's context (pc) when it could be read.
func (b *Bot) escalationText(rec store.EscalationRecord, pc patientContext) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s escalation #%s · patient %s\n", levelMarks[rec.Level], rec.Level, rec.ID, rec.Patient)
	fmt.Fprintf(&sb, "Flow: %s\n", b.protocol.ClinicalFlowName(rec.Flow))
	writeDetails(&sb, "", rec)
	if pc.known {
		fmt.Fprintf(&sb, "Dose: %s\n%s\n", b.doseContext(rec.At, pc), pc.gate)
	}
	fmt.Fprintf(&sb, "Raised: %s", b.clinicClock(rec.At))
	if !rec.AckedAt.IsZero() {
		fmt.Fprintf(&sb, "\n\n✅ Acknowledged by %s at %s", rec.AckedByName, b.clinicClock(rec.AckedAt))
	}
	switch {
	case rec.State == store.EscalationReopened:
		fmt.Fprintf(&sb, "\n↩️ Reopened by %s at %s: waiting for a new resolution", rec.ReopenedByName, b.clinicClock(rec.ReopenedAt))
	case !rec.ResolvedAt.IsZero():
		fmt.Fprintf(&sb, "\n☑️ Resolved by %s at %s: %s", rec.ResolvedByName, b.clinicClock(rec.ResolvedAt), rec.Note)
	}
	return truncate(sb.String(), maxMessageLen)
}

// writeDetails writes an escalation's question, answer and reason, each on
// a line of its own after indent, leaving out what it lacks.
func writeDetails(sb *strings.Builder, indent string, rec store.EscalationRecord) {
	for _, l := range []struct{ name, value string }{{"Question", rec.Question}, {"Answer", rec.Answer}, {"Why", rec.Reason}} {
		if l.value != "" {
			fmt.Fprintf(sb, "%s%s: %s\n", indent, l.name, l.value)
		}
	}
}

// patientContext is what an escalation shows of the patient beyond the
// escalation itself: their last dose and their dose gate, read from their
// session when the escalation is rendered.
type patientContext struct {
	known    bool // the patient is enrolled and their session was read
	doseAt   time.Time
	hasDose  bool
	gate     string // flows.GateSummary
	location *time.Location
}

// patientContext reads the context of rec's patient. Not being able to read
// it costs only those lines: the escalation goes out without them.
func (b *Bot) patientContext(ctx context.Context, rec store.EscalationRecord) patientContext {
	snap, err := b.store.Load(ctx, rec.ChatID, 0)
	if err != nil {
		b.log.Warn("could not read the patient's context for an escalation", "escalation", rec.ID, "error", err.Error())
		return patientContext{}
	}
	if snap.Patient == "" {
		return patientContext{} // someone not enrolled: no doses, no gate
	}
	now := b.now()
	pc := patientContext{known: true, gate: flows.GateSummary(snap.Session, now, now.Location()), location: now.Location()}
	pc.doseAt, pc.hasDose = snap.Session.LastDoseBefore(rec.At)
	return pc
}

// doseContext says how long before at the patient's last dose was: "42 min
// after the dose taken 09:12" (with the date when it was another day).
func (b *Bot) doseContext(at time.Time, pc patientContext) string {
	if !pc.hasDose {
		return "no dose recorded"
	}
	taken, raised := pc.doseAt.In(pc.location), at.In(pc.location)
	stamp := taken.Format("15:04 MST")
	if taken.YearDay() != raised.YearDay() || taken.Year() != raised.Year() {
		stamp = taken.Format("Mon Jan 2 15:04 MST")
	}
	return fmt.Sprintf("%s after the dose taken %s", since(at.Sub(pc.doseAt)), stamp)
}

// clinicClock formats t for clinicians in the clinic's time zone
// (CLINIC_TIMEZONE), the zone shown.
func (b *Bot) clinicClock(t time.Time) string {
	return clock(t.In(b.now().Location()))
}

// handleAcknowledge records a clinician's acknowledgement from the button
// and shows it on every copy of the escalation; the patient hears that a
// person has seen it.
func (b *Bot) handleAcknowledge(ctx context.Context, q *tgbotapi.CallbackQuery, id string) error {
	if !b.clinicians[q.From.ID] {
		return b.send.request(ctx, tgbotapi.NewCallbackWithAlert(q.ID, textOnlyClinicians))
	}
	var pressed []store.MessageRef
	if q.Message != nil && q.Message.Chat != nil {
		pressed = append(pressed, store.MessageRef{ChatID: q.Message.Chat.ID, MessageID: q.Message.MessageID})
	}
	rec, first, err := b.acknowledge(ctx, q.From, id, pressed...)
	if errors.Is(err, store.ErrNotFound) {
		b.answerCallback(ctx, q, "This escalation no longer exists.")
		return nil
	}
	if err != nil {
		return err
	}
	notice := "Acknowledged: the patient has been told a member of the care team has seen it."
	if flows.RepageAfter(rec.Level) > 0 {
		notice = "Acknowledged: re-paging stopped, and the patient has been told a member of the care team has seen it."
	}
	if !first {
		notice = "Already acknowledged by " + rec.AckedByName + "."
	}
	b.answerCallback(ctx, q, notice)
	return nil
}

// acknowledge records that from acknowledged escalation id and brings every
// copy up to date (and the message pressed, when it is not one of them).
// The first acknowledgement tells the patient a person has seen it.
func (b *Bot) acknowledge(ctx context.Context, from *tgbotapi.User, id string, pressed ...store.MessageRef) (store.EscalationRecord, bool, error) {
	rec, first, err := b.store.Acknowledge(ctx, id, from.ID, displayName(from), b.now())
	if err != nil {
		return rec, false, err
	}
	refs := rec.Messages
	for _, p := range pressed {
		if !hasRef(refs, p.ChatID, p.MessageID) {
			refs = append(refs, p)
		}
	}
	b.showEscalation(ctx, rec, refs)
	if first {
		b.log.Info("escalation acknowledged", "escalation", id, "clinician", b.chatRef(from.ID))
		b.metrics.escalations.WithLabelValues(string(rec.Level), "acknowledged").Inc()
		if err := b.reply(ctx, rec.ChatID, b.patientText(ctx, rec.ChatID, ackText)); err != nil {
			b.log.Warn("could not tell the patient about the acknowledgement", "escalation", id, "error", err.Error())
		}
	}
	return rec, first, nil
}

func hasRef(refs []store.MessageRef, chatID int64, msgID int) bool {
	for _, r := range refs {
		if r.ChatID == chatID && r.MessageID == msgID {
			return true
		}
	}
	return false
}

// displayName is how a clinician appears on an acknowledgement.
func displayName(u *tgbotapi.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" && u.UserName != "" {
		name = "@" + u.UserName
	}
	if name == "" {
		name = fmt.Sprintf("clinician %d", u.ID)
	}
	return name
}
