package offer

import (
	"slices"
	"time"

	"parcours/internal/clock"
	"parcours/internal/database"
)

// The structure kinds: the five SIAE kinds and GEIQ (org kind codes).
const (
	KindEI   = "EI"
	KindAI   = "AI"
	KindACI  = "ACI"
	KindETTI = "ETTI"
	KindEITI = "EITI"
	KindGEIQ = "GEIQ"
)

// Kinds returns the kinds of structure, in the order search forms list them.
func Kinds() []string { return []string{KindEI, KindAI, KindACI, KindETTI, KindEITI, KindGEIQ} }

// IsKind tells whether kind is a structure kind.
func IsKind(kind string) bool { return slices.Contains(Kinds(), kind) }

// IsSIAE tells whether the kind is one of the five SIAE kinds, bound by a convention.
func IsSIAE(kind string) bool { return IsKind(kind) && kind != KindGEIQ }

// ContractType is the kind of contract a job description offers.
type ContractType string

// The contract types (les-emplois §1.3).
const (
	ContractCDDI             ContractType = "cddi"
	ContractCDDIPHC          ContractType = "cddi_phc"
	ContractCDDICVG          ContractType = "cddi_cvg"
	ContractCDDUsage         ContractType = "cdd_usage"
	ContractInterim          ContractType = "interim"
	ContractPro              ContractType = "pro"
	ContractApprenticeship   ContractType = "apprenticeship"
	ContractBusinessCreation ContractType = "business_creation"
	ContractOther            ContractType = "other"
)

// ContractTypes returns every contract type.
func ContractTypes() []ContractType {
	return []ContractType{ContractCDDI, ContractCDDIPHC, ContractCDDICVG, ContractCDDUsage, ContractInterim, ContractPro,
		ContractApprenticeship, ContractBusinessCreation, ContractOther}
}

// Label is the French name of the contract type ("" for an unknown one).
func (c ContractType) Label() string {
	switch c {
	case ContractCDDI:
		return "CDD d'insertion (CDDI)"
	case ContractCDDIPHC:
		return "CDDI Premières heures en chantier (PHC)"
	case ContractCDDICVG:
		return "CDDI Convergence (CVG)"
	case ContractCDDUsage:
		return "CDD d'usage"
	case ContractInterim:
		return "Mission d'intérim"
	case ContractPro:
		return "Contrat de professionnalisation"
	case ContractApprenticeship:
		return "Contrat d'apprentissage"
	case ContractBusinessCreation:
		return "Accompagnement à la création d'entreprise"
	case ContractOther:
		return "Autre type de contrat"
	}
	return ""
}

// ContractTypesFor returns the contract types a structure of this kind may offer, in the
// order forms list them; nil for a kind that is not a structure's.
func ContractTypesFor(kind string) []ContractType {
	switch kind {
	case KindEI, KindAI, KindETTI:
		return []ContractType{ContractCDDI, ContractCDDUsage, ContractInterim, ContractPro, ContractOther}
	case KindACI:
		// Les-emplois reserves the PHC and Convergence CDDI to the ACI taking part in those
		// programmes; nothing here says which do, so every ACI may choose them.
		return []ContractType{ContractCDDI, ContractCDDIPHC, ContractCDDICVG, ContractCDDUsage, ContractInterim, ContractPro, ContractOther}
	case KindEITI:
		return []ContractType{ContractBusinessCreation, ContractOther}
	case KindGEIQ:
		return []ContractType{ContractApprenticeship, ContractPro, ContractOther}
	}
	return nil
}

// ContractAllowed tells whether a structure of this kind may offer the contract type.
func ContractAllowed(kind string, c ContractType) bool {
	return slices.Contains(ContractTypesFor(kind), c)
}

