package crypto

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// formatV1 is the leading byte of sealed values and wrapped DEKs: AES-256-GCM, random 96-bit
// nonce, then ciphertext and 16-byte tag.
const formatV1 byte = 1

// nonceSize and tagSize are AES-GCM's; with the format byte they make the fixed overhead.
const (
	nonceSize = 12
	tagSize   = 16
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = 1 + nonceSize + tagSize
)

// AAD domains keep a wrapped DEK from ever being accepted as a field value and vice versa.
const (
	fieldDomain = "parcours/field/v1"
	dekDomain   = "parcours/dek/v1"
)

// settingPrimaryKEK is the settings row where rotation publishes the newest KEK version, so that
// an instance with an outdated keyring in memory notices before wrapping a new DEK under a KEK
// that is about to be retired.
const settingPrimaryKEK = "crypto.primary_kek"

// reloadEvery bounds how often an Envelope rereads its keyring file when it meets an unknown KEK
// version, so that a corrupt row cannot make every read hit the disk.
const reloadEvery = 100 * time.Millisecond

// kindError is a sentinel error with a French message that also matches a fault kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

var (
	// ErrShredded means the subject's data key was destroyed: its data can never be read again.
	ErrShredded error = &kindError{"données effacées : la clé de chiffrement de cette personne a été détruite", fault.NotFound}
	// ErrNoKey means nothing was ever sealed for the subject.
	ErrNoKey error = &kindError{"aucune clé de chiffrement pour cette personne", fault.NotFound}
	// ErrUndecryptable means a ciphertext is malformed, was altered, or belongs to another row,
	// column or subject. It never says which, so that it teaches an attacker nothing.
	ErrUndecryptable = errors.New("donnée chiffrée illisible : altérée, tronquée ou déplacée")
	// ErrUnknownKEK means a DEK is wrapped by a KEK this instance's keyring does not hold: the
	// keyring is outdated or a KEK was retired too early.
	ErrUnknownKEK error = &kindError{"clé maîtresse absente du trousseau : rechargez le trousseau à jour", fault.Unavailable}
)

// Binding names where a sealed value is stored. It is authenticated with the ciphertext, so a
// value copied to another table, column or row does not open.
type Binding struct {
	Table, Column, Row string
}

// Envelope seals and opens field values under per-subject data keys. It is safe for concurrent
// use. An Envelope made from a keyring file rereads the file when it meets a KEK version it does
// not know, which lets running instances follow an online rotation (see Rotate).
type Envelope struct {
	clock clock.Clock
	kr    atomic.Pointer[Keyring]
	// path is the keyring file to reload from; empty when the keyring came from elsewhere.
	path string

	mu         sync.Mutex
	lastReload time.Time
}

// NewEnvelope returns an Envelope over kr. It cannot learn of new KEKs by itself: after a
// rotation, restart it with the new keyring (see Rotate for the order of operations).
func NewEnvelope(kr *Keyring, clk clock.Clock) *Envelope {
	e := &Envelope{clock: clk}
	e.kr.Store(kr)
	return e
}

// OpenEnvelope loads the keyring file at path and returns an Envelope that follows it.
func OpenEnvelope(path string, clk clock.Clock) (*Envelope, error) {
	kr, err := LoadKeyring(path)
	if err != nil {
		return nil, err
	}
	e := NewEnvelope(kr, clk)
	e.path = path
	return e, nil
}

// Keyring returns the keyring in use.
func (e *Envelope) Keyring() *Keyring { return e.kr.Load() }

// Pseudonym is Keyring.Pseudonym with the keyring in use.
func (e *Envelope) Pseudonym(kind, id string) string { return e.kr.Load().Pseudonym(kind, id) }

// BlindIndex is Keyring.BlindIndex with the keyring in use.
func (e *Envelope) BlindIndex(kind, value string) []byte { return e.kr.Load().BlindIndex(kind, value) }

// Seal encrypts plaintext for subject at the place b, creating the subject's DEK on first use.
// q must be able to write (a transaction of db.WithTx): the new DEK commits with the value.
func (e *Envelope) Seal(ctx context.Context, q database.Querier, subject string, b Binding, plaintext []byte) ([]byte, error) {
	if err := checkPlace(subject, b); err != nil {
		return nil, err
	}
	dek, err := e.subjectKey(ctx, q, subject, true)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, fmt.Errorf("chiffrement : %w", err)
	}
	out := make([]byte, 1, Overhead+len(plaintext))
	out[0] = formatV1
	return aead.Seal(out, nil, plaintext, fieldAAD(subject, b)), nil
}

