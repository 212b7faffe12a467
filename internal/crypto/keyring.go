package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// keySize is the size of every symmetric key and of the Ed25519 seed.
const keySize = 32

// keyringFormat names the file layout, so that a later layout is recognised rather than misread.
const keyringFormat = "parcours-keyring/v1"

// ErrKeyring marks a keyring that cannot be used (missing, unreadable, inconsistent, too open).
var ErrKeyring = errors.New("trousseau de clés inutilisable")

// Keyring holds the platform's secrets. It is immutable: rotation builds a new one, so a Keyring
// can be shared between goroutines. Its String and LogValue never show key material.
type Keyring struct {
	keks      map[int]*kek
	primary   int
	pseudoKey []byte
	auditSeed []byte
	blindKey  []byte
	// blindDerived tells that the file had no blind-index key and blindKey was derived (see
	// deriveBlindIndexKey); UpgradeKeyringFile then writes it into the file.
	blindDerived bool
}

type kek struct {
	version   int
	key       []byte
	createdAt time.Time
	aead      cipher.AEAD
}

// keyringFile is the JSON form of a keyring. Keys are base64 ([]byte in encoding/json).
type keyringFile struct {
	Format       string    `json:"format"`
	PrimaryKEK   int       `json:"primary_kek"`
	KEKs         []kekFile `json:"keks"`
	PseudonymKey []byte    `json:"pseudonym_key"`
	AuditSeed    []byte    `json:"audit_signing_seed"`
	// BlindIndexKey is absent from keyrings written before blind indexes existed; it is then
	// derived from the pseudonym key (see deriveBlindIndexKey).
	BlindIndexKey []byte `json:"blind_index_key,omitempty"`
}

type kekFile struct {
	Version   int       `json:"version"`
	Key       []byte    `json:"key"`
	CreatedAt time.Time `json:"created_at"`
}

// NewKeyring returns a keyring with fresh random keys: KEK version 1 (primary), a pseudonym key,
// an audit signing seed and a blind-index key.
func NewKeyring(now time.Time) (*Keyring, error) {
	f := keyringFile{
		Format:        keyringFormat,
		PrimaryKEK:    1,
		KEKs:          []kekFile{{Version: 1, Key: randomKey(), CreatedAt: now.UTC()}},
		PseudonymKey:  randomKey(),
		AuditSeed:     randomKey(),
		BlindIndexKey: randomKey(),
	}
	return fromFile(f)
}

func randomKey() []byte {
	k := make([]byte, keySize)
	// crypto/rand.Read never fails on supported platforms (it panics instead), per its documentation.
	_, _ = rand.Read(k)
	return k
}

// ParseKeyring reads a keyring from its JSON form: the content of the keyring file, or of an
// environment variable filled from a vault.
func ParseKeyring(data []byte) (*Keyring, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimSpace(data)))
	// A hand-edited or vault-pasted keyring with a misspelt field must fail loudly, not lose a key.
	dec.DisallowUnknownFields()
	var f keyringFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w : JSON illisible (%v)", ErrKeyring, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w : contenu en trop après le JSON", ErrKeyring)
	}
	return fromFile(f)
}

func fromFile(f keyringFile) (*Keyring, error) {
	if f.Format != keyringFormat {
		return nil, fmt.Errorf("%w : format %q inconnu (attendu %q)", ErrKeyring, f.Format, keyringFormat)
	}
	if len(f.KEKs) == 0 {
		return nil, fmt.Errorf("%w : aucune clé maîtresse (keks)", ErrKeyring)
	}
	kr := &Keyring{keks: make(map[int]*kek, len(f.KEKs)), primary: f.PrimaryKEK}
	for _, k := range f.KEKs {
		if k.Version < 1 {
			return nil, fmt.Errorf("%w : version de clé maîtresse %d invalide", ErrKeyring, k.Version)
		}
		if _, dup := kr.keks[k.Version]; dup {
			return nil, fmt.Errorf("%w : version de clé maîtresse %d en double", ErrKeyring, k.Version)
		}
		if len(k.Key) != keySize {
			return nil, fmt.Errorf("%w : la clé maîtresse %d doit faire %d octets", ErrKeyring, k.Version, keySize)
		}
		aead, err := newAEAD(k.Key)
		if err != nil {
			return nil, fmt.Errorf("%w : clé maîtresse %d : %v", ErrKeyring, k.Version, err)
		}
		kr.keks[k.Version] = &kek{version: k.Version, key: slices.Clone(k.Key), createdAt: k.CreatedAt.UTC(), aead: aead}
	}
	if _, ok := kr.keks[f.PrimaryKEK]; !ok {
		return nil, fmt.Errorf("%w : la clé maîtresse principale %d n'existe pas", ErrKeyring, f.PrimaryKEK)
	}
	if f.PrimaryKEK != slices.Max(slices.Collect(maps.Keys(kr.keks))) {
		// Rotation relies on the primary being the newest version (see Rewrap).
		return nil, fmt.Errorf("%w : la clé maîtresse principale doit être la plus récente", ErrKeyring)
	}
	if len(f.PseudonymKey) != keySize {
		return nil, fmt.Errorf("%w : la clé de pseudonymisation doit faire %d octets", ErrKeyring, keySize)
	}
	if len(f.AuditSeed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w : la graine de signature du journal doit faire %d octets", ErrKeyring, ed25519.SeedSize)
	}
	kr.pseudoKey = slices.Clone(f.PseudonymKey)
	kr.auditSeed = slices.Clone(f.AuditSeed)
	switch len(f.BlindIndexKey) {
	case 0:
		key, err := deriveBlindIndexKey(kr.pseudoKey)
		if err != nil {
			return nil, fmt.Errorf("%w : clé d'index aveugle : %v", ErrKeyring, err)
		}
		kr.blindKey, kr.blindDerived = key, true
	case keySize:
		kr.blindKey = slices.Clone(f.BlindIndexKey)
	default:
		return nil, fmt.Errorf("%w : la clé d'index aveugle doit faire %d octets", ErrKeyring, keySize)
	}
	return kr, nil
}

