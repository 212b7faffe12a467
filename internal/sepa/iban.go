// Package sepa writes SEPA credit transfer files (ISO 20022 pain.001.001.03, the "virement
// SEPA" that French banks accept) and checks the account identifiers they carry: IBAN (ISO
// 13616: country, length of the country, check digits modulo 97) and BIC (ISO 9362).
//
// The file follows the EPC implementation guidelines on top of the ISO schema: euros only, the
// SEPA service level, two decimals, Latin characters only (accents are transliterated), the
// debtor and every creditor identified by IBAN and BIC. The tests validate every file they
// write against the ISO schema, copied in testdata/ (see sepatest).
package sepa

import (
	"fmt"
	"regexp"
	"strings"
)

// ibanLengths is the length of the IBAN in each country of the SEPA scheme (EPC409-09, the
// IBAN registry of SWIFT), French overseas territories included.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
	"ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
	// French overseas departments and territories with their own country code.
	"GF": 27, "GP": 27, "MQ": 27, "RE": 27, "YT": 27, "PM": 27, "BL": 27, "MF": 27, "NC": 27, "PF": 27, "WF": 27, "TF": 27,
}

// NormalizeIBAN removes spaces and dashes and upper-cases.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' || r == '\t' {
			return -1
		}
		return r
	}, s))
}

// CheckIBAN returns nil for a valid IBAN of a SEPA country (spaces allowed), or an error
// saying in French what is wrong.
func CheckIBAN(s string) error {
	iban := NormalizeIBAN(s)
	if iban == "" {
		return fmt.Errorf("indiquez l'IBAN")
	}
	for _, r := range iban {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return fmt.Errorf("un IBAN ne contient que des lettres et des chiffres")
		}
	}
	if len(iban) < 4 {
		return fmt.Errorf("IBAN trop court")
	}
	n, ok := ibanLengths[iban[:2]]
	if !ok {
		return fmt.Errorf("le pays %q n'appartient pas à la zone SEPA", iban[:2])
	}
	if len(iban) != n {
		return fmt.Errorf("un IBAN %s compte %d caractères, celui-ci %d", iban[:2], n, len(iban))
	}
	if iban[2] < '0' || iban[2] > '9' || iban[3] < '0' || iban[3] > '9' {
		return fmt.Errorf("la clé de l'IBAN (3e et 4e caractères) doit être en chiffres")
	}
	if mod97(iban[4:]+iban[:4]) != 1 {
		return fmt.Errorf("la clé de contrôle de l'IBAN est fausse : vérifiez la saisie")
	}
	return nil
}

// mod97 is the remainder of the number written by s (letters count as 10 to 35) by 97.
func mod97(s string) int {
	r := 0
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}

// FormatIBAN groups an IBAN by four characters, as printed on a RIB.
func FormatIBAN(s string) string {
	iban := NormalizeIBAN(s)
	var b strings.Builder
	for i, r := range iban {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaskIBAN shows the country, the check digits and the last four characters only.
func MaskIBAN(s string) string {
	iban := NormalizeIBAN(s)
	if len(iban) < 8 {
		return "****"
	}
	return iban[:4] + " **** " + iban[len(iban)-4:]
}

// bic is ISO 9362: bank code (4 letters), country (2 letters), location (2), branch (3, optional),
// as the pain.001 schema restricts it (no "0" as second location character, a test BIC).
var bic = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)

// NormalizeBIC removes spaces and upper-cases.
func NormalizeBIC(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// CheckBIC returns nil for a BIC of 8 or 11 characters of a SEPA country, or an error in French.
func CheckBIC(s string) error {
	b := NormalizeBIC(s)
	switch {
	case b == "":
		return fmt.Errorf("indiquez le BIC")
	case len(b) != 8 && len(b) != 11:
		return fmt.Errorf("un BIC compte 8 ou 11 caractères")
	case !bic.MatchString(b):
		return fmt.Errorf("BIC mal formé : 4 lettres de banque, 2 lettres de pays, 2 caractères de lieu, 3 d'agence au plus")
	}
	if _, ok := ibanLengths[b[4:6]]; !ok {
		return fmt.Errorf("le pays %q du BIC n'appartient pas à la zone SEPA", b[4:6])
	}
	return nil
}
