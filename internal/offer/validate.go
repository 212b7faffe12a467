package offer

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"parcours/internal/notify"
	"parcours/internal/refdata"
)

// Field rules, written once for the employer's forms, the registry import (registry.go) and
// its CSV reader (registrycsv), so that a dry run refuses exactly what saving would.
//
// Text limits are in characters, never bytes: "é" counts once everywhere (TooLong).
const (
	MaxName             = 200  // legal name
	MaxTitle            = 200  // brand, custom title, address lines
	MaxText             = 5000 // description, expected profile, support provided
	MaxConventionNumber = 50
	maxURL              = 200
)

// cleanLine trims a one-line field and collapses its inner whitespace (what people paste from
// other documents often carries tabs and double spaces).
func cleanLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cleanText trims a multi-line field, normalises line endings and drops control characters
// other than line breaks and tabs, which no page could show.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r == '\r' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// Thousands writes n the French way, with a non-breaking space between thousands: "5 000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "\u00a0" + s[i:]
	}
	return s
}

// TooLong tells whether s has more than limit characters.
func TooLong(s string, limit int) bool { return utf8.RuneCountInString(s) > limit }

var (
	frenchPhone   = regexp.MustCompile(`^0[1-9][0-9]{8}$`)
	intlPhone     = regexp.MustCompile(`^\+33[1-9][0-9]{8}$`)
	overseasPhone = regexp.MustCompile(`^\+(?:(?:262|269|590|594|596)[0-9]{9}|(?:508|681|687)[0-9]{6}|689[0-9]{8})$`)
	postcodeRe    = regexp.MustCompile(`^[0-9]{5}$`)
)

// Errors of the normalising functions; their text is the French message shown at the field.
var (
	errPhone    = errors.New("Numéro de téléphone invalide : 10 chiffres (01 23 45 67 89) ou format international (+33 1 23 45 67 89)")
	errEmail    = errors.New("Adresse électronique invalide (exemple : contact@structure.fr)")
	errWebsite  = errors.New("Adresse de site invalide (exemple : https://www.structure.fr)")
	errPostcode = errors.New("Le code postal compte 5 chiffres")
)

// NormalisePhone checks a French phone number and returns its compact form: "0123456789", or
// "+33123456789" (0033… and "+33 (0)1…" are read as +33; overseas codes +262, +590… are
// accepted with their own lengths). Spaces, dots, dashes and parentheses are ignored. An empty
// number stays empty.
func NormalisePhone(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '/', '\u00a0', '\u202f', '(', ')':
			return -1
		}
		return r
	}, strings.Replace(strings.TrimSpace(s), "(0)", "", 1))
	if s == "" {
		return "", nil
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if frenchPhone.MatchString(s) || intlPhone.MatchString(s) || overseasPhone.MatchString(s) {
		return s, nil
	}
	return "", errPhone
}

// FormatPhone spaces a stored phone number for reading: "01 23 45 67 89", "+33 1 23 45 67 89".
func FormatPhone(s string) string {
	switch {
	case frenchPhone.MatchString(s):
		return pairs(s)
	case intlPhone.MatchString(s):
		return "+33 " + s[3:4] + " " + pairs(s[4:])
	}
	return s
}

func pairs(digits string) string {
	var b strings.Builder
	for i := 0; i < len(digits); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(digits[i:min(i+2, len(digits))])
	}
	return b.String()
}

// NormaliseEmail lower-cases and checks a contact address. An empty address stays empty.
func NormaliseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if notify.ValidateAddress(s) != nil || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", errEmail
	}
	return s, nil
}

// NormaliseWebsite checks a web address and adds https:// when no scheme is typed. Only http
// and https are accepted, with a host name holding a dot and no credentials. An empty address
// stays empty.
func NormaliseWebsite(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		if strings.Contains(s, "://") {
			return "", errWebsite
		}
		s = "https://" + s
	}
	if len(s) > maxURL || strings.ContainsAny(s, " \t\r\n<>\"") {
		return "", errWebsite
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return "", errWebsite
	}
	host := u.Hostname()
	if !strings.Contains(host, ".") || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") {
		return "", errWebsite
	}
	return s, nil
}

// NormalisePostcode removes the spaces typed in a postcode ("69 001") and checks it has five
// digits. An empty postcode stays empty.
func NormalisePostcode(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, s)
	if s == "" || postcodeRe.MatchString(s) {
		return s, nil
	}
	return "", errPostcode
}

// CheckPostcodeOf refuses a postcode that is not one of the commune's (from La Poste's base
// of postcodes): a page that says "75001 Lyon" sends people to the wrong place. CEDEX codes,
// which are not in that base, are refused too: a public page gives the address where people
// go. A commune the reference data gives no postcode for accepts any; an empty postcode or an
// unknown commune is not this rule's to refuse.
func CheckPostcodeOf(places *refdata.Data, postcode, communeCode string) error {
	c, ok := places.Commune(communeCode)
	if postcode == "" || !ok || len(c.Postcodes) == 0 || slices.Contains(c.Postcodes, postcode) {
		return nil
	}
	codes := c.Postcodes
	more := ""
	if len(codes) > 5 {
		codes, more = codes[:5], "…"
	}
	label := "code postal"
	if len(c.Postcodes) > 1 {
		label = "codes postaux"
	}
	return fmt.Errorf("Le code postal %s n'est pas celui de %s (%s : %s%s) : corrigez le code postal ou la commune",
		postcode, c.Name, label, strings.Join(codes, ", "), more)
}