// blindKeyDerivation is the HKDF info that turns the pseudonym key into a blind-index key.
const blindKeyDerivation = "parcours/blind-index-key/v1"

// deriveBlindIndexKey gives a keyring written before blind indexes existed its blind-index
// key. The key must never change once values are indexed, and every instance must hold the
// same one, including those whose keyring comes from an environment variable that cannot be
// rewritten: a random key added at load time would differ between instances. HKDF-SHA256 of
// the pseudonym key with its own label gives every instance the same key, independent of the
// pseudonym HMAC for all practical purposes (one does not reveal the other); what it does not
// give is separate custody: whoever holds the pseudonym key can recompute it. Keyrings created
// since hold an independent random key.
func deriveBlindIndexKey(pseudoKey []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, pseudoKey, nil, blindKeyDerivation, keySize)
}

// newAEAD returns AES-256-GCM with a random 96-bit nonce prepended to each ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// Marshal returns the keyring's JSON form, for the keyring file or a vault. It holds secrets.
func (kr *Keyring) Marshal() ([]byte, error) {
	// A derived blind-index key is written too: from then on the file holds it, whatever
	// happens to the pseudonym key.
	f := keyringFile{
		Format:        keyringFormat,
		PrimaryKEK:    kr.primary,
		PseudonymKey:  kr.pseudoKey,
		AuditSeed:     kr.auditSeed,
		BlindIndexKey: kr.blindKey,
	}
	for _, v := range kr.Versions() {
		k := kr.keks[v]
		f.KEKs = append(f.KEKs, kekFile{Version: v, Key: k.key, CreatedAt: k.createdAt})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encodage du trousseau : %w", err)
	}
	return append(b, '\n'), nil
}

// Primary returns the version of the KEK that wraps new DEKs.
func (kr *Keyring) Primary() int { return kr.primary }

// Versions returns the KEK versions the keyring holds, oldest first.
func (kr *Keyring) Versions() []int {
	return slices.Sorted(maps.Keys(kr.keks))
}

// withNewKEK returns a copy of kr with a fresh KEK, one version above the newest, as primary.
func (kr *Keyring) withNewKEK(now time.Time) (*Keyring, int) {
	next := slices.Max(kr.Versions()) + 1
	key := randomKey()
	aead, err := newAEAD(key)
	if err != nil {
		// aes.NewCipher only fails on a wrong key length, which randomKey rules out.
		panic("crypto: AES-256 with a 32-byte key: " + err.Error())
	}
	out := kr.clone()
	out.keks[next] = &kek{version: next, key: key, createdAt: now.UTC(), aead: aead}
	out.primary = next
	return out, next
}

// without returns a copy of kr without the given KEK versions; the primary cannot be removed.
func (kr *Keyring) without(versions []int) *Keyring {
	out := kr.clone()
	for _, v := range versions {
		if v != kr.primary {
			delete(out.keks, v)
		}
	}
	return out
}

func (kr *Keyring) clone() *Keyring {
	out := &Keyring{keks: make(map[int]*kek, len(kr.keks)+1), primary: kr.primary, pseudoKey: kr.pseudoKey, auditSeed: kr.auditSeed,
		blindKey: kr.blindKey, blindDerived: kr.blindDerived}
	for v, k := range kr.keks {
		out.keks[v] = k
	}
	return out
}

