package crypto_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

func TestSealOpenRoundTrip(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		for i, value := range []string{"", "RQTH valide jusqu'au 2027-05-31", string(bytes.Repeat([]byte("é"), 5000))} {
			id := fmt.Sprint("row-", i)
			ct := sealRow(t, db, env, id, "person:0190a1b2", value)
			if len(ct) != len(value)+crypto.Overhead {
				t.Errorf("ciphertext of %d bytes for %d bytes of plaintext, want overhead %d", len(ct), len(value), crypto.Overhead)
			}
			var stored []byte
			if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM crypto_test_fields WHERE id = $1`, id).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			got, err := env.Open(ctx, db.Reader(), "person:0190a1b2", healthBinding(id), stored)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != value {
				t.Fatalf("round trip gave %q, want %q", got, value)
			}
		}
		// Random nonces: the same value sealed twice never gives the same bytes.
		var a, b []byte
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			var err error
			if a, err = env.Seal(ctx, tx, "person:0190a1b2", healthBinding("x"), []byte("same")); err != nil {
				return err
			}
			b, err = env.Seal(ctx, tx, "person:0190a1b2", healthBinding("x"), []byte("same"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a, b) {
			t.Fatal("two seals of one value are identical")
		}
		var keys int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject_keys`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 1 {
			t.Fatalf("%d subject keys for one subject", keys)
		}
	})
}

// A ciphertext moved to another row, column, table or subject must not open (AAD binding).
func TestCiphertextIsBoundToItsPlace(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		ctA1 := sealRow(t, db, env, "a1", "person:A", "restriction: port de charges")
		sealRow(t, db, env, "a2", "person:A", "aucune restriction")
		sealRow(t, db, env, "b1", "person:B", "aménagement de poste")

		cases := []struct {
			name    string
			subject string
			b       crypto.Binding
		}{
			{"other row, same subject", "person:A", healthBinding("a2")},
			{"other column", "person:A", crypto.Binding{Table: "crypto_test_fields", Column: "clear_note", Row: "a1"}},
			{"other table", "person:A", crypto.Binding{Table: "other_table", Column: "health", Row: "a1"}},
			{"other subject, same place", "person:B", healthBinding("a1")},
			{"other subject and row", "person:B", healthBinding("b1")},
		}
		for _, c := range cases {
			if _, err := env.Open(ctx, db.Reader(), c.subject, c.b, ctA1); !errors.Is(err, crypto.ErrUndecryptable) {
				t.Errorf("%s: Open = %v, want ErrUndecryptable", c.name, err)
			}
		}

		// The same moves done in the table, as an attacker with write access would: swap the
		// ciphertexts of two rows of one subject, and of two subjects.
		for _, pair := range [][2]string{{"a1", "a2"}, {"a1", "b1"}} {
			swapHealth(t, db, pair[0], pair[1])
			for _, id := range pair {
				var subject string
				var ct []byte
				if err := db.Reader().QueryRowContext(ctx, `SELECT subject, health FROM crypto_test_fields WHERE id = $1`, id).
					Scan(&subject, &ct); err != nil {
					t.Fatal(err)
				}
				if _, err := env.Open(ctx, db.Reader(), subject, healthBinding(id), ct); !errors.Is(err, crypto.ErrUndecryptable) {
					t.Errorf("after swapping %v, row %s opened (err %v)", pair, id, err)
				}
			}
			swapHealth(t, db, pair[0], pair[1])
		}

		// A wrapped DEK copied onto another subject's key row does not unwrap either.
		if _, err := db.Writer().ExecContext(ctx, `UPDATE subject_keys SET wrapped_dek = (SELECT wrapped_dek FROM subject_keys WHERE subject = 'person:A')
			WHERE subject = 'person:B'`); err != nil {
			t.Fatal(err)
		}
		var ctB []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM crypto_test_fields WHERE id = 'b1'`).Scan(&ctB); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Open(ctx, db.Reader(), "person:B", healthBinding("b1"), ctB); !errors.Is(err, crypto.ErrUndecryptable) {
			t.Errorf("with A's wrapped key on B's row, Open = %v, want ErrUndecryptable", err)
		}
	})
}

func swapHealth(t *testing.T, db *database.DB, id1, id2 string) {
	t.Helper()
	err := db.WithTx(context.Background(), func(tx *sql.Tx) error {
		var c1, c2 []byte
		if err := tx.QueryRow(`SELECT health FROM crypto_test_fields WHERE id = $1`, id1).Scan(&c1); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT health FROM crypto_test_fields WHERE id = $1`, id2).Scan(&c2); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE crypto_test_fields SET health = $1 WHERE id = $2`, c2, id1); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE crypto_test_fields SET health = $1 WHERE id = $2`, c1, id2)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShreddingMakesDataUnreadable(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		ctA := sealRow(t, db, env, "a", "person:A", "taux d'incapacité 50 %")
		ctB := sealRow(t, db, env, "b", "person:B", "RQTH")

		for range 2 { // shredding twice is harmless
			if err := db.WithTx(ctx, func(tx *sql.Tx) error { return env.Shred(ctx, tx, "person:A") }); err != nil {
				t.Fatal(err)
			}
		}
		_, err := env.Open(ctx, db.Reader(), "person:A", healthBinding("a"), ctA)
		if !errors.Is(err, crypto.ErrShredded) || !errors.Is(err, fault.NotFound) {
			t.Fatalf("Open after Shred = %v, want ErrShredded (NotFound)", err)
		}
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := env.Seal(ctx, tx, "person:A", healthBinding("a2"), []byte("nouvelle donnée"))
			return err
		})
		if !errors.Is(err, crypto.ErrShredded) {
			t.Fatalf("Seal after Shred = %v, want ErrShredded: a shredded subject never gets a new key", err)
		}
		var wrapped []byte
		var version sql.NullInt64
		var destroyed sql.NullTime
		if err := db.Reader().QueryRowContext(ctx, `SELECT wrapped_dek, kek_version, destroyed_at FROM subject_keys WHERE subject = 'person:A'`).
			Scan(&wrapped, &version, &destroyed); err != nil {
			t.Fatal(err)
		}
		if wrapped != nil || version.Valid || !destroyed.Valid || !destroyed.Time.Equal(testNow) {
			t.Fatalf("tombstone = wrapped %x, version %v, destroyed %v", wrapped, version, destroyed)
		}
		if got, err := env.Open(ctx, db.Reader(), "person:B", healthBinding("b"), ctB); err != nil || string(got) != "RQTH" {
			t.Fatalf("another subject's data suffered from the shredding: %q, %v", got, err)
		}
		// Shredding a subject that never had a key still leaves a tombstone.
		if err := env.Shred(ctx, db.Writer(), "person:C"); err != nil {
			t.Fatal(err)
		}
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := env.Seal(ctx, tx, "person:C", healthBinding("c"), []byte("x"))
			return err
		})
		if !errors.Is(err, crypto.ErrShredded) {
			t.Fatalf("Seal for a subject shredded before any key = %v, want ErrShredded", err)
		}
		if _, err := env.Open(ctx, db.Reader(), "person:D", healthBinding("d"), ctB); !errors.Is(err, crypto.ErrNoKey) || !errors.Is(err, fault.NotFound) {
			t.Fatalf("Open for a subject without key = %v, want ErrNoKey", err)
		}
	})
}

