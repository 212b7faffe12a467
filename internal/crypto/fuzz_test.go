package crypto_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// FuzzOpen feeds arbitrary bytes to Open as a stored ciphertext: it must never panic and never
// accept anything but the genuine value.
func FuzzOpen(f *testing.F) {
	db, _ := databasetest.Open(f, database.SQLite)
	env, _ := newEnvelope(f)
	ctx := context.Background()
	var genuine []byte
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		genuine, err = env.Seal(ctx, tx, "person:fuzz", healthBinding("r"), []byte("RQTH"))
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(bytes.Repeat([]byte{1}, crypto.Overhead))
	f.Add(append([]byte{2}, genuine[1:]...))
	f.Fuzz(func(t *testing.T, ct []byte) {
		got, err := env.Open(ctx, db.Reader(), "person:fuzz", healthBinding("r"), ct)
		if bytes.Equal(ct, genuine) {
			if err != nil || string(got) != "RQTH" {
				t.Fatalf("genuine ciphertext: %q, %v", got, err)
			}
			return
		}
		if !errors.Is(err, crypto.ErrUndecryptable) {
			t.Fatalf("forged ciphertext %x: %q, %v", ct, got, err)
		}
	})
}

// FuzzParseKeyring: the keyring may come from an environment variable; bad content must give an
// error, never a panic or a half-valid keyring.
func FuzzParseKeyring(f *testing.F) {
	kr, err := crypto.NewKeyring(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := kr.Marshal()
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"parcours-keyring/v1","primary_kek":1,"keks":[{"version":1,"key":"AAAA"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kr, err := crypto.ParseKeyring(data)
		if err != nil {
			if !errors.Is(err, crypto.ErrKeyring) {
				t.Fatalf("error not marked ErrKeyring: %v", err)
			}
			return
		}
		// Whatever parsed is complete: it can wrap, sign and pseudonymise.
		_ = kr.Pseudonym("k", "v")
		if _, err := kr.AuditSigner("parcours.audit/v1"); err != nil {
			t.Fatalf("parsed keyring cannot sign: %v", err)
		}
		if _, err := kr.Marshal(); err != nil {
			t.Fatal(err)
		}
	})
}
