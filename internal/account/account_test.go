package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

func TestSignUpVerifyAndLogin(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		in := account.SignUp{Kind: access.JobSeeker, Email: "Lea.Dupont@Exemple.fr", Password: goodPassword, FirstName: "Léa", LastName: "Dupont"}
		if err := f.svc.SignUp(ctx, in); err != nil {
			t.Fatal(err)
		}
		// Not confirmed yet: the right password is not enough.
		if _, err := f.svc.Login(ctx, "lea.dupont@exemple.fr", goodPassword, account.Client{IP: "192.0.2.1"}); !errors.Is(err, account.ErrEmailNotVerified) {
			t.Fatalf("login before verification: %v", err)
		}
		link := f.lastLink(t, "lea.dupont@exemple.fr", "verify_email")
		token := strings.TrimPrefix(link, "https://parcours.test/confirmer-email/")
		if err := f.svc.VerifyEmail(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.VerifyEmail(ctx, token); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("a verification link worked twice: %v", err)
		}
		res := f.login(t, "LEA.DUPONT@exemple.fr", goodPassword)
		if res.Next != account.StepDone {
			t.Fatalf("job seeker without MFA must be fully logged in, got step %q", res.Next)
		}
		a, err := f.svc.Authenticate(ctx, res.Token)
		if err != nil || a.User.Email != "lea.dupont@exemple.fr" {
			t.Fatalf("Authenticate = %+v, %v", a.User, err)
		}
		if err := f.svc.Logout(ctx, res.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, res.Token); !errors.Is(err, fault.Unauthenticated) {
			t.Fatalf("session alive after logout: %v", err)
		}
	})
}

func TestSignUpWithTakenAddressRevealsNothing(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.signUpVerified(t, access.JobSeeker, "pris@exemple.fr")
		err := f.svc.SignUp(context.Background(), account.SignUp{Kind: access.Professional, Email: "pris@exemple.fr",
			Password: "Autre-Phrase-Secrete-99", FirstName: "X", LastName: "Y", AcceptTerms: true})
		if err != nil {
			t.Fatalf("sign-up with a taken address must look like success, got %v", err)
		}
		if n := f.countMails(t, "pris@exemple.fr", "account_exists"); n != 1 {
			t.Fatalf("owner should be told once, got %d mails", n)
		}
		u, _ := account.UserByEmail(context.Background(), db.Reader(), "pris@exemple.fr")
		if u.Kind != access.JobSeeker {
			t.Fatal("the existing account was changed")
		}
	})
}

func TestSignUpRejectsBadInputAndWritesNothing(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		err := f.svc.SignUp(context.Background(), account.SignUp{Kind: access.Professional, Email: "pas-une-adresse",
			Password: "court", FirstName: "", LastName: "Nom"})
		fields := fault.FieldsOf(err)
		for _, k := range []string{"email", "password", "first_name", "accept_terms"} {
			if fields[k] == "" {
				t.Errorf("no message for %s: %v", k, err)
			}
		}
		var n int
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d users written, err %v", n, err)
		}
	})
}

func TestLoginAnswersTheSameForUnknownAndKnownAddresses(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.signUpVerified(t, access.JobSeeker, "connu@exemple.fr")
		c := account.Client{IP: "192.0.2.50"}
		_, errKnown := f.svc.Login(ctx, "connu@exemple.fr", "Mauvais-Mot-De-Passe-1", c)
		_, errUnknown := f.svc.Login(ctx, "inconnu@exemple.fr", "Mauvais-Mot-De-Passe-1", c)
		if errKnown == nil || errUnknown == nil || errKnown.Error() != errUnknown.Error() {
			t.Fatalf("different answers: %v / %v", errKnown, errUnknown)
		}
		// Four more failures lock both addresses the same way.
		for range 4 {
			f.svc.Login(ctx, "connu@exemple.fr", "Mauvais-Mot-De-Passe-1", c)
			f.svc.Login(ctx, "inconnu@exemple.fr", "Mauvais-Mot-De-Passe-1", c)
		}
		var lk, lu *account.LockedError
		_, errKnown = f.svc.Login(ctx, "connu@exemple.fr", goodPassword, account.Client{IP: "198.51.100.7"})
		_, errUnknown = f.svc.Login(ctx, "inconnu@exemple.fr", goodPassword, account.Client{IP: "198.51.100.7"})
		if !errors.As(errKnown, &lk) || !errors.As(errUnknown, &lu) || !lk.Until.Equal(lu.Until) {
			t.Fatalf("lock differs between known and unknown addresses: %v / %v", errKnown, errUnknown)
		}
		if !errors.Is(errKnown, fault.TooMany) {
			t.Fatal("lock must be a TooMany error")
		}
		// Even the right password is refused while locked; it works once the lock is over.
		f.clock.Advance(16 * time.Minute)
		f.login(t, "connu@exemple.fr", goodPassword)
	})
}

