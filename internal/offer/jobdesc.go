package offer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// JobDescription is a job a structure offers ("fiche de poste").
type JobDescription struct {
	ID          uuid.UUID
	StructureID uuid.UUID
	// AppellationCode is the ROME appellation; RomeCode its ROME code; AppellationLabel its
	// label, from the reference data.
	AppellationCode  string
	RomeCode         string
	AppellationLabel string
	CustomTitle      string
	Description      string
	ContractType     ContractType
	// CommuneCode is the place of work; Departement, Lat and Lng (when HasPosition) are its.
	CommuneCode     string
	Departement     string
	Lat, Lng        float64
	HasPosition     bool
	HoursPerWeek    int
	OpenPositions   int
	ExpectedProfile string
	CVRequired      bool
	Active          bool
	Rank            int
	CreatedAt       time.Time
	// UpdatedAt is the last update by an employer: 90 days later the description is
	// deactivated unless updated again.
	UpdatedAt          time.Time
	InactivityWarnedAt time.Time
	DeactivatedAt      time.Time
	// DeactivationReason is "employer" or "inactivity" for an inactive description.
	DeactivationReason string
}

// Title is the custom title when there is one, else the appellation's label.
func (j JobDescription) Title() string {
	if j.CustomTitle != "" {
		return j.CustomTitle
	}
	if j.AppellationLabel != "" {
		return j.AppellationLabel
	}
	return j.AppellationCode
}

// AutoDeactivated tells whether the platform deactivated the description for lack of update.
func (j JobDescription) AutoDeactivated() bool {
	return !j.Active && j.DeactivationReason == "inactivity"
}

const jdColumns = `j.id, j.structure_id, j.appellation_code, j.rome_code, j.custom_title, j.description, j.contract_type,
	j.commune_code, j.departement, j.lat, j.lng, j.hours_per_week, j.open_positions, j.expected_profile, j.cv_required,
	j.active, j.rank, j.created_at, j.updated_at, j.inactivity_warned_at, j.deactivated_at, j.deactivation_reason`

func (s *Service) scanJD(row interface{ Scan(...any) error }, extra ...any) (JobDescription, error) {
	var j JobDescription
	var contract string
	var lat, lng sql.NullFloat64
	var warned, deactivated sql.NullTime
	dest := append([]any{&j.ID, &j.StructureID, &j.AppellationCode, &j.RomeCode, &j.CustomTitle, &j.Description, &contract,
		&j.CommuneCode, &j.Departement, &lat, &lng, &j.HoursPerWeek, &j.OpenPositions, &j.ExpectedProfile, &j.CVRequired,
		&j.Active, &j.Rank, &j.CreatedAt, &j.UpdatedAt, &warned, &deactivated, &j.DeactivationReason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return JobDescription{}, err
	}
	j.ContractType = ContractType(contract)
	j.Lat, j.Lng, j.HasPosition = lat.Float64, lng.Float64, lat.Valid && lng.Valid
	j.InactivityWarnedAt, j.DeactivatedAt = warned.Time, deactivated.Time
	if a, ok := s.places.Appellation(j.AppellationCode); ok {
		j.AppellationLabel = a.Label
	}
	return j, nil
}

func (s *Service) collectJDs(rows *sql.Rows, err error) ([]JobDescription, error) {
	if err != nil {
		return nil, fmt.Errorf("lecture des fiches de poste : %w", err)
	}
	defer rows.Close()
	var out []JobDescription
	for rows.Next() {
		j, err := s.scanJD(rows)
		if err != nil {
			return nil, fmt.Errorf("lecture des fiches de poste : %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture des fiches de poste : %w", err)
	}
	return out, nil
}

// structureJobDescriptions lists a structure's job descriptions by rank, only the active ones
// when activeOnly.
func (s *Service) structureJobDescriptions(ctx context.Context, q database.Querier, id uuid.UUID, activeOnly bool) ([]JobDescription, error) {
	query := `SELECT ` + jdColumns + ` FROM job_descriptions j WHERE j.structure_id = $1`
	if activeOnly {
		query += ` AND j.active`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY j.rank, j.created_at, j.id`, id)
	return s.collectJDs(rows, err)
}

func (s *Service) loadJD(ctx context.Context, q database.Querier, id uuid.UUID) (JobDescription, error) {
	j, err := s.scanJD(q.QueryRowContext(ctx, `SELECT `+jdColumns+` FROM job_descriptions j WHERE j.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return JobDescription{}, fmt.Errorf("fiche de poste : %w", fault.NotFound)
	}
	if err != nil {
		return JobDescription{}, fmt.Errorf("lecture de la fiche de poste : %w", err)
	}
	return j, nil
}

// JobDescriptionPage is a job description with its structure.
type JobDescriptionPage struct {
	JobDescription JobDescription
	Structure      Structure
	EmployerView   bool
	// Warning is true when the employer should be asked to update it (from day 60);
	// DaysLeft is then how many days remain before the automatic deactivation.
	Warning  bool
	DaysLeft int
}

// JobDescription loads a job description. The public sees it while it and its structure are
// active; the structure's employers and staff always.
func (s *Service) JobDescription(ctx context.Context, actor access.Actor, id uuid.UUID) (JobDescriptionPage, error) {
	var p JobDescriptionPage
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		j, err := s.loadJD(ctx, tx, id)
		if err != nil {
			return err
		}
		st, err := s.loadStructure(ctx, tx, j.StructureID)
		if err != nil {
			return err
		}
		m, err := member(ctx, tx, actor, st.ID)
		if err != nil {
			return err
		}
		today := s.today()
		p = JobDescriptionPage{JobDescription: j, Structure: st, EmployerView: access.Allowed(actor, access.ManageJobDescriptions, st.Resource(m))}
		if !p.EmployerView && (!j.Active || !st.Active(today)) {
			return fmt.Errorf("fiche de poste : %w", fault.NotFound)
		}
		if p.EmployerView {
			p.Warning, p.DaysLeft = NeedsUpdateWarning(j, today), DaysBeforeDeactivation(j, today)
		}
		return nil
	})
	if err != nil {
		return JobDescriptionPage{}, err
	}
	return p, nil
}

