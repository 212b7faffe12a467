package eligibility

import (
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
)

// Diagnosis is an eligibility diagnosis, opened.
type Diagnosis struct {
	ID          uuid.UUID
	JobSeekerID uuid.UUID
	Author      Author
	// AuthorOrg made it; AuthorOrgName is its name at reading time. StructureKind is the
	// kind of an employer's structure (the rule it was made under); "" for a prescriber.
	AuthorOrg     uuid.UUID
	AuthorOrgName string
	AuthorUser    uuid.UUID
	StructureKind string
	// SetID names the criteria set it was made with; Criteria are those checked, in the set's
	// order.
	SetID    string
	Criteria []Criterion
	MadeOn   database.Date
	// NaturalEnd is the last day of its validity as made (ValidUntil); EndedOn the day a
	// newer diagnosis of the same scope replaced it (zero while it runs).
	NaturalEnd database.Date
	EndedOn    database.Date
	CreatedAt  time.Time
	// KeptByPASS is true while a PASS IAE made on this diagnosis runs: the diagnosis stays
	// valid for the PASS's whole life (les emplois de l'inclusion). The PASS module tells it
	// through Service.SetPASSCheck.
	KeptByPASS bool
}

// ValidUntil is the last day the diagnosis is valid: its natural end, or the day before a
// newer diagnosis replaced it.
func (d Diagnosis) ValidUntil() database.Date {
	if !d.EndedOn.IsZero() && d.EndedOn.AddDays(-1).Before(d.NaturalEnd) {
		return d.EndedOn.AddDays(-1)
	}
	return d.NaturalEnd
}

// ValidOn tells whether the diagnosis is valid on a day: between the day it was made and its
// last day, both included, or whenever a running PASS IAE keeps it.
func (d Diagnosis) ValidOn(day database.Date) bool {
	if d.KeptByPASS {
		return true
	}
	return !day.Before(d.MadeOn) && !day.After(d.ValidUntil())
}

// Replaced tells whether a newer diagnosis ended it.
func (d Diagnosis) Replaced() bool { return !d.EndedOn.IsZero() }

// AppliesTo tells whether the diagnosis counts for a structure: a prescriber's everywhere, an
// employer's only in its own structure.
func (d Diagnosis) AppliesTo(structure uuid.UUID) bool {
	return d.Author == ByPrescriber || d.AuthorOrg == structure
}

// Status is a person's eligibility as one reader sees it, with why.
type Status struct {
	JobSeekerID uuid.UUID
	// Structure is the structure the status is about (an application's, an employer's own);
	// uuid.Nil: every structure, which only a prescriber's diagnosis covers.
	Structure uuid.UUID
	Eligible  bool
	// Summary is the answer in one French sentence.
	Summary string
	// Applied is the diagnosis that makes the person eligible; Last, when not eligible, the
	// most recent one that no longer counts (expired or replaced), to say since when.
	Applied *Diagnosis
	Last    *Diagnosis
	// Elsewhere are the employers' diagnoses valid in other structures (shown to the person).
	Elsewhere []Diagnosis
	// History is every diagnosis the reader may see, newest first.
	History []Diagnosis
	Today   database.Date
	// CanDiagnose: the reader may make a diagnosis now; Blocked says why not when the rule,
	// not the access, stops them (a prescriber's diagnosis applies).
	CanDiagnose bool
	Blocked     string
}

// Why explains a diagnosis on the status's day.
func (s Status) Why(d Diagnosis) Why { return d.Why(s.Today) }

// evaluate computes the status from the diagnoses a reader sees, newest first. A prescriber's
// valid diagnosis takes precedence over any employer's; otherwise the structure's own.
func evaluate(person, structure uuid.UUID, diags []Diagnosis, today database.Date) Status {
	st := Status{JobSeekerID: person, Structure: structure, History: diags, Today: today}
	for i := range diags {
		d := diags[i]
		if d.Author == ByPrescriber && d.ValidOn(today) {
			st.Applied = &diags[i]
			break
		}
	}
	if st.Applied == nil && structure != uuid.Nil {
		for i := range diags {
			d := diags[i]
			if d.Author == ByEmployer && d.AuthorOrg == structure && d.ValidOn(today) {
				st.Applied = &diags[i]
				break
			}
		}
	}
	for i := range diags {
		d := diags[i]
		if d.Author == ByEmployer && d.ValidOn(today) && (st.Applied == nil || d.ID != st.Applied.ID) && d.AuthorOrg != structure {
			st.Elsewhere = append(st.Elsewhere, d)
		}
	}
	if st.Applied != nil {
		st.Eligible = true
		d := st.Applied
		until := "jusqu'au " + d.ValidUntil().French() + " inclus"
		if d.KeptByPASS {
			until = "tant que son PASS IAE est en cours"
		}
		if d.Author == ByPrescriber {
			st.Summary = "Éligible à l'IAE dans toutes les structures " + until + " : diagnostic d'un prescripteur habilité (" + d.AuthorOrgName + ")."
		} else {
			st.Summary = "Éligible à l'IAE chez " + d.AuthorOrgName + " " + until + " : diagnostic de la structure."
		}
		return st
	}
	for i := range diags {
		if diags[i].AppliesTo(structure) {
			st.Last = &diags[i]
			break
		}
	}
	st.Summary = "Éligibilité à l'IAE non établie : aucun diagnostic d'un prescripteur habilité en cours de validité."
	if structure != uuid.Nil {
		st.Summary = "Éligibilité à l'IAE non établie pour cette structure : aucun diagnostic en cours de validité."
	}
	if st.Last != nil {
		st.Summary += " Le dernier diagnostic, du " + st.Last.MadeOn.French() + ", était valable jusqu'au " + st.Last.ValidUntil().French() + " inclus."
	}
	return st
}
