package bot

import (
	"context"
	"errors"

	"github.com/checkinbot/checkinbot/store"
)

// handleUnenrolled answers someone not (or not yet) linked to a patient
// label: an invite code links them; anything else gets a polite explanation.
// Nothing about a stranger is stored.
func (b *Bot) handleUnenrolled(ctx context.Context, chatID int64, label, cmd, args string) error {
	if cmd != "start" || args == "" {
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.Stranger)
	}
	if !validInviteCode(args) {
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.InviteInvalid)
	}
	redeemed, err := b.store.Redeem(ctx, args, chatID)
	switch {
	case errors.Is(err, store.ErrInviteUsed):
		if label != "" {
			return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.Connected+"\n\n"+patientHelp(b.telegramProtocol(ctx)))
		}
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.InviteUsed)
	case errors.Is(err, store.ErrNotFound):
		return b.reply(ctx, chatID, b.telegramProtocol(ctx).Messages.InviteInvalid)
	case err != nil:
		return err
	}
	if redeemed.Label == label {
		return b.reconnect(ctx, chatID)
	}
	b.log.Info("patient enrolled", "chat", b.chatRef(chatID))
	if err := b.startIntake(ctx, chatID); err != nil {
		return err
	}
	b.inviteOpened(ctx, redeemed)
	return nil
}

// validInviteCode accepts what Telegram allows in a /start payload.
func validInviteCode(code string) bool {
	if len(code) == 0 || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
