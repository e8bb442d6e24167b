package store_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/checkinbot/checkinbot/store"
)

var deepLinkPayload = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func TestInvites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		code := mustInvite(t, s, "P-001", time.Hour)
		if !deepLinkPayload.MatchString(code) {
			t.Errorf("code %q is not a valid /start payload", code)
		}
		for _, k := range keys(t, s) {
			if regexp.MustCompile(regexp.QuoteMeta(code)).MatchString(k) {
				t.Errorf("key %q holds the invite code in clear", k)
			}
		}
		label, err := s.RedeemInvite(ctx, code, 111)
		if err != nil || label != "P-001" {
			t.Fatalf("redeem: %q %v", label, err)
		}
		if chat, err := s.Patient(ctx, "P-001"); err != nil || chat != 111 {
			t.Errorf("Patient: %d %v", chat, err)
		}
		if l, err := s.PatientLabel(ctx, 111); err != nil || l != "P-001" {
			t.Errorf("PatientLabel: %q %v", l, err)
		}
		if snap, _ := s.Load(ctx, 111, 0); snap.Patient != "P-001" {
			t.Errorf("Load patient %q", snap.Patient)
		}
		// The same chat again (a repeated /start) is fine; any other chat is refused.
		if l, err := s.RedeemInvite(ctx, code, 111); err != nil || l != "P-001" {
			t.Errorf("repeat redeem: %q %v", l, err)
		}
		isErr(t, errOf(s.RedeemInvite(ctx, code, 222)), store.ErrInviteUsed)
		if chat, _ := s.Patient(ctx, "P-001"); chat != 111 {
			t.Errorf("used invite relinked the label to %d", chat)
		}
		isErr(t, errOf(s.RedeemInvite(ctx, "no-such-code", 222)), store.ErrNotFound)
		isErr(t, errOf(s.PatientLabel(ctx, 222)), store.ErrNotFound)
		isErr(t, errOf(s.Patient(ctx, "P-404")), store.ErrNotFound)
	})
}

func TestInviteExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		code := mustInvite(t, s, "P-002", 100*time.Millisecond)
		used := mustInvite(t, s, "P-003", 100*time.Millisecond)
		if _, err := s.RedeemInvite(ctx, used, 1); err != nil {
			t.Fatal(err)
		}
		b.elapse(150 * time.Millisecond)
		isErr(t, errOf(s.RedeemInvite(ctx, code, 111)), store.ErrNotFound)
		// The tombstone of a used invite expires with it; the enrolment stays.
		isErr(t, errOf(s.RedeemInvite(ctx, used, 2)), store.ErrNotFound)
		if chat, err := s.Patient(ctx, "P-003"); err != nil || chat != 1 {
			t.Errorf("enrolment lost with the invite: %d %v", chat, err)
		}
	})
}

func TestRelink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		redeem := func(label string, chat int64) store.Redemption {
			t.Helper()
			code := mustInvite(t, s, label, time.Hour)
			r, err := s.Redeem(ctx, code, chat)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := redeem("P-1", 100); r != (store.Redemption{Label: "P-1"}) {
			t.Errorf("first enrolment: %+v", r)
		}
		// The patient got a new phone: the chat left behind is reported, to
		// be told it was disconnected.
		if r := redeem("P-1", 200); r != (store.Redemption{Label: "P-1", Unlinked: 100}) {
			t.Errorf("relink: %+v", r)
		}
		if chat, _ := s.Patient(ctx, "P-1"); chat != 200 {
			t.Errorf("P-1 -> %d, want 200", chat)
		}
		isErr(t, errOf(s.PatientLabel(ctx, 100)), store.ErrNotFound)

		redeem("P-2", 200) // the chat is re-enrolled under another label
		if l, _ := s.PatientLabel(ctx, 200); l != "P-2" {
			t.Errorf("chat 200 -> %q, want P-2", l)
		}
		isErr(t, errOf(s.Patient(ctx, "P-1")), store.ErrNotFound)
	})
}

// TestTwoInvitesForOneLabel: of two invites made for a label not yet
// enrolled, the first opened wins; the second is refused rather than
// silently taking the label from the first patient.
func TestTwoInvitesForOneLabel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		first, second := mustInvite(t, s, "P-7", time.Hour), mustInvite(t, s, "P-7", time.Hour)
		if _, err := s.Redeem(ctx, first, 100); err != nil {
			t.Fatal(err)
		}
		_, err := s.Redeem(ctx, second, 200)
		isErr(t, err, store.ErrInviteUsed)
		if chat, _ := s.Patient(ctx, "P-7"); chat != 100 {
			t.Errorf("P-7 -> %d, want the first patient's chat 100", chat)
		}
		isErr(t, errOf(s.PatientLabel(ctx, 200)), store.ErrNotFound)
	})
}

func TestUnenroll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, s *store.Store) {
		ctx := context.Background()
		code := mustInvite(t, s, "P-002", time.Hour)
		if _, err := s.RedeemInvite(ctx, code, 222); err != nil {
			t.Fatal(err)
		}
		snap, _ := s.Load(ctx, 222, 0)
		if _, err := s.Commit(ctx, store.Commit{ChatID: 222, Version: snap.Version, Session: sampleSession()}); err != nil {
			t.Fatal(err)
		}
		chat, err := s.Unenroll(ctx, "P-002", 900)
		if err != nil || chat != 222 {
			t.Fatalf("Unenroll = %d, %v", chat, err)
		}
		snap, err = s.Load(ctx, 222, 0)
		if err != nil || snap.Patient != "" || snap.Version != 0 || snap.Session.Flow != "" {
			t.Fatalf("after unenrolling, the chat still has %+v (%v)", snap, err)
		}
		if _, err := s.Unenroll(ctx, "P-002", 900); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Unenroll: %v, want ErrNotFound", err)
		}
		if _, err := s.RedeemInvite(ctx, code, 222); !errors.Is(err, store.ErrInviteUsed) {
			t.Fatalf("the used invite relinked the chat: %v", err)
		}
		log, err := s.AuditLog(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if e := log[len(log)-1]; e.Event != "patient.unenrolled" || e.Fields["by"] != "900" || e.Fields["label"] != "P-002" {
			t.Fatalf("audit = %+v", e)
		}
	})
}

// mustInvite creates an invite for label (chat 900's clinician) valid for
// ttl and returns its code.
func mustInvite(t *testing.T, s *store.Store, label string, ttl time.Duration) string {
	t.Helper()
	code, err := s.CreateInvite(context.Background(), label, 900, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return code
}