// JobDescriptionInput is what the employer's job description form sends.
type JobDescriptionInput struct {
	AppellationCode string
	CustomTitle     string
	Description     string
	ContractType    ContractType
	// CommuneCode is the place of work; empty means the structure's commune.
	CommuneCode     string
	HoursPerWeek    int
	OpenPositions   int
	ExpectedProfile string
	CVRequired      bool
}

// MaxJobDescriptionsPerStructure caps a structure's job descriptions, active and inactive:
// the registry averages four per structure (21,000 active for 5,000 structures nationally)
// and les-emplois' largest employers list a few dozen, so 200 never stops a real employer
// while a script creating thousands is stopped at once. Inactive ones count because job
// descriptions are never deleted: otherwise creating and deactivating would grow the table
// without end. An employer at the cap edits and reactivates an inactive one.
const MaxJobDescriptionsPerStructure = 200

// Limits of a job description's numbers.
const (
	MinHoursPerWeek  = 1
	MaxHoursPerWeek  = 48 // the legal weekly maximum
	MaxOpenPositions = 999
)

// applyJD validates in for a structure and returns the description as it would be stored.
func (s *Service) applyJD(j JobDescription, st Structure, in JobDescriptionInput) (JobDescription, error) {
	f := fault.Fields{}
	j.AppellationCode = strings.TrimSpace(in.AppellationCode)
	if a, ok := s.places.Appellation(j.AppellationCode); !ok {
		if j.AppellationCode == "" {
			f.Add("appellation", "Choisissez le métier dans la liste proposée")
		} else {
			f.Add("appellation", "Métier inconnu : choisissez-le dans la liste proposée")
		}
	} else {
		j.RomeCode, j.AppellationLabel = a.Rome, a.Label
	}
	j.CustomTitle = cleanLine(in.CustomTitle)
	if TooLong(j.CustomTitle, MaxTitle) {
		f.Add("custom_title", fmt.Sprintf("L'intitulé ne doit pas dépasser %s caractères", Thousands(MaxTitle)))
	}
	j.Description, j.ExpectedProfile = cleanText(in.Description), cleanText(in.ExpectedProfile)
	if TooLong(j.Description, MaxText) {
		f.Add("description", fmt.Sprintf("La description ne doit pas dépasser %s caractères", Thousands(MaxText)))
	}
	if TooLong(j.ExpectedProfile, MaxText) {
		f.Add("expected_profile", fmt.Sprintf("Le profil recherché ne doit pas dépasser %s caractères", Thousands(MaxText)))
	}
	j.ContractType = ContractType(strings.TrimSpace(string(in.ContractType)))
	switch {
	case j.ContractType == "":
		f.Add("contract_type", "Choisissez le type de contrat")
	case !ContractAllowed(st.Kind, j.ContractType):
		labels := make([]string, 0, 8)
		for _, c := range ContractTypesFor(st.Kind) {
			labels = append(labels, c.Label())
		}
		f.Add("contract_type", fmt.Sprintf("Type de contrat non autorisé pour une structure %s ; choisissez parmi : %s", st.Kind, strings.Join(labels, ", ")))
	}
	code := strings.TrimSpace(in.CommuneCode)
	if code == "" {
		code = st.CommuneCode
	}
	if c, ok := s.places.Commune(code); !ok {
		f.Add("commune", "Commune inconnue : choisissez le lieu de travail dans la liste proposée")
	} else {
		j.CommuneCode, j.Departement = c.Code, c.Departement
		j.Lat, j.Lng, j.HasPosition = c.Lat, c.Lng, c.HasCoords
	}
	j.HoursPerWeek, j.OpenPositions, j.CVRequired = in.HoursPerWeek, in.OpenPositions, in.CVRequired
	if j.HoursPerWeek < MinHoursPerWeek || j.HoursPerWeek > MaxHoursPerWeek {
		f.Add("hours_per_week", fmt.Sprintf("La durée hebdomadaire va de %d à %d heures", MinHoursPerWeek, MaxHoursPerWeek))
	}
	if j.OpenPositions < 0 || j.OpenPositions > MaxOpenPositions {
		f.Add("open_positions", fmt.Sprintf("Le nombre de postes ouverts va de 0 à %d", MaxOpenPositions))
	}
	return j, f.Err()
}

