package approval

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Length is a PASS IAE's length in days (R5132-1-2: 24 months; les emplois: 2 × 365 days).
const Length = 730

// DefaultEnd is the last day of a PASS starting on start: start + 729 days.
func DefaultEnd(start database.Date) database.Date { return start.AddDays(Length - 1) }

// DaysBetween is the number of days from a to b (negative when b is before a).
func DaysBetween(a, b database.Date) int {
	return int(b.Time().Sub(a.Time()).Hours() / 24)
}

// AddMonths adds months, keeping to the last day of a shorter month (31 August + 6 months is 28
// or 29 February).
func AddMonths(d database.Date, n int) database.Date {
	first := time.Date(d.Year, d.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return database.Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

// State is a PASS's state on a day, computed from its dates.
type State string

// The states.
const (
	Future    State = "future"
	Valid     State = "valid"
	Suspended State = "suspended"
	Expired   State = "expired"
)

// Label is the French wording.
func (s State) Label() string {
	switch s {
	case Future:
		return "À venir"
	case Valid:
		return "Valide"
	case Suspended:
		return "Suspendu"
	case Expired:
		return "Expiré"
	}
	return string(s)
}

// Badge is the DSFR badge class of the state.
func (s State) Badge() string {
	switch s {
	case Valid:
		return "fr-badge--success"
	case Suspended:
		return "fr-badge--warning"
	case Future:
		return "fr-badge--info"
	}
	return "fr-badge--error"
}

// Suspension is a period during which the parcours stops; the PASS end moves by its length.
type Suspension struct {
	ID         uuid.UUID
	Start, End database.Date
	Reason     SuspensionReason
	// OrgID is the structure that declared it.
	OrgID uuid.UUID
	// EndedByHire: a new hire ended it the day before its start.
	EndedByHire bool
}

// Days is its length, both ends included.
func (s Suspension) Days() int { return DaysBetween(s.Start, s.End) + 1 }

// Contains tells whether the suspension runs on day.
func (s Suspension) Contains(day database.Date) bool {
	return !day.Before(s.Start) && !day.After(s.End)
}

// Prolongation extends a PASS past its end; the end moves by its length.
type Prolongation struct {
	ID         uuid.UUID
	Start, End database.Date
	Reason     ProlongationReason
	// DeclaredBy is the structure; ValidatedBy the authorised prescriber's organisation for the
	// reasons that need one (uuid.Nil otherwise).
	DeclaredBy, ValidatedBy uuid.UUID
	// ReportFile is the report sent with the request (uuid.Nil: none).
	ReportFile uuid.UUID
}

// Days is its length, both ends included.
func (p Prolongation) Days() int { return DaysBetween(p.Start, p.End) + 1 }

// Dates are a PASS's dates: what every rule of this file reads.
type Dates struct {
	Start database.Date
	// End is the last day, as Recompute leaves it.
	End           database.Date
	Suspensions   []Suspension
	Prolongations []Prolongation
	// InterruptedOn is the last day of a parcours ended early (zero otherwise).
	InterruptedOn database.Date
}

// ComputeEnd is start + 729 days + the days of every suspension and prolongation.
func (d Dates) ComputeEnd() database.Date {
	n := Length - 1
	for _, s := range d.Suspensions {
		n += s.Days()
	}
	for _, p := range d.Prolongations {
		n += p.Days()
	}
	return d.Start.AddDays(n)
}

// Recompute sets End from the start, the suspensions and the prolongations. Recomputing twice
// changes nothing.
func (d *Dates) Recompute() { d.End = d.ComputeEnd() }

// LastDay is the last day the PASS runs: its end, or the day of its interruption.
func (d Dates) LastDay() database.Date {
	if !d.InterruptedOn.IsZero() && d.InterruptedOn.Before(d.End) {
		return d.InterruptedOn
	}
	return d.End
}

// Interrupted tells whether the parcours was ended early.
func (d Dates) Interrupted() bool { return !d.InterruptedOn.IsZero() }

// SuspensionOn returns the suspension running on day, if any.
func (d Dates) SuspensionOn(day database.Date) (Suspension, bool) {
	for _, s := range d.Suspensions {
		if s.Contains(day) {
			return s, true
		}
	}
	return Suspension{}, false
}

// StateOn is the state on day: future before the start, expired after the last day, suspended
// during a suspension, valid otherwise.
func (d Dates) StateOn(day database.Date) State {
	switch {
	case day.Before(d.Start):
		return Future
	case day.After(d.LastDay()):
		return Expired
	}
	if _, ok := d.SuspensionOn(day); ok {
		return Suspended
	}
	return Valid
}

// DaysLeft is the number of days from day to the last day, both included (0 once expired).
func (d Dates) DaysLeft(day database.Date) int {
	from := day
	if from.Before(d.Start) {
		from = d.Start
	}
	return max(0, DaysBetween(from, d.LastDay())+1)
}

// Running tells whether the PASS can still carry a hire on day: not expired, not interrupted.
func (d Dates) Running(day database.Date) bool {
	return !d.Interrupted() && !day.After(d.End)
}

// WaitingEnd is the last day of the waiting period after a PASS whose last day is last: two
// years (R5132-1-4). A new PASS may be issued from the next day.
func WaitingEnd(last database.Date) database.Date { return AddMonths(last, 24) }

// InWaitingPeriod tells whether day falls in the waiting period after a PASS ending on last.
func InWaitingPeriod(last, day database.Date) bool {
	return day.After(last) && !day.After(WaitingEnd(last))
}

// ApplyHire is what a new hire starting on start, decided on today, does to a PASS that can
// carry it: a PASS not started yet moves to the hiring start (its end follows); a suspension
// running on the hiring start, or starting later, ends the day before it (or disappears when it
// had not begun). The hire must start by the PASS end.
func ApplyHire(d Dates, start, today database.Date) (Dates, error) {
	if !d.Running(today) || start.After(d.End) {
		return d, fault.Field("hiring_start", fmt.Sprintf("Le contrat doit commencer au plus tard le dernier jour du PASS IAE (%s).", d.End.French()))
	}
	out := d
	out.Suspensions = nil
	for _, s := range d.Suspensions {
		switch {
		case !s.Start.Before(start):
			continue // had not begun by the hire: it never happens
		case !s.End.Before(start):
			s.End, s.EndedByHire = start.AddDays(-1), true
		}
		out.Suspensions = append(out.Suspensions, s)
	}
	if today.Before(d.Start) && start != d.Start {
		out.Start = start
	}
	out.Recompute()
	return out, nil
}

// SuspensionReason is why a suspension was declared.
type SuspensionReason string

// The current reasons (les emplois de l'inclusion) and the historical ones, kept for display.
const (
	SuspendedContract  SuspensionReason = "contract_suspended"
	BrokenContract     SuspensionReason = "contract_broken"
	FinishedContract   SuspensionReason = "finished_contract"
	CTAAgreement       SuspensionReason = "approval_between_cta_members"
	ContratPasserelle  SuspensionReason = "contrat_passerelle"
	HistoricSickness   SuspensionReason = "sickness"
	HistoricMaternity  SuspensionReason = "maternity"
	HistoricPrison     SuspensionReason = "incarceration"
	HistoricTrial      SuspensionReason = "trial_outside_iae"
	HistoricDetox      SuspensionReason = "detoxification"
	HistoricForceMajor SuspensionReason = "force_majeure"
)

// Label is the French wording.
func (r SuspensionReason) Label() string {
	switch r {
	case SuspendedContract:
		return "Contrat de travail suspendu depuis plus de 15 jours"
	case BrokenContract:
		return "Contrat de travail rompu"
	case FinishedContract:
		return "Contrat de travail terminé"
	case CTAAgreement:
		return "Situation faisant l'objet d'un accord entre les acteurs membres du CTA"
	case ContratPasserelle:
		return "Bascule dans l'emploi durable : contrat passerelle"
	case HistoricSickness:
		return "Arrêt pour longue maladie"
	case HistoricMaternity:
		return "Congé de maternité"
	case HistoricPrison:
		return "Incarcération"
	case HistoricTrial:
		return "Période d'essai auprès d'un employeur ne relevant pas de l'IAE"
	case HistoricDetox:
		return "Période de cure pour désintoxication"
	case HistoricForceMajor:
		return "Raison de force majeure"
	}
	return string(r)
}

// SuspensionReasons are the reasons a structure of that kind may declare today: the contrat
// passerelle only for EI and ACI.
func SuspensionReasons(kind string) []SuspensionReason {
	out := []SuspensionReason{SuspendedContract, BrokenContract, FinishedContract, CTAAgreement}
	if kind == "EI" || kind == "ACI" {
		out = append(out, ContratPasserelle)
	}
	return out
}

// MaxSuspensionEnd is the last day a suspension starting on start may run: 36 months.
func MaxSuspensionEnd(start database.Date) database.Date { return AddMonths(start, 36).AddDays(-1) }

// MaxBackdate is how far back a suspension may start: 365 days.
const MaxBackdate = 365

// SuspensionInput is what the suspension form sends. A zero End means the longest allowed.
type SuspensionInput struct {
	Start, End database.Date
	Reason     SuspensionReason
}

// CheckSuspension validates a suspension of a PASS declared on today by a structure of that kind
// whose last hire started on hireStart, and returns it with its end filled. It must start
// inside the PASS, not in the future, at most 365 days back and not before the hire; last at
// most 36 months; and overlap no other suspension. A PASS already suspended, or expired, takes
// none.
func CheckSuspension(d Dates, kind string, hireStart database.Date, in SuspensionInput, today database.Date) (Suspension, error) {
	f := fault.Fields{}
	switch st := d.StateOn(today); {
	case d.Interrupted() || st == Expired:
		return Suspension{}, fault.Field("", "Ce PASS IAE est expiré : il ne peut plus être suspendu.")
	case st == Future:
		return Suspension{}, fault.Field("", "Ce PASS IAE n'a pas encore commencé : il ne peut pas être suspendu.")
	case st == Suspended:
		return Suspension{}, fault.Field("", "Ce PASS IAE est déjà suspendu.")
	}
	if !slices.Contains(SuspensionReasons(kind), in.Reason) {
		f.Add("reason", "Choisissez le motif de la suspension.")
	}
	switch {
	case in.Start.IsZero():
		f.Add("start", "Indiquez la date de début de la suspension.")
	case in.Start.After(today):
		f.Add("start", "La suspension ne peut pas commencer dans le futur.")
	case in.Start.Before(d.Start) || in.Start.After(d.End):
		f.Add("start", fmt.Sprintf("La suspension doit commencer pendant le PASS IAE (du %s au %s).", d.Start.French(), d.End.French()))
	case DaysBetween(in.Start, today) > MaxBackdate:
		f.Add("start", fmt.Sprintf("La suspension ne peut pas commencer plus de %d jours avant aujourd'hui.", MaxBackdate))
	case !hireStart.IsZero() && in.Start.Before(hireStart):
		f.Add("start", fmt.Sprintf("La suspension ne peut pas commencer avant l'embauche (%s).", hireStart.French()))
	}
	s := Suspension{Start: in.Start, End: in.End, Reason: in.Reason}
	if !in.Start.IsZero() {
		if s.End.IsZero() {
			s.End = MaxSuspensionEnd(in.Start)
		}
		switch {
		case s.End.Before(s.Start):
			f.Add("end", "La fin de la suspension doit suivre son début.")
		case s.End.After(MaxSuspensionEnd(s.Start)):
			f.Add("end", fmt.Sprintf("Une suspension dure au plus 36 mois : jusqu'au %s.", MaxSuspensionEnd(s.Start).French()))
		}
		if _, has := f["start"]; !has {
			for _, o := range d.Suspensions {
				if !s.Start.After(o.End) && !o.Start.After(s.End) {
					f.Add("start", fmt.Sprintf("Cette période chevauche une autre suspension (du %s au %s).", o.Start.French(), o.End.French()))
					break
				}
			}
		}
	}
	if err := f.Err(); err != nil {
		return Suspension{}, err
	}
	return s, nil
}

// ApplySuspension adds a checked suspension and moves the end.
func ApplySuspension(d Dates, s Suspension) Dates {
	d.Suspensions = append(slices.Clone(d.Suspensions), s)
	d.Recompute()
	return d
}

// ProlongationReason is why a PASS is prolonged (R5132-1-8).
type ProlongationReason string

// The reasons.
const (
	SeniorCDI              ProlongationReason = "senior_cdi"
	CompleteTraining       ProlongationReason = "complete_training"
	RQTH                   ProlongationReason = "rqth"
	Senior                 ProlongationReason = "senior"
	ParticularDifficulties ProlongationReason = "particular_difficulties"
	HealthContext          ProlongationReason = "health_context"
)

// ReasonRule is what a prolongation reason allows.
type ReasonRule struct {
	Reason ProlongationReason
	Label  string
	// MaxDays is the longest one request; CapDays the longest all prolongations of that reason
	// together (0: no cap).
	MaxDays, CapDays int
	// Prescriber: an authorised prescriber decides; otherwise the structure declares it.
	Prescriber bool
	// Kinds are the structures that may use it (nil: every SIAE).
	Kinds []string
	// Historic reasons are shown, never chosen.
	Historic bool
}

// Report tells whether a request for this reason from a structure of that kind needs the report
// file (les emplois de l'inclusion: AI, for the reasons an authorised prescriber decides).
func (r ReasonRule) Report(kind string) bool { return r.Prescriber && kind == "AI" }

// reasonRules is the reference table (les emplois de l'inclusion, ProlongationReason).
var reasonRules = []ReasonRule{
	{SeniorCDI, "CDI conclu avec une personne de 57 ans et plus", 3650, 0, false, nil, false},
	{CompleteTraining, "Fin d'une formation", 365, 0, false, nil, false},
	{RQTH, "Reconnaissance de la qualité de travailleur handicapé (RQTH)", 365, 3 * 365, true, nil, false},
	{Senior, "Personne de 50 ans et plus", 365, 5 * 365, true, nil, false},
	{ParticularDifficulties, "Difficultés particulièrement importantes dont l'absence de prise en charge ferait obstacle à l'insertion professionnelle", 365, 3 * 365, true, []string{"AI", "ACI"}, false},
	{HealthContext, "Contexte sanitaire", 365, 365, false, nil, true},
}

// RuleOf returns a reason's rule.
func RuleOf(r ProlongationReason) (ReasonRule, bool) {
	i := slices.IndexFunc(reasonRules, func(x ReasonRule) bool { return x.Reason == r })
	if i < 0 {
		return ReasonRule{}, false
	}
	return reasonRules[i], true
}

// Label is the French wording.
func (r ProlongationReason) Label() string {
	if rule, ok := RuleOf(r); ok {
		return rule.Label
	}
	return string(r)
}

// ProlongationReasons are the reasons a structure of that kind may choose.
func ProlongationReasons(kind string) []ReasonRule {
	var out []ReasonRule
	for _, r := range reasonRules {
		if !r.Historic && (r.Kinds == nil || slices.Contains(r.Kinds, kind)) {
			out = append(out, r)
		}
	}
	return out
}

// ProlongationWindow is when a prolongation may be asked: from 12 months before the PASS end to
// 6 months after it, both included.
func ProlongationWindow(end database.Date) (open, close database.Date) {
	return AddMonths(end, -12), AddMonths(end, 6)
}

// ProlongationInput is what the prolongation form sends.
type ProlongationInput struct {
	Reason ProlongationReason
	End    database.Date
	// Report: a report file comes with it.
	Report bool
}

// CheckProlongation validates a prolongation asked on today by a structure of that kind and
// returns it: it starts the day after the PASS end, inside the window, for a reason the structure
// may use, no longer than the reason allows per request and in total, with the report file
// where required. A suspended or interrupted PASS takes none.
func CheckProlongation(d Dates, kind string, in ProlongationInput, today database.Date) (Prolongation, error) {
	if d.Interrupted() {
		return Prolongation{}, fault.Field("", "Ce PASS IAE a été interrompu : il ne peut plus être prolongé.")
	}
	if d.StateOn(today) == Suspended {
		return Prolongation{}, fault.Field("", "Ce PASS IAE est suspendu : il ne peut pas être prolongé pendant la suspension.")
	}
	open, closes := ProlongationWindow(d.End)
	if today.Before(open) || today.After(closes) {
		return Prolongation{}, fault.Field("", fmt.Sprintf("Une prolongation se demande entre le %s et le %s (12 mois avant à 6 mois après la fin du PASS IAE).",
			open.French(), closes.French()))
	}
	f := fault.Fields{}
	rule, ok := RuleOf(in.Reason)
	if !ok || rule.Historic || (rule.Kinds != nil && !slices.Contains(rule.Kinds, kind)) {
		f.Add("reason", "Choisissez un motif de prolongation possible pour votre structure.")
	}
	p := Prolongation{Start: d.End.AddDays(1), End: in.End, Reason: in.Reason}
	switch {
	case in.End.IsZero():
		f.Add("end", "Indiquez la date de fin de la prolongation.")
	case !in.End.After(d.End):
		f.Add("end", fmt.Sprintf("La prolongation doit finir après la fin actuelle du PASS IAE (%s).", d.End.French()))
	case ok && p.Days() > rule.MaxDays:
		f.Add("end", fmt.Sprintf("Pour ce motif, une prolongation dure au plus %d jours : jusqu'au %s.", rule.MaxDays, d.End.AddDays(rule.MaxDays).French()))
	case ok && rule.CapDays > 0:
		used := 0
		for _, o := range d.Prolongations {
			if o.Reason == in.Reason {
				used += o.Days()
			}
		}
		if used+p.Days() > rule.CapDays {
			f.Add("end", fmt.Sprintf("Pour ce motif, les prolongations durent au plus %d jours en tout ; il en reste %d.", rule.CapDays, max(0, rule.CapDays-used)))
		}
	}
	if ok && rule.Report(kind) && !in.Report {
		f.Add("report", "Joignez le bilan de la personne : il est exigé pour ce motif.")
	}
	if err := f.Err(); err != nil {
		return Prolongation{}, err
	}
	return p, nil
}

// ApplyProlongation adds a checked prolongation and moves the end.
func ApplyProlongation(d Dates, p Prolongation) Dates {
	d.Prolongations = append(slices.Clone(d.Prolongations), p)
	d.Recompute()
	return d
}

// SuspendedSince is the first day of the unbroken chain of suspensions running on day (zero
// when the PASS is not suspended): suspensions that follow one another day after day count as one.
func (d Dates) SuspendedSince(day database.Date) database.Date {
	cur, ok := d.SuspensionOn(day)
	if !ok {
		return database.Date{}
	}
	since := cur.Start
	for changed := true; changed; {
		changed = false
		for _, s := range d.Suspensions {
			if s.End == since.AddDays(-1) {
				since, changed = s.Start, true
			}
		}
	}
	return since
}

// InterruptionAllowed tells whether the structure may end the parcours early on day: after 12
// consecutive months of suspension (R5132-1-3).
func InterruptionAllowed(d Dates, day database.Date) bool {
	since := d.SuspendedSince(day)
	return !since.IsZero() && !day.Before(AddMonths(since, 12)) && !d.Interrupted()
}

// InterruptionReason is why a parcours ends early.
type InterruptionReason string

// The reasons.
const (
	InterruptSustainedJob InterruptionReason = "sustained_job"
	InterruptTraining     InterruptionReason = "training"
	InterruptLongSuspend  InterruptionReason = "long_suspension"
	InterruptOther        InterruptionReason = "other"
)

// InterruptionReasons in the order of the form.
var InterruptionReasons = []InterruptionReason{InterruptLongSuspend, InterruptSustainedJob, InterruptTraining, InterruptOther}

// Label is the French wording.
func (r InterruptionReason) Label() string {
	switch r {
	case InterruptSustainedJob:
		return "Accès à un emploi durable hors IAE"
	case InterruptTraining:
		return "Entrée en formation qualifiante"
	case InterruptLongSuspend:
		return "Suspension depuis plus de 12 mois consécutifs, après examen de la situation"
	case InterruptOther:
		return "Autre motif"
	}
	return string(r)
}

// CheckInterruption validates ending the parcours on day for a reason: allowed to the structure
// after 12 consecutive months of suspension.
func CheckInterruption(d Dates, reason InterruptionReason, day database.Date) error {
	if !InterruptionAllowed(d, day) {
		return fault.Field("", "Le parcours peut être interrompu après 12 mois consécutifs de suspension seulement.")
	}
	if !slices.Contains(InterruptionReasons, reason) {
		return fault.Field("reason", "Choisissez le motif de l'interruption.")
	}
	return nil
}
