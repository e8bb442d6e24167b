package bot

import (
	"errors"

	"github.com/checkinbot/checkinbot/store"
)

// errKind says what a caller should do about a failure: every retry loop
// (polling and webhook intake, the sender, the timed-job worker, the reply
// outbox) asks kindOf, and nothing else decides.
type errKind uint8

const (
	// kindTransient may pass (Redis or Telegram unreachable, a timeout, a
	// compare-and-set conflict): try again.
	kindTransient errKind = iota
	// kindPermanent will not pass by retrying (a request Telegram refused,
	// an engine fault, data no key in DATA_KEYS opens, a panic).
	kindPermanent
)

func (k errKind) String() string {
	if k == kindPermanent {
		return "permanent"
	}
	return "transient"
}

// kindError is an error with its kind and the operation that failed, in
// the manner of upspin's errors.E(op, kind, err).
type kindError struct {
	op   string
	kind errKind
	err  error
}

func (e *kindError) Error() string {
	if e.op == "" {
		return e.kind.String() + " failure: " + e.err.Error()
	}
	return e.op + ": " + e.kind.String() + " failure: " + e.err.Error()
}

func (e *kindError) Unwrap() error { return e.err }

// permanent marks err, from op, as one that retrying cannot mend.
func permanent(op string, err error) error {
	return &kindError{op: op, kind: kindPermanent, err: err}
}

// errPermanent marks failures that retrying cannot mend, for wrapping with
// %w where no operation name helps (the sender's refused requests).
var errPermanent error = &kindError{kind: kindPermanent, err: errors.New("refused")}

// kindOf classifies err. Data that cannot be decrypted (a key missing from
// DATA_KEYS) will not decrypt on a retry either; everything not marked
// otherwise is worth another try.
func kindOf(err error) errKind {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	if errors.Is(err, store.ErrUndecryptable) {
		return kindPermanent
	}
	return kindTransient
}
