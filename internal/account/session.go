package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Session is a server-side login session.
type Session struct {
	ID                uuid.UUID
	UserID            uuid.UUID
	CreatedAt         time.Time
	LastSeenAt        time.Time
	IdleExpiresAt     time.Time
	AbsoluteExpiresAt time.Time
	MFAVerifiedAt     time.Time
	CurrentOrgID      uuid.UUID
	UserAgent         string
	mfaFailures       int
}

// Lifetimes of sessions by kind of account. Professionals and staff: 30 minutes idle, 12 hours
// at most (homologation targets). Job seekers, often on shared computers but with less
// sensitive rights: 1 hour idle, 24 hours at most.
type Lifetimes struct{ Idle, Absolute time.Duration }

// LifetimesFor returns the session lifetimes of a kind of account.
func LifetimesFor(k Kind) Lifetimes {
	if k == access.JobSeeker {
		return Lifetimes{Idle: time.Hour, Absolute: 24 * time.Hour}
	}
	return Lifetimes{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
}

// touchEvery limits how often a session's last-seen time is written: not on every request.
const touchEvery = time.Minute

// newToken returns a random 256-bit token for a cookie or a link, and its digest for storage.
func newToken() (token, digest string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, tokenDigest(token)
}

func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// createSession starts a session for u and returns its token.
func createSession(ctx context.Context, q database.Querier, u User, now time.Time, userAgent string, mfaVerified bool) (string, Session, error) {
	token, digest := newToken()
	lt := LifetimesFor(u.Kind)
	s := Session{
		ID: uuid.Must(uuid.NewV7()), UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		IdleExpiresAt: now.Add(lt.Idle), AbsoluteExpiresAt: now.Add(lt.Absolute), UserAgent: summariseUserAgent(userAgent),
	}
	if mfaVerified {
		s.MFAVerifiedAt = now
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at,
		absolute_expires_at, mfa_verified_at, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)`,
		s.ID, digest, s.UserID, now, s.IdleExpiresAt, s.AbsoluteExpiresAt, database.NullTime(s.MFAVerifiedAt), s.UserAgent)
	if err != nil {
		return "", Session{}, fmt.Errorf("création de session : %w", err)
	}
	return token, s, nil
}

const sessionColumns = `id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, mfa_verified_at,
	current_org_id, user_agent, mfa_failures`

func scanSession(row rowScanner) (Session, error) {
	var s Session
	var mfa sql.NullTime
	var org uuid.NullUUID
	if err := row.Scan(&s.ID, &s.UserID, &s.CreatedAt, &s.LastSeenAt, &s.IdleExpiresAt, &s.AbsoluteExpiresAt, &mfa,
		&org, &s.UserAgent, &s.mfaFailures); err != nil {
		return Session{}, err
	}
	s.MFAVerifiedAt = mfa.Time
	s.CurrentOrgID = org.UUID
	return s, nil
}

// ErrSessionExpired means the cookie's session is unknown, revoked or expired.
var ErrSessionExpired = fmt.Errorf("session expirée : %w", fault.Unauthenticated)

// sessionByToken returns the live session for a cookie token.
func sessionByToken(ctx context.Context, q database.Querier, token string, now time.Time) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, ErrSessionExpired
	}
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE token_hash = $1 AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2`, tokenDigest(token), now))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrSessionExpired
	}
	if err != nil {
		return Session{}, fmt.Errorf("lecture de session : %w", err)
	}
	return s, nil
}

// touchSession extends the idle deadline, at most once a minute.
func touchSession(ctx context.Context, q database.Querier, s *Session, kind Kind, now time.Time) error {
	if now.Sub(s.LastSeenAt) < touchEvery {
		return nil
	}
	s.LastSeenAt = now
	s.IdleExpiresAt = now.Add(LifetimesFor(kind).Idle)
	_, err := q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id = $1`, s.ID, now, s.IdleExpiresAt)
	if err != nil {
		return fmt.Errorf("mise à jour de session : %w", err)
	}
	return nil
}

// revokeSessions ends every live session of a user, except keep (uuid.Nil: none).
func revokeSessions(ctx context.Context, q database.Querier, userID, keep uuid.UUID, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3`,
		userID, now, keep)
	if err != nil {
		return 0, fmt.Errorf("fermeture des sessions : %w", err)
	}
	return res.RowsAffected()
}

// listSessions returns a user's live sessions, newest first.
func listSessions(ctx context.Context, q database.Querier, userID uuid.UUID, now time.Time) ([]Session, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2
		ORDER BY created_at DESC`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("liste des sessions : %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PurgeSessions deletes sessions that ended more than a day ago (their user agent is personal data).
func PurgeSessions(ctx context.Context, q database.Querier, now time.Time) (int64, error) {
	cutoff := now.Add(-24 * time.Hour)
	res, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE absolute_expires_at < $1 OR idle_expires_at < $1 OR revoked_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge des sessions : %w", err)
	}
	return res.RowsAffected()
}

// summariseUserAgent keeps only a browser and system name ("Firefox sur Linux") so that the
// sessions list is useful without storing a fingerprint.
func summariseUserAgent(ua string) string {
	browser := "Navigateur inconnu"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " sur " + system
}
