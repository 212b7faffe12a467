package eligibility

import (
	"fmt"
	"time"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Author says who made a diagnosis, which decides its rule, its validity and where it applies.
type Author string

// The authors.
const (
	// ByPrescriber: a member of an authorised prescriber organisation (habilitation
	// VALIDATED). No minimum of criteria; valid 6 months; valid in every structure.
	ByPrescriber Author = "prescriber"
	// ByEmployer: a member of an SIAE, for its own structure ("auto-prescription"). A minimum
	// of criteria by kind of structure; valid 92 days; valid in that structure only.
	ByEmployer Author = "employer"
)

// Label is the French wording.
func (a Author) Label() string {
	switch a {
	case ByPrescriber:
		return "prescripteur habilité"
	case ByEmployer:
		return "structure d'insertion"
	}
	return string(a)
}

// SIAEKinds are the kinds of structure whose members make diagnoses for themselves (GEIQ have
// their own variant, not handled here).
var SIAEKinds = []string{"EI", "AI", "ACI", "ETTI", "EITI"}

// Threshold is what an employer's diagnosis needs: at least Level1 criteria of level 1, or
// at least Level2 criteria of level 2.
type Threshold struct{ Level1, Level2 int }

// ThresholdFor returns the minimum for an author and a kind of structure: none for an
// authorised prescriber; 1 of level 1 or 2 of level 2 for AI and ETTI; 1 of level 1 or 3 of
// level 2 for EI, ACI and EITI (arrêté of 1 September 2021). ok is false for a structure kind
// that makes no diagnosis.
func ThresholdFor(a Author, structureKind string) (Threshold, bool) {
	switch a {
	case ByPrescriber:
		return Threshold{}, true
	case ByEmployer:
		switch structureKind {
		case "AI", "ETTI":
			return Threshold{Level1: 1, Level2: 2}, true
		case "EI", "ACI", "EITI":
			return Threshold{Level1: 1, Level2: 3}, true
		}
	}
	return Threshold{}, false
}

// None tells whether no minimum applies.
func (t Threshold) None() bool { return t == Threshold{} }

// Met tells whether counts of criteria per level reach the threshold.
func (t Threshold) Met(level1, level2 int) bool {
	return t.None() || level1 >= t.Level1 || level2 >= t.Level2
}

// Describe is the rule in French.
func (t Threshold) Describe() string {
	if t.None() {
		return "aucun nombre minimum de critères n'est exigé"
	}
	return fmt.Sprintf("au moins %s de niveau 1 ou %s de niveau 2", plural(t.Level1, "critère"), plural(t.Level2, "critère"))
}

// ValidUntil is the last day a diagnosis made on a day is valid: 6 months less a day for an
// authorised prescriber (a diagnosis of 31 August is valid until 27 February: the month end
// is clamped, then a day taken), 92 days counting the day it was made for an employer (the
// validity of the proofs, les emplois de l'inclusion).
func ValidUntil(a Author, made database.Date) database.Date {
	if a == ByPrescriber {
		return addMonths(made, 6).AddDays(-1)
	}
	return made.AddDays(91)
}

// addMonths adds months, keeping to the last day of a shorter month.
func addMonths(d database.Date, n int) database.Date {
	first := time.Date(d.Year, d.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return database.Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

// CriterionField is the form field of a criterion's checkbox, where its errors are shown.
func CriterionField(code string) string { return "critere_" + code }

// Check validates the criteria checked for a diagnosis against a set and the author's rule,
// and returns them in the set's order. Every problem is reported at once, at its field: an
// unknown code, each incompatible pair (at its second criterion), a threshold not met (at the
// whole list, field "criteres").
func Check(set Set, a Author, structureKind string, codes []string) ([]Criterion, error) {
	f := fault.Fields{}
	t, ok := ThresholdFor(a, structureKind)
	if !ok {
		return nil, fmt.Errorf("une structure de ce type ne fait pas de diagnostic d'éligibilité IAE : %w", fault.Forbidden)
	}
	var out []Criterion
	checked := map[string]bool{}
	for _, code := range codes {
		if checked[code] {
			continue
		}
		if _, ok := set.Criterion(code); !ok {
			f.Add("criteres", "Un des critères cochés n'existe pas dans le référentiel en vigueur : rechargez la page.")
			continue
		}
		checked[code] = true
	}
	for _, c := range set.Criteria {
		if checked[c.Code] {
			out = append(out, c)
		}
	}
	for _, p := range set.Incompatible {
		if checked[p.A] && checked[p.B] {
			f.Add(CriterionField(p.B), p.Message)
		}
	}
	l1, l2 := count(out)
	if !t.Met(l1, l2) && len(f) == 0 {
		f.Add("criteres", fmt.Sprintf("Pour une structure de type %s, cochez %s (cochés : %s de niveau 1, %s de niveau 2).",
			structureKind, t.Describe(), plural(l1, "critère"), plural(l2, "critère")))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func count(cs []Criterion) (level1, level2 int) {
	for _, c := range cs {
		if c.Level == 1 {
			level1++
		} else {
			level2++
		}
	}
	return level1, level2
}

// Why is what a person and an employer read to understand a diagnosis: the rule applied, the
// criteria it counted, where and until when it is valid.
type Why struct {
	// Rule names the author and the rule: "Diagnostic d'un prescripteur habilité : aucun nombre
	// minimum de critères n'est exigé."
	Rule string
	// Counted is "1 critère de niveau 1 et 2 critères de niveau 2".
	Counted        string
	Level1, Level2 []Criterion
	// Scope is where it applies: every structure, or the author's.
	Scope string
	// Validity is "valable du 01/09/2026 au 28/02/2027 inclus", with the end moved by a newer
	// diagnosis or kept by a running PASS IAE.
	Validity string
}

// Why explains the diagnosis on a day.
func (d Diagnosis) Why(today database.Date) Why {
	w := Why{}
	for _, c := range d.Criteria {
		if c.Level == 1 {
			w.Level1 = append(w.Level1, c)
		} else {
			w.Level2 = append(w.Level2, c)
		}
	}
	t, _ := ThresholdFor(d.Author, d.StructureKind)
	switch d.Author {
	case ByPrescriber:
		w.Rule = "Diagnostic d'un prescripteur habilité (" + d.AuthorOrgName + ") : " + t.Describe() + " ; il vaut 6 mois."
		w.Scope = "Valable dans toutes les structures d'insertion."
	case ByEmployer:
		w.Rule = "Diagnostic de la structure " + d.AuthorOrgName + " (" + d.StructureKind + ") : " + t.Describe() + " ; il vaut 92 jours."
		w.Scope = "Valable seulement chez " + d.AuthorOrgName + "."
	}
	w.Counted = plural(len(w.Level1), "critère") + " de niveau 1 et " + plural(len(w.Level2), "critère") + " de niveau 2"
	until := d.ValidUntil()
	switch {
	case d.KeptByPASS:
		w.Validity = "Valable tant que le PASS IAE qui s'appuie sur lui est en cours (fin normale le " + until.French() + ")."
	case !d.EndedOn.IsZero() && !d.EndedOn.After(d.NaturalEnd):
		w.Validity = "Remplacé par un diagnostic plus récent le " + d.EndedOn.French() + " : il valait du " + d.MadeOn.French() + " au " + until.French() + "."
	case until.Before(today):
		w.Validity = "Expiré : il valait du " + d.MadeOn.French() + " au " + until.French() + " inclus."
	default:
		w.Validity = "Valable du " + d.MadeOn.French() + " au " + until.French() + " inclus."
	}
	return w
}

// plural writes "1 critère", "0 critère", "3 critères" (French: 0 and 1 are singular).
func plural(n int, word string) string {
	if n > 1 {
		return fmt.Sprintf("%d %ss", n, word)
	}
	return fmt.Sprintf("%d %s", n, word)
}

// codes lists criteria codes.
func codes(cs []Criterion) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

// Explain says what an author's diagnosis needs and what it is worth, for the form.
func Explain(a Author, structureKind string) string {
	t, ok := ThresholdFor(a, structureKind)
	switch {
	case !ok:
		return ""
	case a == ByPrescriber:
		return "En tant que prescripteur habilité, vous n'avez pas de nombre minimum de critères à cocher : cochez ceux que vous avez constatés. " +
			"Le diagnostic vaudra 6 mois, dans toutes les structures d'insertion."
	}
	return "Pour votre structure (" + structureKind + "), cochez " + t.Describe() + ". Le diagnostic vaudra 92 jours, dans votre structure seulement ; " +
		"gardez les justificatifs : ils peuvent vous être demandés lors d'un contrôle."
}
