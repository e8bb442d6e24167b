package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/checkinbot/checkinbot/store"
)

func TestSaveProtocol(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ backend, s *store.Store) {
		ctx := context.Background()
		if _, err := s.Protocol(ctx, "v1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown version: %v, want ErrNotFound", err)
		}
		v1 := []byte("version: v1\n")
		if err := s.SaveProtocol(ctx, "v1", v1); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveProtocol(ctx, "v1", v1); err != nil {
			t.Fatalf("saving the same content again: %v", err)
		}
		if err := s.SaveProtocol(ctx, "v1", []byte("version: v1\n# edited\n")); !errors.Is(err, store.ErrVersionReused) {
			t.Fatalf("other content under v1: %v, want ErrVersionReused", err)
		}
		got, err := s.Protocol(ctx, "v1")
		if err != nil || string(got) != string(v1) {
			t.Fatalf("Protocol(v1) = %q, %v", got, err)
		}
	})
}