// ValidateJobDescription checks in for one of the structure's job descriptions and writes
// nothing: a form that has errors of its own (a number that is not one) reports the
// service's errors with them, in one pass. It returns fault.Fields, or the access error.
func (s *Service) ValidateJobDescription(ctx context.Context, actor access.Actor, structureID uuid.UUID, in JobDescriptionInput) error {
	return s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, structureID)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.ManageJobDescriptions, st); err != nil {
			return err
		}
		_, err = s.applyJD(JobDescription{}, st, in)
		return err
	})
}

// CreateJobDescription adds an active job description at the end of the structure's list.
func (s *Service) CreateJobDescription(ctx context.Context, actor access.Actor, structureID uuid.UUID, in JobDescriptionInput) (JobDescription, error) {
	var out JobDescription
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, structureID)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.ManageJobDescriptions, st); err != nil {
			return err
		}
		now := s.clock.Now()
		j, err := s.applyJD(JobDescription{ID: uuid.Must(uuid.NewV7()), StructureID: st.ID, Active: true, CreatedAt: now, UpdatedAt: now}, st, in)
		if err != nil {
			return err
		}
		if !st.stored {
			if err := insertStructure(ctx, tx, st, now); err != nil {
				return err
			}
		}
		// Lock the structure's row: concurrent creations for one structure queue here, so the
		// count and the rank below are read by one at a time (SQLite has one writer anyway).
		if _, err := tx.ExecContext(ctx, `UPDATE structures SET org_id = org_id WHERE org_id = $1`, st.ID); err != nil {
			return fmt.Errorf("verrou de la structure : %w", err)
		}
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(rank), 0) + 1 FROM job_descriptions WHERE structure_id = $1`,
			st.ID).Scan(&count, &j.Rank); err != nil {
			return fmt.Errorf("rang de la fiche de poste : %w", err)
		}
		if count >= MaxJobDescriptionsPerStructure {
			return fault.Field("", fmt.Sprintf("Cette structure a déjà %d fiches de poste, actives et désactivées : c'est le maximum. "+
				"Modifiez une fiche désactivée pour la réutiliser, puis réactivez-la.", count))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_descriptions (id, structure_id, appellation_code, rome_code, custom_title,
			description, contract_type, commune_code, departement, lat, lng, hours_per_week, open_positions, expected_profile,
			cv_required, active, rank, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, TRUE, $16, $17, $17)`,
			j.ID, j.StructureID, j.AppellationCode, j.RomeCode, j.CustomTitle, j.Description, string(j.ContractType), j.CommuneCode,
			j.Departement, nullFloat(j.Lat, j.HasPosition), nullFloat(j.Lng, j.HasPosition), j.HoursPerWeek, j.OpenPositions,
			j.ExpectedProfile, j.CVRequired, j.Rank, now); err != nil {
			return fmt.Errorf("création de la fiche de poste : %w", err)
		}
		out = j
		return s.record(ctx, tx, actor, "offer.job_description_created", "job_description", j.ID, now,
			map[string]string{"structure": st.ID.String(), "appellation": j.AppellationCode})
	})
	if err != nil {
		return JobDescription{}, err
	}
	return out, nil
}

