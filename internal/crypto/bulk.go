package crypto

import (
	"context"
	"crypto/cipher"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parcours/internal/database"
)

// Bulk seals the fields of many new subjects at once, for bulk loads (imports, the national
// load-test seed) and for batches of short-lived subjects (the messages a job enqueues). It keeps
// the rule of one data key per subject: the first Seal for a subject makes its DEK, wraps it
// under the primary KEK and keeps it in memory for the subject's other fields; the wrapped keys
// are then written all at once by Insert, or by the caller (Keys, with PostgreSQL's COPY). What
// it saves is the read of subject_keys and the unwrap that Envelope.Seal does for every value.
//
// The subjects must be new: Insert fails on a subject that already has a key (or a tombstone),
// rather than leave values sealed under a key that is not the stored one. Values must be stored
// in the same transaction as the keys (or after them), like Envelope.Seal's. A Bulk is not safe
// for concurrent use.
type Bulk struct {
	kr      *Keyring
	version int
	now     time.Time
	aeads   map[string]cipher.AEAD
	keys    []SubjectKey
}

// SubjectKey is a row of subject_keys made by a Bulk.
type SubjectKey struct {
	Subject    string
	KEKVersion int
	WrappedDEK []byte
	CreatedAt  time.Time
}

// SubjectKeyColumns are the columns of subject_keys that SubjectKey.Row fills, in order.
var SubjectKeyColumns = []string{"subject", "kek_version", "wrapped_dek", "created_at"}

// Row is the key's values in the order of SubjectKeyColumns.
func (k SubjectKey) Row() []any { return []any{k.Subject, k.KEKVersion, k.WrappedDEK, k.CreatedAt} }

// NewBulk returns a Bulk that wraps new keys under the primary KEK rotation last published (q
// is read once for it, as Envelope.Seal does before it makes a key).
func (e *Envelope) NewBulk(ctx context.Context, q database.Querier) (*Bulk, error) {
	kr, err := e.currentKeyring(ctx, q)
	if err != nil {
		return nil, err
	}
	return &Bulk{kr: kr, version: kr.primary, now: e.clock.Now(), aeads: map[string]cipher.AEAD{}}, nil
}

// BlindIndex is Keyring.BlindIndex with the Bulk's keyring.
func (b *Bulk) BlindIndex(kind, value string) []byte { return b.kr.BlindIndex(kind, value) }

// Seal encrypts plaintext for subject at the place b, exactly as Envelope.Seal would once the
// subject's key is stored: Envelope.Open reads it.
func (b *Bulk) Seal(subject string, place Binding, plaintext []byte) ([]byte, error) {
	if err := checkPlace(subject, place); err != nil {
		return nil, err
	}
	aead, ok := b.aeads[subject]
	if !ok {
		dek := randomKey()
		wrapped, err := b.kr.wrap(b.version, subject, dek)
		if err != nil {
			clear(dek)
			return nil, err
		}
		aead, err = newAEAD(dek)
		clear(dek)
		if err != nil {
			return nil, fmt.Errorf("chiffrement : %w", err)
		}
		b.aeads[subject] = aead
		b.keys = append(b.keys, SubjectKey{Subject: subject, KEKVersion: b.version, WrappedDEK: wrapped, CreatedAt: b.now})
	}
	out := make([]byte, 1, Overhead+len(plaintext))
	out[0] = formatV1
	return aead.Seal(out, nil, plaintext, fieldAAD(subject, place)), nil
}

// Keys returns the keys made since the last Insert or Reset, in the order of their first use.
func (b *Bulk) Keys() []SubjectKey { return b.keys }

// Reset forgets the keys made so far (after the caller stored Keys itself): the next values of
// those subjects would get new keys, so call it only between whole subjects.
func (b *Bulk) Reset() {
	b.keys = b.keys[:0]
	clear(b.aeads)
}

// insertRows is how many keys one INSERT writes: 4 parameters each, under SQLite's 32,766.
const insertRows = 1000

// Insert writes the keys made since the last Insert or Reset into subject_keys through q (the
// transaction that stores the values), many per statement, then resets. A subject that already
// has a key fails the whole statement (unique violation).
func (b *Bulk) Insert(ctx context.Context, q database.Querier) error {
	for start := 0; start < len(b.keys); start += insertRows {
		chunk := b.keys[start:min(len(b.keys), start+insertRows)]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO subject_keys (subject, kek_version, wrapped_dek, created_at) VALUES `)
		args := make([]any, 0, 4*len(chunk))
		for i, k := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			n := len(args)
			sb.WriteString("($" + strconv.Itoa(n+1) + ", $" + strconv.Itoa(n+2) + ", $" + strconv.Itoa(n+3) + ", $" + strconv.Itoa(n+4) + ")")
			args = append(args, k.Row()...)
		}
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("création des clés de chiffrement : %w", err)
		}
	}
	b.Reset()
	return nil
}
