// Package account holds user accounts: sign-up, e-mail verification, passwords, login with
// throttling, server-side sessions, TOTP second factor with recovery codes, terms of use, and
// the deletion of accounts unused for 13 months.
package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Kind is the kind of account (job seeker, professional, staff).
type Kind = access.UserKind

// User is an account. Zero times mean "never" (NULL in the database).
type User struct {
	ID                 uuid.UUID
	Kind               Kind
	Email              string
	FirstName          string
	LastName           string
	EmailVerifiedAt    time.Time
	CreatedAt          time.Time
	LastLoginAt        time.Time
	LastActivityAt     time.Time
	PasswordChangedAt  time.Time
	DisabledAt         time.Time
	TermsVersion       string
	TermsAcceptedAt    time.Time
	MFAEnabledAt       time.Time
	InactivityWarnedAt time.Time
	AnonymisedAt       time.Time

	passwordHash string
	totpSecret   []byte
	totpLastStep int64
}

// FullName is "First Last".
func (u User) FullName() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// MFAEnabled tells whether the user has a confirmed second factor.
func (u User) MFAEnabled() bool { return !u.MFAEnabledAt.IsZero() }

// Active tells whether the account may log in at all.
func (u User) Active() bool { return u.DisabledAt.IsZero() && u.AnonymisedAt.IsZero() }

// KindLabel is the French name of the account's kind.
func (u User) KindLabel() string { return KindLabel(u.Kind) }

// KindLabel is the French name of a kind of account.
func KindLabel(k Kind) string {
	switch k {
	case access.JobSeeker:
		return "Candidat"
	case access.Professional:
		return "Professionnel"
	case access.Staff:
		return "Administrateur de la plateforme"
	}
	return string(k)
}

const userColumns = `id, kind, email, first_name, last_name, email_verified_at, created_at, last_login_at,
	last_activity_at, password_changed_at, disabled_at, terms_version, terms_accepted_at, totp_confirmed_at,
	inactivity_warned_at, anonymised_at, password_hash, totp_secret, totp_last_step`

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(row rowScanner) (User, error) {
	var u User
	var kind string
	var verified, lastLogin, pwChanged, disabled, terms, mfa, warned, anon sql.NullTime
	err := row.Scan(&u.ID, &kind, &u.Email, &u.FirstName, &u.LastName, &verified, &u.CreatedAt, &lastLogin,
		&u.LastActivityAt, &pwChanged, &disabled, &u.TermsVersion, &terms, &mfa, &warned, &anon,
		&u.passwordHash, &u.totpSecret, &u.totpLastStep)
	if err != nil {
		return User{}, err
	}
	u.Kind = Kind(kind)
	u.EmailVerifiedAt = verified.Time
	u.LastLoginAt = lastLogin.Time
	u.PasswordChangedAt = pwChanged.Time
	u.DisabledAt = disabled.Time
	u.TermsAcceptedAt = terms.Time
	u.MFAEnabledAt = mfa.Time
	u.InactivityWarnedAt = warned.Time
	u.AnonymisedAt = anon.Time
	u.CreatedAt = u.CreatedAt.UTC()
	u.LastActivityAt = u.LastActivityAt.UTC()
	return u, nil
}

// userByID loads a user.
func userByID(ctx context.Context, q database.Querier, id uuid.UUID) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("utilisateur %s : %w", id, fault.NotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("lecture de l'utilisateur : %w", err)
	}
	return u, nil
}

// userByEmail loads a user by e-mail (case-insensitive).
func userByEmail(ctx context.Context, q database.Querier, email string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, NormaliseEmail(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("utilisateur : %w", fault.NotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("lecture de l'utilisateur : %w", err)
	}
	return u, nil
}

// NormaliseEmail trims and lower-cases an address; the whole address is lower-cased because
// in practice no French mail provider treats the local part case-sensitively.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CheckEmail validates an address typed in a form.
func CheckEmail(email string) error {
	email = NormaliseEmail(email)
	if email == "" {
		return errors.New("Saisissez votre adresse e-mail")
	}
	if len(email) > 254 {
		return errors.New("L'adresse e-mail est trop longue")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return errors.New("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr")
	}
	return nil
}

// CheckName validates a first or last name.
func CheckName(name, what string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Errorf("Saisissez votre %s", what)
	}
	if utf8.RuneCountInString(name) > 100 {
		return fmt.Errorf("Le %s ne doit pas dépasser 100 caractères", what)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' {
			return fmt.Errorf("Le %s contient un caractère non autorisé", what)
		}
	}
	return nil
}

// insertUser writes a new user.
func insertUser(ctx context.Context, q database.Querier, u User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (id, kind, email, email_verified_at, password_hash, first_name,
		last_name, created_at, updated_at, last_activity_at, password_changed_at, terms_version, terms_accepted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, $9, $10, $11)`,
		u.ID, string(u.Kind), u.Email, database.NullTime(u.EmailVerifiedAt), u.passwordHash, strings.TrimSpace(u.FirstName),
		strings.TrimSpace(u.LastName), u.CreatedAt, database.NullTime(u.PasswordChangedAt), u.TermsVersion, database.NullTime(u.TermsAcceptedAt))
	if database.IsUniqueViolation(err) {
		return fmt.Errorf("adresse e-mail déjà utilisée : %w", fault.Conflict)
	}
	if err != nil {
		return fmt.Errorf("création du compte : %w", err)
	}
	return nil
}

// Filter selects users on the staff screens.
type Filter struct {
	Query string // part of the e-mail or name
	Kind  Kind
	// After is the keyset cursor: the e-mail of the last row of the previous page.
	After string
	Limit int
}

// search lists users for the staff screens, ordered by e-mail.
func search(ctx context.Context, q database.Querier, f Filter) ([]User, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	like := "%" + strings.ToLower(strings.TrimSpace(f.Query)) + "%"
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE ($1 = '%%' OR email LIKE $1 OR lower(first_name || ' ' || last_name) LIKE $1)
		  AND ($2 = '' OR kind = $2) AND email > $3
		ORDER BY email LIMIT $4`, like, string(f.Kind), f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("recherche d'utilisateurs : %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