// jdChange loads a job description and its structure in a transaction and checks that the
// actor may manage it.
func (s *Service) jdChange(ctx context.Context, actor access.Actor, id uuid.UUID,
	change func(tx *sql.Tx, j JobDescription, st Structure, now time.Time) error) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		j, err := s.loadJD(ctx, tx, id)
		if err != nil {
			return err
		}
		st, err := s.loadStructure(ctx, tx, j.StructureID)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.ManageJobDescriptions, st); err != nil {
			return err
		}
		return change(tx, j, st, s.clock.Now())
	})
}

// UpdateJobDescription saves the employer's edit. Any edit counts as an update: the 90-day
// clock restarts and a past warning is forgotten.
func (s *Service) UpdateJobDescription(ctx context.Context, actor access.Actor, id uuid.UUID, in JobDescriptionInput) (JobDescription, error) {
	var out JobDescription
	err := s.jdChange(ctx, actor, id, func(tx *sql.Tx, j JobDescription, st Structure, now time.Time) error {
		next, err := s.applyJD(j, st, in)
		if err != nil {
			return err
		}
		next.UpdatedAt, next.InactivityWarnedAt = now, time.Time{}
		if _, err := tx.ExecContext(ctx, `UPDATE job_descriptions SET appellation_code = $2, rome_code = $3, custom_title = $4,
			description = $5, contract_type = $6, commune_code = $7, departement = $8, lat = $9, lng = $10, hours_per_week = $11,
			open_positions = $12, expected_profile = $13, cv_required = $14, updated_at = $15, inactivity_warned_at = NULL
			WHERE id = $1`,
			j.ID, next.AppellationCode, next.RomeCode, next.CustomTitle, next.Description, string(next.ContractType),
			next.CommuneCode, next.Departement, nullFloat(next.Lat, next.HasPosition), nullFloat(next.Lng, next.HasPosition),
			next.HoursPerWeek, next.OpenPositions, next.ExpectedProfile, next.CVRequired, now); err != nil {
			return fmt.Errorf("enregistrement de la fiche de poste : %w", err)
		}
		out = next
		return s.record(ctx, tx, actor, "offer.job_description_updated", "job_description", j.ID, now,
			map[string]string{"structure": st.ID.String()})
	})
	if err != nil {
		return JobDescription{}, err
	}
	return out, nil
}