func TestBruteForceNeverSucceedsOnceLocked(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.signUpVerified(t, access.Professional, "cible@exemple.fr")
		successes := 0
		// 200 guesses from 20 addresses in quick succession, the right one among them.
		for i := range 200 {
			pw := "Essai-Numero-" + string(rune('A'+i%26)) + "-123"
			if i == 150 {
				pw = goodPassword
			}
			_, err := f.svc.Login(ctx, "cible@exemple.fr", pw, account.Client{IP: "203.0.113." + string(rune('0'+i%10))})
			if err == nil {
				successes++
			}
			f.clock.Advance(time.Second)
		}
		if successes != 0 {
			t.Fatalf("%d successful guesses after the lock", successes)
		}
	})
}

func TestIPThrottleLocksAcrossAddresses(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c := account.Client{IP: "2001:db8::1"}
		for i := range 20 {
			f.svc.Login(ctx, "victime"+string(rune('a'+i))+"@exemple.fr", "Mauvais-Mot-De-Passe-1", c)
		}
		// Same /64: still locked.
		_, err := f.svc.Login(ctx, "autre@exemple.fr", "Mauvais-Mot-De-Passe-1", account.Client{IP: "2001:db8::ffff"})
		if !errors.Is(err, fault.TooMany) {
			t.Fatalf("client address not locked after 20 failures: %v", err)
		}
	})
}

func TestPasswordResetIsSingleUseAndExpires(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.signUpVerified(t, access.JobSeeker, "oubli@exemple.fr")
		other := f.login(t, "oubli@exemple.fr", goodPassword)

		if err := f.svc.RequestPasswordReset(ctx, "inconnu@exemple.fr"); err != nil {
			t.Fatalf("unknown address must look like success: %v", err)
		}
		if err := f.svc.RequestPasswordReset(ctx, "oubli@exemple.fr"); err != nil {
			t.Fatal(err)
		}
		token := strings.TrimPrefix(f.lastLink(t, "oubli@exemple.fr", "password_reset"), "https://parcours.test/mot-de-passe/nouveau/")
		if err := f.svc.ResetPassword(ctx, token, "court"); fault.FieldsOf(err)["password"] == "" {
			t.Fatalf("weak password accepted: %v", err)
		}
		if err := f.svc.ResetPassword(ctx, token, "Nouvelle-Phrase-Secrete-7"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ResetPassword(ctx, token, "Encore-Une-Autre-Phrase-8"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("reset link used twice: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, other.Token); err == nil {
			t.Fatal("a session survived the password reset")
		}
		f.login(t, "oubli@exemple.fr", "Nouvelle-Phrase-Secrete-7")
		if f.countMails(t, "oubli@exemple.fr", "password_changed") != 1 {
			t.Fatal("owner not told of the password change")
		}

		// A link older than one hour is refused.
		f.clock.Advance(3 * time.Minute)
		if err := f.svc.RequestPasswordReset(ctx, "oubli@exemple.fr"); err != nil {
			t.Fatal(err)
		}
		token = strings.TrimPrefix(f.lastLink(t, "oubli@exemple.fr", "password_reset"), "https://parcours.test/mot-de-passe/nouveau/")
		f.clock.Advance(time.Hour + time.Second)
		if err := f.svc.ResetPassword(ctx, token, "Nouvelle-Phrase-Secrete-9"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("expired reset link accepted: %v", err)
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.signUpVerified(t, access.Professional, "pro@exemple.fr")

		// Idle: 30 minutes without a request ends a professional's session.
		res := f.login(t, "pro@exemple.fr", goodPassword)
		f.clock.Advance(29 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, res.Token); err != nil {
			t.Fatalf("session ended before 30 idle minutes: %v", err)
		}
		f.clock.Advance(30*time.Minute + time.Second)
		if _, err := f.svc.Authenticate(ctx, res.Token); !errors.Is(err, fault.Unauthenticated) {
			t.Fatalf("session alive after 30 idle minutes: %v", err)
		}

		// Absolute: 12 hours even when active.
		res = f.login(t, "pro@exemple.fr", goodPassword)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			f.clock.Advance(20 * time.Minute)
			if _, err := f.svc.Authenticate(ctx, res.Token); err != nil {
				t.Fatalf("active session ended after %v: %v", elapsed, err)
			}
		}
		f.clock.Advance(40 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, res.Token); !errors.Is(err, fault.Unauthenticated) {
			t.Fatal("session alive after 12 hours")
		}
	})
}

