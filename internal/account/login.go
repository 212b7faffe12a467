package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Client describes the browser making a request, for throttling and the sessions list.
type Client struct {
	IP        string
	UserAgent string
}

// ErrBadCredentials is the one answer for an unknown address, a wrong password and a
// disabled account, so that the login form reveals nothing.
var ErrBadCredentials = fmt.Errorf("adresse e-mail ou mot de passe incorrect : %w", fault.Invalid)

// ErrEmailNotVerified is returned after a correct password on an unconfirmed account.
var ErrEmailNotVerified = fmt.Errorf("adresse e-mail non confirmée : %w", fault.Forbidden)

// Step tells what the new session still needs before it may use the platform.
type Step string

const (
	StepDone     Step = ""          // fully logged in
	StepMFA      Step = "mfa"       // enter a TOTP or recovery code
	StepMFASetup Step = "mfa_setup" // must enrol a second factor first (staff)
)

// LoginResult is a new session.
type LoginResult struct {
	Token   string
	Session Session
	User    User
	Next    Step
}

// Login checks a password and opens a session. Throttling locks are checked first; a wrong
// password counts against the address and the client. The session is always new (renewed at
// login), so a session fixed before login is worthless.
func (s *Service) Login(ctx context.Context, email, password string, c Client) (LoginResult, error) {
	now := s.clock.Now()
	emailKey, ipKey := s.emailKey(email), s.ipKey(c.IP)
	if err := checkLocks(ctx, s.db.Reader(), now, emailKey, ipKey); err != nil {
		return LoginResult{}, err
	}
	u, err := userByEmail(ctx, s.db.Reader(), email)
	found := err == nil
	if err != nil && !errors.Is(err, fault.NotFound) {
		return LoginResult{}, err
	}
	hash := ""
	if found {
		hash = u.passwordHash
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, hash)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok || !found || !u.Active() {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if err := recordFailure(ctx, tx, s.throttle, emailKey, s.throttle.EmailFailures, now); err != nil {
				return err
			}
			if err := recordFailure(ctx, tx, s.throttle, ipKey, s.throttle.IPFailures, now); err != nil {
				return err
			}
			var subject uuid.UUID
			if found {
				subject = u.ID
			}
			return s.record(ctx, tx, "login.failure", uuid.Nil, subject, "denied", nil)
		})
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, ErrBadCredentials
	}
	if u.EmailVerifiedAt.IsZero() {
		return LoginResult{}, ErrEmailNotVerified
	}
	newHash := ""
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return LoginResult{}, err
		}
	}
	required, err := s.mfaRequiredFor(ctx, s.db.Reader(), u)
	if err != nil {
		return LoginResult{}, err
	}
	var res LoginResult
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := clearFailures(ctx, tx, emailKey); err != nil {
			return err
		}
		// Any login cancels a pending inactivity deletion.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = $2, last_activity_at = $2, inactivity_warned_at = NULL,
			password_hash = CASE WHEN $3 = '' THEN password_hash ELSE $3 END WHERE id = $1`, u.ID, now, newHash); err != nil {
			return fmt.Errorf("enregistrement de la connexion : %w", err)
		}
		token, sess, err := createSession(ctx, tx, u, now, c.UserAgent, false)
		if err != nil {
			return err
		}
		res = LoginResult{Token: token, Session: sess, User: u}
		switch {
		case u.MFAEnabled():
			res.Next = StepMFA
		case required:
			res.Next = StepMFASetup
		}
		details := map[string]string{"session": sess.ID.String()}
		if res.Next != StepDone {
			details["next"] = string(res.Next)
		}
		return s.record(ctx, tx, "login.password", u.ID, u.ID, "ok", details)
	})
	return res, err
}

// Authenticated is a live session with its user and what it still needs.
type Authenticated struct {
	Session Session
	User    User
	Next    Step
}

// Authenticate returns the session behind a cookie token, extending its idle deadline.
func (s *Service) Authenticate(ctx context.Context, token string) (Authenticated, error) {
	now := s.clock.Now()
	q := s.db.Reader()
	sess, err := sessionByToken(ctx, q, token, now)
	if err != nil {
		return Authenticated{}, err
	}
	u, err := userByID(ctx, q, sess.UserID)
	if errors.Is(err, fault.NotFound) {
		return Authenticated{}, ErrSessionExpired
	}
	if err != nil {
		return Authenticated{}, err
	}
	if !u.Active() {
		return Authenticated{}, ErrSessionExpired
	}
	a := Authenticated{Session: sess, User: u}
	if sess.MFAVerifiedAt.IsZero() {
		if u.MFAEnabled() {
			a.Next = StepMFA
		} else if required, err := s.mfaRequiredFor(ctx, q, u); err != nil {
			return Authenticated{}, err
		} else if required {
			a.Next = StepMFASetup
		}
	}
	if err := touchSession(ctx, s.db.Writer(), &a.Session, u.Kind, now); err != nil {
		return Authenticated{}, err
	}
	return a, nil
}

// Logout ends the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error {
	now := s.clock.Now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var id, userID uuid.UUID
		err := tx.QueryRowContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL
			RETURNING id, user_id`, tokenDigest(token), now).Scan(&id, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("déconnexion : %w", err)
		}
		return s.record(ctx, tx, "logout", userID, userID, "ok", map[string]string{"session": id.String()})
	})
}

