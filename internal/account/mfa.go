package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Enrolment is a TOTP secret waiting to be confirmed with a first code.
type Enrolment struct {
	Secret string // grouped base32, for typing into an app
	URI    string // otpauth:// link, for apps that open it
}

// BeginTOTP stores a new secret (encrypted, not yet active) and returns it for display. It
// replaces any previous unconfirmed secret; a confirmed one stays until the new one is confirmed.
func (s *Service) BeginTOTP(ctx context.Context, actor access.Actor) (Enrolment, error) {
	userID, err := own(actor)
	if err != nil {
		return Enrolment{}, err
	}
	secret := newTOTPSecret()
	var e Enrolment
	err = s.tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		sealed, err := s.envelope.Seal(ctx, tx, userSubject(u.ID), pendingTOTPBinding(u.ID), secret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			pendingKey(u.ID), fmt.Sprintf("%x", sealed), s.clock.Now()); err != nil {
			return fmt.Errorf("enregistrement du secret : %w", err)
		}
		e = Enrolment{Secret: groupedSecret(secret), URI: totpURI(secret, u.Email)}
		return nil
	})
	return e, err
}

// A pending secret lives in settings under a per-user key until confirmed, so that starting an
// enrolment never disturbs a working second factor.
func pendingKey(id uuid.UUID) string { return "totp_pending:" + id.String() }

func pendingTOTPBinding(id uuid.UUID) crypto.Binding {
	return crypto.Binding{Table: "settings", Column: "value", Row: pendingKey(id)}
}

// ConfirmTOTP activates the pending secret if code matches it, marks the current session as
// having passed MFA, and returns fresh recovery codes (shown once).
func (s *Service) ConfirmTOTP(ctx context.Context, actor access.Actor, sessionID uuid.UUID, code string) ([]string, error) {
	userID, err := own(actor)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	codes := newRecoveryCodes()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		var hexSealed string
		err = tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, pendingKey(u.ID)).Scan(&hexSealed)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.Field("code", "L'activation a expiré : recommencez")
		}
		if err != nil {
			return err
		}
		var sealed []byte
		if _, err := fmt.Sscanf(hexSealed, "%x", &sealed); err != nil {
			return fmt.Errorf("secret en attente illisible : %w", err)
		}
		secret, err := s.envelope.Open(ctx, tx, userSubject(u.ID), pendingTOTPBinding(u.ID), sealed)
		if err != nil {
			return err
		}
		step, ok := checkTOTP(secret, code, now, 0)
		if !ok {
			return fault.Field("code", "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code affiché")
		}
		active, err := s.envelope.Seal(ctx, tx, userSubject(u.ID), totpBinding(u.ID), secret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $2, totp_confirmed_at = $3, totp_last_step = $4, updated_at = $3
			WHERE id = $1`, u.ID, active, now, step); err != nil {
			return fmt.Errorf("activation du second facteur : %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, pendingKey(u.ID)); err != nil {
			return err
		}
		if err := replaceRecoveryCodes(ctx, tx, u.ID, codes, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_verified_at = $3 WHERE id = $1 AND user_id = $2`, sessionID, u.ID, now); err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "mfa_changed", map[string]any{"FirstName": u.FirstName, "Change": "activée"}); err != nil {
			return err
		}
		return s.record(ctx, tx, "mfa.enabled", u.ID, u.ID, "ok", nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func replaceRecoveryCodes(ctx context.Context, q database.Querier, userID uuid.UUID, codes []string, now time.Time) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("suppression des codes de secours : %w", err)
	}
	for _, c := range codes {
		if _, err := q.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, digest, created_at) VALUES ($1, $2, $3)`,
			userID, recoveryDigest(c), now); err != nil {
			return fmt.Errorf("enregistrement des codes de secours : %w", err)
		}
	}
	return nil
}

// remainingRecoveryCodes counts unused recovery codes.
func remainingRecoveryCodes(ctx context.Context, q database.Querier, userID uuid.UUID) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, err
}

// reauthenticate checks the password again before a sensitive change (ASVS 7.5.3).
func (s *Service) reauthenticate(ctx context.Context, u User, password string) error {
	ok, _, err := s.hasher.Verify(ctx, password, u.passwordHash)
	if err != nil {
		return err
	}
	if !ok {
		return fault.Field("password", "Mot de passe incorrect")
	}
	return nil
}

// DisableTOTP removes the second factor, after checking the password. Accounts that must
// have MFA cannot.
func (s *Service) DisableTOTP(ctx context.Context, actor access.Actor, password string) error {
	userID, err := own(actor)
	if err != nil {
		return err
	}
	u, err := userByID(ctx, s.db.Reader(), userID)
	if err != nil {
		return err
	}
	if required, err := s.mfaRequiredFor(ctx, s.db.Reader(), u); err != nil {
		return err
	} else if required {
		return fmt.Errorf("la double authentification est obligatoire pour ce compte : %w", fault.Forbidden)
	}
	if err := s.reauthenticate(ctx, u, password); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = 0,
			updated_at = $2 WHERE id = $1`, u.ID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "mfa_changed", map[string]any{"FirstName": u.FirstName, "Change": "désactivée"}); err != nil {
			return err
		}
		return s.record(ctx, tx, "mfa.disabled", u.ID, u.ID, "ok", nil)
	})
}

// RegenerateRecoveryCodes replaces the recovery codes after checking the password.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, actor access.Actor, password string) ([]string, error) {
	userID, err := own(actor)
	if err != nil {
		return nil, err
	}
	u, err := userByID(ctx, s.db.Reader(), userID)
	if err != nil {
		return nil, err
	}
	if !u.MFAEnabled() {
		return nil, fmt.Errorf("double authentification inactive : %w", fault.Conflict)
	}
	if err := s.reauthenticate(ctx, u, password); err != nil {
		return nil, err
	}
	codes := newRecoveryCodes()
	now := s.clock.Now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := replaceRecoveryCodes(ctx, tx, u.ID, codes, now); err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "mfa_changed", map[string]any{"FirstName": u.FirstName, "Change": "codes de secours renouvelés"}); err != nil {
			return err
		}
		return s.record(ctx, tx, "mfa.recovery_codes", u.ID, u.ID, "ok", nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// PendingTOTP returns the enrolment waiting for confirmation, to show it again after a wrong
// code.
func (s *Service) PendingTOTP(ctx context.Context, actor access.Actor) (Enrolment, error) {
	userID, err := own(actor)
	if err != nil {
		return Enrolment{}, err
	}
	u, err := userByID(ctx, s.db.Reader(), userID)
	if err != nil {
		return Enrolment{}, err
	}
	var hexSealed string
	err = s.db.Reader().QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, pendingKey(u.ID)).Scan(&hexSealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Enrolment{}, fmt.Errorf("aucune activation en cours : %w", fault.NotFound)
	}
	if err != nil {
		return Enrolment{}, err
	}
	var sealed []byte
	if _, err := fmt.Sscanf(hexSealed, "%x", &sealed); err != nil {
		return Enrolment{}, err
	}
	secret, err := s.envelope.Open(ctx, s.db.Reader(), userSubject(u.ID), pendingTOTPBinding(u.ID), sealed)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: groupedSecret(secret), URI: totpURI(secret, u.Email)}, nil
}
