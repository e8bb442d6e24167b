package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

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
	for _, w := range proto.Warnings() { // e.g. the crisis lexicon turned off
		log.Warn("protocol: " + w.Message)
	}
	store.SetLogger(log)
	st, err := store.Open(ctx, cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("redis (REDIS_URL): %w", err)
	}
	defer st.Close()
	st.Cipher, st.Retention, st.Logger = cfg.DataKeys, cfg.Retention, log
	// Refuse to run blind: on data sealed with a key we lack, every update
	// of those chats would fail, a crisis included.
	if err := st.CheckDataKeys(ctx); errors.Is(err, store.ErrUnknownDataKey) {
		ids := strings.TrimPrefix(err.Error(), store.ErrUnknownDataKey.Error()+" ")
		if cfg.DataKeys == nil {
			return &configError{"DATA_KEYS", "is not set, but data in Redis is encrypted " + ids + ": set DATA_KEYS to the keys it was encrypted with"}
		}
		return &configError{"DATA_KEYS", "lacks the key that encrypted data in Redis " + ids + ": add it back after the first key"}
	} else if err != nil {
		return fmt.Errorf("redis (REDIS_URL): %w", err)
	}
	if cfg.DataKeys == nil {
		// Not required, so that an existing deployment and a trial keep
		// starting; the clinic's privacy rules ask for it in production.
		log.Warn("DATA_KEYS is not set: patients' answers are stored in Redis unencrypted; set DATA_KEYS (e.g. openssl rand -base64 32) in production")
	} else {
		log.Info("answers encrypted at rest", "data_key", cfg.DataKeys.KeyIDs()[0], "decrypt_keys", len(cfg.DataKeys.KeyIDs()))
	}
	api, err := bot.Connect(ctx, cfg.Token, cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("telegram (TELEGRAM_BOT_TOKEN, TELEGRAM_API_ENDPOINT): %w", err)
	}
	reg := prometheus.NewRegistry()
	b, err := bot.New(api, st, bot.Config{
		Protocol:       proto,
		Clinicians:     cfg.Clinicians,
		EscalationChat: cfg.EscalationChat,
		OncallIDs:      cfg.OncallIDs,
		Workers:        cfg.Workers,
		InviteTTL:      cfg.InviteTTL,
		Consumer:       cfg.InstanceName,
		TimeZone:       cfg.TimeZone,
		DigestAt:       cfg.DigestAt,
		WebhookURL:     cfg.WebhookURL,
		WebhookSecret:  cfg.WebhookSecret,
		Metrics:        reg,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	var srv *http.Server
	if cfg.ListenAddr != "" {
		if srv, err = serveHTTP(cfg, b, st, reg, log); err != nil {
			return err
		}
	}
	mode := "long polling"
	if cfg.WebhookURL != "" {
		mode = "webhook"
	}
	log.Info("checkinbot running", "bot", b.Username(), "protocol", proto.Version,
		"clinicians", len(cfg.Clinicians), "mode", mode, "instance", cfg.InstanceName,
		"retention", cfg.Retention.String())
	err = b.Run(ctx)
	if srv != nil {
		// Finish the webhook requests in hand: Telegram redelivers the rest.
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	log.Info("checkinbot stopped")
	return err
}

// healthTimeout bounds /healthz's Redis check, so it answers within 1 s.
const healthTimeout = 800 * time.Millisecond

// serveHTTP starts the HTTP listener: /healthz (Redis answers), /metrics
// (Prometheus) and, in webhook mode, the webhook at WEBHOOK_URL's path.
func serveHTTP(cfg Config, b *bot.Bot, st *store.Store, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		// Within a second, whatever Redis does: a probe must not hang.
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.WebhookURL != "" {
		mux.Handle(cfg.webhookPath(), b.WebhookHandler(cfg.WebhookSecret))
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, &configError{"LISTEN_ADDR", "cannot be listened on: " + err.Error()}
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "error", err.Error())
		}
	}()
	log.Info("http listening", "addr", ln.Addr().String())
	return srv, nil
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