// maxMFAFailures ends a session after this many wrong codes: with a million codes and three
// accepted at a time, five guesses give an attacker about 1 chance in 66,000.
const maxMFAFailures = 5

// errBadCode is a wrong TOTP or recovery code, reported on the "code" field.
var errBadCode = fault.Field("code", "Code incorrect ou expiré : saisissez le code affiché par votre application ou un code de secours")

// CompleteMFA checks the second factor of a session waiting for it, and renews the session's
// token once it passes.
func (s *Service) CompleteMFA(ctx context.Context, token, code string) (string, error) {
	now := s.clock.Now()
	var newTok string
	var failed bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sess, err := sessionByToken(ctx, tx, token, now)
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if !sess.MFAVerifiedAt.IsZero() || !u.MFAEnabled() {
			return fmt.Errorf("aucune vérification en attente : %w", fault.Conflict)
		}
		ok, how, err := s.checkSecondFactor(ctx, tx, u, code, now)
		if err != nil {
			return err
		}
		if !ok {
			failed = true
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_failures = mfa_failures + 1,
				revoked_at = CASE WHEN mfa_failures + 1 >= $2 THEN $3 ELSE revoked_at END WHERE id = $1`,
				sess.ID, maxMFAFailures, now); err != nil {
				return err
			}
			return s.record(ctx, tx, "login.mfa", u.ID, u.ID, "denied", map[string]string{"session": sess.ID.String()})
		}
		var digest string
		newTok, digest = newToken()
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET token_hash = $2, mfa_verified_at = $3, mfa_failures = 0 WHERE id = $1`,
			sess.ID, digest, now); err != nil {
			return fmt.Errorf("validation de la session : %w", err)
		}
		return s.record(ctx, tx, "login.mfa", u.ID, u.ID, "ok", map[string]string{"session": sess.ID.String(), "factor": how})
	})
	if err != nil {
		return "", err
	}
	if failed {
		return "", errBadCode
	}
	return newTok, nil
}

// checkSecondFactor accepts a current TOTP code (never twice) or an unused recovery code.
func (s *Service) checkSecondFactor(ctx context.Context, q database.Querier, u User, code string, now time.Time) (bool, string, error) {
	secret, err := s.envelope.Open(ctx, q, userSubject(u.ID), totpBinding(u.ID), u.totpSecret)
	if err != nil {
		return false, "", fmt.Errorf("lecture du secret TOTP : %w", err)
	}
	if step, ok := checkTOTP(secret, code, now, u.totpLastStep); ok {
		res, err := q.ExecContext(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, u.ID, step)
		if err != nil {
			return false, "", err
		}
		// A concurrent request used the same code first.
		if n, _ := res.RowsAffected(); n == 0 {
			return false, "", nil
		}
		return true, "totp", nil
	}
	res, err := q.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND digest = $2 AND used_at IS NULL`,
		u.ID, recoveryDigest(code), now)
	if err != nil {
		return false, "", err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, "recovery_code", nil
	}
	return false, "", nil
}

func userSubject(id uuid.UUID) string { return "user:" + id.String() }

func totpBinding(id uuid.UUID) crypto.Binding {
	return crypto.Binding{Table: "users", Column: "totp_secret", Row: id.String()}
}
