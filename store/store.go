// Package store keeps checkinbot's state in Redis: sessions, enrolment,
// answers and check-in history, the escalation outbox, the audit stream, the
// schedule of timed jobs and leases. It is the only package that imports
// go-redis. Every per-update operation is one round trip: Load is one
// pipeline, Commit one Lua script.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Errors returned by Store methods; match them with errors.Is.
var (
	// ErrConflict means the session changed since it was loaded: reload and step again.
	ErrConflict = errors.New("store: session version conflict")
	// ErrDuplicate means the update was already committed for this chat.
	ErrDuplicate = errors.New("store: update already committed")
	// ErrNotFound means the invite, patient, escalation or record does not exist (or expired).
	ErrNotFound = errors.New("store: not found")
	// ErrInviteUsed means the invite was already redeemed by another chat.
	ErrInviteUsed = errors.New("store: invite already used")
)

// Defaults for the tunables of a Store.
const (
	DefaultClaimTTL      = 2 * time.Minute
	DefaultOutboxMinIdle = 30 * time.Second
	DefaultRetention     = 365 * 24 * time.Hour
)

//go:embed lua/*.lua
var luaFS embed.FS

func mustScript(name string) *redis.Script {
	src, err := luaFS.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(src))
}

// The Lua scripts. Script.Run sends EVALSHA and falls back to EVAL when
// Redis lost its script cache (a restart or failover).
var (
	scriptCommit     = mustScript("commit")
	scriptUnenroll   = mustScript("unenroll")
	scriptRedeem     = mustScript("redeem")
	scriptTransition = mustScript("transition")
	scriptResolve    = mustScript("resolve")
	scriptClaim      = mustScript("claim")
	scriptAcquire    = mustScript("lease_acquire")
	scriptRenew      = mustScript("lease_renew")
	scriptRelease    = mustScript("lease_release")
	scriptPrune      = mustScript("prune")

	scriptRepliesSent  = mustScript("replies_sent")
	scriptRepliesClaim = mustScript("replies_claim")
	scriptDigest       = mustScript("digest")
	scriptRelay        = mustScript("relay")
	scriptUnmark       = mustScript("replies_unmark")
	scriptMark         = mustScript("mark")

	allScripts = []*redis.Script{scriptCommit, scriptUnenroll, scriptRedeem, scriptTransition, scriptResolve, scriptClaim, scriptAcquire, scriptRenew, scriptRelease, scriptPrune,
		scriptRepliesSent, scriptRepliesClaim, scriptDigest, scriptRelay, scriptUnmark, scriptMark}
)

var errRedisFailed = errors.New("store: unexpected reply from Redis")

// Store is checkinbot's Redis storage; it is safe for concurrent use.
type Store struct {
	rdb   redis.UniversalClient
	trips *roundTripCounter

	// Now is the clock used for audit and bookkeeping timestamps.
	Now func() time.Time
	// ClaimTTL is how long a claimed job is leased before it is requeued.
	ClaimTTL time.Duration
	// OutboxMinIdle is how long an outbox entry may stay unacknowledged with
	// one consumer before ReadOutbox hands it to another.
	OutboxMinIdle time.Duration
	// Cipher encrypts what patients said before it is stored (see
	// crypt.go); nil stores plaintext. Set it before the Store is used.
	Cipher *Cipher
	// Retention is how long answers, check-ins and audit entries are kept
	// (see Prune); 0 means DefaultRetention.
	Retention time.Duration
	// ReplyGrace is how long committed replies may stay unconfirmed before
	// ClaimUnsentReplies hands them to a sweeper; 0 means DefaultReplyGrace.
	ReplyGrace time.Duration
	// Logger receives the warnings of what the store leaves to be done
	// later (a relay left to the sweeper); nil logs nothing. Its messages
	// name no chat and carry no content.
	Logger *slog.Logger
}

func (s *Store) warn(msg string, err error) {
	if s.Logger != nil {
		s.Logger.Warn(msg, "error", err.Error())
	}
}

// New wraps a connected client without doing any I/O.
func New(rdb redis.UniversalClient) *Store {
	trips := &roundTripCounter{}
	rdb.AddHook(trips)
	return &Store{rdb: rdb, trips: trips, Now: time.Now, ClaimTTL: DefaultClaimTTL, OutboxMinIdle: DefaultOutboxMinIdle}
}