// Forget is for short-lived subjects (a message of the outbox): the key row goes entirely.
func TestForgetDeletesTheKeyWithoutTombstone(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		ct := sealRow(t, db, env, "m", "outbox:1", "lien de réinitialisation")
		other := sealRow(t, db, env, "n", "outbox:2", "autre message")
		for range 2 { // forgetting twice is harmless
			if err := db.WithTx(ctx, func(tx *sql.Tx) error { return env.Forget(ctx, tx, "outbox:1") }); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := env.Open(ctx, db.Reader(), "outbox:1", healthBinding("m"), ct); !errors.Is(err, crypto.ErrNoKey) {
			t.Fatalf("Open after Forget = %v, want ErrNoKey", err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject_keys WHERE subject = 'outbox:1'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d key rows left for a forgotten subject (%v)", n, err)
		}
		if got, err := env.Open(ctx, db.Reader(), "outbox:2", healthBinding("n"), other); err != nil || string(got) != "autre message" {
			t.Fatalf("another subject suffered: %q, %v", got, err)
		}
		if err := env.Forget(ctx, db.Writer(), ""); !errors.Is(err, fault.Invalid) {
			t.Fatalf("Forget of an empty subject = %v", err)
		}
	})
}

const (
	canary  = "CANARY-SANTE-4242"
	control = "CONTROLE-EN-CLAIR-7373"
)

