package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting reads a platform setting; ok is false when it was never set.
func Setting(ctx context.Context, q Querier, key string) (value string, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("lecture du réglage %s : %w", key, err)
	}
	return value, true, nil
}

// SetSetting writes a platform setting.
func SetSetting(ctx context.Context, q Querier, key, value string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, now)
	if err != nil {
		return fmt.Errorf("écriture du réglage %s : %w", key, err)
	}
	return nil
}
