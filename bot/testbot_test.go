package bot_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// newTestBot wires a bot process-equivalent the way every test does: its
// own Telegram client on the emulator tg and its own store connection to
// the Redis at redisURL (closed when the test ends), adjusted by storeOpts.
// What cfg leaves unset: the default protocol, the test clinician, no log.
// It is not started: Run it, or call HandleUpdate. The Telegram client's
// calls end with ctx (cancelling it ends a long poll in hand).
func newTestBot(ctx context.Context, t testing.TB, tg *telegramtest.Server, redisURL string, cfg bot.Config, storeOpts ...func(*store.Store)) (*bot.Bot, *tgbotapi.BotAPI, *store.Store) {
	t.Helper()
	api, err := bot.Connect(ctx, tg.Token(), tg.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if cfg.Protocol == nil {
		cfg.Protocol = flows.Default()
	}
	if cfg.Clinicians == nil {
		cfg.Clinicians = []int64{clinician.ID}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now != nil {
		st.Now = cfg.Now // one clock for the instance
	}
	for _, o := range storeOpts {
		o(st)
	}
	b, err := bot.New(api, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, api, st
}
