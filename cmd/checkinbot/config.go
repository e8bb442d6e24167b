package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/checkinbot/checkinbot/bot"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// Config is the bot's configuration, read from the environment.
type Config struct {
	Token          string
	Endpoint       string
	RedisURL       string
	Clinicians     []int64
	OncallIDs      []int64
	EscalationChat int64
	Oncall         string
	ProtocolFile   string
	InstanceName   string
	TimeZone       *time.Location
	// DigestAt is when the weekly digest goes out (DIGEST_AT).
	DigestAt string
	// ListenAddr serves /healthz, /metrics and, in webhook mode, the webhook.
	ListenAddr    string
	WebhookURL    string
	WebhookSecret string
	Workers       int
	InviteTTL     time.Duration
	// DataKeys encrypts patients' answers at rest; nil when DATA_KEYS is
	// not set (plaintext, with a warning at start-up).
	DataKeys *store.Cipher
	// Retention is how long answers, check-ins and audit entries are kept.
	Retention time.Duration
}

// minRetention is the shortest RETENTION accepted: shorter would delete a
// check-in before the clinic has looked at the week it belongs to.
const minRetention = 7 * 24 * time.Hour

// configError names the variable at fault and never echoes its value, which
// may be a secret.
type configError struct {
	variable string
	problem  string
}

func (e *configError) Error() string {
	return fmt.Sprintf("configuration: %s %s", e.variable, e.problem)
}

// tokenPattern is the shape of a BotFather token: "<bot id>:<secret>".
var tokenPattern = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)

// instancePattern is what an instance name may look like.
var instancePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// phonePattern accepts a phone number as people write it.
var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{2,24}$`)

// loadConfig reads the configuration of the run command. getenv is
// os.Getenv in production and a map in tests.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Token:        strings.TrimSpace(getenv("TELEGRAM_BOT_TOKEN")),
		Endpoint:     strings.TrimSpace(getenv("TELEGRAM_API_ENDPOINT")),
		RedisURL:     strings.TrimSpace(getenv("REDIS_URL")),
		Oncall:       strings.TrimSpace(getenv("CLINIC_ONCALL")),
		ProtocolFile: strings.TrimSpace(getenv("PROTOCOL_FILE")),
		InstanceName: strings.TrimSpace(getenv("INSTANCE_NAME")),
		ListenAddr:   strings.TrimSpace(getenv("LISTEN_ADDR")),
		WebhookURL:   strings.TrimSpace(getenv("WEBHOOK_URL")),
		// The secret is compared, never trimmed into something else.
		WebhookSecret: getenv("WEBHOOK_SECRET"),
		Workers:       16,
		InviteTTL:     7 * 24 * time.Hour,
		Retention:     store.DefaultRetention,
	}
	switch {
	case c.Token == "":
		return c, &configError{"TELEGRAM_BOT_TOKEN", "is not set: create a bot with @BotFather and export its token"}
	case !tokenPattern.MatchString(c.Token):
		return c, &configError{"TELEGRAM_BOT_TOKEN", "is malformed: expected <digits>:<secret> as BotFather gives it"}
	}
	if c.Endpoint != "" {
		if err := checkEndpoint(c.Endpoint); err != nil {
			return c, &configError{"TELEGRAM_API_ENDPOINT", err.Error()}
		}
	}
	if c.RedisURL == "" {
		return c, &configError{"REDIS_URL", "is not set: e.g. redis://127.0.0.1:6379/0"}
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" || store.CheckURL(c.RedisURL) != nil {
		return c, &configError{"REDIS_URL", "is malformed: expected redis://[user:password@]host:port/db or rediss://…, " +
			"or for a Redis Cluster some of its nodes: redis://[user:password@]host1:port1?addr=host2:port2&addr=host3:port3"}
	}
	ids, err := parseIDs(getenv("CLINICIAN_IDS"))
	if err != nil {
		return c, &configError{"CLINICIAN_IDS", err.Error()}
	}
	if len(ids) == 0 {
		return c, &configError{"CLINICIAN_IDS", "is not set: comma-separated Telegram user ids of the clinicians"}
	}
	c.Clinicians = ids
	if c.OncallIDs, err = parseIDs(getenv("ONCALL_IDS")); err != nil {
		return c, &configError{"ONCALL_IDS", err.Error()}
	}
	if v := strings.TrimSpace(getenv("ESCALATION_CHAT_ID")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 {
			return c, &configError{"ESCALATION_CHAT_ID", "is malformed: expected a Telegram chat id such as -1001234567890"}
		}
		c.EscalationChat = id
	}
	switch {
	case c.Oncall == "":
		return c, &configError{"CLINIC_ONCALL", "is not set: the clinic's on-call phone number, shown to patients in crisis messages"}
	case !phonePattern.MatchString(c.Oncall):
		return c, &configError{"CLINIC_ONCALL", "is malformed: expected a phone number such as +1 555 010 0199"}
	}
	c.TimeZone = time.UTC
	if v := strings.TrimSpace(getenv("CLINIC_TIMEZONE")); v != "" {
		loc, err := flows.LoadTimeZone(v)
		if err != nil {
			return c, &configError{"CLINIC_TIMEZONE", "is not a time zone: expected an IANA name such as America/Chicago or Europe/London"}
		}
		c.TimeZone = loc
	}
	c.DigestAt = strings.TrimSpace(getenv("DIGEST_AT"))
	if err := bot.ParseDigestAt(c.DigestAt); err != nil {
		return c, &configError{"DIGEST_AT", `is malformed: expected a day and a 24-hour time in the clinic's time zone, such as "mon 08:00", or "off"`}
	}
	if err := c.checkWebhook(); err != nil {
		return c, err
	}
	if c.InstanceName == "" {
		c.InstanceName, _ = os.Hostname()
	}
	if !instancePattern.MatchString(c.InstanceName) {
		return c, &configError{"INSTANCE_NAME", "is malformed: 1–64 letters, digits, '.', '_' or '-' (defaults to the host name)"}
	}
	if v := strings.TrimSpace(getenv("WORKERS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return c, &configError{"WORKERS", "is malformed: expected a number from 1 to 1024"}
		}
		c.Workers = n
	}
	if v := strings.TrimSpace(getenv("INVITE_TTL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 90*24*time.Hour {
			return c, &configError{"INVITE_TTL", "is malformed: expected a duration from 1m to 2160h, e.g. 168h"}
		}
		c.InviteTTL = d
	}
	if v := strings.TrimSpace(getenv("DATA_KEYS")); v != "" {
		keys, err := store.ParseDataKeys(v)
		if err != nil {
			return c, &configError{"DATA_KEYS", "is malformed: " + err.Error()}
		}
		c.DataKeys = keys
	}
	if v := strings.TrimSpace(getenv("RETENTION")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < minRetention {
			return c, &configError{"RETENTION", "is malformed: expected a duration of at least 168h (7 days), e.g. 8760h for a year"}
		}
		c.Retention = d
	}
	return c, nil
}