// Open connects to the Redis at url (redis:// or rediss://), checks it
// answers, loads the scripts and creates the outbox consumer group.
// A URL that names more nodes with addr parameters is a Redis Cluster:
// redis://[user:password@]host1:port1?addr=host2:port2&addr=host3:port3
// (see IsClusterURL). Its errors never contain the URL's password.
func Open(ctx context.Context, url string) (*Store, error) {
	rdb, addr, err := NewClient(url)
	if err != nil {
		return nil, err
	}
	s := New(rdb)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("store.Open: ping %s: %w", addr, err)
	}
	if err := s.Prepare(ctx); err != nil {
		rdb.Close()
		return nil, err
	}
	return s, nil
}

// IsClusterURL reports whether a Redis URL names a Redis Cluster: it
// lists nodes with addr parameters (go-redis's ParseClusterURL form), so
// that the client finds the cluster from any of them.
func IsClusterURL(url string) bool {
	u, err := neturl.Parse(url)
	return err == nil && u.Query().Has("addr")
}

// CheckURL reports whether url is a Redis URL NewClient accepts, a
// cluster's included, without making a client; its error never contains
// the URL (nor so its password).
func CheckURL(url string) error {
	rdb, _, err := NewClient(url)
	if err != nil {
		return err
	}
	return rdb.Close()
}

// NewClient makes the client of the Redis (or Redis Cluster, see
// IsClusterURL) at url, without any I/O, with the deadlines of every call
// set (setDeadlines); addr names the node (or nodes) for messages. Its
// errors never contain the URL's password.
func NewClient(url string) (rdb redis.UniversalClient, addr string, err error) {
	if IsClusterURL(url) {
		opt, err := redis.ParseClusterURL(url)
		if err != nil || clusterDB(url) {
			return nil, "", errors.New("store.Open: invalid Redis Cluster URL (want redis://[user:password@]host1:port1?addr=host2:port2&addr=host3:port3, no database number)")
		}
		setClusterDeadlines(opt)
		return redis.NewClusterClient(opt), strings.Join(opt.Addrs, ","), nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		// ParseURL's errors may quote the URL, password included.
		return nil, "", errors.New("store.Open: invalid Redis URL (want redis://[user:password@]host:port/db)")
	}
	setDeadlines(opt)
	return redis.NewClient(opt), opt.Addr, nil
}

// clusterDB reports a cluster URL that selects a database other than 0:
// a Redis Cluster has only database 0.
func clusterDB(url string) bool {
	u, err := neturl.Parse(url)
	if err != nil {
		return true
	}
	db := strings.Trim(u.Path, "/")
	return db != "" && db != "0"
}

// Deadlines of every Redis call, unless the URL sets its own (e.g.
// ?read_timeout=200ms): a Redis that stops answering (paused, partitioned)
// fails a call within about a second, so the bot can tell the patient and
// retry instead of hanging. A call's context deadline applies too.
const (
	dialTimeout  = 2 * time.Second
	readTimeout  = time.Second
	writeTimeout = time.Second
	poolTimeout  = 2 * time.Second
)

func setDeadlines(opt *redis.Options) {
	if opt.DialTimeout == 0 {
		opt.DialTimeout = dialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = readTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = writeTimeout
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = poolTimeout
	}
	opt.ContextTimeoutEnabled = true
}

// setClusterDeadlines is setDeadlines for a Redis Cluster's client.
func setClusterDeadlines(opt *redis.ClusterOptions) {
	one := redis.Options{DialTimeout: opt.DialTimeout, ReadTimeout: opt.ReadTimeout,
		WriteTimeout: opt.WriteTimeout, PoolTimeout: opt.PoolTimeout}
	setDeadlines(&one)
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = one.DialTimeout, one.ReadTimeout, one.WriteTimeout, one.PoolTimeout
	opt.ContextTimeoutEnabled = true
}

// Prepare loads the Lua scripts into Redis's script cache and creates the
// outbox consumer group; Open calls it, and it is safe to call again.
func (s *Store) Prepare(ctx context.Context) error {
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("store.Prepare: load script: %w", err)
		}
	}
	return s.ensureGroup(ctx)
}

// Ping checks that Redis answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store.Ping: %w", err)
	}
	return nil
}

// Client returns the underlying client, for tests and diagnostics; other
// packages should not need it.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Close closes the connection pool.
func (s *Store) Close() error { return s.rdb.Close() }

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// fmtTime formats a timestamp the way every stored record holds it.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
