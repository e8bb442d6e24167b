package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
)

// protocolVersions gives each run the protocol version it started on. The
// clinic's current protocol is recorded in Redis under its version when the
// bot starts; a run begun on an earlier version (before a deployment) loads
// that version from Redis once, and finishes on it.
type protocolVersions struct {
	current *flows.Protocol
	mu      sync.Mutex
	earlier map[string]*flows.Protocol
}

// record stores the current protocol under its version. A version already
// recorded with other content is refused: answers stamped with it would no
// longer say which rules applied.
func (v *protocolVersions) record(ctx context.Context, st *store.Store) error {
	err := st.SaveProtocol(ctx, v.current.Version, v.current.YAML())
	if errors.Is(err, store.ErrVersionReused) {
		return fmt.Errorf("protocol version %q was deployed before with different content; "+
			"give the changed protocol a new version", v.current.Version)
	}
	return err
}

// forSession returns the protocol a session's run must finish on: the
// current one for a new run or one on the current version, else the version
// the run started on. A version that cannot be found (recorded before
// versions were kept) falls back to the current protocol, whose engine
// cancels the run politely if its question no longer exists.
func (v *protocolVersions) forSession(ctx context.Context, st *store.Store, s flows.Session) (*flows.Protocol, error) {
	if s.Flow == "" || s.ProtocolVersion == "" || s.ProtocolVersion == v.current.Version {
		return v.current, nil
	}
	v.mu.Lock()
	p, ok := v.earlier[s.ProtocolVersion]
	v.mu.Unlock()
	if ok {
		return p, nil
	}
	src, err := st.Protocol(ctx, s.ProtocolVersion)
	if errors.Is(err, store.ErrNotFound) {
		return v.current, nil
	}
	if err != nil {
		return nil, err
	}
	p, err = flows.Parse("protocol "+s.ProtocolVersion, src)
	if err != nil {
		// It was valid when recorded; only a newer validator can refuse it.
		return v.current, nil
	}
	p.SetOnCall(v.current.Crisis.OnCall)
	v.mu.Lock()
	v.earlier[s.ProtocolVersion] = p
	v.mu.Unlock()
	return p, nil
}
