package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ErrVersionReused means a protocol version is already recorded with other
// content: a clinic changed its file without changing its version.
var ErrVersionReused = errors.New("store: protocol version already recorded with different content")

// SaveProtocol records a protocol file under its version, so that a run that
// started on it can finish on it after the clinic deploys a new file. Saving
// the same content again is a no-op; other content under a recorded version
// returns ErrVersionReused, since answers stamped with that version would no
// longer say which rules applied.
func (s *Store) SaveProtocol(ctx context.Context, version string, source []byte) error {
	added, err := s.rdb.HSetNX(ctx, keyProtocols, version, source).Result()
	if err != nil {
		return fmt.Errorf("store.SaveProtocol: %w", err)
	}
	if added {
		return nil
	}
	stored, err := s.Protocol(ctx, version)
	if err != nil {
		return fmt.Errorf("store.SaveProtocol: %w", err)
	}
	if !bytes.Equal(stored, source) {
		return fmt.Errorf("store.SaveProtocol %q: %w", version, ErrVersionReused)
	}
	return nil
}

// Protocol returns the protocol file recorded under version, or ErrNotFound.
func (s *Store) Protocol(ctx context.Context, version string) ([]byte, error) {
	src, err := s.rdb.HGet(ctx, keyProtocols, version).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store.Protocol %q: %w", version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store.Protocol: %w", err)
	}
	return src, nil
}
