package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The escalation ladder: an URGENT escalation is re-paged every 5 minutes
// and a HIGH one every 30 until a clinician acknowledges it, to the
// escalation recipients and the on-call list; a clinician resolves it with a
// short note; /open lists what is not resolved yet. The first re-page is
// scheduled by the commit that raises the escalation, and each re-page
// schedules the next in the step that marks it done (store.DoneJob), so the
// ladder survives crashes and restarts.

// noteTTL is how long the bot waits for a resolution note.
const noteTTL = 30 * time.Minute

// maxOpenListed bounds the /open list to one readable message.
const maxOpenListed = 25

// resolvePrefix starts the callback data of an escalation's [Resolve] button.
const resolvePrefix = "r:"

func resolveData(escalationID string) string { return resolvePrefix + escalationID }

// escalationKeyboard offers what can still be done with an escalation:
// acknowledge and resolve while it is open, resolve once acknowledged,
// nothing once resolved.
func escalationKeyboard(rec store.EscalationRecord) tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	switch rec.State {
	case store.EscalationOpen:
		row = append(row, tgbotapi.NewInlineKeyboardButtonData("Acknowledge", ackData(rec.ID)))
		fallthrough
	case store.EscalationAcked:
		row = append(row, tgbotapi.NewInlineKeyboardButtonData("Resolve", resolveData(rec.ID)))
	}
	if len(row) == 0 {
		return *noKeyboard()
	}
	return tgbotapi.NewInlineKeyboardMarkup(row)
}

// showEscalation brings every copy of an escalation up to date: its state
// in the text, and only the buttons that still apply.
func (b *Bot) showEscalation(ctx context.Context, rec store.EscalationRecord, refs []store.MessageRef) {
	for _, ref := range refs {
		kb := escalationKeyboard(rec)
		edit := tgbotapi.NewEditMessageText(ref.ChatID, ref.MessageID, b.escalationText(rec))
		edit.ReplyMarkup = &kb
		if err := b.send.request(ctx, edit); err != nil {
			b.log.Warn("could not update an escalation copy", "escalation", rec.ID, "error", err.Error())
		}
	}
}

