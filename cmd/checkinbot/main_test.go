package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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

// TestMain lets the test binary stand in for the checkinbot binary: with
// CHECKINBOT_RUN_MAIN set it runs main, so tests can start, kill and restart
// the real program as a separate process.
func TestMain(m *testing.M) {
	if os.Getenv("CHECKINBOT_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// The clinician (500 in processEnv's CLINICIAN_IDS) and the patient of the
// process tests.
var (
	clinician = telegramtest.User{ID: 500, FirstName: "Dana"}
	patient   = telegramtest.User{ID: 1001, FirstName: "Pat"}
)

// process is the checkinbot program running as a child process.
type process struct {
	cmd    *exec.Cmd
	stderr *redistest.LogBuffer
	done   chan error
}

func startProcess(t *testing.T, env map[string]string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CHECKINBOT_RUN_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, stderr: &redistest.LogBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// processEnv is the configuration of a program run against the emulator and
// a private redis-server, with clinician 500.
func processEnv(t *testing.T, tg *telegramtest.Server) map[string]string {
	return map[string]string{
		"TELEGRAM_BOT_TOKEN":    tg.Token(),
		"TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"REDIS_URL":             redistest.Start(t),
		"CLINICIAN_IDS":         "500",
		"CLINIC_ONCALL":         "+1 555 010 0199",
	}
}

// emulatedEnv starts an emulator (closed when the test ends) and returns it
// with the processEnv of a program run against it.
func emulatedEnv(t *testing.T) (*telegramtest.Server, map[string]string) {
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	return tg, processEnv(t, tg)
}

// wait waits for the process to exit and returns its error.
func (p *process) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("process did not exit; stderr:\n%s", p.stderr)
		return nil
	}
}

// driver acts on the emulator as the process tests' clinician and
// patients, within ctx.
type driver struct {
	t   *testing.T
	ctx context.Context
	tg  *telegramtest.Server
}

// newDriver drives tg within the process tests' deadline of a minute.
func newDriver(t *testing.T, tg *telegramtest.Server) driver {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return driver{t, ctx, tg}
}

// expect waits for a message in chat whose text contains every part.
func (d driver) expect(chatID int64, parts ...string) telegramtest.Message {
	d.t.Helper()
	return waitText(d.t, d.ctx, d.tg, chatID, parts...)
}

// press waits for the message in u's chat that asks question with a
// button labelled label, presses it, and returns the press's update id.
func (d driver) press(u telegramtest.User, question, label string) int {
	d.t.Helper()
	var data string
	m, err := d.tg.WaitMessage(d.ctx, u.ID, func(m telegramtest.Message) bool {
		data = ""
		for _, row := range m.Buttons {
			for _, b := range row {
				if b.Text == label {
					data = b.Data
				}
			}
		}
		return data != "" && strings.Contains(m.Text, question)
	})
	if err != nil {
		d.t.Fatalf("no %q button on a message asking %q: %v", label, question, err)
	}
	id, err := d.tg.PressButton(u, u.ID, m.ID, data)
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

// enrolCleared has clinician enrol u as label through an invite link, u
// answer the intake screen "No", and clinician clear u to dose.
func (d driver) enrolCleared(clinician, u telegramtest.User, label string) {
	d.t.Helper()
	d.tg.SendText(clinician, "/enroll "+label)
	invite := d.expect(clinician.ID, "Invite for "+label, "?start=")
	_, code, _ := strings.Cut(invite.Text, "?start=")
	d.tg.SendText(u, "/start "+strings.Fields(code)[0])
	d.expect(u.ID, "Welcome")
	for _, it := range flows.Default().Flow("intake").Items {
		d.press(u, it.Text, "No")
	}
	d.tg.SendText(clinician, "/clear "+label+" intake reviewed")
	d.expect(u.ID, "cleared you")
}

// TestKillAndRestartMidFlow kills the real program with SIGKILL in the
// middle of a check-in; the restarted program continues where the patient
// was, and a graceful SIGTERM ends it cleanly. Its log carries neither the
// token nor anything the patient typed.
func TestKillAndRestartMidFlow(t *testing.T) {
	tg, env := emulatedEnv(t)
	env["DATA_KEYS"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	d := newDriver(t, tg)
	first := startProcess(t, env, "run")
	d.enrolCleared(clinician, patient, "P-0042")
	tg.SendText(patient, "/checkin")
	d.press(patient, "sober adult", "Yes")
	d.expect(patient.ID, "stay off the road")

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.wait(t)

	second := startProcess(t, env, "run")
	d.press(patient, "stay off the road", "Yes")
	d.expect(patient.ID, "measure your blood pressure")
	tg.SendText(patient, "128/82 72")
	d.expect(patient.ID, "past 24 hours")

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.wait(t); err != nil {
		t.Fatalf("graceful shutdown exited with %v; stderr:\n%s", err, second.stderr)
	}
	logs := first.stderr.String() + second.stderr.String()
	for _, secret := range []string{tg.Token(), "128/82", "P-0042", "Pat"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "checkinbot running") || !strings.Contains(logs, "answers encrypted at rest") ||
		strings.Contains(logs, "DATA_KEYS is not set") {
		t.Errorf("no start-up lines for encryption in the log:\n%s", logs)
	}
	// With DATA_KEYS, what the patient typed is not in Redis in the clear.
	st, err := store.Open(d.ctx, env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealed := 0
	for _, k := range redistest.Keys(t, env["REDIS_URL"]) {
		var vals []string
		switch {
		case strings.HasSuffix(k, ":session"):
			vals = []string{st.Client().HGet(d.ctx, k, "s").Val()}
		case strings.HasSuffix(k, ":answers"), strings.HasSuffix(k, ":checkins"):
			vals = st.Client().LRange(d.ctx, k, 0, -1).Val()
		}
		for _, v := range vals {
			if strings.Contains(v, "128/82") {
				t.Errorf("%s holds the patient's answer in the clear", k)
			}
			if strings.Contains(v, "\x00ck\x01") {
				sealed++
			}
		}
	}
	if sealed == 0 {
		t.Error("no sealed session or answer in Redis")
	}
}

// TestWebhookProcess runs the program in webhook mode: Telegram (the
// emulator) posts updates to it; /healthz and /metrics answer on the same
// listener.
func TestWebhookProcess(t *testing.T) {
	addr := freeAddr(t)
	tg, env := emulatedEnv(t)
	env["LISTEN_ADDR"] = addr
	env["WEBHOOK_URL"] = "http://" + addr + "/telegram"
	env["WEBHOOK_SECRET"] = "0123456789abcdef0123456789abcdef"
	p := startProcess(t, env, "run")
	get := func(path string) (int, string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v; stderr:\n%s", path, err, p.stderr)
			}
			time.Sleep(20 * time.Millisecond) // the process is still starting
		}
	}
	if code, body := get("/healthz"); code != http.StatusOK || !strings.Contains(body, "ok") {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	tg.SendText(clinician, "/enroll P-0042")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := tg.WaitMessage(ctx, clinician.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "?start=")
	}); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.stderr)
	}
	// The update is counted after its reply is sent: poll for it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, body := get("/metrics")
		ok := code == http.StatusOK && strings.Contains(body, "checkinbot_redis_round_trips_total") &&
			strings.Contains(body, "checkinbot_escalations_unacknowledged 0")
		if ok && strings.Contains(body, `checkinbot_updates_total{kind="message",result="ok"} 1`) {
			break
		}
		if !ok || time.Now().After(deadline) {
			t.Fatalf("/metrics: %d\n%s", code, body)
		}
	}
	if !strings.Contains(p.stderr.String(), "DATA_KEYS is not set") {
		t.Errorf("no warning that answers are stored unencrypted:\n%s", p.stderr)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, p.stderr)
	}
}