// ConfirmJobDescription records that the employer checked the description is still right,
// without changing it: the 90-day clock restarts.
func (s *Service) ConfirmJobDescription(ctx context.Context, actor access.Actor, id uuid.UUID) error {
	return s.jdChange(ctx, actor, id, func(tx *sql.Tx, j JobDescription, st Structure, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE job_descriptions SET updated_at = $2, inactivity_warned_at = NULL WHERE id = $1`, j.ID, now); err != nil {
			return fmt.Errorf("confirmation de la fiche de poste : %w", err)
		}
		return s.record(ctx, tx, actor, "offer.job_description_confirmed", "job_description", j.ID, now, map[string]string{"structure": st.ID.String()})
	})
}

// SetJobDescriptionActive activates or deactivates a job description. Activation counts as an
// update (the employer has just looked at it), so the 90-day clock restarts.
func (s *Service) SetJobDescriptionActive(ctx context.Context, actor access.Actor, id uuid.UUID, active bool) error {
	return s.jdChange(ctx, actor, id, func(tx *sql.Tx, j JobDescription, st Structure, now time.Time) error {
		if j.Active == active {
			return nil
		}
		var err error
		action := "offer.job_description_activated"
		if active {
			_, err = tx.ExecContext(ctx, `UPDATE job_descriptions SET active = TRUE, deactivated_at = NULL, deactivation_reason = '',
				updated_at = $2, inactivity_warned_at = NULL WHERE id = $1`, j.ID, now)
		} else {
			action = "offer.job_description_deactivated"
			_, err = tx.ExecContext(ctx, `UPDATE job_descriptions SET active = FALSE, deactivated_at = $2, deactivation_reason = 'employer',
				updated_at = $2 WHERE id = $1`, j.ID, now)
		}
		if err != nil {
			return fmt.Errorf("activation de la fiche de poste : %w", err)
		}
		return s.record(ctx, tx, actor, action, "job_description", j.ID, now, map[string]string{"structure": st.ID.String()})
	})
}

// MoveJobDescription moves a job description one place up (towards the top of the page) or
// down in its structure's list; at either end it does nothing.
func (s *Service) MoveJobDescription(ctx context.Context, actor access.Actor, id uuid.UUID, up bool) error {
	return s.jdChange(ctx, actor, id, func(tx *sql.Tx, j JobDescription, st Structure, now time.Time) error {
		all, err := s.structureJobDescriptions(ctx, tx, st.ID, false)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(all))
		at := -1
		for i, o := range all {
			ids[i] = o.ID
			if o.ID == j.ID {
				at = i
			}
		}
		other := at + 1
		if up {
			other = at - 1
		}
		if at < 0 || other < 0 || other >= len(ids) {
			return nil
		}
		ids[at], ids[other] = ids[other], ids[at]
		return s.renumber(ctx, tx, actor, st.ID, all, ids, now)
	})
}

// ReorderJobDescriptions sets the order of a structure's job descriptions: ids must list each
// of them exactly once, top first.
func (s *Service) ReorderJobDescriptions(ctx context.Context, actor access.Actor, structureID uuid.UUID, ids []uuid.UUID) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, structureID)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.ManageJobDescriptions, st); err != nil {
			return err
		}
		all, err := s.structureJobDescriptions(ctx, tx, st.ID, false)
		if err != nil {
			return err
		}
		have := make([]uuid.UUID, len(all))
		for i, j := range all {
			have[i] = j.ID
		}
		want := slices.Clone(ids)
		slices.SortFunc(have, compareUUID)
		slices.SortFunc(want, compareUUID)
		if !slices.Equal(have, want) {
			return fault.Field("order", "L'ordre doit citer chaque fiche de poste de la structure une seule fois : rechargez la page")
		}
		return s.renumber(ctx, tx, actor, st.ID, all, ids, s.clock.Now())
	})
}

func compareUUID(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) }

// renumber gives ranks 1..n in the order of ids, writing only the rows whose rank changes.
// Reordering is not an update of the descriptions: their 90-day clock keeps running.
func (s *Service) renumber(ctx context.Context, tx *sql.Tx, actor access.Actor, structureID uuid.UUID, all []JobDescription, ids []uuid.UUID, now time.Time) error {
	rank := map[uuid.UUID]int{}
	for _, j := range all {
		rank[j.ID] = j.Rank
	}
	changed := 0
	for i, id := range ids {
		if rank[id] == i+1 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE job_descriptions SET rank = $2 WHERE id = $1`, id, i+1); err != nil {
			return fmt.Errorf("ordre des fiches de poste : %w", err)
		}
		changed++
	}
	if changed == 0 {
		return nil
	}
	return s.record(ctx, tx, actor, "offer.job_descriptions_reordered", "structure", structureID, now, map[string]string{"moved": strconv.Itoa(changed)})
}
