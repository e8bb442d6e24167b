// Package redistest starts private Redis servers for tests: a real
// redis-server on a free port, or an in-process miniredis. Neither touches
// the shared Redis on 6379.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// StartTimeout bounds how long Start waits for redis-server to answer PING.
const StartTimeout = 10 * time.Second

// Start runs a private redis-server (from PATH) with no persistence on a
// free 127.0.0.1 port, stops it when the test ends, and returns its URL
// "redis://127.0.0.1:PORT/0". It fails the test if redis-server is missing.
func Start(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found in PATH (install it, e.g. apt-get install redis-server): %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // another process may take the free port first
		url, err := start(tb, bin)
		if err == nil {
			return url
		}
		lastErr = err
	}
	tb.Fatalf("redistest: %v", lastErr)
	return ""
}

func start(tb testing.TB, bin string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logs := &LogBuffer{}
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", tb.TempDir(),
		"--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(StartTimeout)
	for {
		if ping(addr) {
			tb.Cleanup(stop)
			return "redis://" + addr + "/0", nil
		}
		select {
		case <-exited:
			return "", fmt.Errorf("redis-server on %s exited at start: %s", addr, strings.TrimSpace(logs.String()))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("redis-server on %s did not answer PING within %v: %s", addr, StartTimeout, strings.TrimSpace(logs.String()))
		}
	}
}

// StartMini runs an in-process miniredis, closed when the test ends, and
// returns its URL and the server (for FastForward and the like).
func StartMini(tb testing.TB) (string, *miniredis.Miniredis) {
	tb.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		tb.Fatalf("redistest: start miniredis: %v", err)
	}
	tb.Cleanup(m.Close)
	return "redis://" + m.Addr() + "/0", m
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ping reports whether a Redis server at addr answers PING with PONG.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