// Target 14: a scan of the raw SQLite files and of a PostgreSQL dump finds no health canary.
// The clear control value proves that the scan does see what the database holds.
func TestNoPlaintextAtRest(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := t.Context()
			db, url := databasetest.Open(t, engine)
			env, _ := newEnvelope(t)
			createFieldTable(t, db)
			for i := range 50 {
				id := fmt.Sprint("row-", i)
				sealRow(t, db, env, id, fmt.Sprint("person:", i%7), canary+" "+id)
				if _, err := db.Writer().ExecContext(ctx, `UPDATE crypto_test_fields SET clear_note = $1 WHERE id = $2`, control, id); err != nil {
					t.Fatal(err)
				}
			}
			var raw []byte
			switch engine {
			case database.SQLite:
				_, path, err := database.Parse(url, "")
				if err != nil {
					t.Fatal(err)
				}
				// The data may sit in the WAL as well as in the main file: read every file.
				files, _ := filepath.Glob(path + "*")
				for _, f := range files {
					b, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					raw = append(raw, b...)
				}
			case database.Postgres:
				rows, err := db.Reader().QueryContext(ctx, `SELECT t::text, health FROM crypto_test_fields t
					UNION ALL SELECT k::text, wrapped_dek FROM subject_keys k`)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var text string
					var b []byte
					if err := rows.Scan(&text, &b); err != nil {
						t.Fatal(err)
					}
					raw = append(append(raw, text...), b...)
				}
				rows.Close()
				// Fails where PostgreSQL is required if pg_dump is missing, rather than skip.
				raw = append(raw, databasetest.PgDump(t, url)...)
			}
			if !bytes.Contains(raw, []byte(control)) {
				t.Fatal("the scan did not find the clear control value: it cannot be trusted")
			}
			if bytes.Contains(raw, []byte(canary)) || bytes.Contains(raw, []byte("CANARY")) {
				t.Fatal("plaintext health canary found at rest")
			}
		})
	}
}

func TestTamperedCiphertextFails(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		createFieldTable(t, db)
		ct := sealRow(t, db, env, "r", "person:T", "orientation ESAT")
		for i := range ct {
			for _, bit := range []byte{0x01, 0x80} {
				bad := bytes.Clone(ct)
				bad[i] ^= bit
				if _, err := env.Open(ctx, db.Reader(), "person:T", healthBinding("r"), bad); !errors.Is(err, crypto.ErrUndecryptable) {
					t.Fatalf("byte %d flipped (%#x): Open = %v, want ErrUndecryptable", i, bit, err)
				}
			}
		}
		for _, bad := range [][]byte{nil, ct[:1], ct[:crypto.Overhead-1], ct[:len(ct)-1], append(bytes.Clone(ct), 0)} {
			if _, err := env.Open(ctx, db.Reader(), "person:T", healthBinding("r"), bad); !errors.Is(err, crypto.ErrUndecryptable) {
				t.Fatalf("%d bytes: Open = %v, want ErrUndecryptable", len(bad), err)
			}
		}
	})
}

// Two transactions sealing for a new subject at once must end with one key that opens both values.
func TestConcurrentFirstSealsMakeOneKey(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, _ := newEnvelope(t)
		const n = 16
		cts := make([][]byte, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs <- db.WithTx(ctx, func(tx *sql.Tx) error {
					var err error
					cts[i], err = env.Seal(ctx, tx, "person:race", healthBinding(fmt.Sprint(i)), []byte(fmt.Sprint("v", i)))
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var keys int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject_keys WHERE subject = 'person:race'`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 1 {
			t.Fatalf("%d keys for one subject", keys)
		}
		for i, ct := range cts {
			got, err := env.Open(ctx, db.Reader(), "person:race", healthBinding(fmt.Sprint(i)), ct)
			if err != nil || string(got) != fmt.Sprint("v", i) {
				t.Fatalf("value %d: %q, %v", i, got, err)
			}
		}
	})
}

func TestSealRejectsIncompletePlaces(t *testing.T) {
	env := crypto.NewEnvelope(mustKeyring(t), clock.NewFake(testNow))
	for _, c := range []struct {
		subject string
		b       crypto.Binding
	}{
		{"", healthBinding("r")},
		{"person:x", crypto.Binding{Table: "t", Column: "c"}},
		{"person:x", crypto.Binding{Column: "c", Row: "r"}},
	} {
		if _, err := env.Seal(t.Context(), nil, c.subject, c.b, []byte("x")); !errors.Is(err, fault.Invalid) {
			t.Errorf("Seal(%q, %+v) = %v, want fault.Invalid", c.subject, c.b, err)
		}
	}
}

func mustKeyring(t testing.TB) *crypto.Keyring {
	t.Helper()
	kr, err := crypto.NewKeyring(testNow)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}
