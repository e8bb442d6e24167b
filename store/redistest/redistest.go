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
	"sync"
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
	cmd, exited, err := launch(bin, port, tb.TempDir(), "--appendonly", "no")
	if err != nil {
		return "", err
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	return "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", nil
}

// launch starts redis-server on port with its data in dir and the given
// persistence options, and waits until it answers PING.
func launch(bin string, port int, dir string, persistence ...string) (*exec.Cmd, chan struct{}, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logs := &LogBuffer{}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir,
		"--daemonize", "no", "--loglevel", "warning"}, persistence...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(StartTimeout)
	for !ping(addr) {
		select {
		case <-exited:
			return nil, nil, fmt.Errorf("redis-server on %s exited at start: %s", addr, strings.TrimSpace(logs.String()))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return nil, nil, fmt.Errorf("redis-server on %s did not answer PING within %v: %s", addr, StartTimeout, strings.TrimSpace(logs.String()))
		}
	}
	return cmd, exited, nil
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

// Server is a private redis-server that keeps its data in an append-only
// file written with appendfsync always, so that it can be killed and
// restarted on the same port with every acknowledged write intact: the
// fault suite's "Redis restart on AOF".
type Server struct {
	bin  string
	dir  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartPersistent runs a persistent redis-server (see Server) in a fresh
// temporary directory; it is stopped when the test ends.
func StartPersistent(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found in PATH: %v", err)
	}
	s := &Server{bin: bin, dir: tb.TempDir()}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.port, lastErr = freePort(); lastErr != nil {
			continue
		}
		if lastErr = s.run(); lastErr == nil {
			tb.Cleanup(s.Kill)
			return s
		}
	}
	tb.Fatalf("redistest: %v", lastErr)
	return nil
}

// URL is the server's "redis://127.0.0.1:PORT/0", the same across restarts.
func (s *Server) URL() string { return "redis://" + s.addr() + "/0" }

func (s *Server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart kills the server and starts it again on the same port and data,
// waiting until it answers PING (it loads the append-only file first).
func (s *Server) Restart() error {
	s.Kill()
	return s.run()
}

func (s *Server) run() error {
	cmd, exited, err := launch(s.bin, s.port, s.dir, "--appendonly", "yes", "--appendfsync", "always")
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}
