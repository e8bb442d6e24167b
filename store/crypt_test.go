package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/flows"
	"github.com/checkinbot/checkinbot/store"
	"github.com/checkinbot/checkinbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// testKey is a fixed 32-byte key, different for each seed.
func testKey(seed byte) []byte { return bytes.Repeat([]byte{seed}, 32) }

func testCipher(t *testing.T, seeds ...byte) *store.Cipher {
	t.Helper()
	var keys [][]byte
	for _, s := range seeds {
		keys = append(keys, testKey(s))
	}
	c, err := store.NewCipher(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Patient content the raw database must never show once a key is set.
const (
	journalText = "JOURNAL-I saw my grandmother in the light"
	escAnswer   = "ESCANSWER-I have a plan"
	escQuestion = "ESCQUESTION-Thoughts of self-harm"
	escReason   = "ESCREASON-self-harm answer"
	noteText    = "NOTETEXT-called the patient, safe at home"
)

// secretCommit commits a journal answer (in the session, the answers list
// and a completed check-in) and an escalation carrying patient text.
func secretCommit(t *testing.T, s *store.Store, chat int64, update int) store.CommitResult {
	t.Helper()
	ctx := context.Background()
	snap, err := s.Load(ctx, chat, update)
	if err != nil {
		t.Fatal(err)
	}
	a := flows.Answer{Flow: flows.FlowPostSession, Run: "r9", Item: "journal", Value: journalText, Display: journalText, At: t0, ProtocolVersion: "1"}
	sess := sampleSession()
	sess.Answers = append(sess.Answers, a)
	res, err := s.Commit(ctx, store.Commit{
		ChatID: chat, UpdateID: update, Version: snap.Version, Session: sess, Answers: []flows.Answer{a},
		Completion: &flows.Completion{Flow: flows.FlowPostSession, Run: "r9", Outcome: flows.OutcomeCompleted,
			StartedAt: t0, EndedAt: t0, ProtocolVersion: "1", Answers: []flows.Answer{a}},
		Escalations: []store.NewEscalation{{Patient: "P-17", ChatID: chat, Escalation: flows.Escalation{
			Level: flows.Urgent, Flow: flows.FlowPostSession, Item: "selfharm", Question: escQuestion,
			Answer: escAnswer, Reason: escReason, At: t0}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rawValues returns every value stored in the database (string values,
// hash fields and values, list elements, set members, stream fields).
func rawValues(t *testing.T, url string) []string {
	t.Helper()
	var c redis.UniversalClient
	if store.IsClusterURL(url) {
		c = redistest.ClusterClient(t, url)
	} else {
		c = redistest.Client(t, url)
	}
	ctx := context.Background()
	var out []string
	for _, k := range allKeys(t, c) {
		switch c.Type(ctx, k).Val() {
		case "string":
			out = append(out, c.Get(ctx, k).Val())
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				out = append(out, f, v)
			}
		case "list":
			out = append(out, c.LRange(ctx, k, 0, -1).Val()...)
		case "zset":
			out = append(out, c.ZRange(ctx, k, 0, -1).Val()...)
		case "stream":
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					out = append(out, f, v.(string))
				}
			}
		default:
			t.Fatalf("key %s: unexpected type", k)
		}
	}
	return out
}

func TestEncryptedAtRest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.Cipher = testCipher(t, 1)
		const chat = 31
		res := secretCommit(t, s, chat, 1)
		id := res.EscalationIDs[0]
		if _, _, _, err := s.Resolve(ctx, id, 500, "Dana", noteText, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, v := range rawValues(t, b.url) {
			for _, secret := range []string{"JOURNAL", "ESCANSWER", "ESCQUESTION", "ESCREASON", "NOTETEXT", "grandmother"} {
				if strings.Contains(v, secret) {
					t.Errorf("plaintext %s at rest: %q", secret, v)
				}
			}
		}

		// Everything reads back.
		snap, err := s.Load(ctx, chat, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(snap.Session.Answers); n != 2 || snap.Session.Answers[1].Value != journalText {
			t.Errorf("session answers: %+v", snap.Session.Answers)
		}
		as, err := s.Answers(ctx, chat, 0)
		if err != nil || len(as) != 1 || as[0].Display != journalText || !as[0].At.Equal(t0) {
			t.Errorf("answers %+v, %v", as, err)
		}
		cs, err := s.CheckIns(ctx, chat, 0)
		if err != nil || len(cs) != 1 || cs[0].Answers[0].Value != journalText {
			t.Errorf("check-ins %+v, %v", cs, err)
		}
		rec, err := s.Escalation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Question != escQuestion || rec.Answer != escAnswer || rec.Reason != escReason || rec.Note != noteText ||
			rec.Patient != "P-17" || rec.ChatID != chat || rec.State != store.EscalationResolved {
			t.Errorf("escalation %+v", rec)
		}
		// The scripts' replies are opened too.
		rec, first, err := s.Acknowledge(ctx, id, 501, "Lee", t0)
		if err != nil || first || rec.Answer != escAnswer || rec.Note != noteText {
			t.Errorf("acknowledge: %+v %v %v", rec, first, err)
		}
		id2 := secretCommit(t, s, chat+1, 1).EscalationIDs[0]
		open, n, err := s.UnresolvedEscalations(ctx, 10)
		if err != nil || n != 1 || open[0].ID != id2 || open[0].Answer != escAnswer {
			t.Errorf("unresolved %+v %d %v", open, n, err)
		}
		rec, _, _, err = s.Resolve(ctx, id2, 500, "Dana", "", t0)
		if err != nil || rec.Note != "" || rec.Question != escQuestion {
			t.Errorf("resolve without a note: %+v %v", rec, err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, old *store.Store) {
		ctx := context.Background()
		old.Cipher = testCipher(t, 1)
		id := secretCommit(t, old, 41, 1).EscalationIDs[0]

		// The new key seals, the old one still opens.
		s := mustOpen(t, b.url)
		s.Cipher = testCipher(t, 2, 1)
		if _, err := s.Answers(ctx, 41, 0); err != nil {
			t.Fatalf("old answers with the old key second: %v", err)
		}
		if rec, err := s.Escalation(ctx, id); err != nil || rec.Answer != escAnswer {
			t.Fatalf("old escalation: %+v %v", rec, err)
		}
		secretCommit(t, s, 41, 2)
		newID := hex.EncodeToString(keyID(testKey(2)))
		if got := s.Cipher.KeyIDs(); got[0] != newID {
			t.Fatalf("key ids %v, want %s first", got, newID)
		}
		raw := s.Client().LRange(ctx, "ck:{c:41}:answers", 0, -1).Val()
		if len(raw) != 2 || sealedWith(raw[0]) != hex.EncodeToString(keyID(testKey(1))) || sealedWith(raw[1]) != newID {
			t.Errorf("answers sealed with %s and %s", sealedWith(raw[0]), sealedWith(raw[1]))
		}
		if sess := s.Client().HGet(ctx, "ck:{c:41}:session", "s").Val(); sealedWith(sess) != newID {
			t.Errorf("the session was rewritten with key %s", sealedWith(sess))
		}

		// Dropping the old key too early: a clear error naming DATA_KEYS.
		s.Cipher = testCipher(t, 2)
		_, err := s.Answers(ctx, 41, 0)
		wantUndecryptable(t, err, "not in DATA_KEYS")
		_, err = s.Escalation(ctx, id)
		wantUndecryptable(t, err, "not in DATA_KEYS")
		if _, err := s.Load(ctx, 41, 3); err != nil {
			t.Errorf("the session, sealed with the new key: %v", err)
		}
	})
}

func keyID(k []byte) []byte {
	c, _ := store.NewCipher(k)
	id, _ := hex.DecodeString(c.KeyIDs()[0])
	return id
}

// sealedWith returns the key id of a sealed value (after a history entry's
// time, if any).
func sealedWith(v string) string {
	if _, p, ok := strings.Cut(v, "|"); ok && !strings.HasPrefix(v, "\x00") {
		v = p
	}
	if len(v) < 8 || !strings.HasPrefix(v, "\x00ck\x01") {
		return "plaintext"
	}
	return hex.EncodeToString([]byte(v[4:8]))
}

func wantUndecryptable(t *testing.T, err error, detail string) {
	t.Helper()
	if !errors.Is(err, store.ErrUndecryptable) || !strings.Contains(err.Error(), "DATA_KEYS") || !strings.Contains(err.Error(), detail) {
		t.Fatalf("error %v; want ErrUndecryptable naming DATA_KEYS, %q", err, detail)
	}
	for _, seed := range []byte{1, 2, 3} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			if strings.Contains(err.Error(), enc.EncodeToString(testKey(seed))[:12]) {
				t.Fatalf("the error shows key material: %v", err)
			}
		}
	}
}

func TestTamperedAndMissingKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		s.Cipher = testCipher(t, 1)
		id := secretCommit(t, s, 51, 1).EscalationIDs[0]
		secretCommit(t, s, 52, 1)
		rdb := s.Client()

		// One bit flipped in the session.
		sess := []byte(rdb.HGet(ctx, "ck:{c:51}:session", "s").Val())
		sess[len(sess)-1] ^= 1
		rdb.HSet(ctx, "ck:{c:51}:session", "s", sess)
		_, err := s.Load(ctx, 51, 2)
		wantUndecryptable(t, err, "does not authenticate")

		// A blob moved to another chat, or to another field.
		rdb.HSet(ctx, "ck:{c:51}:session", "s", rdb.HGet(ctx, "ck:{c:52}:session", "s").Val())
		_, err = s.Load(ctx, 51, 2)
		wantUndecryptable(t, err, "does not authenticate")
		h := rdb.HGetAll(ctx, "ck:{g}:esc:"+id).Val()
		rdb.HSet(ctx, "ck:{g}:esc:"+id, "question", h["answer"])
		_, err = s.Escalation(ctx, id)
		wantUndecryptable(t, err, "does not authenticate")
		rdb.HSet(ctx, "ck:{g}:esc:"+id, "question", h["question"])

		// A truncated answer.
		a := rdb.LIndex(ctx, "ck:{c:51}:answers", 0).Val()
		rdb.LSet(ctx, "ck:{c:51}:answers", 0, a[:30])
		_, err = s.Answers(ctx, 51, 0)
		wantUndecryptable(t, err, "truncated")

		// No key at all.
		s.Cipher = nil
		_, err = s.CheckIns(ctx, 51, 0)
		wantUndecryptable(t, err, "no DATA_KEYS")
		_, err = s.Escalation(ctx, id)
		wantUndecryptable(t, err, "no DATA_KEYS")
		_, err = s.Load(ctx, 52, 2)
		wantUndecryptable(t, err, "no DATA_KEYS")
	})
}

// TestPlaintextStillReads: values written before encryption was enabled
// (plain JSON, with and without a history time) read with a key set.
func TestPlaintextStillReads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		// Written by a store without keys.
		id := secretCommit(t, s, 61, 1).EscalationIDs[0]
		// Written by a version before history entries had a time.
		a := flows.Answer{Flow: "f", Run: "r", Item: "mood", Value: "old plain answer", At: t0}
		js, _ := json.Marshal(a)
		s.Client().RPush(ctx, "ck:{c:61}:answers", js)
		sess, _ := json.Marshal(sampleSession())
		s.Client().HSet(ctx, "ck:{c:62}:session", "v", 4, "s", sess)

		s.Cipher = testCipher(t, 1)
		snap, err := s.Load(ctx, 61, 2)
		if err != nil || snap.Session.Answers[1].Value != journalText {
			t.Fatalf("plain session: %+v %v", snap.Session, err)
		}
		if snap, err := s.Load(ctx, 62, 1); err != nil || snap.Version != 4 || !reflect.DeepEqual(snap.Session, sampleSession()) {
			t.Fatalf("legacy session: %+v %v", snap, err)
		}
		as, err := s.Answers(ctx, 61, 0)
		if err != nil || len(as) != 2 || as[0].Value != journalText || as[1].Value != "old plain answer" {
			t.Fatalf("plain answers %+v %v", as, err)
		}
		if rec, err := s.Escalation(ctx, id); err != nil || rec.Answer != escAnswer {
			t.Fatalf("plain escalation %+v %v", rec, err)
		}
		// The next commit seals the session; old entries stay readable.
		secretCommit(t, s, 61, 2)
		if v := s.Client().HGet(ctx, "ck:{c:61}:session", "s").Val(); sealedWith(v) == "plaintext" {
			t.Error("the session was not sealed on rewrite")
		}
		if as, err := s.Answers(ctx, 61, 0); err != nil || len(as) != 3 {
			t.Fatalf("mixed answers %d %v", len(as), err)
		}
	})
}

func TestParseDataKeys(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	for _, v := range []string{
		base64.StdEncoding.EncodeToString(k1),
		base64.RawStdEncoding.EncodeToString(k1) + " , " + base64.URLEncoding.EncodeToString(k2),
		base64.RawURLEncoding.EncodeToString(k1) + ",",
	} {
		c, err := store.ParseDataKeys(v)
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if c.KeyIDs()[0] != hex.EncodeToString(keyID(k1)) {
			t.Errorf("%q: first key id %v", v, c.KeyIDs())
		}
	}
	short := base64.StdEncoding.EncodeToString(k1[:16])
	for _, v := range []string{"", " , ", short, "not base64 SECRET", base64.StdEncoding.EncodeToString(k1) + "," + base64.RawURLEncoding.EncodeToString(k1)} {
		_, err := store.ParseDataKeys(v)
		if err == nil {
			t.Errorf("%q accepted", v)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || (v != "" && strings.Contains(err.Error(), short)) {
			t.Errorf("%q: the error echoes the value: %v", v, err)
		}
	}
}
