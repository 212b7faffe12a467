package crypto

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"parcours/internal/clock"
	"parcours/internal/database"
)

// rewrapBatch is how many DEKs one rotation transaction re-wraps: small enough that each
// transaction holds its row locks (PostgreSQL) or the single writer (SQLite) for milliseconds,
// so the application keeps reading and writing during a rotation.
const rewrapBatch = 500

// rewrapPasses bounds the sweeps over subject_keys. A second sweep catches DEKs created under
// the old KEK by instances that had not yet seen the new one.
const rewrapPasses = 3

// RotateReport tells what a rotation or a re-wrap did.
type RotateReport struct {
	// NewVersion is the KEK version that became primary (0 for a re-wrap alone).
	NewVersion int
	// Rewrapped counts DEKs now wrapped by the primary KEK.
	Rewrapped int
	// Skipped counts DEKs shredded or re-wrapped by someone else while the rotation ran.
	Skipped int
	// Remaining counts live DEKs still wrapped by an older KEK; 0 unless instances with an
	// outdated keyring kept creating keys. Run the rotation's re-wrap again before retiring.
	Remaining int
	// Batches counts the transactions used.
	Batches int
	// Retirable lists the older KEK versions that no live DEK uses any more (see Retire).
	Retirable []int
	// Duration is the wall time of the re-wrap.
	Duration time.Duration
}

// RetireReport tells what Retire did.
type RetireReport struct {
	// Retired lists the KEK versions removed from the keyring file.
	Retired []int
	// Kept maps the older KEK versions still in use to their number of live DEKs.
	Kept map[int]int
}

// Rotate adds a new KEK version to the keyring file at path, makes it primary, and re-wraps
// every live DEK under it, in short transactions, while the application keeps running.
//
// The file is rewritten atomically before any DEK is re-wrapped, so an instance that meets a
// DEK wrapped by the new KEK finds it by rereading the file (Envelopes made with OpenEnvelope do
// this by themselves). Instances whose keyring comes from an environment variable cannot: give
// them the new keyring (from the vault) and restart them before re-wrapping, that is, run Rotate
// on a copy of the file, publish it, restart, then run Rewrap.
//
// The older KEKs stay in the file: remove them with Retire once every instance uses the new
// keyring and Remaining is 0.
func Rotate(ctx context.Context, db *database.DB, path string) (RotateReport, error) {
	unlock, err := lockKeyring(path)
	if err != nil {
		return RotateReport{}, err
	}
	defer unlock()
	kr, err := LoadKeyring(path)
	if err != nil {
		return RotateReport{}, err
	}
	// A keyring file restored from an old copy would lack KEKs the database already relies on.
	published, ok, err := database.Setting(ctx, db.Reader(), settingPrimaryKEK)
	if err != nil {
		return RotateReport{}, err
	}
	if n, _ := strconv.Atoi(published); ok && n > kr.primary {
		return RotateReport{}, fmt.Errorf("le trousseau %s (clé principale %d) est plus ancien que la base (clé principale %d) : %w",
			path, kr.primary, n, ErrUnknownKEK)
	}
	now := clock.System{}.Now()
	next, version := kr.withNewKEK(now)
	data, err := next.Marshal()
	if err != nil {
		return RotateReport{}, err
	}
	if err := writeKeyringFile(path, data, true); err != nil {
		return RotateReport{}, err
	}
	if err := database.SetSetting(ctx, db.Writer(), settingPrimaryKEK, strconv.Itoa(version), now); err != nil {
		return RotateReport{}, fmt.Errorf("la clé %d est principale dans %s mais la base ne le sait pas (relancez la rotation) : %w",
			version, path, err)
	}
	rep, err := Rewrap(ctx, db, next)
	rep.NewVersion = version
	return rep, err
}

