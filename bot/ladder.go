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
// acknowledge and resolve while it is open, resolve once acknowledged or
// reopened, nothing once resolved (/reopen reopens it).
func escalationKeyboard(rec store.EscalationRecord) tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	switch rec.State {
	case store.EscalationOpen:
		row = append(row, tgbotapi.NewInlineKeyboardButtonData("Acknowledge", ackData(rec.ID)))
		fallthrough
	case store.EscalationAcked, store.EscalationReopened:
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
	if len(refs) == 0 {
		return
	}
	text := b.escalationText(rec, b.patientContext(ctx, rec))
	for _, ref := range refs {
		kb := escalationKeyboard(rec)
		edit := tgbotapi.NewEditMessageText(ref.ChatID, ref.MessageID, text)
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

// handleEscalationButton handles the clinicians' buttons: an escalation's
// [Acknowledge] and [Resolve], and a resolution's [Confirm] and [Cancel];
// handled is false for any other button.
func (b *Bot) handleEscalationButton(ctx context.Context, q *tgbotapi.CallbackQuery) (handled bool, err error) {
	if id, ok := parseEscData(q.Data, ackPrefix); ok {
		return true, b.handleAcknowledge(ctx, q, id)
	}
	if id, ok := parseEscData(q.Data, resolvePrefix); ok {
		return true, b.handleResolveButton(ctx, q, id)
	}
	if token, ok := parseEscData(q.Data, confirmPrefix); ok {
		return true, b.handleResolutionButton(ctx, q, token, true)
	}
	if token, ok := parseEscData(q.Data, cancelPrefix); ok {
		return true, b.handleResolutionButton(ctx, q, token, false)
	}
	return false, nil
}

// handleResolveButton asks the clinician for the resolution note with a
// prompt that only a reply to it answers.
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

// escalationRef names an escalation in one line: "#12 (🔴 URGENT · patient
// P-0042)".
func escalationRef(rec store.EscalationRecord) string {
	return fmt.Sprintf("#%s (%s)", rec.ID, escalationLabel(rec))
}

// escalationLabel is an escalation's level and patient: "🔴 URGENT ·
// patient P-0042".
func escalationLabel(rec store.EscalationRecord) string {
	return fmt.Sprintf("%s %s · patient %s", levelMarks[rec.Level], rec.Level, rec.Patient)
}

// askNote asks the clinician in chatID for the resolution note of rec with a
// force-reply prompt naming the escalation, and records the prompt in Redis
// (so any instance, after any restart, knows it): only a reply to this
// message is taken as the note, never whatever the clinician types next.
func (b *Bot) askNote(ctx context.Context, chatID int64, from *tgbotapi.User, rec store.EscalationRecord) error {
	msg := tgbotapi.NewMessage(chatID, fmt.Sprintf(textAskNote, escalationRef(rec), rec.Question, displayName(from)))
	// In a group the bot sees only commands and replies to itself (privacy
	// mode); a force reply opens the reply for the clinician.
	msg.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: "Resolution note for #" + rec.ID}
	sent, err := b.send.send(ctx, msg)
	if err != nil {
		return err
	}
	return b.store.SetNotePrompt(ctx, from.ID, chatID, sent.MessageID, rec.ID, noteTTL)
}

// takeNote handles a clinician's message that may concern a resolution
// note: a reply to the bot's prompt for one (the note, or /cancel), a reply
// to a prompt no longer waiting, or a plain /cancel while a prompt waits.
// handled is false for anything else, which takes its ordinary path.
func (b *Bot) takeNote(ctx context.Context, m *tgbotapi.Message, cmd string) (handled bool, err error) {
	replyTo := m.ReplyToMessage
	isPrompt := replyTo != nil && replyTo.From != nil && replyTo.From.ID == b.api.Self.ID &&
		strings.HasPrefix(replyTo.Text, textAskNotePrefix)
	if !isPrompt && cmd != "cancel" {
		return false, nil
	}
	promptID, id, err := b.store.NotePrompt(ctx, m.From.ID, m.Chat.ID)
	if err != nil {
		return true, err
	}
	switch {
	case !isPrompt && id == "": // a /cancel with no prompt waiting: not ours
		return false, nil
	case isPrompt && (id == "" || promptID != replyTo.MessageID):
		return true, b.reply(ctx, m.Chat.ID, textPromptClosed)
	case cmd == "cancel":
		if err := b.store.ClearNotePrompt(ctx, m.From.ID, m.Chat.ID); err != nil {
			return true, err
		}
		return true, b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoteCancelled, id))
	}
	note := strings.TrimSpace(m.Text)
	if note == "" || utf8.RuneCountInString(note) > maxNoteRunes {
		return true, b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoteInvalid, maxNoteRunes))
	}
	rec, err := b.store.Escalation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return true, b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoEscalation, id))
	}
	if err != nil {
		return true, err
	}
	if err := b.store.ClearNotePrompt(ctx, m.From.ID, m.Chat.ID); err != nil {
		return true, err
	}
	if rec.State == store.EscalationResolved {
		return true, b.reply(ctx, m.Chat.ID, b.alreadyResolved(rec))
	}
	return true, b.confirmResolution(ctx, m.Chat.ID, m.From, rec, note)
}

