package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/clock"
	"parcours/internal/database"
)

// The inactivity rule (arrêté of 7 April 2020 creating the plateforme de l'inclusion): an
// account unused for 12 months is warned by e-mail; at 13 months it is deleted, or anonymised
// where other records must keep pointing at it. The warning always comes at least 30 days
// before the deletion, even if the job could not run for a while. Any login in between
// cancels everything (Login clears the warning).
const (
	warnAfterMonths   = 12
	deleteAfterMonths = 13
	minNotice         = 30 * 24 * time.Hour
)

// WarnAt is when an account last active at last gets its warning. Months are counted on the
// French calendar: last active on 15 March, warned on 15 March the next year.
func WarnAt(last time.Time) time.Time { return addMonths(last, warnAfterMonths) }

// DeleteAt is when an account warned at warned (zero: not yet) and last active at last is
// deleted. Without a warning it is never deleted.
func DeleteAt(last, warned time.Time) time.Time {
	if warned.IsZero() {
		return time.Time{}
	}
	d := addMonths(last, deleteAfterMonths)
	if n := warned.Add(minNotice); n.After(d) {
		d = n
	}
	return d
}

// addMonths moves to the same time of day n months later in Paris; a day missing in the
// target month (31 May + 1 month) clamps to the month's last day instead of spilling over.
func addMonths(t time.Time, n int) time.Time {
	p := t.In(clock.Paris)
	y, m, d := p.Date()
	first := time.Date(y, m+time.Month(n), 1, p.Hour(), p.Minute(), p.Second(), p.Nanosecond(), clock.Paris)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), p.Hour(), p.Minute(), p.Second(), p.Nanosecond(), clock.Paris).UTC()
}

// Referenced tells whether other records must keep pointing at a user (then the account is
// anonymised rather than deleted). The composition root supplies it from every module.
type Referenced func(ctx context.Context, q database.Querier, userID uuid.UUID) (bool, error)

// InactivityResult counts what a run did, without identities.
type InactivityResult struct {
	Warned, Deleted, Anonymised int
}

// RunInactivity applies the inactivity rule once. It is idempotent: a second run the same day
// does nothing more.
func (s *Service) RunInactivity(ctx context.Context, referenced Referenced) (InactivityResult, error) {
	now := s.clock.Now()
	var res InactivityResult
	// SQL only narrows the candidates (a few days of margin for month lengths); the rule
	// itself is applied in Go, where it is tested.
	candidates, err := s.inactiveCandidates(ctx, now.AddDate(0, -warnAfterMonths, 4))
	if err != nil {
		return res, err
	}
	for _, u := range candidates {
		switch {
		case u.InactivityWarnedAt.IsZero() && !now.Before(WarnAt(u.LastActivityAt)):
			if err := s.warnInactive(ctx, u, now); err != nil {
				return res, err
			}
			res.Warned++
		case !u.InactivityWarnedAt.IsZero() && !now.Before(DeleteAt(u.LastActivityAt, u.InactivityWarnedAt)):
			anonymised, err := s.removeInactive(ctx, u, now, referenced)
			if err != nil {
				return res, err
			}
			if anonymised {
				res.Anonymised++
			} else {
				res.Deleted++
			}
		}
	}
	return res, nil
}

func (s *Service) inactiveCandidates(ctx context.Context, before time.Time) ([]User, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE anonymised_at IS NULL AND last_activity_at < $1 ORDER BY last_activity_at`, before)
	if err != nil {
		return nil, fmt.Errorf("recherche des comptes inactifs : %w", err)
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

func (s *Service) warnInactive(ctx context.Context, u User, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// The condition makes a concurrent login (which moves last_activity_at) win.
		res, err := tx.ExecContext(ctx, `UPDATE users SET inactivity_warned_at = $2
			WHERE id = $1 AND inactivity_warned_at IS NULL AND last_activity_at = $3`, u.ID, now, u.LastActivityAt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		deletion := DeleteAt(u.LastActivityAt, now)
		if err := s.mail(ctx, tx, u.Email, "inactivity_warning", map[string]any{
			"FirstName": u.FirstName, "DeletionDate": deletion.In(clock.Paris).Format("02/01/2006"), "LoginLink": s.link("/connexion"),
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, "account.inactivity_warned", uuid.Nil, u.ID, "ok", nil)
	})
}

func (s *Service) removeInactive(ctx context.Context, u User, now time.Time, referenced Referenced) (bool, error) {
	anonymise := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var still int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1 AND anonymised_at IS NULL
			AND last_activity_at = $2 AND inactivity_warned_at IS NOT NULL`, u.ID, u.LastActivityAt).Scan(&still); err != nil {
			return err
		}
		if still == 0 {
			return nil // logged in meanwhile
		}
		if referenced != nil {
			var err error
			if anonymise, err = referenced(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		// The goodbye e-mail goes out before the address disappears.
		if err := s.mail(ctx, tx, u.Email, "account_deleted", map[string]any{"FirstName": u.FirstName}); err != nil {
			return err
		}
		if err := s.envelope.Shred(ctx, tx, userSubject(u.ID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, pendingKey(u.ID)); err != nil {
			return err
		}
		outcome := "deleted"
		if anonymise {
			outcome = "anonymised"
			if err := anonymiseUser(ctx, tx, u.ID, now); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, u.ID); err != nil {
			return fmt.Errorf("suppression du compte : %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_deletions (month, kind, outcome, count) VALUES ($1, $2, $3, 1)
			ON CONFLICT (month, kind, outcome) DO UPDATE SET count = account_deletions.count + 1`,
			now.In(clock.Paris).Format("2006-01"), string(u.Kind), outcome); err != nil {
			return err
		}
		return s.record(ctx, tx, "account."+outcome, uuid.Nil, u.ID, "ok", map[string]string{"reason": "inactivity"})
	})
	return anonymise, err
}

// anonymiseUser strips every identifying field but keeps the row, so that applications and
// decisions still point at "an anonymised account".
func anonymiseUser(ctx context.Context, q database.Querier, id uuid.UUID, now time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE users SET email = $2, first_name = 'Compte', last_name = 'anonymisé',
		password_hash = '', email_verified_at = NULL, totp_secret = NULL, totp_confirmed_at = NULL, terms_version = '',
		disabled_at = $3, anonymised_at = $3, updated_at = $3 WHERE id = $1`,
		id, "anonyme-"+id.String()+"@parcours.invalid", now); err != nil {
		return fmt.Errorf("anonymisation du compte : %w", err)
	}
	for _, stmt := range []string{`DELETE FROM sessions WHERE user_id = $1`, `DELETE FROM user_tokens WHERE user_id = $1`,
		`DELETE FROM recovery_codes WHERE user_id = $1`} {
		if _, err := q.ExecContext(ctx, stmt, id); err != nil {
			return err
		}
	}
	return nil
}

// DeletionStats returns the anonymised counts of removed accounts, by month, kind and outcome.
func DeletionStats(ctx context.Context, q database.Querier) (map[string]map[string]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT month, kind, outcome, count FROM account_deletions ORDER BY month`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var month, kind, outcome string
		var n int
		if err := rows.Scan(&month, &kind, &outcome, &n); err != nil {
			return nil, err
		}
		if out[month] == nil {
			out[month] = map[string]int{}
		}
		out[month][kind+"/"+outcome] += n
	}
	return out, rows.Err()
}