// Rewrap re-wraps every live DEK not yet under kr's primary KEK. It is what Rotate does after
// adding the key, and it can be run again to finish an interrupted rotation.
func Rewrap(ctx context.Context, db *database.DB, kr *Keyring) (RotateReport, error) {
	start := time.Now()
	var rep RotateReport
	now := clock.System{}.Now()
	for range rewrapPasses {
		after := ""
		for {
			var rewrapped, skipped, seen int
			var last string
			err := db.WithTx(ctx, func(tx *sql.Tx) error {
				// Counters are set inside so that a retried transaction does not count twice.
				var err error
				rewrapped, skipped, seen, last, err = rewrapBatchTx(ctx, tx, kr, after, now)
				return err
			})
			if err != nil {
				rep.Duration = time.Since(start)
				return rep, fmt.Errorf("réemballage des clés après %d lots : %w", rep.Batches, err)
			}
			rep.Batches++
			rep.Rewrapped += rewrapped
			rep.Skipped += skipped
			if seen < rewrapBatch {
				break
			}
			after = last
		}
		counts, err := liveKeysByVersion(ctx, db.Reader())
		if err != nil {
			return rep, err
		}
		rep.Remaining, rep.Retirable = 0, nil
		for _, v := range kr.Versions() {
			if v == kr.primary {
				continue
			}
			if counts[v] == 0 {
				rep.Retirable = append(rep.Retirable, v)
			}
			rep.Remaining += counts[v]
		}
		for v, n := range counts {
			if _, known := kr.keks[v]; !known {
				return rep, fmt.Errorf("%d clés sont emballées par la clé maîtresse %d, absente du trousseau : %w", n, v, ErrUnknownKEK)
			}
		}
		if rep.Remaining == 0 {
			break
		}
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

type wrappedKey struct {
	subject string
	version int
	wrapped []byte
}

func rewrapBatchTx(ctx context.Context, tx *sql.Tx, kr *Keyring, after string, now time.Time) (rewrapped, skipped, seen int, last string, err error) {
	// The primary is the newest version (checked when the keyring is read), so "older than the
	// primary" is every DEK left to re-wrap, and the (kek_version, subject) index serves it.
	rows, err := tx.QueryContext(ctx, `SELECT subject, kek_version, wrapped_dek FROM subject_keys
		WHERE destroyed_at IS NULL AND kek_version < $1 AND subject > $2
		ORDER BY subject LIMIT $3`, kr.primary, after, rewrapBatch)
	if err != nil {
		return 0, 0, 0, "", fmt.Errorf("lecture des clés à réemballer : %w", err)
	}
	var batch []wrappedKey
	for rows.Next() {
		var k wrappedKey
		if err := rows.Scan(&k.subject, &k.version, &k.wrapped); err != nil {
			rows.Close()
			return 0, 0, 0, "", fmt.Errorf("lecture des clés à réemballer : %w", err)
		}
		batch = append(batch, k)
	}
	// The rows must be closed before the UPDATEs: one connection runs one statement at a time.
	if err := rows.Close(); err != nil {
		return 0, 0, 0, "", fmt.Errorf("lecture des clés à réemballer : %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, 0, "", fmt.Errorf("lecture des clés à réemballer : %w", err)
	}
	for _, k := range batch {
		dek, err := kr.unwrap(k.version, k.subject, k.wrapped)
		if err != nil {
			return 0, 0, 0, "", fmt.Errorf("clé du sujet n°%d du lot : %w", seen+1, err)
		}
		wrapped, err := kr.wrap(kr.primary, k.subject, dek)
		clear(dek)
		if err != nil {
			return 0, 0, 0, "", err
		}
		// The version in WHERE makes the update a no-op if the key was shredded or re-wrapped
		// since the SELECT (PostgreSQL re-checks the condition after waiting for the row lock).
		res, err := tx.ExecContext(ctx, `UPDATE subject_keys SET kek_version = $1, wrapped_dek = $2, rotated_at = $3
			WHERE subject = $4 AND kek_version = $5 AND destroyed_at IS NULL`, kr.primary, wrapped, now, k.subject, k.version)
		if err != nil {
			return 0, 0, 0, "", fmt.Errorf("réemballage d'une clé : %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			rewrapped++
		} else {
			skipped++
		}
		seen++
		last = k.subject
	}
	return rewrapped, skipped, seen, last, nil
}

func liveKeysByVersion(ctx context.Context, q database.Querier) (map[int]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT kek_version, COUNT(*) FROM subject_keys WHERE destroyed_at IS NULL GROUP BY kek_version`)
	if err != nil {
		return nil, fmt.Errorf("décompte des clés par clé maîtresse : %w", err)
	}
	defer rows.Close()
	counts := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, fmt.Errorf("décompte des clés par clé maîtresse : %w", err)
		}
		counts[v] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("décompte des clés par clé maîtresse : %w", err)
	}
	return counts, nil
}

// Retire removes from the keyring file at path the older KEK versions that no live DEK uses.
// Versions still in use are kept and reported. Run it once every instance has the new keyring:
// an instance still holding only an old KEK would fail to read keys re-wrapped since.
func Retire(ctx context.Context, db *database.DB, path string) (RetireReport, error) {
	unlock, err := lockKeyring(path)
	if err != nil {
		return RetireReport{}, err
	}
	defer unlock()
	kr, err := LoadKeyring(path)
	if err != nil {
		return RetireReport{}, err
	}
	counts, err := liveKeysByVersion(ctx, db.Reader())
	if err != nil {
		return RetireReport{}, err
	}
	rep := RetireReport{Kept: map[int]int{}}
	for _, v := range kr.Versions() {
		switch {
		case v == kr.primary:
		case counts[v] > 0:
			rep.Kept[v] = counts[v]
		default:
			rep.Retired = append(rep.Retired, v)
		}
	}
	if len(rep.Retired) == 0 {
		return rep, nil
	}
	data, err := kr.without(rep.Retired).Marshal()
	if err != nil {
		return RetireReport{}, err
	}
	if err := writeKeyringFile(path, data, true); err != nil {
		return RetireReport{}, err
	}
	return rep, nil
}