// repageRecipients are the escalation recipients plus the on-call list.
func (b *Bot) repageRecipients() []int64 {
	ids := b.escalationRecipients()
	for _, id := range b.oncall {
		if !containsID(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// repage runs a re-page job: while the escalation is unacknowledged it is
// sent again, as a new message (an edit would not notify anyone), to the
// recipients and the on-call list, and the next re-page is returned to be
// scheduled. An acknowledged or resolved escalation ends the ladder. An
// error leaves the job to run again: a re-page is never dropped.
func (b *Bot) repage(ctx context.Context, job flows.Job) ([]flows.Job, error) {
	rec, err := b.store.Escalation(ctx, job.Run)
	if errors.Is(err, store.ErrNotFound) {
		return nil, permanent("re-page", err)
	}
	if err != nil {
		return nil, err
	}
	every := flows.RepageAfter(rec.Level)
	if !flows.EscalationState(rec.State).Repages(rec.Level) {
		return nil, nil
	}
	n, err := b.store.RecordRepage(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	now := b.now()
	head := fmt.Sprintf("🔁 Re-page %d: still not acknowledged, raised %s ago\n\n", n, since(now.Sub(rec.At)))
	sent, err := b.sendCopies(withPriority(ctx, levelPriority(rec.Level)), rec, b.repageRecipients(), head)
	if err != nil {
		return nil, err
	}
	if sent == 0 {
		return nil, errors.New("no clinician chat accepted the re-page")
	}
	b.log.Info("escalation re-paged", "escalation", rec.ID, "esc_level", string(rec.Level), "repage", n, "copies", sent)
	return []flows.Job{{Kind: flows.JobRepage, Due: now.Add(every), Run: rec.ID}}, nil
}

// handleResolveButton asks the clinician for the resolution note, which
// their next message in this chat will be.
func (b *Bot) handleResolveButton(ctx context.Context, q *tgbotapi.CallbackQuery, id string) error {
	if !b.clinicians[q.From.ID] {
		return b.send.request(ctx, tgbotapi.NewCallbackWithAlert(q.ID, textOnlyClinicians))
	}
	if q.Message == nil || q.Message.Chat == nil {
		b.answerCallback(ctx, q, "")
		return nil
	}
	rec, err := b.store.Escalation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		b.answerCallback(ctx, q, "This escalation no longer exists.")
		return nil
	}
	if err != nil {
		return err
	}
	if rec.State == store.EscalationResolved {
		b.answerCallback(ctx, q, "Already resolved by "+rec.ResolvedByName+".")
		b.showEscalation(ctx, rec, []store.MessageRef{{ChatID: q.Message.Chat.ID, MessageID: q.Message.MessageID}})
		return nil
	}
	b.answerCallback(ctx, q, "")
	return b.askNote(ctx, q.Message.Chat.ID, q.From, rec)
}

// askNote records that the clinician's next message in chatID is the note
// for rec, and asks for it.
func (b *Bot) askNote(ctx context.Context, chatID int64, from *tgbotapi.User, rec store.EscalationRecord) error {
	if err := b.store.SetPendingNote(ctx, from.ID, chatID, rec.ID, noteTTL); err != nil {
		return err
	}
	msg := tgbotapi.NewMessage(chatID, fmt.Sprintf(textAskNote, displayName(from), rec.ID, rec.Patient))
	// In a group the bot sees only commands and replies to itself (privacy
	// mode): asking for a reply makes the note reach it.
	msg.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: "Resolution note"}
	_, err := b.send.send(ctx, msg)
	return err
}

// takeNote handles a clinician's plain message or /cancel when a
// resolution note is pending in that chat; handled is false when none is.
func (b *Bot) takeNote(ctx context.Context, m *tgbotapi.Message, cmd string) (handled bool, err error) {
	id, err := b.store.TakePendingNote(ctx, m.From.ID, m.Chat.ID)
	if err != nil || id == "" {
		return false, err
	}
	if cmd == "cancel" {
		return true, b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoteCancelled, id))
	}
	note := strings.TrimSpace(m.Text)
	if note == "" || utf8.RuneCountInString(note) > maxNoteRunes {
		// Ask again, keeping the escalation pending.
		if err := b.store.SetPendingNote(ctx, m.From.ID, m.Chat.ID, id, noteTTL); err != nil {
			return true, err
		}
		return true, b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoteInvalid, maxNoteRunes))
	}
	return true, b.resolve(ctx, m.Chat.ID, m.From, id, note)
}

// maxNoteRunes bounds a resolution note: a short note, well inside
// store.MaxNote bytes.
const maxNoteRunes = 500

// resolve resolves escalation id with the clinician's note, updates every
// copy, confirms in chatID and, if nobody had acknowledged it yet, tells the
// patient that a person has seen it.
func (b *Bot) resolve(ctx context.Context, chatID int64, from *tgbotapi.User, id, note string) error {
	rec, first, wasOpen, err := b.store.Resolve(ctx, id, from.ID, displayName(from), note, b.now())
	if errors.Is(err, store.ErrNotFound) {
		return b.reply(ctx, chatID, fmt.Sprintf(textNoEscalation, id))
	}
	if err != nil {
		return err
	}
	if !first {
		return b.reply(ctx, chatID, fmt.Sprintf(textAlreadyResolved, id, rec.ResolvedByName, clock(rec.ResolvedAt)))
	}
	b.log.Info("escalation resolved", "escalation", id, "clinician", b.chatRef(from.ID))
	b.showEscalation(ctx, rec, rec.Messages)
	if err := b.reply(ctx, chatID, fmt.Sprintf(textResolved, id)); err != nil {
		return err
	}
	if wasOpen {
		if err := b.reply(ctx, rec.ChatID, b.patientText(ctx, rec.ChatID, ackText)); err != nil {
			b.log.Warn("could not tell the patient about the acknowledgement", "escalation", id, "error", err.Error())
		}
	}
	if clear, rest := flows.ResolutionClears(note); clear {
		// "Clear to dose": resolving is not clearing unless the note says so.
		text, err := b.clearGate(ctx, rec.ChatID, rec.Patient, from, rest)
		if err != nil {
			return err
		}
		return b.reply(ctx, chatID, text)
	}
	return nil
}

