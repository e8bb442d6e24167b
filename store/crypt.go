package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Encryption at rest. What a patient said (the session, which holds the
// current run's answers; each stored answer and check-in; the free text of
// an escalation and its resolution note) is sealed with AES-256-GCM before
// it leaves the process. A sealed value is
//
//	magic (4 bytes "\x00ck\x01") | key id (4 bytes) | nonce (12 bytes) | ciphertext and tag
//
// where the key id is the first 4 bytes of the SHA-256 of the key, so that
// after a rotation the right key is picked without trying them all. The
// additional data is the header plus what the value belongs to (e.g. the
// chat id), so a blob copied to another chat or field does not open. A
// value without the magic is plaintext, written before encryption was
// enabled or by a store without keys, and is read as is.

// ErrUndecryptable means a stored value could not be decrypted: no data
// keys configured, the key it was sealed with is not among them, or the
// value was altered.
var ErrUndecryptable = errors.New("store: cannot decrypt a stored value")

const (
	sealMagic   = "\x00ck\x01"
	keyIDLen    = 4
	nonceLen    = 12
	sealHeader  = len(sealMagic) + keyIDLen
	sealMinimum = sealHeader + nonceLen + 16 // the GCM tag
)

// Cipher seals and opens stored values with a set of AES-256 keys: the
// first key seals, every key opens (key rotation). It is safe for
// concurrent use. Its methods and errors never reveal key material.
type Cipher struct {
	keys []dataKey
}

type dataKey struct {
	id   [keyIDLen]byte
	aead cipher.AEAD
}

// NewCipher makes a Cipher from 32-byte keys, the sealing key first.
func NewCipher(keys ...[]byte) (*Cipher, error) {
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	c := &Cipher{}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("key %d is %d bytes, want 32", i+1, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		sum := sha256.Sum256(k)
		dk := dataKey{aead: aead}
		copy(dk.id[:], sum[:keyIDLen])
		for j, other := range c.keys {
			if other.id == dk.id {
				return nil, fmt.Errorf("keys %d and %d are the same key", j+1, i+1)
			}
		}
		c.keys = append(c.keys, dk)
	}
	return c, nil
}

// ParseDataKeys parses DATA_KEYS: comma-separated base64 (standard or URL
// alphabet, padded or not) of 32-byte keys, the sealing key first. Its
// errors name the entry at fault, never its value.
func ParseDataKeys(v string) (*Cipher, error) {
	var keys [][]byte
	for i, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, ok := decodeKey(f)
		if !ok {
			return nil, fmt.Errorf("entry %d is not the base64 of a 32-byte key (make one with: openssl rand -base64 32)", i+1)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("holds no key")
	}
	return NewCipher(keys...)
}

func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, true
		}
	}
	return nil, false
}

// KeyIDs returns the key ids in hex, the sealing key first, for logs: an
// id names a key without revealing it.
func (c *Cipher) KeyIDs() []string {
	out := make([]string, len(c.keys))
	for i, k := range c.keys {
		out[i] = hex.EncodeToString(k.id[:])
	}
	return out
}