// pseudonymDomain separates pseudonyms from any other use of the HMAC key.
const pseudonymDomain = "parcours/pseudonym/v1"

// Pseudonym returns a stable keyed pseudonym of an identifier: 32 hex characters (128 bits of
// HMAC-SHA256). kind separates namespaces ("person", "ip"…) so that equal identifiers of
// different kinds do not link. Without the key nobody can tell which identifier a pseudonym
// stands for, even by trying every NIR; with it, the platform can recompute pseudonyms to find a
// person's audit entries. It is still personal data under the GDPR.
func (kr *Keyring) Pseudonym(kind, id string) string {
	m := hmac.New(sha256.New, kr.pseudoKey)
	// The length prefix keeps ("ab", "c") apart from ("a", "bc").
	m.Write([]byte(pseudonymDomain))
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(kind))))
	m.Write([]byte(kind))
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// blindIndexDomain separates blind indexes from any other use of their key.
const blindIndexDomain = "parcours/blind-index/v1"

// BlindIndexSize is the length of a blind index in bytes.
const BlindIndexSize = sha256.Size

// BlindIndex returns a keyed blind index of an identifier: HMAC-SHA256, under the keyring's
// blind-index key, of kind and value. It lets a module find or deduplicate rows by an
// identifier it stores only encrypted (a NIR, a France Travail identifier): store the index
// beside the ciphertext, with a unique constraint if the identifier must be unique, and look
// rows up by the index of the searched value.
//
// kind separates namespaces ("nir", "ft_id"…): equal values of different kinds give unrelated
// indexes, so one column cannot be joined with another. value must be normalised by the caller,
// the same way at write and at lookup (spaces, case, check key…); the index of "1 85…" and of
// "185…" differ. The full 32 bytes are returned: lookups and unique constraints need exact
// equality, not a truncation that collides.
//
// A blind index leaks equality: whoever reads the column sees which rows share a value. It is
// safe only on high-entropy identifiers; on a low-entropy field (a birth year, a postcode, a
// yes/no) it is a plaintext by frequency analysis and must not be used. Without the key nobody
// can test a guess, which is what a plain hash would allow for every NIR.
func (kr *Keyring) BlindIndex(kind, value string) []byte {
	m := hmac.New(sha256.New, kr.blindKey)
	m.Write([]byte(blindIndexDomain))
	// Length prefixes keep ("ab", "c") apart from ("a", "bc").
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(kind))))
	m.Write([]byte(kind))
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(value))))
	m.Write([]byte(value))
	return m.Sum(nil)
}

// AuditSigner returns the signer of audit checkpoints for the log named origin (the key name
// of the signed note, e.g. "parcours.audit/v1").
func (kr *Keyring) AuditSigner(origin string) (note.Signer, error) {
	vkey, err := kr.AuditVerifierKey(origin)
	if err != nil {
		return nil, err
	}
	// A verifier key is "name+hash+keydata"; the signer key is "PRIVATE+KEY+name+hash+keydata"
	// with the algorithm byte (1 = Ed25519) before the seed.
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("clé de vérification du journal inattendue")
	}
	skey := "PRIVATE+KEY+" + origin + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, kr.auditSeed...))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("clé de signature du journal : %w", err)
	}
	return s, nil
}

// AuditVerifierKey returns the public verifier key of audit checkpoints ("name+hash+keydata"),
// the one to hand to the DPO and auditors so they can check published checkpoints.
func (kr *Keyring) AuditVerifierKey(origin string) (string, error) {
	pub := ed25519.NewKeyFromSeed(kr.auditSeed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return "", fmt.Errorf("nom du journal %q invalide : %w", origin, err)
	}
	return vkey, nil
}

// AuditVerifier returns the verifier of audit checkpoints for the log named origin.
func (kr *Keyring) AuditVerifier(origin string) (note.Verifier, error) {
	vkey, err := kr.AuditVerifierKey(origin)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("clé de vérification du journal : %w", err)
	}
	return v, nil
}

// String describes the keyring without secrets, so printing it by mistake leaks nothing.
func (kr *Keyring) String() string {
	return fmt.Sprintf("trousseau (clés maîtresses %v, principale %d)", kr.Versions(), kr.primary)
}

// GoString keeps %#v from printing key bytes.
func (kr *Keyring) GoString() string { return kr.String() }

// LogValue keeps slog from printing key bytes.
func (kr *Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("kek_versions", kr.Versions()), slog.Int("primary_kek", kr.primary))
}
