package crypto_test

import (
	"database/sql"
	"fmt"
	"testing"

	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// A Bulk makes one key per subject, whatever the number of its fields, and what it seals opens
// with Envelope.Open once Insert stored the keys; later Envelope.Seal calls use the same key.
func TestBulkSealsLikeEnvelope(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		const people = 2500 // more than one INSERT of keys
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			b, err := env.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			for i := range people {
				subject := fmt.Sprint("person:", i)
				for _, field := range []string{"a", "b"} {
					id := fmt.Sprint(i, "-", field)
					ct, err := b.Seal(subject, healthBinding(id), []byte("valeur "+id))
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO crypto_test_fields (id, subject, clear_note, health) VALUES ($1, $2, '', $3)`,
						id, subject, ct); err != nil {
						return err
					}
				}
			}
			if n := len(b.Keys()); n != people {
				t.Errorf("%d keys for %d subjects", n, people)
			}
			if err := b.Insert(ctx, tx); err != nil {
				return err
			}
			if n := len(b.Keys()); n != 0 {
				t.Errorf("%d keys left after Insert", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var keys int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject_keys`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != people {
			t.Fatalf("%d keys stored, want %d", keys, people)
		}
		for _, i := range []int{0, 1234, people - 1} {
			for _, field := range []string{"a", "b"} {
				id := fmt.Sprint(i, "-", field)
				var ct []byte
				if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM crypto_test_fields WHERE id = $1`, id).Scan(&ct); err != nil {
					t.Fatal(err)
				}
				got, err := env.Open(ctx, db.Reader(), fmt.Sprint("person:", i), healthBinding(id), ct)
				if err != nil || string(got) != "valeur "+id {
					t.Fatalf("open %s: %q, %v", id, got, err)
				}
				// Bound like any sealed value: another subject or row does not open it.
				if _, err := env.Open(ctx, db.Reader(), fmt.Sprint("person:", i+1), healthBinding(id), ct); err == nil && i+1 < people {
					t.Fatalf("%s opened under another subject", id)
				}
			}
		}
		ct := sealRow(t, db, env, "later", "person:7", "ajouté ensuite")
		if got, err := env.Open(ctx, db.Reader(), "person:7", healthBinding("later"), ct); err != nil || string(got) != "ajouté ensuite" {
			t.Fatalf("later seal: %q, %v", got, err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject_keys`).Scan(&keys); err != nil || keys != people {
			t.Fatalf("%d keys after a later seal (%v), want %d", keys, err, people)
		}
	})
}

// A subject that already has a key is refused, never silently given values sealed under a key
// that is not the stored one.
func TestBulkRefusesExistingSubject(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		sealRow(t, db, env, "r1", "person:old", "déjà là")
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			b, err := env.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := b.Seal("person:new", healthBinding("r2"), []byte("x")); err != nil {
				return err
			}
			if _, err := b.Seal("person:old", healthBinding("r3"), []byte("y")); err != nil {
				return err
			}
			return b.Insert(ctx, tx)
		})
		if !database.IsUniqueViolation(err) {
			t.Fatalf("insert over an existing key: %v, want a unique violation", err)
		}
		if _, err := (&crypto.Bulk{}).Seal("", healthBinding("r"), nil); err == nil {
			t.Fatal("empty subject accepted")
		}
	})
}
