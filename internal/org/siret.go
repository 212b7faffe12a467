package org

import (
	"errors"
	"strings"
)

// NormaliseSIRET removes the spaces people type ("123 456 789 00012").
func NormaliseSIRET(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// CheckSIRET validates a SIRET: 14 digits passing the Luhn check. La Poste's establishments
// (SIREN 356 000 000) are too many for the Luhn key: INSEE numbers them so that the sum of the
// digits is a multiple of 5 instead; its head office (356 000 000 00048) passes Luhn.
func CheckSIRET(siret string) error {
	siret = NormaliseSIRET(siret)
	if len(siret) != 14 {
		return errors.New("Le SIRET compte 14 chiffres")
	}
	for _, r := range siret {
		if r < '0' || r > '9' {
			return errors.New("Le SIRET ne contient que des chiffres")
		}
	}
	if strings.HasPrefix(siret, "356000000") {
		sum := 0
		for _, r := range siret {
			sum += int(r - '0')
		}
		if sum%5 == 0 {
			return nil
		}
	}
	if !luhn(siret) {
		return errors.New("Ce numéro SIRET n'est pas valide : sa clé de contrôle ne correspond pas, vérifiez les chiffres saisis")
	}
	return nil
}

func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