// confirmResolution shows the clinician the escalation, the patient and the
// note, with [Confirm] and [Cancel]: nothing is saved before Confirm.
func (b *Bot) confirmResolution(ctx context.Context, chatID int64, from *tgbotapi.User, rec store.EscalationRecord, note string) error {
	token, err := b.store.SetPendingResolution(ctx, store.PendingResolution{EscalationID: rec.ID, By: from.ID, Note: note}, noteTTL)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(textConfirmResolve, escalationRef(rec), rec.Question, rec.Answer, note)
	if clear, _ := flows.ResolutionClears(note); clear {
		text += fmt.Sprintf(textConfirmClears, rec.Patient)
	}
	msg := tgbotapi.NewMessage(chatID, truncate(text, maxMessageLen))
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Confirm", confirmPrefix+token),
		tgbotapi.NewInlineKeyboardButtonData("Cancel", cancelPrefix+token)))
	_, err = b.send.send(ctx, msg)
	return err
}

// Callback data of a resolution's [Confirm] and [Cancel] buttons.
const (
	confirmPrefix = "rc:"
	cancelPrefix  = "rn:"
)

// handleResolutionButton answers [Confirm] (save the resolution) or
// [Cancel] (save nothing) under a resolution's confirmation. Only the
// clinician who wrote the note decides, once.
func (b *Bot) handleResolutionButton(ctx context.Context, q *tgbotapi.CallbackQuery, token string, confirm bool) error {
	if !b.clinicians[q.From.ID] {
		return b.send.request(ctx, tgbotapi.NewCallbackWithAlert(q.ID, textOnlyClinicians))
	}
	if q.Message == nil || q.Message.Chat == nil {
		b.answerCallback(ctx, q, textConfirmationGone) // too old for Telegram to show the message
		return nil
	}
	pr, err := b.store.PendingResolution(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		b.answerCallback(ctx, q, "")
		return b.settleConfirmation(ctx, q, textConfirmationGone)
	}
	if err != nil {
		return err
	}
	if pr.By != q.From.ID {
		return b.send.request(ctx, tgbotapi.NewCallbackWithAlert(q.ID, textNotYourNote))
	}
	if taken, err := b.store.DropPendingResolution(ctx, token); err != nil || !taken {
		b.answerCallback(ctx, q, "")
		return err // a second press raced this one: it answers
	}
	b.answerCallback(ctx, q, "")
	if !confirm {
		return b.settleConfirmation(ctx, q, fmt.Sprintf(textNoteCancelled, pr.EscalationID))
	}
	b.markConfirmation(ctx, q, fmt.Sprintf(textConfirmed, pr.EscalationID))
	return b.resolve(ctx, q.Message.Chat.ID, q.From, pr.EscalationID, pr.Note) // says what changed
}

