package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/store/redistest"
)

// validEnv is a complete, valid configuration.
func validEnv() map[string]string {
	return map[string]string{
		"TELEGRAM_BOT_TOKEN": "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ra",
		// Port 1: nothing listens, so a test that gets past validation fails
		// fast and never touches a real Redis.
		"REDIS_URL":     "redis://127.0.0.1:1/0",
		"CLINICIAN_IDS": "1001, 1002",
		"CLINIC_ONCALL": "+1 555 010 0199",
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(func(k string) string { return validEnv()[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clinicians) != 2 || cfg.Clinicians[1] != 1002 || cfg.EscalationChat != 0 || cfg.Workers != 16 {
		t.Fatalf("config = %+v", cfg)
	}
}

// TestClusterURLConfig: REDIS_URL may name a Redis Cluster by some of its
// nodes, and the bot runs on it.
func TestClusterURLConfig(t *testing.T) {
	env := validEnv()
	env["REDIS_URL"] = "redis://u:pw@10.0.0.1:7000?addr=10.0.0.2:7001&addr=10.0.0.3:7002&read_timeout=500ms"
	if _, err := loadConfig(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	env["REDIS_URL"] = redistest.StartCluster(t)
	env["TELEGRAM_API_ENDPOINT"] = "http://127.0.0.1:1/bot%s/%s" // nothing listens: it fails after Redis
	code, _, errOut := runCLI(t, env, "", "run")
	if code == 0 || strings.Contains(errOut, "REDIS_URL") || !strings.Contains(errOut, "<token>") {
		t.Fatalf("exit %d, stderr %q; want Redis accepted and Telegram failing", code, errOut)
	}
}

// TestConfigErrorsNameTheVariable: every missing or malformed value stops
// start-up with one line naming the variable, and never echoes the value.
func TestConfigErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		variable, value string // value "" means unset
	}{
		{"TELEGRAM_BOT_TOKEN", ""},
		{"TELEGRAM_BOT_TOKEN", "not-a-token-SECRETVALUE"},
		{"TELEGRAM_API_ENDPOINT", "http://127.0.0.1:8081/bot/SECRETVALUE"},
		{"TELEGRAM_API_ENDPOINT", "ftp://x/bot%s/%s"},
		{"REDIS_URL", ""},
		{"REDIS_URL", "127.0.0.1:6379"},
		{"REDIS_URL", "http://SECRETVALUE@x"},
		{"REDIS_URL", "redis://u:SECRETVALUE@127.0.0.1:7000?addr=no-port-SECRETVALUE"},
		{"REDIS_URL", "redis://u:SECRETVALUE@127.0.0.1:7000/3?addr=127.0.0.1:7001"}, // a cluster has database 0 only
		{"REDIS_URL", "redis://u:SECRETVALUE@127.0.0.1:7000?addr=127.0.0.1:7001&pool=SECRETVALUE"},
		{"CLINICIAN_IDS", ""},
		{"CLINICIAN_IDS", "1001,dr-SECRETVALUE"},
		{"CLINICIAN_IDS", "-5"},
		{"ESCALATION_CHAT_ID", "team-SECRETVALUE"},
		{"CLINIC_ONCALL", ""},
		{"CLINIC_ONCALL", "call SECRETVALUE"},
		{"ONCALL_IDS", "x-SECRETVALUE"},
		{"WORKERS", "0"},
		{"INVITE_TTL", "forever"},
		{"CLINIC_TIMEZONE", "Mars/SECRETVALUE"},
		{"DIGEST_AT", "someday-SECRETVALUE 08:00"},
		{"DIGEST_AT", "mon 8am-SECRETVALUE"},
		{"INSTANCE_NAME", "two words SECRETVALUE"},
		{"LISTEN_ADDR", "SECRETVALUE"},
		{"WEBHOOK_URL", "http://bot.example/SECRETVALUE"},
		{"WEBHOOK_SECRET", "SECRETVALUE0123456789"}, // without WEBHOOK_URL
		{"PROTOCOL_FILE", "/no/such/SECRETVALUE.yaml"},
		{"DATA_KEYS", "SECRETVALUE"},
		{"DATA_KEYS", base64.StdEncoding.EncodeToString([]byte("SECRETVALUE-16-b"))}, // 16 bytes, not 32
		{"RETENTION", "forever-SECRETVALUE"},
		{"RETENTION", "24h"}, // under the 7-day minimum
	}
	for _, c := range cases {
		env := validEnv()
		if c.value == "" {
			delete(env, c.variable)
		} else {
			env[c.variable] = c.value
		}
		code, out, errOut := runCLI(t, env, "", "run")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(errOut, c.variable) {
			t.Errorf("%s=%q: exit %d, stderr %q; want exit 2 and one line naming %s", c.variable, c.value, code, errOut, c.variable)
		}
		if c.variable != "PROTOCOL_FILE" && strings.Contains(errOut+out, "SECRETVALUE") {
			t.Errorf("%s: the error echoes the value: %q", c.variable, errOut)
		}
	}
}

// TestTokenNeverPrinted: a network error's text contains the request URL,
// token included; the bot must redact it.
func TestTokenNeverPrinted(t *testing.T) {
	env := validEnv()
	env["REDIS_URL"] = redistest.Start(t)
	env["TELEGRAM_API_ENDPOINT"] = "http://127.0.0.1:1/bot%s/%s" // nothing listens
	code, out, errOut := runCLI(t, env, "", "run")
	if code == 0 || !strings.Contains(errOut, "<token>") {
		t.Fatalf("exit %d, stderr %q; want a failure naming the redacted URL", code, errOut)
	}
	if strings.Contains(out+errOut, env["TELEGRAM_BOT_TOKEN"]) || strings.Contains(out+errOut, "AAEhBOweik") {
		t.Fatalf("the token appears in the output: %q", out+errOut)
	}
}

func TestWebhookConfig(t *testing.T) {
	env := validEnv()
	env["WEBHOOK_URL"] = "https://bot.clinic.example/telegram/hook"
	env["WEBHOOK_SECRET"] = "short"
	if _, err := loadConfig(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "WEBHOOK_SECRET") {
		t.Fatalf("weak secret: %v", err)
	}
	env["WEBHOOK_SECRET"] = strings.Repeat("ab12", 8)
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":8080" || cfg.webhookPath() != "/telegram/hook" {
		t.Fatalf("listen %q path %q", cfg.ListenAddr, cfg.webhookPath())
	}
}

func TestDataKeysAndRetentionConfig(t *testing.T) {
	env := validEnv()
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataKeys != nil || cfg.Retention != 365*24*time.Hour {
		t.Fatalf("defaults: keys %v, retention %v", cfg.DataKeys, cfg.Retention)
	}
	newKey := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("n", 32)))
	oldKey := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("o", 32)))
	env["DATA_KEYS"] = newKey + ", " + oldKey
	env["RETENTION"] = "2160h"
	if cfg, err = loadConfig(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.DataKeys == nil || len(cfg.DataKeys.KeyIDs()) != 2 || cfg.Retention != 90*24*time.Hour {
		t.Fatalf("keys %v, retention %v", cfg.DataKeys, cfg.Retention)
	}
	env["DATA_KEYS"] = newKey + "," + newKey
	if _, err := loadConfig(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "DATA_KEYS") ||
		strings.Contains(err.Error(), newKey) {
		t.Fatalf("a key given twice: %v", err)
	}
}

// TestRefusesInvalidProtocol: the bot does not start on an invalid protocol
// file, and says why in one screen.
func TestRefusesInvalidProtocol(t *testing.T) {
	env := validEnv()
	env["PROTOCOL_FILE"] = "../../testdata/protocols/broken.yaml"
	code, _, errOut := runCLI(t, env, "", "run")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code == 0 || !strings.Contains(errOut, "will not start") || len(lines) > 40 {
		t.Fatalf("exit %d, %d lines:\n%s", code, len(lines), errOut)
	}
	for _, want := range []string{"broken.yaml:3:", "broken.yaml:20: item \"sitter\" rule: goto \"nowhere\""} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, errOut)
		}
	}
}
