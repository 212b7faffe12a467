package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Purposes of e-mailed tokens and how long they stay valid.
const (
	purposeVerifyEmail   = "verify_email"
	purposeResetPassword = "reset_password"

	VerifyEmailValidity   = 48 * time.Hour
	ResetPasswordValidity = time.Hour
)

// ErrTokenInvalid means the link is unknown, used or expired; the message says what to do.
var ErrTokenInvalid = fmt.Errorf("ce lien n'est plus valable : il a expiré ou a déjà servi : %w", fault.Invalid)

// issueToken creates a single-use token and invalidates the user's earlier unused ones of the
// same purpose, so only the latest e-mail works.
func issueToken(ctx context.Context, q database.Querier, userID uuid.UUID, purpose string, now time.Time, validity time.Duration) (string, error) {
	if _, err := q.ExecContext(ctx, `UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		userID, purpose, now); err != nil {
		return "", fmt.Errorf("invalidation des anciens liens : %w", err)
	}
	token, digest := newToken()
	if _, err := q.ExecContext(ctx, `INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, digest, userID, purpose, now, now.Add(validity)); err != nil {
		return "", fmt.Errorf("création du lien : %w", err)
	}
	return token, nil
}

// peekToken returns the user a live token belongs to, without using it (to show a form).
func peekToken(ctx context.Context, q database.Querier, token, purpose string, now time.Time) (uuid.UUID, error) {
	if token == "" || len(token) > 100 {
		return uuid.Nil, ErrTokenInvalid
	}
	var userID uuid.UUID
	err := q.QueryRowContext(ctx, `SELECT user_id FROM user_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`, tokenDigest(token), purpose, now).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, ErrTokenInvalid
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("lecture du lien : %w", err)
	}
	return userID, nil
}

// useToken consumes a live token and returns its user. The conditional UPDATE makes two
// concurrent uses impossible: only one sees a row change.
func useToken(ctx context.Context, q database.Querier, token, purpose string, now time.Time) (uuid.UUID, error) {
	if token == "" || len(token) > 100 {
		return uuid.Nil, ErrTokenInvalid
	}
	var userID uuid.UUID
	err := q.QueryRowContext(ctx, `UPDATE user_tokens SET used_at = $3
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id`,
		tokenDigest(token), purpose, now).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, ErrTokenInvalid
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("utilisation du lien : %w", err)
	}
	return userID, nil
}
