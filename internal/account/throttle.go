package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net"
	"time"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Throttling of password logins. Counters are kept per e-mail address (whether or not an
// account exists, so that a lock-out reveals nothing) and per client address. A lock blocks
// password logins only: the password-reset link still works, so an attacker cannot keep the
// owner out for good.
type ThrottlePolicy struct {
	Window        time.Duration // failures older than this are forgotten
	EmailFailures int           // failures per address before a lock
	IPFailures    int           // failures per client address before a lock
	BaseLock      time.Duration // first lock; doubles with each further failure, up to MaxLock
	MaxLock       time.Duration
}

// DefaultThrottle: 5 failures per address or 20 per client address within an hour lock for
// 15 minutes, then 30, 60… up to 4 hours.
var DefaultThrottle = ThrottlePolicy{Window: time.Hour, EmailFailures: 5, IPFailures: 20, BaseLock: 15 * time.Minute, MaxLock: 4 * time.Hour}

// LockedError tells how long to wait. Its message is the same for every address.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "trop de tentatives de connexion" }

// Unwrap makes errors.Is(err, fault.TooMany) true.
func (e *LockedError) Unwrap() error { return fault.TooMany }

// Minutes is the wait rounded up, for the message shown to the user.
func (e *LockedError) Minutes(now time.Time) int {
	return max(1, int(math.Ceil(e.Until.Sub(now).Minutes())))
}

func (s *Service) emailKey(email string) string {
	return "email:" + s.pseudonym("login-email", NormaliseEmail(email))
}

// ipKey groups IPv6 addresses by /64, the block one subscriber usually holds.
func (s *Service) ipKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return "ip:" + s.pseudonym("login-ip", ip)
	}
	if v4 := parsed.To4(); v4 == nil {
		parsed = parsed.Mask(net.CIDRMask(64, 128))
	}
	return "ip:" + s.pseudonym("login-ip", parsed.String())
}

// checkLocks returns a *LockedError if any key is locked.
func checkLocks(ctx context.Context, q database.Querier, now time.Time, keys ...string) error {
	var latest time.Time
	for _, k := range keys {
		var until sql.NullTime
		err := q.QueryRowContext(ctx, `SELECT locked_until FROM login_throttle WHERE key = $1`, k).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("lecture des tentatives : %w", err)
		}
		if until.Valid && until.Time.After(now) && until.Time.After(latest) {
			latest = until.Time
		}
	}
	if !latest.IsZero() {
		return &LockedError{Until: latest}
	}
	return nil
}

// recordFailure counts a failure for key and locks it past the threshold.
func recordFailure(ctx context.Context, q database.Querier, p ThrottlePolicy, key string, threshold int, now time.Time) error {
	var failures int
	var windowStart time.Time
	err := q.QueryRowContext(ctx, `SELECT failures, window_start FROM login_throttle WHERE key = $1`, key).Scan(&failures, &windowStart)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		failures, windowStart = 0, now
	case err != nil:
		return fmt.Errorf("lecture des tentatives : %w", err)
	case now.Sub(windowStart) > p.Window && failures < threshold:
		failures, windowStart = 0, now
	}
	failures++
	var lockedUntil any
	if failures >= threshold {
		lock := p.BaseLock << min(failures-threshold, 8)
		lockedUntil = now.Add(min(lock, p.MaxLock))
	}
	_, err = q.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
		key, failures, windowStart, lockedUntil)
	if err != nil {
		return fmt.Errorf("enregistrement de la tentative : %w", err)
	}
	return nil
}

func clearFailures(ctx context.Context, q database.Querier, key string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = $1`, key); err != nil {
		return fmt.Errorf("remise à zéro des tentatives : %w", err)
	}
	return nil
}

// PurgeThrottle forgets counters whose window and lock are over.
func PurgeThrottle(ctx context.Context, q database.Querier, p ThrottlePolicy, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM login_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2)`,
		now.Add(-p.Window), now)
	if err != nil {
		return 0, fmt.Errorf("purge des tentatives : %w", err)
	}
	return res.RowsAffected()
}