// settleConfirmation marks a confirmation with what became of it and says
// so in the chat.
func (b *Bot) settleConfirmation(ctx context.Context, q *tgbotapi.CallbackQuery, outcome string) error {
	b.markConfirmation(ctx, q, outcome)
	return b.reply(ctx, q.Message.Chat.ID, outcome)
}

// markConfirmation replaces a confirmation's buttons with what became of
// it, so it cannot be pressed twice (cosmetic: the token is gone anyway).
func (b *Bot) markConfirmation(ctx context.Context, q *tgbotapi.CallbackQuery, outcome string) {
	edit := tgbotapi.NewEditMessageText(q.Message.Chat.ID, q.Message.MessageID, truncate(q.Message.Text+"\n\n"+outcome, maxMessageLen))
	edit.ReplyMarkup = noKeyboard()
	if err := b.send.request(ctx, edit); err != nil {
		b.log.Warn("could not mark a resolution's confirmation", "error", err.Error())
	}
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
		return b.reply(ctx, chatID, b.alreadyResolved(rec))
	}
	b.log.Info("escalation resolved", "escalation", id, "clinician", b.chatRef(from.ID))
	b.showEscalation(ctx, rec, rec.Messages)
	changed := fmt.Sprintf(textResolved, rec.ID, escalationLabel(rec), note)
	if wasOpen {
		changed += textResolvedAcked
	}
	if err := b.reply(ctx, chatID, changed); err != nil {
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

func (b *Bot) alreadyResolved(rec store.EscalationRecord) string {
	return fmt.Sprintf(textAlreadyResolved, rec.ID, rec.ResolvedByName, b.clinicClock(rec.ResolvedAt), rec.ID)
}

// escalationArg reads the escalation number that starts a command's
// arguments ("12" or "#12") and the rest.
func escalationArg(args string) (id, rest string, ok bool) {
	idText, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	id, ok = parseEscData(strings.TrimPrefix(idText, "#"), "")
	return id, strings.TrimSpace(rest), ok
}

// resolveCommand handles /resolve <number> [note]: with a note it resolves
// at once (the command is explicit), without one it asks for the note. An
// unknown number is answered and arms nothing.
func (b *Bot) resolveCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	id, note, ok := escalationArg(args)
	if !ok {
		return b.reply(ctx, m.Chat.ID, textResolveUsage)
	}
	if note == "" {
		rec, err := b.store.Escalation(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoEscalation, id))
		}
		if err != nil {
			return err
		}
		if rec.State == store.EscalationResolved {
			return b.reply(ctx, m.Chat.ID, b.alreadyResolved(rec))
		}
		return b.askNote(ctx, m.Chat.ID, m.From, rec)
	}
	if utf8.RuneCountInString(note) > maxNoteRunes {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoteInvalid, maxNoteRunes))
	}
	return b.resolve(ctx, m.Chat.ID, m.From, id, note)
}

// ackCommand handles /ack <number>: the [Acknowledge] button by number.
func (b *Bot) ackCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	return b.byNumber(ctx, m, args, textAckUsage,
		func(id string) (store.EscalationRecord, bool, error) { return b.acknowledge(ctx, m.From, id) },
		func(rec store.EscalationRecord) string {
			return fmt.Sprintf(textAlreadyAcked, escalationRef(rec), rec.AckedByName, b.clinicClock(rec.AckedAt))
		},
		func(rec store.EscalationRecord) string {
			if flows.RepageAfter(rec.Level) > 0 {
				return fmt.Sprintf(textAcked, escalationRef(rec)) + textAckedRepage
			}
			return fmt.Sprintf(textAcked, escalationRef(rec))
		})
}

