package redistest

import (
	"bufio"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Pause stops the redis-server at url (one of Start's) with SIGSTOP: it
// keeps its connections open and answers nothing, like a hung server. It
// returns the resume (SIGCONT), which also runs when the test ends.
func Pause(tb testing.TB, redisURL string) (resume func()) {
	tb.Helper()
	pid, err := serverPID(redisURL)
	if err != nil {
		tb.Fatalf("redistest: Pause: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		tb.Fatalf("redistest: Pause: %v", err)
	}
	resume = func() { _ = syscall.Kill(pid, syscall.SIGCONT) }
	tb.Cleanup(resume)
	return resume
}

// serverPID asks the server at redisURL for its process id (INFO server).
func serverPID(redisURL string) (int, error) {
	u, err := url.Parse(redisURL)
	if err != nil {
		return 0, err
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return 0, err
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
}