// resolveCommand handles /resolve <number> [note]: with a note it resolves
// at once, without one it asks for the note.
func (b *Bot) resolveCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	idText, note, _ := strings.Cut(strings.TrimSpace(args), " ")
	id, ok := parseEscData(strings.TrimPrefix(idText, "#"), "")
	if !ok {
		return b.reply(ctx, m.Chat.ID, textResolveUsage)
	}
	note = strings.TrimSpace(note)
	if note == "" {
		rec, err := b.store.Escalation(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoEscalation, id))
		}
		if err != nil {
			return err
		}
		return b.askNote(ctx, m.Chat.ID, m.From, rec)
	}
	if utf8.RuneCountInString(note) > maxNoteRunes {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoteInvalid, maxNoteRunes))
	}
	return b.resolve(ctx, m.Chat.ID, m.From, id, note)
}

// listOpen answers /open: every escalation not yet resolved, oldest first,
// with its state. Who looked is audited.
func (b *Bot) listOpen(ctx context.Context, m *tgbotapi.Message) error {
	recs, total, err := b.store.UnresolvedEscalations(ctx, maxOpenListed)
	if err != nil {
		return err
	}
	if err := b.store.Audit(ctx, "escalations.listed", map[string]string{
		"by": fmt.Sprint(m.From.ID), "chat": fmt.Sprint(m.Chat.ID), "count": fmt.Sprint(len(recs))}); err != nil {
		return err
	}
	if total == 0 {
		return b.reply(ctx, m.Chat.ID, textNoOpen)
	}
	now := b.now()
	gates := map[int64]string{} // each patient's dose gate, read once
	var sb strings.Builder
	fmt.Fprintf(&sb, "Escalations not yet resolved (%d), oldest first:\n", total)
	for _, r := range recs {
		fmt.Fprintf(&sb, "\n#%s %s %s · patient %s · raised %s (%s ago)\n", r.ID, levelMarks[r.Level], r.Level,
			r.Patient, clock(r.At), since(now.Sub(r.At)))
		if r.Reason != "" {
			fmt.Fprintf(&sb, "   Why: %s\n", r.Reason)
		}
		switch {
		case r.State == store.EscalationOpen && r.Repages > 0:
			fmt.Fprintf(&sb, "   NOT acknowledged · re-paged %d×\n", r.Repages)
		case r.State == store.EscalationOpen:
			sb.WriteString("   NOT acknowledged\n")
		default:
			fmt.Fprintf(&sb, "   acknowledged by %s at %s\n", r.AckedByName, clock(r.AckedAt))
		}
		if g, ok := gates[r.ChatID]; !ok {
			gates[r.ChatID] = b.gateLine(ctx, r.ChatID)
			fmt.Fprintf(&sb, "   %s\n", gates[r.ChatID])
		} else if g != "" {
			fmt.Fprintf(&sb, "   (%s)\n", strings.SplitN(g, " (", 2)[0])
		}
	}
	if int64(len(recs)) < total {
		fmt.Fprintf(&sb, "\n… and %d more.\n", total-int64(len(recs)))
	}
	sb.WriteString("\n" + textOpenFooter)
	return b.reply(ctx, m.Chat.ID, truncate(sb.String(), maxMessageLen))
}

// since says how long ago something was, for clinicians: "12 min",
// "3 h 05 min", "4 days".
func since(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min", d/time.Hour, d%time.Hour/time.Minute)
	default:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
}
