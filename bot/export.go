package bot

import (
	"context"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Exports a clinic can file: /export <label> sends two documents, a CSV of
// every check-in and answer and a FHIR R4 bundle of the PHQ-9, GAD-7, blood
// pressure and heart rate results (see bot/course for their contents), as
// protected content, only in a clinician's private chat, audited.

const textExportUsage = "Usage: /export <label>\n" +
	"Sends the patient's record as two files for your EHR: a CSV of every check-in and answer, " +
	"and a FHIR R4 bundle of PHQ-9, GAD-7, blood pressure and heart rate results (LOINC-coded)."

// exportCommand answers /export.
func (b *Bot) exportCommand(ctx context.Context, m *tgbotapi.Message, args string) error {
	c, ok, err := b.courseFor(ctx, m, args, textExportUsage, "export.sent")
	if err != nil || !ok {
		return err
	}
	if _, _, recorded := c.Span(); !recorded {
		return b.reply(ctx, m.Chat.ID, fmt.Sprintf("%s has nothing recorded yet, so there is nothing to export.", c.Label))
	}
	loc := b.now().Location()
	csvData, err := c.CSV(loc)
	if err != nil {
		return err
	}
	bundle, err := c.FHIR(b.now())
	if err != nil {
		return err
	}
	stamp := b.now().Format("2006-01-02")
	if err := b.sendProtectedFile(ctx, m.Chat.ID, "sendDocument", "document",
		fmt.Sprintf("%s-%s.csv", c.Label, stamp), csvData,
		fmt.Sprintf("%s: %d check-ins and %d answers as CSV (times %s)", c.Label, len(c.CheckIns), len(c.Answers), loc)); err != nil {
		return err
	}
	return b.sendProtectedFile(ctx, m.Chat.ID, "sendDocument", "document",
		fmt.Sprintf("%s-%s.fhir.json", c.Label, stamp), bundle,
		fmt.Sprintf("%s: FHIR R4 bundle, %d PHQ-9, %d GAD-7, %d blood pressure and heart rate readings",
			c.Label, len(c.PHQ9), len(c.GAD7), len(c.Readings)))
}
