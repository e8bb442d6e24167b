package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// Reviewing a patient's check-ins: /history <label> [n] shows a clinician
// the patient's last completed check-ins with every answer, the journal
// included. It works only in a private chat (a group would show a patient's
// answers to everyone in it), and every view is written to the audit trail.
// On top, a one-screen summary of the whole course (bot/course): doses
// taken, holds by reason, the last PHQ-9 and GAD-7 and their change from
// the first, escalations by level.

const (
	historyDefault = 5
	historyMax     = 20
)

const textHistoryUsage = "Usage: /history <label> [how many, 1–20, default 5]\n" +
	"Shows a patient's last completed check-ins with their answers, newest first."

const textHistoryPrivate = "For the patient's privacy, /history works only in a private chat with me."

// history answers /history.
func (b *Bot) history(ctx context.Context, m *tgbotapi.Message, args string) error {
	chatID := m.Chat.ID
	if !m.Chat.IsPrivate() {
		return b.reply(ctx, chatID, textHistoryPrivate)
	}
	fields := strings.Fields(args)
	if len(fields) == 0 || len(fields) > 2 || !validLabel(fields[0]) {
		return b.reply(ctx, chatID, textHistoryUsage)
	}
	label, n := fields[0], historyDefault
	if len(fields) == 2 {
		v, err := strconv.Atoi(fields[1])
		if err != nil || v < 1 || v > historyMax {
			return b.reply(ctx, chatID, textHistoryUsage)
		}
		n = v
	}
	patientChat, err := b.store.PatientRecords(ctx, label)
	if errors.Is(err, store.ErrNotFound) {
		return b.reply(ctx, chatID, fmt.Sprintf(textNoPatient, label))
	}
	if err != nil {
		return err
	}
	patientCourse, err := b.loadCourse(ctx, label, patientChat)
	if err != nil {
		return err
	}
	checkins := patientCourse.CheckIns[max(len(patientCourse.CheckIns)-n, 0):]
	if err := b.store.Audit(ctx, "history.viewed", map[string]string{
		"by": strconv.FormatInt(m.From.ID, 10), "patient": label, "count": strconv.Itoa(len(checkins)),
	}); err != nil {
		return err // no view without its audit entry
	}
	gate := b.gateLine(ctx, patientChat)
	summary := patientCourse.Summary(b.now().Location())
	if len(checkins) == 0 {
		return b.reply(ctx, chatID, fmt.Sprintf("%s\n\n%s has no completed check-ins yet.\n%s", summary, label, gate))
	}
	checkins = slices.Clone(checkins)
	slices.Reverse(checkins) // newest first
	entries := make([]string, 0, len(checkins))
	for _, c := range checkins {
		entries = append(entries, b.formatCheckIn(c))
	}
	head := fmt.Sprintf("%s\n\n%s\n\nCheck-ins of %s, newest first (%d):", summary, gate, label, len(checkins))
	for _, text := range pack(head, entries, maxMessageLen) {
		if err := b.reply(ctx, chatID, text); err != nil {
			return err
		}
	}
	return nil
}

// formatCheckIn writes one completed check-in for a clinician: what, when,
// how it ended, and each answer next to its question's summary.
func (b *Bot) formatCheckIn(c flows.Completion) string {
	var sb strings.Builder
	title, summaries := c.Flow, map[string]string{}
	if f := b.protocol.Flow(c.Flow); f != nil {
		title = f.Title
		for _, it := range f.Items {
			summaries[it.ID] = it.Summary
		}
	}
	fmt.Fprintf(&sb, "• %s: %s", title, c.Outcome)
	if c.Reason != "" {
		fmt.Fprintf(&sb, " (%s)", c.Reason)
	}
	if c.Score != nil {
		fmt.Fprintf(&sb, ", score %d (%s)", c.Score.Total, c.Score.Band)
		if c.Score.PHQ2Positive {
			sb.WriteString(", PHQ-2 positive")
		}
	}
	fmt.Fprintf(&sb, "\n  %s, protocol %s\n", clock(c.EndedAt.In(b.now().Location())), c.ProtocolVersion)
	for _, a := range c.Answers {
		q := summaries[a.Item]
		if q == "" {
			q = a.Item
		}
		fmt.Fprintf(&sb, "  %s: %s\n", q, a.Display)
	}
	return strings.TrimRight(sb.String(), "\n")
}

// pack joins a heading and entries into as few messages as fit in limit
// characters each; an entry longer than a message is cut.
func pack(head string, entries []string, limit int) []string {
	var msgs []string
	cur := head
	for _, e := range entries {
		e = truncate(e, limit-2)
		if len([]rune(cur))+2+len([]rune(e)) > limit {
			msgs = append(msgs, cur)
			cur = e
			continue
		}
		cur += "\n\n" + e
	}
	return append(msgs, cur)
}