// The durations of the rules, in calendar days (Paris dates).
const (
	// ConventionGraceDays: a structure stays active this long after its convention ends, so that
	// a late renewal does not hide it from job seekers.
	ConventionGraceDays = 30
	// SpontaneousOpenDays: spontaneous applications close automatically this long after the
	// employer opened them, so that a forgotten "open" does not draw unread applications.
	SpontaneousOpenDays = 90
	// StaleWarningDays and StaleDeactivationDays: a job description not updated for this long
	// gets a warning, then is deactivated.
	StaleWarningDays      = 60
	StaleDeactivationDays = 90
)

// ConventionActive tells whether a convention ending on endsOn still makes its structure
// active on today: up to and including endsOn + 30 days. A zero endsOn (no convention) is
// never active.
func ConventionActive(endsOn, today database.Date) bool {
	if endsOn.IsZero() {
		return false
	}
	return !today.After(endsOn.AddDays(ConventionGraceDays))
}

// StructureActive applies the activity rule: a GEIQ always; an SIAE while its convention (its
// parent's, for an antenna, which the caller passes) is active; any other kind never.
func StructureActive(kind string, conventionEndsOn, today database.Date) bool {
	switch {
	case kind == KindGEIQ:
		return true
	case IsSIAE(kind):
		return ConventionActive(conventionEndsOn, today)
	}
	return false
}

// daysBetween counts the calendar days from the Paris date of t to today (negative when t is
// later).
func daysBetween(t time.Time, today database.Date) int {
	// Both are midnight UTC, so the difference is a whole number of days.
	return int(today.Time().Sub(database.ParisDate(t).Time()) / (24 * time.Hour))
}

// SpontaneousClosesOn is the first day on which spontaneous applications opened at since are
// closed again.
func SpontaneousClosesOn(since time.Time) database.Date {
	return database.ParisDate(since).AddDays(SpontaneousOpenDays)
}

// SpontaneousOpen tells whether spontaneous applications opened at since (zero: closed) are
// still open on today.
func SpontaneousOpen(since time.Time, today database.Date) bool {
	return !since.IsZero() && today.Before(SpontaneousClosesOn(since))
}

// StaleDays is how many calendar days ago a job description was last updated by its employer.
func StaleDays(updatedAt time.Time, today database.Date) int { return daysBetween(updatedAt, today) }

// DeactivatesOn is the day a job description last updated at updatedAt is deactivated unless
// updated again.
func DeactivatesOn(updatedAt time.Time) database.Date {
	return database.ParisDate(updatedAt).AddDays(StaleDeactivationDays)
}

// NeedsUpdateWarning tells whether the employer's pages should show the banner asking to update
// an active job description: from day 60 without update.
func NeedsUpdateWarning(jd JobDescription, today database.Date) bool {
	return jd.Active && StaleDays(jd.UpdatedAt, today) >= StaleWarningDays
}

// DaysBeforeDeactivation is how many days an active job description has left before the
// automatic deactivation (0 on the day it happens or later).
func DaysBeforeDeactivation(jd JobDescription, today database.Date) int {
	return max(0, StaleDeactivationDays-StaleDays(jd.UpdatedAt, today))
}

// dueForWarning and dueForDeactivation are what the daily job applies.
func dueForWarning(updatedAt time.Time, warned bool, today database.Date) bool {
	d := StaleDays(updatedAt, today)
	return !warned && d >= StaleWarningDays && d < StaleDeactivationDays
}

func dueForDeactivation(updatedAt time.Time, today database.Date) bool {
	return StaleDays(updatedAt, today) >= StaleDeactivationDays
}

// parisMidnight is the instant a Paris calendar day starts, for SQL bounds on timestamps.
func parisMidnight(d database.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, clock.Paris).UTC()
}

// updatedNoLaterThan returns the instant before which a timestamp is at least days old on
// today: t < bound ⟺ StaleDays(t, today) >= days.
func updatedNoLaterThan(today database.Date, days int) time.Time {
	return parisMidnight(today.AddDays(-days + 1))
}
