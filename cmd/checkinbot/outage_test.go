package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
)

func dataKey(seed byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{seed}, 32))
}

// TestRefusesToRunBlind: on data sealed with a key missing from DATA_KEYS
// (or with DATA_KEYS unset), run stops at once with one line naming
// DATA_KEYS, and never reaches Telegram.
func TestRefusesToRunBlind(t *testing.T) {
	url := redistest.Start(t)
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Cipher, err = store.ParseDataKeys(dataKey(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(context.Background(), store.Commit{ChatID: 1001, Session: flows.Session{Flow: "precheck", State: "sitter"}}); err != nil {
		t.Fatal(err)
	}
	for _, keys := range []string{"", dataKey(2)} {
		env := map[string]string{
			"TELEGRAM_BOT_TOKEN":    "123:" + strings.Repeat("A", 30),
			"TELEGRAM_API_ENDPOINT": "http://127.0.0.1:1/bot%s/%s", // never reached
			"REDIS_URL":             url,
			"CLINICIAN_IDS":         "500",
			"CLINIC_ONCALL":         "+1 555 010 0199",
			"DATA_KEYS":             keys,
		}
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"run"}, nil, io.Discard, &stderr, func(k string) string { return env[k] })
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		last := lines[len(lines)-1]
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(last, "checkinbot: configuration: DATA_KEYS") {
			t.Errorf("DATA_KEYS=%q: exit %d, stderr:\n%s", keys, code, stderr.String())
		}
		if strings.Contains(stderr.String(), dataKey(2)) {
			t.Errorf("the key's value is printed:\n%s", stderr.String())
		}
		t.Logf("DATA_KEYS set: %v: %s", keys != "", last)
	}
}

// TestRedisHangsHealthAndLogs runs the program in-process with Redis
// paused (SIGSTOP): /healthz answers 503 within a second; a patient's "I
// want to die" gets the crisis resources meanwhile and reaches the
// clinicians once Redis is back. Every log line is JSON with one level key
// (the escalation's level is esc_level) and no raw chat id.
func TestRedisHangsHealthAndLogs(t *testing.T) {
	addr := freeAddr(t)
	tg := telegramtest.NewServer()
	defer tg.Close()
	env := processEnv(t, tg)
	env["LISTEN_ADDR"] = addr
	env["DATA_KEYS"] = dataKey(7)
	logs := &redistest.LogBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"run"}, nil, io.Discard, logs, func(k string) string { return env[k] })
	}()
	defer func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("run did not stop")
		}
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := tg.WaitPolling(wctx); err != nil {
		t.Fatal(err)
	}
	clinician := telegramtest.User{ID: 500, FirstName: "Dana"}
	patient := telegramtest.User{ID: 1001, FirstName: "Pat"}
	expect := func(chatID int64, parts ...string) {
		t.Helper()
		waitText(t, wctx, tg, chatID, parts...)
	}
	tg.SendText(clinician, "/enroll P-0042")
	var code string
	m, err := tg.WaitMessage(wctx, clinician.ID, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "?start=") })
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(m.Text, "?start=")
	code = strings.Fields(after)[0]
	tg.SendText(patient, "/start "+code)
	expect(patient.ID, "Welcome")

	health := func() (int, time.Duration) {
		t.Helper()
		c := http.Client{Timeout: 2 * time.Second}
		start := time.Now()
		resp, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("/healthz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	if code, took := health(); code != http.StatusOK {
		t.Fatalf("/healthz before the pause: %d after %v", code, took)
	}

	resume := redistest.Pause(t, env["REDIS_URL"])
	tg.SendText(patient, "I want to die")
	expect(patient.ID, "worries me", "988")
	code2, took := health()
	t.Logf("/healthz with Redis paused: %d after %v", code2, took.Round(time.Millisecond))
	if code2 != http.StatusServiceUnavailable || took >= time.Second {
		t.Errorf("/healthz with Redis paused: %d after %v, want 503 within 1s", code2, took)
	}
	expect(patient.ID, "technical problem")
	resume()
	expect(clinician.ID, "URGENT escalation", "P-0042")
	if code, took := health(); code != http.StatusOK {
		t.Errorf("/healthz after the pause: %d after %v", code, took)
	}
	// The delivery is logged after Telegram took the copy: poll for it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), `"esc_level":"URGENT"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no escalation delivery logged with esc_level:\n%s", logs)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		levels, err := countKey(line, "level")
		if err != nil || levels != 1 {
			t.Errorf("log line with %d level keys (or not JSON: %v): %s", levels, err, line)
		}
		for _, id := range []int64{patient.ID, clinician.ID} {
			n := strconv.FormatInt(id, 10)
			for _, v := range []string{":" + n + ",", ":" + n + "}", `"` + n + `"`, " " + n + " ", " " + n + `"`} {
				if strings.Contains(line, v) {
					t.Errorf("log line carries raw id %d: %s", id, line)
				}
			}
		}
		if strings.Contains(line, "want to die") {
			t.Errorf("log line carries what the patient typed: %s", line)
		}
	}
}