// seal encrypts plain for the context ad with the first key.
func (c *Cipher) seal(plain []byte, ad string) []byte {
	k := c.keys[0]
	out := make([]byte, sealHeader+nonceLen, sealMinimum+len(plain))
	copy(out, sealMagic)
	copy(out[len(sealMagic):], k.id[:])
	if _, err := rand.Read(out[sealHeader:]); err != nil {
		panic("store: no randomness for a nonce: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return k.aead.Seal(out, out[sealHeader:], plain, additional(out[:sealHeader], ad))
}

func additional(header []byte, ad string) []byte {
	return append(append(make([]byte, 0, len(header)+len(ad)), header...), ad...)
}

// sealed reports whether a stored value is encrypted.
func sealed(v string) bool { return strings.HasPrefix(v, sealMagic) }

// open decrypts a stored value sealed for ad; what names the value in
// errors (e.g. "the session of chat 5").
func (c *Cipher) open(v, ad, what string) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: %s is encrypted but no DATA_KEYS are configured", ErrUndecryptable, what)
	}
	if len(v) < sealMinimum {
		return nil, fmt.Errorf("%w: %s is truncated (altered: no key in DATA_KEYS can open it)", ErrUndecryptable, what)
	}
	var id [keyIDLen]byte
	copy(id[:], v[len(sealMagic):sealHeader])
	for _, k := range c.keys {
		if k.id != id {
			continue
		}
		b := []byte(v)
		plain, err := k.aead.Open(nil, b[sealHeader:sealHeader+nonceLen], b[sealHeader+nonceLen:], additional(b[:sealHeader], ad))
		if err != nil {
			return nil, fmt.Errorf("%w: %s does not authenticate with data key %x of DATA_KEYS (altered, or copied from elsewhere)", ErrUndecryptable, what, id)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w: %s was encrypted with data key %x, which is not in DATA_KEYS (keep retired keys after the first until nothing uses them)", ErrUndecryptable, what, id)
}

// sealValue encrypts plain when the store has keys, else stores it as is.
func (s *Store) sealValue(plain []byte, ad string) []byte {
	if s.Cipher == nil {
		return plain
	}
	return s.Cipher.seal(plain, ad)
}

// sealText is sealValue for a text field; "" stays "".
func (s *Store) sealText(plain, ad string) string {
	if plain == "" {
		return ""
	}
	return string(s.sealValue([]byte(plain), ad))
}

// openValue decrypts a sealed value and passes plaintext through.
func (s *Store) openValue(v, ad, what string) ([]byte, error) {
	if !sealed(v) {
		return []byte(v), nil
	}
	return s.Cipher.open(v, ad, what)
}

// ErrUnknownDataKey means Redis holds data sealed with a key that is not in
// the store's Cipher (or the store has none): running would fail every
// update of those chats, a crisis included.
var ErrUnknownDataKey = errors.New("store: Redis holds data sealed with a key not in DATA_KEYS")

// CheckDataKeys refuses to run blind: it fails with ErrUnknownDataKey when
// Redis holds data sealed with a key the store's Cipher lacks (any sealed
// data when it has none). Otherwise it records the sealing key, before
// anything is sealed with it, so the next start can check it. Redis keeps
// the set of key ids that ever sealed data; data sealed before the set
// existed is found once by a scan of the sessions.
func (s *Store) CheckDataKeys(ctx context.Context) error {
	if err := s.indexDataKeys(ctx); err != nil {
		return fmt.Errorf("store.CheckDataKeys: %w", err)
	}
	used, err := s.rdb.SMembers(ctx, keyDataKeys).Result()
	if err != nil {
		return fmt.Errorf("store.CheckDataKeys: %w", err)
	}
	have := map[string]bool{}
	if s.Cipher != nil {
		for _, id := range s.Cipher.KeyIDs() {
			have[id] = true
		}
	}
	var missing []string
	for _, id := range used {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		// A retired key whose data is all gone (retention deleted it) may
		// go: look, once, whether anything sealed with it remains.
		if missing, err = s.stillSealedWith(ctx, missing); err != nil {
			return fmt.Errorf("store.CheckDataKeys: %w", err)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%w (key ids %s)", ErrUnknownDataKey, strings.Join(missing, ", "))
	}
	if s.Cipher == nil {
		return nil
	}
	if err := s.rdb.SAdd(ctx, keyDataKeys, s.Cipher.KeyIDs()[0]).Err(); err != nil {
		return fmt.Errorf("store.CheckDataKeys: %w", err)
	}
	return nil
}

// indexDataKeys fills the set of used key ids from the sessions stored
// before it existed, once.
func (s *Store) indexDataKeys(ctx context.Context) error {
	const marker = keyDataKeys + ":indexed"
	if n, err := s.rdb.Exists(ctx, marker).Result(); err != nil || n > 0 {
		return err
	}
	ids := map[string]bool{}
	sessions, err := s.scanKeys(ctx, "ck:{c:*}:session")
	if err != nil {
		return err
	}
	for _, key := range sessions {
		v, err := s.rdb.HGet(ctx, key, "s").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if sealed(v) && len(v) >= sealHeader {
			ids[hex.EncodeToString([]byte(v[len(sealMagic):sealHeader]))] = true
		}
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for id := range ids {
			p.SAdd(ctx, keyDataKeys, id)
		}
		p.Set(ctx, marker, "1", 0)
		return nil
	})
	return err
}

// stillSealedWith returns the key ids of ids that some stored value is
// still sealed with, and forgets the others. It reads every checkinbot
// key: it runs only at a start that lacks a recorded key.
func (s *Store) stillSealedWith(ctx context.Context, ids []string) ([]string, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	found := map[string]bool{}
	note := func(v string) {
		if _, p, ok := historyTime(v); ok { // "<ms or seq>|<payload>": history, replies
			v = p
		}
		if sealed(v) && len(v) >= sealHeader {
			if id := hex.EncodeToString([]byte(v[len(sealMagic):sealHeader])); want[id] {
				found[id] = true
			}
		}
	}
	all, err := s.scanKeys(ctx, "ck:*")
	if err != nil {
		return nil, err
	}
	for _, key := range all {
		switch typ, err := s.rdb.Type(ctx, key).Result(); {
		case err != nil:
			return nil, err
		case typ == "hash":
			vals, err := s.rdb.HVals(ctx, key).Result()
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				note(v)
			}
		case typ == "list":
			vals, err := s.rdb.LRange(ctx, key, 0, -1).Result()
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				if _, payload, ok := strings.Cut(v, "|"); ok && strings.HasSuffix(key, ":relay") {
					// An escalation waiting in a relay entry: its fields.
					for _, f := range relayFields(payload) {
						note(f)
					}
					continue
				}
				note(v)
			}
		}
	}
	var still []string
	for _, id := range ids {
		if found[id] {
			still = append(still, id)
		} else if err := s.rdb.SRem(ctx, keyDataKeys, id).Err(); err != nil {
			return nil, err
		}
	}
	return still, nil
}