// checkEndpoint accepts tgbotapi's endpoint format: a URL with two %s, the
// first for the token and the second for the method.
func checkEndpoint(e string) error {
	if strings.Count(e, "%s") != 2 || strings.Count(e, "%") != 2 {
		return fmt.Errorf("is malformed: expected a URL with two %%s, e.g. http://127.0.0.1:8081/bot%%s/%%s")
	}
	u, err := url.Parse(strings.ReplaceAll(e, "%s", "x"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("is malformed: expected an http(s) URL, e.g. http://127.0.0.1:8081/bot%%s/%%s")
	}
	return nil
}

// parseIDs parses a comma-separated list of Telegram user ids.
func parseIDs(v string) ([]int64, error) {
	var ids []int64
	for i, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("is malformed: entry %d is not a Telegram user id (expected positive numbers separated by commas)", i+1)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// secretPattern is what Telegram accepts as a webhook secret token.
var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)

// checkWebhook validates the webhook settings: an https URL, a strong
// secret, and an address to listen on (default :8080).
func (c *Config) checkWebhook() error {
	if c.ListenAddr != "" {
		if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
			return &configError{"LISTEN_ADDR", "is malformed: expected host:port or :port, e.g. :8080"}
		}
	}
	if c.WebhookURL == "" {
		if c.WebhookSecret != "" {
			return &configError{"WEBHOOK_SECRET", "is set but WEBHOOK_URL is not: set both for webhook mode, or neither for long polling"}
		}
		return nil
	}
	u, err := url.Parse(c.WebhookURL)
	// Telegram posts only to https; plain http is allowed on the loopback
	// interface, for a self-hosted Bot API server on the same machine.
	loopback := u != nil && u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1")
	if err != nil || (u.Scheme != "https" && !loopback) || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return &configError{"WEBHOOK_URL", "is malformed: expected the public https URL Telegram posts updates to, e.g. https://bot.clinic.example/telegram"}
	}
	if !secretPattern.MatchString(c.WebhookSecret) {
		return &configError{"WEBHOOK_SECRET", "must be 16–256 letters, digits, '_' or '-' in webhook mode (e.g. from: openssl rand -hex 32)"}
	}
	if c.ListenAddr == "" {
		c.ListenAddr = ":8080"
	}
	return nil
}

// webhookPath is the path the webhook handler is served on: the path of
// WEBHOOK_URL, as a reverse proxy in front passes it through.
func (c *Config) webhookPath() string {
	u, err := url.Parse(c.WebhookURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}