func TestChangePasswordEndsEverySession(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.signUpVerified(t, access.Professional, "change@exemple.fr")
		a := f.login(t, "change@exemple.fr", goodPassword)
		b := f.login(t, "change@exemple.fr", goodPassword)
		if _, err := f.svc.ChangePassword(ctx, self(u), "faux", "Nouvelle-Phrase-Secrete-7", account.Client{}); fault.FieldsOf(err)["current_password"] == "" {
			t.Fatalf("wrong current password accepted: %v", err)
		}
		newTok, err := f.svc.ChangePassword(ctx, self(u), goodPassword, "Nouvelle-Phrase-Secrete-7", account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{a.Token, b.Token} {
			if _, err := f.svc.Authenticate(ctx, tok); err == nil {
				t.Fatal("an old session survived the password change")
			}
		}
		if _, err := f.svc.Authenticate(ctx, newTok); err != nil {
			t.Fatalf("the replacement session does not work: %v", err)
		}
		sessions, err := account.ListSessions(ctx, db.Reader(), u.ID, f.clock.Now())
		if err != nil || len(sessions) != 1 {
			t.Fatalf("%d live sessions after the change, want 1 (%v)", len(sessions), err)
		}
	})
}

func TestRevokeOnlyOwnSessions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		alice := f.signUpVerified(t, access.JobSeeker, "alice@exemple.fr")
		bob := f.signUpVerified(t, access.JobSeeker, "bob@exemple.fr")
		bobSession := f.login(t, "bob@exemple.fr", goodPassword)
		if err := f.svc.RevokeSession(ctx, self(alice), bobSession.Session.ID); !errors.Is(err, fault.NotFound) {
			t.Fatalf("alice revoked bob's session: %v", err)
		}
		if err := f.svc.RevokeSession(ctx, self(bob), bobSession.Session.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, bobSession.Token); err == nil {
			t.Fatal("revoked session still works")
		}
	})
}

func TestDisabledAccountLosesItsSessions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		staff, err := f.svc.CreateVerified(ctx, account.SignUp{Kind: access.Staff, Email: "admin@exemple.fr", Password: goodPassword, FirstName: "A", LastName: "B"})
		if err != nil {
			t.Fatal(err)
		}
		u := f.signUpVerified(t, access.JobSeeker, "cible@exemple.fr")
		s := f.login(t, "cible@exemple.fr", goodPassword)
		staffActor := access.Actor{UserID: staff.ID, Kind: access.Staff, MFA: false}
		if err := f.svc.SetDisabled(ctx, staffActor, u.ID, true); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("staff without MFA disabled an account: %v", err)
		}
		staffActor.MFA = true
		if err := f.svc.SetDisabled(ctx, staffActor, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, s.Token); err == nil {
			t.Fatal("a disabled account's session still works")
		}
		if _, err := f.svc.Login(ctx, "cible@exemple.fr", goodPassword, account.Client{IP: "192.0.2.9"}); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("disabled account logged in: %v", err)
		}
	})
}

