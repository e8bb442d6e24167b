package redistest

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Client is a go-redis client of the Redis at url, closed when the test
// ends: for a test that looks at what the store wrote, beside the store.
func Client(tb testing.TB, url string) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Keys returns every key of the Redis at url, sorted, so a test can check
// what an action wrote (or that it wrote nothing).
func Keys(tb testing.TB, url string) []string {
	tb.Helper()
	rdb := Client(tb, url)
	var keys []string
	iter := rdb.Scan(context.Background(), 0, "*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}
