package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retention. Answers, check-ins and audit entries are deleted once they are
// older than Store.Retention, by Prune, a periodic job that one instance
// runs under a lease. Nothing is added to the per-update path but one ZADD
// inside the commit script: each history list is entered in the history
// index with a score no later than its oldest entry, so Prune reads only
// the lists that hold something past retention, and pops their old entries
// from the head by the time each entry carries in the clear. The audit
// stream is trimmed by id (XTRIM MINID): stream ids are the server's time in
// ms.

// PruneResult counts what Prune deleted.
type PruneResult struct {
	Answers  int64
	CheckIns int64
	Audit    int64
}

func (s *Store) retention() time.Duration {
	if s.Retention <= 0 {
		return DefaultRetention
	}
	return s.Retention
}

// Prune deletes the answers, check-ins and audit entries older than the
// retention period, as of the store's clock. It is idempotent and safe to
// run concurrently with commits and with another Prune; run it
// periodically from one instance (e.g. under a lease).
func (s *Store) Prune(ctx context.Context) (PruneResult, error) {
	var res PruneResult
	cutoff := s.now().Add(-s.retention()).UnixMilli()
	if err := s.indexLegacyHistory(ctx); err != nil {
		return res, fmt.Errorf("store.Prune: %w", err)
	}
	for {
		lists, err := s.rdb.ZRangeByScore(ctx, keyHistory, &redis.ZRangeBy{
			Min: "-inf", Max: "(" + strconv.FormatInt(cutoff, 10), Count: 100,
		}).Result()
		if err != nil {
			return res, fmt.Errorf("store.Prune: %w", err)
		}
		if len(lists) == 0 {
			break
		}
		for _, list := range lists {
			n, err := s.pruneList(ctx, list, cutoff)
			if err != nil {
				return res, fmt.Errorf("store.Prune %s: %w", list, err)
			}
			if strings.HasSuffix(list, ":checkins") {
				res.CheckIns += n
			} else {
				res.Answers += n
			}
		}
	}
	n, err := s.rdb.XTrimMinID(ctx, keyAudit, strconv.FormatInt(cutoff, 10)).Result()
	if err != nil {
		return res, fmt.Errorf("store.Prune: audit: %w", err)
	}
	res.Audit = n
	return res, nil
}

// pruneList deletes the entries of one history list older than cutoff.
func (s *Store) pruneList(ctx context.Context, list string, cutoff int64) (int64, error) {
	var total int64
	legacy, legacyMs := "", int64(0)
	for {
		res, err := scriptPrune.Run(ctx, s.rdb, []string{list}, cutoff, legacy, legacyMs).Slice()
		if err != nil {
			return total, err
		}
		if len(res) < 2 {
			return total, errRedisFailed
		}
		n, _ := res[0].(int64)
		total += n
		switch res[1] {
		case "done":
			// The index's score becomes the oldest entry's time: the list
			// is not looked at again until that entry is due. An empty
			// list stays in the index with the time of this prune, a bound
			// for any entry written since (a commit enters a list in the
			// index only when it starts one, through its relay).
			oldest, _ := res[len(res)-1].(int64)
			if oldest < 0 {
				oldest = s.now().UnixMilli()
			}
			return total, s.rdb.ZAdd(ctx, keyHistory, redis.Z{Score: float64(oldest), Member: list}).Err()
		case "more":
		case "legacy":
			if len(res) < 3 {
				return total, errRedisFailed
			}
			legacy = fmt.Sprint(res[2])
			legacyMs = legacyTime(legacy)
		default:
			return total, errRedisFailed
		}
	}
}

// legacyTime dates an entry written before entries carried their time: the
// plain JSON of an answer ("at") or a check-in ("ended_at"). An entry that
// cannot be dated (not JSON: no reader can decode it either) counts as
// older than any cutoff.
func legacyTime(e string) int64 {
	var v struct {
		At      time.Time `json:"at"`
		EndedAt time.Time `json:"ended_at"`
	}
	if err := json.Unmarshal([]byte(e), &v); err != nil {
		return 0
	}
	t := v.At
	if v.EndedAt.After(t) {
		t = v.EndedAt
	}
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// indexLegacyHistory enters, once per database, the history lists written
// before the history index existed (score 0: look at them at the next
// prune), so an idle chat's old entries are not kept forever.
func (s *Store) indexLegacyHistory(ctx context.Context) error {
	if n, err := s.rdb.Exists(ctx, keyHistoryIndexed).Result(); err != nil || n == 1 {
		return err
	}
	lists, err := s.scanKeys(ctx, "ck:{c:*}:answers", "ck:{c:*}:checkins")
	if err != nil {
		return fmt.Errorf("index history: %w", err)
	}
	for i := 0; i < len(lists); i += 500 {
		batch := lists[i:min(i+500, len(lists))]
		z := make([]redis.Z, len(batch))
		for j, l := range batch {
			z[j] = redis.Z{Score: 0, Member: l}
		}
		// Not NX: a list a commit entered since has a score that is not a
		// lower bound for its entries without a time; 0 always is.
		if err := s.rdb.ZAdd(ctx, keyHistory, z...).Err(); err != nil {
			return fmt.Errorf("index history: %w", err)
		}
	}
	return s.rdb.Set(ctx, keyHistoryIndexed, "1", 0).Err()
}

// scanKeys returns the keys matching the patterns: on a cluster, those of
// every master (a SCAN reads one node).
func (s *Store) scanKeys(ctx context.Context, patterns ...string) ([]string, error) {
	var keys []string
	var mu sync.Mutex // a cluster's nodes are scanned in parallel
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		for _, pattern := range patterns {
			iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
			for iter.Next(ctx) {
				mu.Lock()
				keys = append(keys, iter.Val())
				mu.Unlock()
			}
			if err := iter.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return scan(ctx, c)
		})
		return keys, err
	}
	return keys, scan(ctx, s.rdb)
}
