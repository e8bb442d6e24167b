package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterNodes is how many masters StartCluster runs.
const ClusterNodes = 3

// StartCluster runs a private Redis Cluster (see NewCluster), stops it
// when the test ends, and returns its URL. It fails the test if
// redis-server is missing or the cluster does not form.
func StartCluster(tb testing.TB) string {
	tb.Helper()
	c, err := NewCluster()
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(c.Close)
	return c.URL
}

// Cluster is a private Redis Cluster of ClusterNodes redis-server masters
// (from PATH, no persistence, no replicas) on free 127.0.0.1 ports, the
// 16384 slots split evenly between them.
type Cluster struct {
	// URL is the cluster in the form store.Open reads as a cluster:
	// "redis://127.0.0.1:P1?addr=127.0.0.1:P2&addr=127.0.0.1:P3".
	URL   string
	Addrs []string

	dirs  []string
	stops []func()
}

// NewCluster starts a Cluster and returns once every node reports
// cluster_state:ok and knows every other (a new master waits two seconds
// before it serves, so this takes about that long). Close stops it; a
// test should use StartCluster, which closes it when the test ends.
func NewCluster() (*Cluster, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found in PATH: %w", err)
	}
	c := &Cluster{}
	for i := 0; i < ClusterNodes; i++ {
		var lastErr error
		for attempt := 0; attempt < 3; attempt++ { // another process may take a free port first
			var addr string
			if addr, lastErr = c.startNode(bin); lastErr == nil {
				c.Addrs = append(c.Addrs, addr)
				break
			}
		}
		if lastErr != nil {
			c.Close()
			return nil, fmt.Errorf("cluster node: %w", lastErr)
		}
	}
	if err := formCluster(c.Addrs); err != nil {
		c.Close()
		return nil, err
	}
	c.URL = "redis://" + c.Addrs[0]
	for i, a := range c.Addrs[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		c.URL += sep + "addr=" + a
	}
	return c, nil
}

// Close stops the nodes and deletes their files.
func (c *Cluster) Close() {
	for _, stop := range c.stops {
		stop()
	}
	c.stops = nil
	for _, d := range c.dirs {
		_ = os.RemoveAll(d)
	}
	c.dirs = nil
}

// Flush deletes every key of every node (FLUSHALL), so that one cluster
// serves tests one after another.
func (c *Cluster) Flush(ctx context.Context) error {
	for _, a := range c.Addrs {
		rdb := redis.NewClient(&redis.Options{Addr: a})
		err := rdb.FlushAll(ctx).Err()
		_ = rdb.Close()
		if err != nil {
			return fmt.Errorf("flush %s: %w", a, err)
		}
	}
	return nil
}

// startNode starts one cluster-enabled redis-server and returns its
// address. Its cluster bus is on the port 10000 above its own (what every
// redis-server version does; 7.0's --cluster-port is not needed).
func (c *Cluster) startNode(bin string) (string, error) {
	port, err := freePortPair(10000)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "redistest-cluster-")
	if err != nil {
		return "", err
	}
	c.dirs = append(c.dirs, dir)
	cmd, exited, err := launch(bin, port, dir, "--appendonly", "no", "--cluster-enabled", "yes",
		"--cluster-config-file", dir+"/nodes.conf", "--cluster-node-timeout", "5000")
	if err != nil {
		return "", err
	}
	c.stops = append(c.stops, func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	return "127.0.0.1:" + strconv.Itoa(port), nil
}

// freePortPair returns a free port p whose p+offset is free too.
func freePortPair(offset int) (int, error) {
	for range 50 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+offset > 65535 {
			continue
		}
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+offset)); err == nil {
			_ = l.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port p with p+%d free", offset)
}

// formCluster assigns the slots, introduces the nodes to each other and
// waits until every node sees the cluster whole and serving.
func formCluster(addrs []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clients := make([]*redis.Client, len(addrs))
	for i, a := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a})
		defer clients[i].Close()
	}
	const slots = 16384
	for i, c := range clients {
		from, to := i*slots/len(clients), (i+1)*slots/len(clients)-1
		// ADDSLOTS with every slot named: ADDSLOTSRANGE needs Redis 7.
		args := []any{"CLUSTER", "ADDSLOTS"}
		for slot := from; slot <= to; slot++ {
			args = append(args, slot)
		}
		if err := c.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("cluster addslots on %s: %w", addrs[i], err)
		}
	}
	for _, a := range addrs[1:] {
		host, port, _ := strings.Cut(a, ":")
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port).Err(); err != nil {
			return fmt.Errorf("cluster meet %s: %w", a, err)
		}
	}
	for i, c := range clients {
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(addrs))+"\r\n") &&
				strings.Contains(info, "cluster_slots_ok:16384") {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("cluster on %s not ok: %s", addrs[i], info)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	// Every node must also know where every slot is (CLUSTER SLOTS on each
	// names every master's range; CLUSTER SHARDS would need Redis 7), or a
	// client that asks it first is misled.
	for i, c := range clients {
		for {
			ranges, err := c.Do(ctx, "CLUSTER", "SLOTS").Slice()
			if err == nil && len(ranges) == len(addrs) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("cluster slots on %s: %d ranges, error %v", addrs[i], len(ranges), err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// ClusterClient is a go-redis cluster client of the cluster at url (from
// StartCluster), closed when the test ends.
func ClusterClient(tb testing.TB, url string) *redis.ClusterClient {
	tb.Helper()
	opts, err := redis.ParseClusterURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClusterClient(opts)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// FailScripts makes every script call (EVAL, EVALSHA) of c whose first
// key is firstKey fail before it reaches Redis, as if the process had died
// just before it: a crash test's "killed between two calls". Pipelined
// calls fail too.
func FailScripts(c redis.UniversalClient, firstKey string) {
	c.AddHook(failScripts{firstKey})
}

type failScripts struct{ key string }

func (f failScripts) matches(cmd redis.Cmder) bool {
	args := cmd.Args()
	name, _ := args[0].(string)
	name = strings.ToLower(name)
	return (name == "eval" || name == "evalsha") && len(args) > 3 && fmt.Sprint(args[3]) == f.key
}

func (f failScripts) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f failScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.matches(cmd) {
			err := fmt.Errorf("redistest: %s on %s failed on purpose", cmd.Name(), f.key)
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (f failScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if f.matches(cmd) {
				err := fmt.Errorf("redistest: %s on %s failed on purpose", cmd.Name(), f.key)
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmds)
	}
}
