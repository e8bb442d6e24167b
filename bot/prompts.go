package bot

import "sync"

// promptMessages remembers, per chat, which Telegram message shows the
// buttons of the question now awaited, so a typed answer can settle them.
//
// It lives in memory on purpose. The message id is known only after the
// reply is sent, that is after the commit; writing it to Redis would be a
// third round trip on nearly every update. Losing it (a restart, another
// instance) costs only cosmetics: the old buttons stay on screen, and the
// engine refuses a press on them as stale.
type promptMessages struct {
	mu   sync.Mutex
	refs map[int64]promptRef
}

// promptRef ties a message to the session version it was sent for.
type promptRef struct {
	version   int64
	messageID int
}

// maxPromptRefs bounds the memory one instance spends on this.
const maxPromptRefs = 100_000

func newPromptMessages() *promptMessages {
	return &promptMessages{refs: map[int64]promptRef{}}
}

// get returns the prompt message of chatID if it belongs to the session at
// version, else 0.
func (p *promptMessages) get(chatID, version int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ref, ok := p.refs[chatID]; ok && ref.version == version {
		return ref.messageID
	}
	return 0
}

// set records the prompt message of chatID's session at version; a
// messageID of 0 forgets it.
func (p *promptMessages) set(chatID, version int64, messageID int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if messageID == 0 {
		delete(p.refs, chatID)
		return
	}
	if len(p.refs) >= maxPromptRefs {
		for id := range p.refs { // evict an arbitrary entry
			delete(p.refs, id)
			break
		}
	}
	p.refs[chatID] = promptRef{version: version, messageID: messageID}
}
