package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// runBot runs the bot against Telegram and Redis until ctx is cancelled.
func runBot(ctx context.Context, getenv func(string) string, logOut io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(logOut, slog.LevelInfo)
	proto, err := loadProtocol(cfg.ProtocolFile, cfg.Oncall)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("redis (REDIS_URL): %w", err)
	}
	defer st.Close()
	api, err := bot.Connect(ctx, cfg.Token, cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("telegram (TELEGRAM_BOT_TOKEN, TELEGRAM_API_ENDPOINT): %w", err)
	}
	b, err := bot.New(api, st, bot.Config{
		Protocol:       proto,
		Clinicians:     cfg.Clinicians,
		EscalationChat: cfg.EscalationChat,
		Workers:        cfg.Workers,
		InviteTTL:      cfg.InviteTTL,
		Consumer:       cfg.InstanceName,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	log.Info("checkinbot running", "bot", b.Username(), "protocol", proto.Version, "clinicians", len(cfg.Clinicians))
	err = b.Run(ctx)
	log.Info("checkinbot stopped")
	return err
}

// loadProtocol reads the clinic's protocol file, or the built-in default
// when path is "", and sets the clinic's on-call number for crisis messages.
func loadProtocol(path, oncall string) (*flows.Protocol, error) {
	p := flows.Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, &configError{"PROTOCOL_FILE", "cannot be read: " + err.Error()}
		}
		if p, err = flows.Parse(path, data); err != nil {
			return nil, fmt.Errorf("the protocol file is invalid, the bot will not start:\n%w", err)
		}
	}
	if oncall != "" {
		p.SetOnCall(oncall)
	}
	return p, nil
}
