package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// SignUp is what the sign-up form sends.
type SignUp struct {
	Kind        Kind
	Email       string
	Password    string
	FirstName   string
	LastName    string
	AcceptTerms bool // required from professionals
}

// Validate returns the French message of every field in error.
func (in SignUp) Validate() error {
	f := fault.Fields{}
	if in.Kind != access.JobSeeker && in.Kind != access.Professional {
		f.Add("kind", "Choisissez le type de compte")
	}
	if err := CheckName(in.FirstName, "prénom"); err != nil {
		f.Add("first_name", err.Error())
	}
	if err := CheckName(in.LastName, "nom"); err != nil {
		f.Add("last_name", err.Error())
	}
	if err := CheckEmail(in.Email); err != nil {
		f.Add("email", err.Error())
	}
	if err := CheckPassword(in.Password, in.Email); err != nil {
		f.Add("password", err.Error())
	}
	if in.Kind == access.Professional && !in.AcceptTerms {
		f.Add("accept_terms", "Acceptez les conditions d'utilisation pour créer un compte professionnel")
	}
	return f.Err()
}

// SignUp creates an unverified account and e-mails a confirmation link. When the address is
// already taken, it e-mails the owner instead and returns nil as well: the page shown is the
// same, so sign-up cannot be used to find out who has an account.
func (s *Service) SignUp(ctx context.Context, in SignUp) error {
	if err := in.Validate(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	email := NormaliseEmail(in.Email)
	return s.tx(ctx, func(tx *sql.Tx) error {
		existing, err := userByEmail(ctx, tx, email)
		switch {
		case err == nil:
			return s.mail(ctx, tx, existing.Email, "account_exists", map[string]any{
				"FirstName": existing.FirstName, "LoginLink": s.link("/connexion"), "ResetLink": s.link("/mot-de-passe/oubli"),
			})
		case !errors.Is(err, fault.NotFound):
			return err
		}
		u := User{ID: uuid.Must(uuid.NewV7()), Kind: in.Kind, Email: email, FirstName: in.FirstName, LastName: in.LastName,
			CreatedAt: now, LastActivityAt: now, PasswordChangedAt: now, passwordHash: hash}
		if in.Kind == access.Professional {
			u.TermsVersion, u.TermsAcceptedAt = CurrentTerms, now
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		if err := s.sendVerification(ctx, tx, u, now); err != nil {
			return err
		}
		return s.record(ctx, tx, "account.signup", u.ID, u.ID, "ok", map[string]string{"kind": string(u.Kind)})
	})
}

func (s *Service) sendVerification(ctx context.Context, q database.Querier, u User, now time.Time) error {
	token, err := issueToken(ctx, q, u.ID, purposeVerifyEmail, now, VerifyEmailValidity)
	if err != nil {
		return err
	}
	return s.mail(ctx, q, u.Email, "verify_email", map[string]any{
		"FirstName": u.FirstName, "Link": s.link("/confirmer-email/" + token), "ExpiresIn": frenchDuration(VerifyEmailValidity),
	})
}

// ResendVerification sends a new confirmation link if an unconfirmed account has this
// address. It says nothing either way.
func (s *Service) ResendVerification(ctx context.Context, email string) error {
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
		if !u.EmailVerifiedAt.IsZero() || !u.Active() {
			return nil
		}
		if recent, err := recentToken(ctx, tx, u.ID, purposeVerifyEmail, now); err != nil || recent {
			return err
		}
		return s.sendVerification(ctx, tx, u, now)
	})
}

// recentToken tells whether a link of this purpose was sent in the last two minutes: more
// would let anyone flood a mailbox.
func recentToken(ctx context.Context, q database.Querier, userID uuid.UUID, purpose string, now time.Time) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3`,
		userID, purpose, now.Add(-2*time.Minute)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("lecture des liens envoyés : %w", err)
	}
	return n > 0, nil
}

// VerifyEmail confirms the address behind a link.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	now := s.clock.Now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		userID, err := useToken(ctx, tx, token, purposeVerifyEmail, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = $2, updated_at = $2
			WHERE id = $1 AND email_verified_at IS NULL`, userID, now); err != nil {
			return fmt.Errorf("confirmation de l'adresse : %w", err)
		}
		return s.record(ctx, tx, "account.email_verified", userID, userID, "ok", nil)
	})
}
