package account_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

// codeAt computes a TOTP code the way an authenticator app does (independently of the package).
func codeAt(t *testing.T, grouped string, at time.Time) string {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(grouped, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1_000_000)
}

func enrol(t *testing.T, f *fixture, u account.User, sess account.Session) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := f.svc.BeginTOTP(ctx, self(u))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI, "otpauth://totp/") {
		t.Fatalf("URI %q", e.URI)
	}
	if _, err := f.svc.ConfirmTOTP(ctx, self(u), sess.ID, "000000"); fault.FieldsOf(err)["code"] == "" && codeAt(t, e.Secret, f.clock.Now()) != "000000" {
		t.Fatalf("wrong confirmation code accepted: %v", err)
	}
	codes, err := f.svc.ConfirmTOTP(ctx, self(u), sess.ID, codeAt(t, e.Secret, f.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	return e.Secret, codes
}

func TestTOTPLoginWithReplayProtectionAndRecoveryCodes(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.signUpVerified(t, access.Professional, "mfa@exemple.fr")
		first := f.login(t, "mfa@exemple.fr", goodPassword)
		secret, codes := enrol(t, f, u, first.Session)
		if f.countMails(t, "mfa@exemple.fr", "mfa_changed") != 1 {
			t.Fatal("owner not told MFA was enabled")
		}

		f.clock.Advance(2 * time.Minute)
		res := f.login(t, "mfa@exemple.fr", goodPassword)
		if res.Next != account.StepMFA {
			t.Fatalf("login with MFA enabled: step %q", res.Next)
		}
		a, err := f.svc.Authenticate(ctx, res.Token)
		if err != nil || a.Next != account.StepMFA {
			t.Fatalf("half-logged session: %+v %v", a.Next, err)
		}
		code := codeAt(t, secret, f.clock.Now())
		full, err := f.svc.CompleteMFA(ctx, res.Token, code)
		if err != nil {
			t.Fatal(err)
		}
		if full == res.Token {
			t.Fatal("the session token was not renewed after MFA")
		}
		if _, err := f.svc.Authenticate(ctx, res.Token); err == nil {
			t.Fatal("the pre-MFA token still works")
		}
		if a, err := f.svc.Authenticate(ctx, full); err != nil || a.Next != account.StepDone {
			t.Fatalf("after MFA: %v %v", a.Next, err)
		}

		// The same code cannot log in a second session (replay).
		res2 := f.login(t, "mfa@exemple.fr", goodPassword)
		if _, err := f.svc.CompleteMFA(ctx, res2.Token, code); fault.FieldsOf(err)["code"] == "" {
			t.Fatalf("replayed code accepted: %v", err)
		}
		// A recovery code works once.
		if _, err := f.svc.CompleteMFA(ctx, res2.Token, strings.ToUpper(codes[0])); err != nil {
			t.Fatalf("recovery code refused: %v", err)
		}
		res3 := f.login(t, "mfa@exemple.fr", goodPassword)
		if _, err := f.svc.CompleteMFA(ctx, res3.Token, codes[0]); fault.FieldsOf(err)["code"] == "" {
			t.Fatalf("recovery code used twice: %v", err)
		}
		n, _ := account.RemainingRecoveryCodes(ctx, db.Reader(), u.ID)
		if n != 9 {
			t.Fatalf("%d recovery codes left, want 9", n)
		}
	})
}

func TestWrongCodesEndTheSession(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.signUpVerified(t, access.Professional, "devine@exemple.fr")
		s := f.login(t, "devine@exemple.fr", goodPassword)
		secret, _ := enrol(t, f, u, s.Session)
		f.clock.Advance(time.Minute)
		res := f.login(t, "devine@exemple.fr", goodPassword)
		right := codeAt(t, secret, f.clock.Now())
		for i := range 5 {
			wrong := fmt.Sprintf("%06d", (i*7919+1)%1_000_000)
			if wrong == right {
				wrong = "999999"
			}
			f.svc.CompleteMFA(ctx, res.Token, wrong)
		}
		if _, err := f.svc.CompleteMFA(ctx, res.Token, right); !errors.Is(err, fault.Unauthenticated) {
			t.Fatalf("session not ended after 5 wrong codes: %v", err)
		}
	})
}

func TestStaffMustEnrolAndCannotDisableMFA(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		staff, err := f.svc.CreateVerified(ctx, account.SignUp{Kind: access.Staff, Email: "staff@exemple.fr", Password: goodPassword, FirstName: "S", LastName: "T"})
		if err != nil {
			t.Fatal(err)
		}
		res := f.login(t, "staff@exemple.fr", goodPassword)
		if res.Next != account.StepMFASetup {
			t.Fatalf("staff without MFA: step %q, want mfa_setup", res.Next)
		}
		enrol(t, f, staff, res.Session)
		a, err := f.svc.Authenticate(ctx, res.Token)
		if err != nil || a.Next != account.StepDone {
			t.Fatalf("after enrolment: %q %v", a.Next, err)
		}
		if err := f.svc.DisableTOTP(ctx, self(staff), goodPassword); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("staff disabled MFA: %v", err)
		}
	})
}

func TestTOTPSecretIsEncryptedAtRest(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		u := f.signUpVerified(t, access.Professional, "chiffre@exemple.fr")
		s := f.login(t, "chiffre@exemple.fr", goodPassword)
		secret, _ := enrol(t, f, u, s.Session)
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(secret, " ", ""))
		var stored []byte
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT totp_secret FROM users WHERE id = $1`, u.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if len(stored) == 0 || strings.Contains(string(stored), string(raw)) {
			t.Fatal("TOTP secret stored in clear")
		}
	})
}