// Open decrypts a value sealed for subject at the place b. It fails with ErrShredded when the
// subject's key was destroyed, and with ErrUndecryptable when the value was altered or moved.
func (e *Envelope) Open(ctx context.Context, q database.Querier, subject string, b Binding, ciphertext []byte) ([]byte, error) {
	if err := checkPlace(subject, b); err != nil {
		return nil, err
	}
	if len(ciphertext) < Overhead || ciphertext[0] != formatV1 {
		return nil, ErrUndecryptable
	}
	dek, err := e.subjectKey(ctx, q, subject, false)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, fmt.Errorf("déchiffrement : %w", err)
	}
	plaintext, err := aead.Open(nil, nil, ciphertext[1:], fieldAAD(subject, b))
	if err != nil {
		return nil, ErrUndecryptable
	}
	return plaintext, nil
}

// Shred destroys subject's DEK (crypto-shredding): every value ever sealed for it becomes
// unreadable, and no new key will be made for it, so data sealed later for the same subject
// fails with ErrShredded instead of silently starting afresh. Shredding twice, or a subject that
// never had a key, is not an error. Run it in the transaction that deletes the subject's rows.
func (e *Envelope) Shred(ctx context.Context, q database.Querier, subject string) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	now := e.clock.Now()
	_, err := q.ExecContext(ctx, `INSERT INTO subject_keys (subject, kek_version, wrapped_dek, created_at, destroyed_at)
		VALUES ($1, NULL, NULL, $2, $2)
		ON CONFLICT (subject) DO UPDATE SET kek_version = NULL, wrapped_dek = NULL, destroyed_at = excluded.destroyed_at
		WHERE subject_keys.destroyed_at IS NULL`, subject, now)
	if err != nil {
		return fmt.Errorf("destruction de la clé : %w", err)
	}
	return nil
}

// Forget deletes subject's DEK outright, without the tombstone Shred keeps: every value sealed
// for it becomes unreadable, and a later Seal for the same subject would make a new key. It is
// for subjects named after something never reused, whose DEK exists only for a short while,
// such as one message of the outbox (named after its UUIDv7): a tombstone per message would
// only grow the table. For a person or an account, use Shred. Forgetting a subject without a
// key is not an error.
func (e *Envelope) Forget(ctx context.Context, q database.Querier, subject string) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM subject_keys WHERE subject = $1`, subject); err != nil {
		return fmt.Errorf("suppression de la clé : %w", err)
	}
	return nil
}

// subjectKey returns subject's DEK, unwrapped; with create it makes one when there is none.
func (e *Envelope) subjectKey(ctx context.Context, q database.Querier, subject string, create bool) ([]byte, error) {
	version, wrapped, err := readSubjectKey(ctx, q, subject)
	if errors.Is(err, ErrNoKey) && create {
		if err := e.createKey(ctx, q, subject); err != nil {
			return nil, err
		}
		// Read back rather than use our own key: a concurrent transaction may have won the insert.
		version, wrapped, err = readSubjectKey(ctx, q, subject)
	}
	if err != nil {
		return nil, err
	}
	kr, err := e.keyringWith(version)
	if err != nil {
		return nil, err
	}
	return kr.unwrap(version, subject, wrapped)
}

func readSubjectKey(ctx context.Context, q database.Querier, subject string) (version int, wrapped []byte, err error) {
	var v sql.NullInt64
	var destroyed sql.NullTime
	err = q.QueryRowContext(ctx, `SELECT kek_version, wrapped_dek, destroyed_at FROM subject_keys WHERE subject = $1`, subject).
		Scan(&v, &wrapped, &destroyed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, ErrNoKey
	case err != nil:
		return 0, nil, fmt.Errorf("lecture de la clé de chiffrement : %w", err)
	case destroyed.Valid:
		return 0, nil, ErrShredded
	case !v.Valid || len(wrapped) == 0:
		return 0, nil, fmt.Errorf("clé de chiffrement incohérente en base : %w", ErrUndecryptable)
	}
	return int(v.Int64), wrapped, nil
}

// createKey inserts a fresh DEK for subject unless one appears meanwhile. INSERT … ON CONFLICT
// DO NOTHING makes two transactions racing for a new subject end with one key: on PostgreSQL the
// second waits on the first's uncommitted row, then does nothing; SQLite runs them one by one.
func (e *Envelope) createKey(ctx context.Context, q database.Querier, subject string) error {
	kr, err := e.currentKeyring(ctx, q)
	if err != nil {
		return err
	}
	dek := randomKey()
	defer clear(dek)
	wrapped, err := kr.wrap(kr.primary, subject, dek)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO subject_keys (subject, kek_version, wrapped_dek, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO NOTHING`, subject, kr.primary, wrapped, e.clock.Now())
	if err != nil {
		return fmt.Errorf("création de la clé de chiffrement : %w", err)
	}
	return nil
}

