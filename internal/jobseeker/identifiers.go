package jobseeker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NormaliseNIR removes spaces, dots and dashes and upper-cases the Corsican letters, as people
// type the number from their card ("1 84 12 76 451 089 46").
func NormaliseNIR(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\u00a0', '\t':
			return -1
		}
		return r
	}, s))
}

// NIR errors, in French: they reach the form unchanged.
var (
	errNIRLength = errors.New("Le numéro de sécurité sociale compte 15 caractères (13 chiffres et la clé).")
	errNIRFormat = errors.New("Le numéro de sécurité sociale ne contient que des chiffres (2A ou 2B pour la Corse).")
	errNIRKey    = errors.New("La clé du numéro de sécurité sociale ne correspond pas : vérifiez le numéro.")
	errNIRSex    = errors.New("Le numéro de sécurité sociale commence par 1 (homme) ou 2 (femme).")
	errNIRMonth  = errors.New("Le mois de naissance du numéro de sécurité sociale n'est pas valable.")
)

// CheckNIR validates a normalised NIR (numéro d'inscription au répertoire, the social security
// number): 15 characters, the sex (1 or 2), two digits of birth year, the birth month (01–12,
// or 20 and above when the month is unknown), the département (2A or 2B in Corsica), the
// commune, the order number, and the key: 97 minus the 13-digit number modulo 97, where 2A
// counts as 19 and 2B as 18.
func CheckNIR(nir string) error {
	if len(nir) != 15 {
		return errNIRLength
	}
	digits := nir
	switch nir[5:7] {
	case "2A":
		digits = nir[:5] + "19" + nir[7:]
	case "2B":
		digits = nir[:5] + "18" + nir[7:]
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return errNIRFormat
		}
	}
	if nir[0] != '1' && nir[0] != '2' {
		return errNIRSex
	}
	if m, _ := strconv.Atoi(nir[3:5]); m == 0 || (m > 12 && m < 20) {
		return errNIRMonth
	}
	number, _ := strconv.ParseUint(digits[:13], 10, 64)
	key, _ := strconv.ParseUint(digits[13:], 10, 64)
	if key != 97-number%97 {
		return errNIRKey
	}
	return nil
}

// NIRConsistent checks a valid NIR against the person's civility and birth date: sex, year,
// and month when the NIR knows it.
func NIRConsistent(nir string, c Civility, birth time.Time) error {
	var problems []string
	if (nir[0] == '1') != (c == Monsieur) {
		problems = append(problems, "la civilité")
	}
	if yy, _ := strconv.Atoi(nir[1:3]); yy != birth.Year()%100 {
		problems = append(problems, "l'année de naissance")
	}
	if mm, _ := strconv.Atoi(nir[3:5]); mm >= 1 && mm <= 12 && mm != int(birth.Month()) {
		problems = append(problems, "le mois de naissance")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("Le numéro de sécurité sociale ne correspond pas à %s : vérifiez-les.", strings.Join(problems, " ni à "))
}

// NormaliseFTID upper-cases a France Travail identifier and removes its spaces.
func NormaliseFTID(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// CheckFTID validates a France Travail identifier: 7 digits followed by a digit or a letter
// (the regional identifier), or 11 digits (the national one).
func CheckFTID(id string) error {
	ok := false
	switch len(id) {
	case 8:
		ok = allDigits(id[:7]) && (isDigit(id[7]) || (id[7] >= 'A' && id[7] <= 'Z'))
	case 11:
		ok = allDigits(id)
	}
	if !ok {
		return errors.New("L'identifiant France Travail compte 7 chiffres suivis d'un chiffre ou d'une lettre, ou 11 chiffres.")
	}
	return nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