// reopenCommand handles /reopen <number>: a resolved escalation is
// unresolved again (flows/escalation.go), listed in /open, audited.
func (b *Bot) reopenCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	return b.byNumber(ctx, m, args, textReopenUsage,
		func(id string) (store.EscalationRecord, bool, error) {
			rec, first, err := b.store.Reopen(ctx, id, m.From.ID, displayName(m.From), b.now())
			if first {
				b.log.Info("escalation reopened", "escalation", id, "clinician", b.chatRef(m.From.ID))
				b.showEscalation(ctx, rec, rec.Messages)
			}
			return rec, first, err
		},
		func(rec store.EscalationRecord) string { return fmt.Sprintf(textNotResolved, escalationRef(rec)) },
		func(rec store.EscalationRecord) string { return fmt.Sprintf(textReopened, escalationRef(rec), rec.ID) })
}

// byNumber runs a clinician's command on the escalation whose number is
// its one argument: act changes it and reports whether it did; the
// clinician hears what changed, or why nothing did.
func (b *Bot) byNumber(ctx context.Context, m *tgbotapi.Message, args, usage string,
	act func(id string) (store.EscalationRecord, bool, error), unchanged, changed func(store.EscalationRecord) string) error {
	id, rest, ok := escalationArg(args)
	if !ok || rest != "" {
		return b.reply(ctx, m.Chat.ID, usage)
	}
	rec, first, err := act(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textNoEscalation, id))
	case err != nil:
		return err
	case !first:
		return b.reply(ctx, m.Chat.ID, unchanged(rec))
	}
	return b.reply(ctx, m.Chat.ID, changed(rec))
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
	listed := 0
	for _, r := range recs {
		entry := b.openEntry(ctx, r, now, gates)
		if utf8.RuneCountInString(sb.String()+entry) > maxMessageLen-openListReserve {
			break // one readable message: the rest are counted below
		}
		sb.WriteString(entry)
		listed++
	}
	if int64(listed) < total {
		fmt.Fprintf(&sb, "\n… and %d more.\n", total-int64(listed))
	}
	sb.WriteString("\n" + textOpenFooter)
	return b.reply(ctx, m.Chat.ID, truncate(sb.String(), maxMessageLen))
}

// openListReserve keeps room in the /open message for its last lines.
const openListReserve = 300

// openEntry is one escalation of the /open list; gates holds the dose gate
// of each patient already listed, shown in full only the first time.
func (b *Bot) openEntry(ctx context.Context, r store.EscalationRecord, now time.Time, gates map[int64]string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n#%s %s %s · patient %s · raised %s (%s ago)\n", r.ID, levelMarks[r.Level], r.Level,
		r.Patient, b.clinicClock(r.At), since(now.Sub(r.At)))
	fmt.Fprintf(&sb, "   %s\n", b.protocol.ClinicalFlowName(r.Flow))
	writeDetails(&sb, "   ", r)
	switch {
	case r.State == store.EscalationOpen && r.Repages > 0:
		fmt.Fprintf(&sb, "   NOT acknowledged · re-paged %d×\n", r.Repages)
	case r.State == store.EscalationOpen:
		sb.WriteString("   NOT acknowledged\n")
	case r.State == store.EscalationReopened:
		fmt.Fprintf(&sb, "   reopened by %s at %s (acknowledged by %s)\n", r.ReopenedByName, b.clinicClock(r.ReopenedAt), r.AckedByName)
	default:
		fmt.Fprintf(&sb, "   acknowledged by %s at %s\n", r.AckedByName, b.clinicClock(r.AckedAt))
	}
	if g, ok := gates[r.ChatID]; !ok {
		gates[r.ChatID] = b.gateLine(ctx, r.ChatID)
		fmt.Fprintf(&sb, "   %s\n", gates[r.ChatID])
	} else if g != "" {
		fmt.Fprintf(&sb, "   (%s)\n", strings.SplitN(g, " (", 2)[0])
	}
	return sb.String()
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
