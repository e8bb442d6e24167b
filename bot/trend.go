package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot/course"
	"github.com/checkinbot/checkinbot/store"
)

// A patient's course at a glance: /trend <label> sends a chart of the weeks
// so far (see bot/course). Like /history and /export it works only in a
// clinician's private chat, every view is audited, and the picture is sent
// as protected content (Telegram offers no forwarding or saving).

const textTrendUsage = "Usage: /trend <label>\n" +
	"Sends a chart of the patient's course so far: PHQ-9 and GAD-7 totals over their bands, " +
	"blood pressure and pulse, doses taken, holds and escalations."

const textCoursePrivate = "For the patient's privacy, charts, exports and /history work only in a private chat with me."

const textTrendEmpty = "%s has nothing recorded yet, so there is no chart to draw."

// trendCommand answers /trend.
func (b *Bot) trendCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	c, ok, err := b.courseFor(ctx, m, args, textTrendUsage, "trend.viewed")
	if err != nil || !ok {
		return err
	}
	if _, _, recorded := c.Span(); !recorded {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf(textTrendEmpty, c.Label))
	}
	loc := b.now().Location()
	png, pts, err := c.Chart(loc)
	if err != nil {
		return err
	}
	caption := fmt.Sprintf("%s: %d PHQ-9, %d GAD-7, %d readings, %d doses, %d holds, %d escalations (times %s)",
		c.Label, pts.PHQ9, pts.GAD7, pts.Readings, pts.Doses, pts.Holds, pts.Escalations, loc)
	return b.sendProtectedFile(ctx, m.Chat.ID, "sendPhoto", "photo", "trend-"+c.Label+".png", png, caption)
}

// courseFor does what /trend, /export and /history share: it accepts the
// command only in a private chat and with a valid label, enrolled now or
// before (PatientRecords), loads the
// patient's course, and audits the view under event before anything is
// shown. ok is false when the clinician was already answered.
func (b *Bot) courseFor(ctx context.Context, m *tgbotapi.Message, args, usage, event string) (c course.Course, ok bool, err error) {
	chatID := m.Chat.ID
	if !m.Chat.IsPrivate() {
		return c, false, b.reply(ctx, chatID, textCoursePrivate)
	}
	fields := strings.Fields(args)
	if len(fields) != 1 || !validLabel(fields[0]) {
		return c, false, b.reply(ctx, chatID, usage)
	}
	label := fields[0]
	patientChat, err := b.store.PatientRecords(ctx, label)
	if errors.Is(err, store.ErrNotFound) {
		return c, false, b.reply(ctx, chatID, fmt.Sprintf(textNoPatient, label))
	}
	if err != nil {
		return c, false, err
	}
	c, err = b.loadCourse(ctx, label, patientChat)
	if err != nil {
		return c, false, err
	}
	if err := b.store.Audit(ctx, event, map[string]string{
		"by": strconv.FormatInt(m.From.ID, 10), "patient": label,
	}); err != nil {
		return c, false, err // nothing shown without its audit entry
	}
	return c, true, nil
}

// loadCourse reads everything recorded for a patient: check-ins, answers
// and escalations.
func (b *Bot) loadCourse(ctx context.Context, label string, patientChat int64) (course.Course, error) {
	checkins, err := b.store.CheckIns(ctx, patientChat, 0)
	if err != nil {
		return course.Course{}, err
	}
	answers, err := b.store.Answers(ctx, patientChat, 0)
	if err != nil {
		return course.Course{}, err
	}
	recs, err := b.store.ChatEscalations(ctx, patientChat)
	if err != nil {
		return course.Course{}, err
	}
	escs := make([]course.Escalation, len(recs))
	for i, r := range recs {
		escs[i] = course.Escalation{ID: r.ID, Level: r.Level, At: r.At, State: r.State}
	}
	return course.Build(label, checkins, answers, escs), nil
}

// sendProtectedFile uploads data as a photo or document (method sendPhoto
// or sendDocument, field photo or document) with protect_content set, so
// Telegram offers no forwarding or saving. tgbotapi v5.5.1 has no field for
// protect_content, hence the raw upload.
func (b *Bot) sendProtectedFile(ctx context.Context, chatID int64, method, field, name string, data []byte, caption string) error {
	params := tgbotapi.Params{
		"chat_id":         strconv.FormatInt(chatID, 10),
		"caption":         truncate(caption, maxCaptionLen),
		"protect_content": "true",
	}
	files := []tgbotapi.RequestFile{{Name: field, Data: tgbotapi.FileBytes{Name: name, Bytes: data}}}
	ctx = withPriority(ctx, prioReply) // a clinician is waiting for it
	return b.send.retry(ctx, method, func() error {
		_, err := b.send.api.UploadFiles(method, params, files)
		return err
	})
}

// maxCaptionLen is Telegram's limit on a photo's or document's caption.
const maxCaptionLen = 1024