// TestTwoProcessesRunEachJobOnce runs two checkinbot processes on one Redis
// and one bot token, with a protocol whose timeline runs in seconds: every
// patient gets exactly one ping and one automatic post-session check-in,
// whichever process claimed the job.
func TestTwoProcessesRunEachJobOnce(t *testing.T) {
	const patients = 4
	fast := strings.NewReplacer(
		`version: "default-2"`, `version: "fast-1"`,
		"ping_after_dose: 60m", "ping_after_dose: 2s",
		"post_session: 2h", "post_session: 4s",
	).Replace(string(flows.DefaultYAML()))
	protocolFile := filepath.Join(t.TempDir(), "fast.yaml")
	if err := os.WriteFile(protocolFile, []byte(fast), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, env := emulatedEnv(t)
	env["PROTOCOL_FILE"] = protocolFile
	for _, name := range []string{"alpha", "beta"} {
		env["INSTANCE_NAME"] = name
		startProcess(t, env, "run")
	}
	d := newDriver(t, tg)
	var users []telegramtest.User
	for i := 0; i < patients; i++ {
		u := telegramtest.User{ID: int64(3000 + i), FirstName: "P"}
		users = append(users, u)
		d.enrolCleared(clinician, u, fmt.Sprintf("F-%d", i))
		tg.SendText(u, "/checkin")
		d.press(u, "sober adult", "Yes")
		d.press(u, "stay off the road", "Yes")
		d.expect(u.ID, "measure your blood pressure")
		tg.SendText(u, "120/80 70")
		for _, q := range []string{"past 24 hours", "eaten anything", "changed with your health", "better off dead"} {
			d.press(u, q, "No")
		}
		d.press(u, "safe and comfortable", "Yes")
		d.press(u, "clear to take", "I've taken my dose")
	}
	for _, u := range users {
		d.expect(u.ID, "How are you doing")
		d.expect(u.ID, "winding down")
	}
	// A job sends before it is marked done: once no job is claimed, any
	// duplicate would have arrived.
	st, err := store.Open(d.ctx, env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		_, claimed, err := st.PendingJobs(d.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if claimed == 0 {
			break
		}
		select {
		case <-d.ctx.Done():
			t.Fatalf("%d jobs stay claimed", claimed)
		case <-time.After(10 * time.Millisecond):
		}
	}
	for _, u := range users {
		pings, starts := 0, 0
		for _, m := range tg.Messages(u.ID) {
			if strings.Contains(m.Text, "How are you doing") {
				pings++
			}
			if strings.Contains(m.Text, "winding down") {
				starts++
			}
		}
		if pings != 1 || starts != 1 {
			t.Errorf("patient %d: %d pings and %d post-session starts, want 1 each", u.ID, pings, starts)
		}
	}
}

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
	tg, env := emulatedEnv(t)
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
	tg, env := emulatedEnv(t)
	d := newDriver(t, tg)
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
	st, err := store.Open(d.ctx, env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		snap, err := st.Load(d.ctx, patient.ID, upd)
		if err == nil && snap.Seen {
			break
		}
		if d.ctx.Err() != nil {
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
		n, err := st.OutboxPending(d.ctx)
		if err == nil && n == 0 {
			break
		}
		if d.ctx.Err() != nil {
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
