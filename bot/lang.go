package bot

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
)

// The patient's language: Telegram's language_code until the patient is
// enrolled (strangers, the crisis alert sent before any Redis call, the
// welcome), then the session's, which the patient confirms or changes with
// a tap (/language). Clinicians always read the clinic's language.

type languageKey struct{}

// withLanguage remembers the sender's Telegram language for this update.
func withLanguage(ctx context.Context, from *tgbotapi.User) context.Context {
	if from == nil || from.LanguageCode == "" {
		return ctx
	}
	return context.WithValue(ctx, languageKey{}, from.LanguageCode)
}

// telegramProtocol is the protocol in the sender's Telegram language.
func (b *Bot) telegramProtocol(ctx context.Context) *flows.Protocol {
	code, _ := ctx.Value(languageKey{}).(string)
	return b.protocol.In(code)
}

// patientProtocol is the protocol in the patient's chosen language.
func (b *Bot) patientProtocol(s flows.Session) *flows.Protocol {
	return b.protocol.In(s.Language)
}

// patientHelp is the reply to /help: the commands, and where to turn in a
// crisis, which is never more than one message away.
func patientHelp(p *flows.Protocol) string { return p.Messages.PatientHelp }

// languageChoice asks a new patient to confirm, with a tap, a language
// guessed from Telegram that is not the clinic's; in the clinic's language
// the welcome's command list already offers /language, and a question
// nobody needs would only leave buttons hanging.
func languageChoice(p *flows.Protocol) []flows.Reply {
	if len(p.Languages()) < 2 || p.LanguageCode() == p.Languages()[0] {
		return nil
	}
	return []flows.Reply{p.LanguagePrompt()}
}

// patientText picks a message in an enrolled patient's language, for texts
// sent outside the patient's own updates (a clinician's acknowledgement).
// If the session cannot be read, the clinic's language still gets it out.
func (b *Bot) patientText(ctx context.Context, chatID int64, pick func(flows.Messages) string) string {
	snap, err := b.store.Load(ctx, chatID, 0)
	if err != nil {
		return pick(b.protocol.Messages)
	}
	return pick(b.patientProtocol(snap.Session).Messages)
}

// ackText is the acknowledgement the patient reads.
func ackText(m flows.Messages) string { return m.AckToPatient }
