package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's cost parameters. They are stored in every hash (PHC string), so
// raising them later re-hashes passwords at the next login.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultHashParams follow OWASP's argon2id configuration (46 MiB, 1 pass). Measured in
// account's benchmark; see README.
var DefaultHashParams = HashParams{Memory: 46 * 1024, Time: 1, Threads: 1}

// Hasher hashes and checks passwords. It caps concurrent hashes because each one takes tens
// of MiB: without a cap, a burst of login attempts is a memory exhaustion attack.
type Hasher struct {
	params HashParams
	slots  chan struct{}
	// dummy is checked against when the account does not exist, so that an unknown e-mail
	// takes as long as a wrong password.
	dummy string
}

// NewHasher returns a Hasher with the given parameters.
func NewHasher(p HashParams) *Hasher {
	h := &Hasher{params: p, slots: make(chan struct{}, max(1, runtime.NumCPU()))}
	h.dummy, _ = h.hash("mot de passe factice pour l'égalisation des temps")
	return h
}

// Hash returns the PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password)
}

func (h *Hasher) hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify tells whether password matches encoded, and whether the hash should be replaced
// because its parameters are older than the current ones. An empty encoded (no password set)
// is checked against a dummy hash and never matches.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if encoded == "" {
		_, _, _ = h.check(password, h.dummy)
		return false, false, nil
	}
	return h.check(password, encoded)
}

func (h *Hasher) check(password, encoded string) (bool, bool, error) {
	var p HashParams
	var version int
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, errors.New("empreinte de mot de passe illisible")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, errors.New("version argon2 inconnue")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, false, errors.New("paramètres argon2 illisibles")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	ok := subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.params, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// MaxPasswordLength bounds the work an attacker can make argon2 do and what a form accepts.
const MaxPasswordLength = 128

// CheckPassword applies the CNIL rule (délibération 2022-100, with throttling in place): at
// least 12 characters mixing 3 of the 4 character classes, or a passphrase of at least 4 words
// and 20 characters. It also refuses passwords that are too common or contain the e-mail's
// name part. The message says what to change.
func CheckPassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	if n > MaxPasswordLength {
		return fmt.Errorf("Le mot de passe ne doit pas dépasser %d caractères", MaxPasswordLength)
	}
	if strings.TrimSpace(password) == "" {
		return errors.New("Saisissez un mot de passe")
	}
	lower := strings.ToLower(password)
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && len(local) >= 4 && strings.Contains(lower, local) {
		return errors.New("Le mot de passe ne doit pas contenir votre adresse e-mail")
	}
	for _, common := range commonPasswords {
		if strings.Contains(lower, common) && n < len(common)+8 {
			return errors.New("Ce mot de passe est trop courant : choisissez-en un autre")
		}
	}
	if isPassphrase(password) {
		return nil
	}
	var classes [4]bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			classes[0] = true
		case unicode.IsUpper(r):
			classes[1] = true
		case unicode.IsDigit(r):
			classes[2] = true
		default:
			classes[3] = true
		}
	}
	count := 0
	for _, c := range classes {
		if c {
			count++
		}
	}
	if n < 12 || count < 3 {
		return errors.New("Le mot de passe doit contenir au moins 12 caractères dont 3 types parmi minuscules, majuscules, chiffres et caractères spéciaux, ou être une phrase d'au moins 4 mots et 20 caractères")
	}
	return nil
}

// isPassphrase accepts at least 4 words of 3 letters or more, 20 characters in all, with no
// word repeated (a repeated word adds no entropy).
func isPassphrase(p string) bool {
	if utf8.RuneCountInString(p) < 20 {
		return false
	}
	words := strings.FieldsFunc(strings.ToLower(p), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	seen := map[string]bool{}
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 {
			seen[w] = true
		}
	}
	return len(seen) >= 4
}

// commonPasswords are roots that make a password guessable even when long enough
// (from public top-password lists, French and English).
var commonPasswords = []string{
	"123456", "azerty", "qwerty", "password", "motdepasse", "soleil", "bonjour", "loulou",
	"doudou", "chouchou", "marseille", "jetaime", "iloveyou", "admin", "welcome", "parcours",
	"000000", "111111", "abc123", "football", "princesse", "nicolas", "camille",
}
