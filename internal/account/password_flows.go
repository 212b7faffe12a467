package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/fault"
)

// RequestPasswordReset e-mails a single-use link valid one hour if an active account has
// this address. It returns nil either way: the page shown must not tell whether the account
// exists.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	if CheckEmail(email) != nil {
		return nil
	}
	now := s.clock.Now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if errors.Is(err, fault.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !u.Active() {
			return nil
		}
		if recent, err := recentToken(ctx, tx, u.ID, purposeResetPassword, now); err != nil || recent {
			return err
		}
		token, err := issueToken(ctx, tx, u.ID, purposeResetPassword, now, ResetPasswordValidity)
		if err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "password_reset", map[string]any{
			"FirstName": u.FirstName, "Link": s.link("/mot-de-passe/nouveau/" + token), "ExpiresIn": frenchDuration(ResetPasswordValidity),
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, "password.reset_requested", uuid.Nil, u.ID, "ok", nil)
	})
}

// CheckResetToken tells whether a reset link is still valid (to show the form or an error).
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := peekToken(ctx, s.db.Reader(), token, purposeResetPassword, s.clock.Now())
	return err
}

// ResetPassword sets a new password through a reset link. It ends every session, lifts the
// login lock of the address and confirms the address (the link proved access to it).
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	now := s.clock.Now()
	userID, err := peekToken(ctx, s.db.Reader(), token, purposeResetPassword, now)
	if err != nil {
		return err
	}
	u, err := userByID(ctx, s.db.Reader(), userID)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return fault.Field("password", err.Error())
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := useToken(ctx, tx, token, purposeResetPassword, now); err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, u, hash, uuid.Nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1`, u.ID, now); err != nil {
			return err
		}
		if err := clearFailures(ctx, tx, s.emailKey(u.Email)); err != nil {
			return err
		}
		return s.record(ctx, tx, "password.reset", u.ID, u.ID, "ok", nil)
	})
}

// setPassword stores a new hash, ends every session but keep, and tells the owner by e-mail.
func (s *Service) setPassword(ctx context.Context, tx *sql.Tx, u User, hash string, keep uuid.UUID) error {
	now := s.clock.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`,
		u.ID, hash, now); err != nil {
		return fmt.Errorf("changement du mot de passe : %w", err)
	}
	if _, err := revokeSessions(ctx, tx, u.ID, keep, now); err != nil {
		return err
	}
	return s.mail(ctx, tx, u.Email, "password_changed", map[string]any{
		"FirstName": u.FirstName, "When": now.In(clock.Paris).Format("02/01/2006 à 15h04"),
	})
}

// ChangePassword changes the password of a logged-in user who typed the current one. Every
// session ends, including the current one, whose replacement token is returned so the user
// stays logged in on this browser only.
func (s *Service) ChangePassword(ctx context.Context, actor access.Actor, current, next string, c Client) (string, error) {
	userID, err := own(actor)
	if err != nil {
		return "", err
	}
	u, err := userByID(ctx, s.db.Reader(), userID)
	if err != nil {
		return "", err
	}
	f := fault.Fields{}
	if err := s.reauthenticate(ctx, u, current); err != nil {
		f.Add("current_password", "Mot de passe actuel incorrect")
	}
	if err := CheckPassword(next, u.Email); err != nil {
		f.Add("new_password", err.Error())
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return "", err
	}
	var token string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.setPassword(ctx, tx, u, hash, uuid.Nil); err != nil {
			return err
		}
		var sess Session
		var err error
		token, sess, err = createSession(ctx, tx, u, s.clock.Now(), c.UserAgent, true)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, "password.changed", u.ID, u.ID, "ok", map[string]string{"session": sess.ID.String()})
	})
	return token, err
}

// UpdateProfile changes a user's names.
func (s *Service) UpdateProfile(ctx context.Context, actor access.Actor, first, last string) error {
	userID, err := own(actor)
	if err != nil {
		return err
	}
	f := fault.Fields{}
	if err := CheckName(first, "prénom"); err != nil {
		f.Add("first_name", err.Error())
	}
	if err := CheckName(last, "nom"); err != nil {
		f.Add("last_name", err.Error())
	}
	if err := f.Err(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET first_name = $2, last_name = $3, updated_at = $4 WHERE id = $1`,
			userID, first, last, s.clock.Now()); err != nil {
			return fmt.Errorf("enregistrement du profil : %w", err)
		}
		return s.record(ctx, tx, "account.profile_updated", userID, userID, "ok", nil)
	})
}

// RevokeSession ends one of the user's own sessions.
func (s *Service) RevokeSession(ctx context.Context, actor access.Actor, sessionID uuid.UUID) error {
	userID, err := own(actor)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
			sessionID, userID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session : %w", fault.NotFound)
		}
		return s.record(ctx, tx, "session.revoked", userID, userID, "ok", map[string]string{"session": sessionID.String()})
	})
}

// AcceptTerms records that the user accepted the current terms of use.
func (s *Service) AcceptTerms(ctx context.Context, actor access.Actor) error {
	userID, err := own(actor)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET terms_version = $2, terms_accepted_at = $3, updated_at = $3 WHERE id = $1`,
			userID, CurrentTerms, s.clock.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, "terms.accepted", userID, userID, "ok", map[string]string{"version": CurrentTerms})
	})
}

// SetCurrentOrganisation records the organisation one of the actor's own sessions acts for.
// The caller (org.Service.Switch) has checked membership through access.
func (s *Service) SetCurrentOrganisation(ctx context.Context, actor access.Actor, sessionID, orgID uuid.UUID) error {
	userID, err := own(actor)
	if err != nil {
		return err
	}
	res, err := s.db.Writer().ExecContext(ctx, `UPDATE sessions SET current_org_id = $3 WHERE id = $1 AND user_id = $2`, sessionID, userID, orgID)
	if err != nil {
		return fmt.Errorf("changement d'organisation : %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session : %w", fault.NotFound)
	}
	return nil
}