// currentKeyring returns a keyring whose primary KEK is at least the one rotation last
// published, reloading the file if needed. Wrapping a new DEK under an older KEK could orphan it
// once that KEK is retired.
func (e *Envelope) currentKeyring(ctx context.Context, q database.Querier) (*Keyring, error) {
	kr := e.kr.Load()
	value, ok, err := database.Setting(ctx, q, settingPrimaryKEK)
	if err != nil || !ok {
		return kr, err
	}
	published, err := strconv.Atoi(value)
	if err != nil {
		return nil, fmt.Errorf("réglage %s illisible : %w", settingPrimaryKEK, err)
	}
	if kr.primary >= published {
		return kr, nil
	}
	if kr, err = e.keyringWith(published); err != nil {
		return nil, err
	}
	if kr.primary < published {
		return nil, fmt.Errorf("le trousseau chargé (clé principale %d) est plus ancien que la clé principale %d : %w",
			kr.primary, published, ErrUnknownKEK)
	}
	return kr, nil
}

// keyringWith returns a keyring holding KEK version, rereading the keyring file once if the
// one in memory lacks it.
func (e *Envelope) keyringWith(version int) (*Keyring, error) {
	kr := e.kr.Load()
	if _, ok := kr.keks[version]; ok {
		return kr, nil
	}
	if e.path == "" {
		return nil, fmt.Errorf("version %d : %w", version, ErrUnknownKEK)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// Another goroutine may have reloaded while this one waited.
	kr = e.kr.Load()
	if _, ok := kr.keks[version]; ok {
		return kr, nil
	}
	if since := time.Since(e.lastReload); since < reloadEvery {
		return nil, fmt.Errorf("version %d : %w", version, ErrUnknownKEK)
	}
	e.lastReload = time.Now()
	fresh, err := LoadKeyring(e.path)
	if err != nil {
		return nil, fmt.Errorf("rechargement du trousseau : %w", err)
	}
	// Never go back to an older keyring (a restored copy of the file): it would lose KEKs.
	if fresh.primary < kr.primary {
		return nil, fmt.Errorf("le fichier du trousseau est plus ancien que celui en mémoire : %w", ErrUnknownKEK)
	}
	e.kr.Store(fresh)
	if _, ok := fresh.keks[version]; !ok {
		return nil, fmt.Errorf("version %d : %w", version, ErrUnknownKEK)
	}
	return fresh, nil
}

// wrap encrypts a DEK under KEK version. The AAD binds the subject and the version, so a wrapped
// DEK copied to another subject's row, or relabelled with another version, does not unwrap.
func (kr *Keyring) wrap(version int, subject string, dek []byte) ([]byte, error) {
	k, ok := kr.keks[version]
	if !ok {
		return nil, fmt.Errorf("version %d : %w", version, ErrUnknownKEK)
	}
	out := make([]byte, 1, Overhead+len(dek))
	out[0] = formatV1
	return k.aead.Seal(out, nil, dek, dekAAD(version, subject)), nil
}

func (kr *Keyring) unwrap(version int, subject string, wrapped []byte) ([]byte, error) {
	k, ok := kr.keks[version]
	if !ok {
		return nil, fmt.Errorf("version %d : %w", version, ErrUnknownKEK)
	}
	if len(wrapped) != Overhead+keySize || wrapped[0] != formatV1 {
		return nil, fmt.Errorf("clé de chiffrement en base : %w", ErrUndecryptable)
	}
	dek, err := k.aead.Open(nil, nil, wrapped[1:], dekAAD(version, subject))
	if err != nil {
		return nil, fmt.Errorf("clé de chiffrement en base : %w", ErrUndecryptable)
	}
	return dek, nil
}

func fieldAAD(subject string, b Binding) []byte {
	aad := []byte{formatV1}
	aad = appendField(aad, fieldDomain)
	aad = appendField(aad, b.Table)
	aad = appendField(aad, b.Column)
	aad = appendField(aad, b.Row)
	return appendField(aad, subject)
}

func dekAAD(version int, subject string) []byte {
	aad := []byte{formatV1}
	aad = appendField(aad, dekDomain)
	aad = binary.BigEndian.AppendUint32(aad, uint32(version))
	return appendField(aad, subject)
}

// appendField length-prefixes s so that no two different bindings encode the same bytes
// ("a|b" + "c" against "a" + "b|c").
func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// maxName bounds subjects and binding parts: they are identifiers, not data.
const maxName = 200

func checkSubject(subject string) error {
	if subject == "" || len(subject) > maxName {
		return fmt.Errorf("sujet de chiffrement vide ou trop long : %w", fault.Invalid)
	}
	return nil
}

func checkPlace(subject string, b Binding) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	for _, part := range []string{b.Table, b.Column, b.Row} {
		if part == "" || len(part) > maxName {
			return fmt.Errorf("emplacement chiffré incomplet (table, colonne et ligne requises) : %w", fault.Invalid)
		}
	}
	return nil
}