func TestStaffReadsOfAccountsAreAudited(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.signUpVerified(t, access.JobSeeker, "lue@exemple.fr")
		staff, _ := f.svc.CreateVerified(ctx, account.SignUp{Kind: access.Staff, Email: "s@exemple.fr", Password: goodPassword, FirstName: "S", LastName: "T"})
		if _, err := f.svc.StaffView(ctx, access.Actor{UserID: u.ID, Kind: access.JobSeeker}, staff.ID); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a job seeker read a staff account: %v", err)
		}
		staffActor := access.Actor{UserID: staff.ID, Kind: access.Staff, MFA: true}
		if _, err := f.svc.StaffView(ctx, staffActor, u.ID); err != nil {
			t.Fatal(err)
		}
		events, _, err := f.trail.List(ctx, staffActor, audit.Filter{Subject: u.ID, ActionPrefix: "read."}, 10, "")
		if err != nil || len(events) != 1 {
			t.Fatalf("audit of the read: %+v %v", events, err)
		}
		if e := events[0]; e.ActorUser != staff.ID.String() || e.Outcome != audit.OutcomeOK || e.Purpose != string(access.PurposeAccounts) ||
			e.ObjectRef == u.ID.String() || e.ObjectType != "person" {
			t.Fatalf("the read is recorded with the staff member, the purpose and the person's pseudonym (not the id): %+v", e)
		}
		// The refused attempt is in the trail too, about the staff account it aimed at.
		denied, _, err := f.trail.List(ctx, staffActor, audit.Filter{Subject: staff.ID, ActionPrefix: "read."}, 10, "")
		if err != nil || len(denied) != 1 || denied[0].Outcome != audit.OutcomeDenied || denied[0].ActorUser != u.ID.String() {
			t.Fatalf("refused read: %+v %v", denied, err)
		}
		// Nobody but staff reads the trail.
		if _, _, err := f.trail.List(ctx, access.Actor{UserID: u.ID, Kind: access.JobSeeker}, audit.Filter{}, 10, ""); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a job seeker read the audit trail: %v", err)
		}
	})
}

// Staff reading the journal get the names of the accounts it names, in one recorded read;
// nobody else does.
func TestStaffNamesAreStaffOnlyAndRecorded(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		u := f.signUpVerified(t, access.JobSeeker, "nommee@exemple.fr")
		staff, _ := f.svc.CreateVerified(ctx, account.SignUp{Kind: access.Staff, Email: "s@exemple.fr", Password: goodPassword, FirstName: "Sam", LastName: "Staff"})
		staffActor := access.Actor{UserID: staff.ID, Kind: access.Staff, MFA: true}
		gone := uuid.New()
		names, err := f.svc.StaffNames(ctx, staffActor, []uuid.UUID{u.ID, staff.ID, u.ID, gone, uuid.Nil})
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 2 || names[u.ID] != "Camille Martin" || names[staff.ID] != "Sam Staff" {
			t.Fatalf("names %v", names)
		}
		if _, err := f.svc.StaffNames(ctx, access.Actor{UserID: u.ID, Kind: access.JobSeeker}, []uuid.UUID{staff.ID}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a job seeker read names: %v", err)
		}
		if _, err := f.svc.StaffNames(ctx, access.Actor{UserID: staff.ID, Kind: access.Staff}, []uuid.UUID{u.ID}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("staff without second factor read names: %v", err)
		}
		events, _, err := f.trail.List(ctx, staffActor, audit.Filter{ActionPrefix: "read.account.names"}, 10, "")
		if err != nil || len(events) != 3 || events[0].Outcome != audit.OutcomeDenied || events[1].Outcome != audit.OutcomeDenied ||
			events[2].Details["count"] != "2" || events[2].Purpose != string(access.PurposeSecurity) {
			t.Fatalf("the lookup and the refusal are recorded: %+v %v", events, err)
		}
	})
}
