package crypto_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
)

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// newEnvelope returns an Envelope over a fresh keyring file, and the file's path.
func newEnvelope(t testing.TB) (*crypto.Envelope, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keyring.json")
	if _, err := crypto.CreateKeyring(path); err != nil {
		t.Fatal(err)
	}
	env, err := crypto.OpenEnvelope(path, clock.NewFake(testNow))
	if err != nil {
		t.Fatal(err)
	}
	return env, path
}

// createFieldTable makes the table the tests store ciphertexts in, as a domain package would.
func createFieldTable(t testing.TB, db *database.DB) {
	t.Helper()
	blob := "BLOB"
	if db.Engine() == database.Postgres {
		blob = "BYTEA"
	}
	_, err := db.Writer().ExecContext(context.Background(), `CREATE TABLE crypto_test_fields (
		id TEXT PRIMARY KEY, subject TEXT NOT NULL, clear_note TEXT NOT NULL, health `+blob+` NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
}

// sealRow seals value for subject in row id and stores it, in one transaction.
func sealRow(t testing.TB, db *database.DB, env *crypto.Envelope, id, subject, value string) []byte {
	t.Helper()
	var ct []byte
	err := db.WithTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		ct, err = env.Seal(context.Background(), tx, subject, healthBinding(id), []byte(value))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(context.Background(),
			`INSERT INTO crypto_test_fields (id, subject, clear_note, health) VALUES ($1, $2, $3, $4)`, id, subject, "", ct)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func healthBinding(row string) crypto.Binding {
	return crypto.Binding{Table: "crypto_test_fields", Column: "health", Row: row}
}
