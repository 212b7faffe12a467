package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP (RFC 6238) with the parameters every authenticator app supports: SHA-1, 6 digits,
// 30-second steps. One step of drift either way is accepted; a step already used is refused,
// so a code seen over someone's shoulder cannot be replayed.
const (
	totpStep   = 30
	totpDigits = 6
	totpSkew   = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns 20 random bytes (160 bits, RFC 4226's recommendation).
func newTOTPSecret() []byte {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return b
}

// hotp computes the RFC 4226 code for counter.
func hotp(secret []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, code%1_000_000)
}

// totpStepAt returns the time step containing t.
func totpStepAt(t time.Time) int64 { return t.Unix() / totpStep }

// checkTOTP returns the step the code matches, if it matches a step within the skew that is
// later than lastStep.
func checkTOTP(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	code = normaliseCode(code)
	if len(code) != totpDigits {
		return 0, false
	}
	current := totpStepAt(now)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := current + d
		if step <= lastStep {
			continue
		}
		if hmac.Equal([]byte(hotp(secret, uint64(step))), []byte(code)) {
			return step, true
		}
	}
	return 0, false
}

func normaliseCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
}

// totpURI is the otpauth:// link authenticator apps import.
func totpURI(secret []byte, email string) string {
	label := url.PathEscape("Parcours:" + email)
	v := url.Values{}
	v.Set("secret", b32.EncodeToString(secret))
	v.Set("issuer", "Parcours")
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// groupedSecret shows the key in groups of four for people who type it.
func groupedSecret(secret []byte) string {
	s := b32.EncodeToString(secret)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// Recovery codes: 10 single-use codes of 10 base32 characters (50 bits each), shown once and
// stored as SHA-256 digests. Their entropy makes a slow hash unnecessary.
const recoveryCodeCount = 10

func newRecoveryCodes() []string {
	codes := make([]string, recoveryCodeCount)
	alphabet := "abcdefghijkmnpqrstuvwxyz23456789" // no l, o, 0, 1: easy to copy by hand
	for i := range codes {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		for j := range b {
			b[j] = alphabet[int(b[j])%len(alphabet)]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
	}
	return codes
}

func recoveryDigest(code string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(normaliseCode(code))))
	return hex.EncodeToString(sum[:])
}

// CodeAt returns the TOTP code of a grouped base32 secret at t. The demo page uses it to show
// the demo administrator's current code; tests use it as an authenticator app would.
func CodeAt(grouped string, t time.Time) (string, error) {
	secret, err := b32.DecodeString(strings.ReplaceAll(strings.ToUpper(grouped), " ", ""))
	if err != nil {
		return "", fmt.Errorf("clé TOTP illisible : %w", err)
	}
	return hotp(secret, uint64(totpStepAt(t))), nil
}