// waitText waits for a message in chat whose text contains every part.
func waitText(t *testing.T, ctx context.Context, tg *telegramtest.Server, chatID int64, parts ...string) telegramtest.Message {
	t.Helper()
	m, err := tg.WaitMessage(ctx, chatID, func(m telegramtest.Message) bool {
		for _, p := range parts {
			if !strings.Contains(m.Text, p) {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// freeAddr is a free 127.0.0.1 address for the program's listener.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// countKey counts the top-level occurrences of key in a JSON object (a map
// would hide duplicates).
func countKey(line, key string) (int, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if _, err := dec.Token(); err != nil { // {
		return 0, err
	}
	n := 0
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return n, err
		}
		if k == key {
			n++
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return n, err
		}
	}
	return n, nil
}

// TestKillBetweenCommitAndSend: the program commits a patient's self-harm
// "yes" while Telegram takes no message, and is killed (SIGKILL) before it
// sent any reply. The restarted program sends the committed replies (988
// and the hold), and the clinicians get the URGENT escalation once.
func TestKillBetweenCommitAndSend(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	clinician := telegramtest.User{ID: 500, FirstName: "Dana"}
	patient := telegramtest.User{ID: 1001, FirstName: "Pat"}
	env := processEnv(t, tg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := driver{t, ctx, tg}
	first := startProcess(t, env, "run")
	d.enrolCleared(clinician, patient, "P-0042")
	tg.SendText(patient, "/checkin")
	d.press(patient, "sober adult", "Yes")
	d.press(patient, "stay off the road", "Yes")
	d.expect(patient.ID, "measure your blood pressure")
	tg.SendText(patient, "128/82 72")
	d.press(patient, "past 24 hours", "No")
	d.press(patient, "eaten anything", "No")
	d.press(patient, "changed with your health", "No")
	d.expect(patient.ID, "better off dead")

	tg.FailNext("sendMessage", 1_000_000, telegramtest.Failure{Code: 502})
	upd := d.press(patient, "better off dead", "Yes")
	st, err := store.Open(ctx, env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		snap, err := st.Load(ctx, patient.ID, upd)
		if err == nil && snap.Seen {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the answer was never committed; stderr:\n%s", first.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.wait(t)
	tg.ClearFailures()
	for _, m := range tg.Messages(patient.ID) {
		if strings.Contains(m.Text, "pause today's dose") {
			t.Fatal("a reply got through before the kill: the crash was not between commit and send")
		}
	}

	second := startProcess(t, env, "run")
	d.expect(patient.ID, "988", "care team")
	d.expect(patient.ID, "pause today's dose")
	d.expect(clinician.ID, "URGENT escalation", "P-0042")
	for {
		n, err := st.OutboxPending(ctx)
		if err == nil && n == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the escalation outbox never drained; stderr:\n%s", second.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	copies := 0
	for _, m := range tg.Messages(clinician.ID) {
		if strings.Contains(m.Text, "URGENT escalation") {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("the clinician got %d URGENT copies, want 1", copies)
	}
}
