package offer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/org"
)

// RegistryEntry is one structure as the registry (ASP, GEIQ list, staff) knows it. The
// structure is found by SIRET and kind, and created with its organisation when missing.
type RegistryEntry struct {
	SIRET       string
	Kind        string
	Name        string // legal name
	CommuneCode string
	// Address and contacts fill the structure's empty fields only: what employers typed on
	// their page wins over the registry's copy.
	Brand        string
	AddressLine1 string
	AddressLine2 string
	Postcode     string
	Phone        string
	Email        string
	Website      string
	// Lat and Lng, both or neither, are a precise position of the address.
	Lat, Lng *float64
	// The convention (SIAE only): number and dates, or nothing for a structure without one.
	ConventionNumber   string
	ConventionStartsOn database.Date
	ConventionEndsOn   database.Date
	// ParentSIRET makes the structure an antenna of the structure of the same kind with that
	// SIRET, sharing its convention; an antenna has no convention of its own.
	ParentSIRET string
}

// RegistryResult tells what SaveRegistryEntry did.
type RegistryResult struct {
	Structure Structure
	Created   bool
	// Unchanged: the structure already said what the entry says; nothing was written.
	Unchanged bool
}

// validateEntry checks an entry alone (references to other rows are checked when saving).
func (s *Service) validateEntry(e RegistryEntry) (RegistryEntry, fault.Fields) {
	f := fault.Fields{}
	e.SIRET, e.ParentSIRET = org.NormaliseSIRET(e.SIRET), org.NormaliseSIRET(e.ParentSIRET)
	if err := org.CheckSIRET(e.SIRET); err != nil {
		f.Add("siret", err.Error())
	}
	e.Kind = strings.ToUpper(strings.TrimSpace(e.Kind))
	if !IsKind(e.Kind) {
		f.Add("kind", "type de structure inconnu : EI, AI, ACI, ETTI, EITI ou GEIQ")
	}
	e.Name = cleanLine(e.Name)
	if e.Name == "" {
		f.Add("name", "la raison sociale est obligatoire")
	} else if utf8.RuneCountInString(e.Name) > 200 {
		f.Add("name", "la raison sociale ne doit pas dépasser 200 caractères")
	}
	if _, ok := s.places.Commune(strings.TrimSpace(e.CommuneCode)); !ok {
		f.Add("commune", "commune inconnue (code INSEE attendu)")
	}
	e.CommuneCode = strings.TrimSpace(e.CommuneCode)
	// Checked here rather than only when saving, so that an import reports every bad address
	// at once instead of stopping at the first.
	if w, err := NormaliseWebsite(e.Website); err != nil {
		f.Add("website", err.Error())
	} else {
		e.Website = w
	}
	e.ConventionNumber = strings.TrimSpace(e.ConventionNumber)
	hasDates := !e.ConventionStartsOn.IsZero() || !e.ConventionEndsOn.IsZero()
	switch {
	case e.ConventionNumber == "" && hasDates:
		f.Add("convention_number", "numéro de convention manquant")
	case e.ConventionNumber != "" && e.Kind == KindGEIQ:
		f.Add("convention_number", "un GEIQ n'a pas de convention IAE")
	case e.ConventionNumber != "" && e.ParentSIRET != "":
		f.Add("convention_number", "une antenne partage la convention de sa structure mère et n'en a pas en propre")
	case e.ConventionNumber != "" && len(e.ConventionNumber) > 50:
		f.Add("convention_number", "numéro de convention trop long (50 caractères au plus)")
	case e.ConventionNumber != "" && (e.ConventionStartsOn.IsZero() || e.ConventionEndsOn.IsZero()):
		f.Add("convention_ends_on", "dates de début et de fin de convention obligatoires")
	case e.ConventionNumber != "" && e.ConventionEndsOn.Before(e.ConventionStartsOn):
		f.Add("convention_ends_on", "la convention ne peut pas finir avant de commencer")
	}
	if e.ParentSIRET != "" {
		if err := org.CheckSIRET(e.ParentSIRET); err != nil {
			f.Add("parent_siret", err.Error())
		} else if e.ParentSIRET == e.SIRET {
			f.Add("parent_siret", "une structure ne peut pas être sa propre antenne")
		}
	}
	return e, f
}

// SaveRegistryEntry creates or updates one structure from the registry (staff only).
func (s *Service) SaveRegistryEntry(ctx context.Context, actor access.Actor, e RegistryEntry) (RegistryResult, error) {
	if err := access.Can(actor, access.ManageStructureRegistry, access.Resource{}); err != nil {
		return RegistryResult{}, err
	}
	e, f := s.validateEntry(e)
	if err := f.Err(); err != nil {
		return RegistryResult{}, err
	}
	var out RegistryResult
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.saveEntry(ctx, tx, actor, e, s.clock.Now())
		return err
	})
	if err != nil {
		return RegistryResult{}, err
	}
	return out, nil
}

// ImportReport counts what ImportRegistry did: structures created, changed, and already as the
// entries say (nothing written for those).
type ImportReport struct {
	Created, Updated, Unchanged int
}

// LineError is a registry entry's problem: Line is its position in the entries (1-based).
type LineError struct {
	Line   int
	Fields fault.Fields
}

// ImportError lists every invalid entry of an import, which then wrote nothing.
type ImportError struct{ Lines []LineError }

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d ligne(s) invalide(s)", len(e.Lines))
	for i, l := range e.Lines {
		if i == 20 {
			b.WriteString("; …")
			break
		}
		fmt.Fprintf(&b, "; ligne %d : %s", l.Line, strings.TrimPrefix(l.Fields.Error(), "saisie invalide; "))
	}
	return b.String()
}

// Is makes errors.Is(err, fault.Invalid) true.
func (e *ImportError) Is(target error) bool { return target == fault.Invalid }

// ImportRegistry saves many registry entries in one transaction (staff only): all or nothing.
// Entries are checked first and every invalid one is reported (*ImportError). Parents must
// come before their antennas or already exist.
func (s *Service) ImportRegistry(ctx context.Context, actor access.Actor, entries []RegistryEntry) (ImportReport, error) {
	if err := access.Can(actor, access.ManageStructureRegistry, access.Resource{}); err != nil {
		return ImportReport{}, err
	}
	var bad []LineError
	clean := make([]RegistryEntry, len(entries))
	for i, e := range entries {
		var f fault.Fields
		clean[i], f = s.validateEntry(e)
		if len(f) > 0 {
			bad = append(bad, LineError{Line: i + 1, Fields: f})
		}
	}
	if len(bad) > 0 {
		return ImportReport{}, &ImportError{Lines: bad}
	}
	var r ImportReport
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		r = ImportReport{}
		now := s.clock.Now()
		for i, e := range clean {
			res, err := s.saveEntry(ctx, tx, actor, e, now)
			if err != nil {
				var f fault.Fields
				if errors.As(err, &f) {
					return &ImportError{Lines: []LineError{{Line: i + 1, Fields: f}}}
				}
				return fmt.Errorf("ligne %d : %w", i+1, err)
			}
			switch {
			case res.Created:
				r.Created++
			case res.Unchanged:
				r.Unchanged++
			default:
				r.Updated++
			}
		}
		return nil
	})
	if err != nil {
		return ImportReport{}, err
	}
	return r, nil
}

func (s *Service) saveEntry(ctx context.Context, tx *sql.Tx, actor access.Actor, e RegistryEntry, now time.Time) (RegistryResult, error) {
	commune, _ := s.places.Commune(e.CommuneCode)
	var id uuid.UUID
	err := tx.QueryRowContext(ctx, `SELECT id FROM organisations WHERE siret = $1 AND kind = $2`, e.SIRET, e.Kind).Scan(&id)
	created := errors.Is(err, sql.ErrNoRows)
	switch {
	case created:
		id = uuid.Must(uuid.NewV7())
		category := "siae"
		if e.Kind == KindGEIQ {
			category = "geiq"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organisations (id, kind, category, name, siret, commune_code, departement,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			id, e.Kind, category, e.Name, e.SIRET, commune.Code, commune.Departement, now); err != nil {
			return RegistryResult{}, fmt.Errorf("création de l'organisation : %w", err)
		}
	case err != nil:
		return RegistryResult{}, fmt.Errorf("recherche de la structure : %w", err)
	}
	// Read before changing the organisation, so that apply sees a change of commune and moves
	// the position with it.
	st, err := s.loadStructure(ctx, tx, id)
	if err != nil {
		return RegistryResult{}, err
	}
	// Registry contacts fill what the employer left empty.
	next, err := s.apply(st, StructureInput{Brand: firstNonEmpty(st.Brand, e.Brand),
		AddressLine1: firstNonEmpty(st.AddressLine1, e.AddressLine1), AddressLine2: firstNonEmpty(st.AddressLine2, e.AddressLine2),
		Postcode: firstNonEmpty(st.Postcode, e.Postcode), CommuneCode: commune.Code, Lat: e.Lat, Lng: e.Lng,
		Phone: firstNonEmpty(st.Phone, e.Phone), Email: firstNonEmpty(st.Email, e.Email),
		Website: firstNonEmpty(st.Website, e.Website), Description: st.Description, ProvidedSupport: st.ProvidedSupport})
	if err != nil {
		return RegistryResult{}, err
	}
	// Only what differs is written: an entry the structure already matches writes nothing (no
	// new updated_at, no audit entry, no new generation for the searches).
	changed := created || !st.stored
	if next.Name != e.Name {
		if _, err := tx.ExecContext(ctx, `UPDATE organisations SET name = $2, updated_at = $3 WHERE id = $1`, id, e.Name, now); err != nil {
			return RegistryResult{}, fmt.Errorf("mise à jour de la raison sociale : %w", err)
		}
		next.Name = e.Name
		changed = true
	}
	if !st.stored || changedFields(st, next) != "" {
		if err := s.save(ctx, tx, st, next, now); err != nil {
			return RegistryResult{}, err
		}
		changed = true
	}
	parentChanged, err := s.setParent(ctx, tx, st, e, now)
	if err != nil {
		return RegistryResult{}, err
	}
	conventionChanged, err := s.setConvention(ctx, tx, st, e, now)
	if err != nil {
		return RegistryResult{}, err
	}
	if !changed && !parentChanged && !conventionChanged {
		return RegistryResult{Structure: st, Unchanged: true}, nil
	}
	action := "offer.registry_updated"
	if !st.stored {
		action = "offer.registry_created"
	}
	if err := s.record(ctx, tx, actor, action, "structure", id, now, map[string]string{"kind": e.Kind}); err != nil {
		return RegistryResult{}, err
	}
	final, err := s.loadStructure(ctx, tx, id)
	if err != nil {
		return RegistryResult{}, err
	}
	return RegistryResult{Structure: final, Created: !st.stored}, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// setParent makes the structure the antenna the entry says, or a structure of its own; it
// tells whether that changed anything.
func (s *Service) setParent(ctx context.Context, tx *sql.Tx, st Structure, e RegistryEntry, now time.Time) (bool, error) {
	var parent uuid.UUID
	if e.ParentSIRET != "" {
		var grandParent uuid.NullUUID
		err := tx.QueryRowContext(ctx, `SELECT s.org_id, s.parent_id FROM structures s JOIN organisations o ON o.id = s.org_id
			WHERE o.siret = $1 AND o.kind = $2`, e.ParentSIRET, e.Kind).Scan(&parent, &grandParent)
		if errors.Is(err, sql.ErrNoRows) {
			return false, fault.Field("parent_siret", "structure mère introuvable : elle doit être du même type et importée avant ses antennes")
		}
		if err != nil {
			return false, fmt.Errorf("recherche de la structure mère : %w", err)
		}
		if grandParent.Valid {
			return false, fault.Field("parent_siret", "la structure mère est elle-même une antenne : rattachez l'antenne à la structure principale")
		}
		var antennas int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM structures WHERE parent_id = $1`, st.ID).Scan(&antennas); err != nil {
			return false, err
		}
		if antennas > 0 {
			return false, fault.Field("parent_siret", "cette structure a ses propres antennes : elle ne peut pas devenir une antenne")
		}
	}
	if parent == st.ParentID {
		return false, nil
	}
	// An antenna has no convention of its own.
	var err error
	if parent != uuid.Nil {
		_, err = tx.ExecContext(ctx, `UPDATE structures SET parent_id = $2, convention_id = NULL, updated_at = $3 WHERE org_id = $1`, st.ID, parent, now)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE structures SET parent_id = NULL, updated_at = $2 WHERE org_id = $1`, st.ID, now)
	}
	return true, wrapTx(err, "rattachement de l'antenne")
}

// setConvention gives the structure the entry's convention (created, or its dates corrected,
// when needed), or none; it tells whether that changed anything. An antenna's is its parent's.
func (s *Service) setConvention(ctx context.Context, tx *sql.Tx, st Structure, e RegistryEntry, now time.Time) (bool, error) {
	if e.ParentSIRET != "" {
		return false, nil
	}
	if e.ConventionNumber == "" {
		removed, err := affected(tx.ExecContext(ctx, `UPDATE structures SET convention_id = NULL, updated_at = $2
			WHERE org_id = $1 AND convention_id IS NOT NULL`, st.ID, now))
		return removed, wrapTx(err, "retrait de la convention")
	}
	// A row comes back when the convention is created or its dates change; none when it
	// already says the same.
	var convID uuid.UUID
	written := true
	err := tx.QueryRowContext(ctx, `INSERT INTO conventions (id, number, starts_on, ends_on, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (number) DO UPDATE SET starts_on = excluded.starts_on, ends_on = excluded.ends_on, updated_at = excluded.updated_at
		WHERE conventions.starts_on <> excluded.starts_on OR conventions.ends_on <> excluded.ends_on
		RETURNING id`, uuid.Must(uuid.NewV7()), e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn, now).Scan(&convID)
	if errors.Is(err, sql.ErrNoRows) {
		written = false
		err = tx.QueryRowContext(ctx, `SELECT id FROM conventions WHERE number = $1`, e.ConventionNumber).Scan(&convID)
	}
	if err != nil {
		return false, fmt.Errorf("enregistrement de la convention : %w", err)
	}
	attached, err := affected(tx.ExecContext(ctx, `UPDATE structures SET convention_id = $2, updated_at = $3
		WHERE org_id = $1 AND (convention_id IS NULL OR convention_id <> $2)`, st.ID, convID, now))
	if database.IsUniqueViolation(err) {
		return false, fault.Field("convention_number", "cette convention est déjà celle d'une autre structure")
	}
	return written || attached, wrapTx(err, "rattachement de la convention")
}

// SetSearchable shows or hides a structure in searches (staff only). Its page and its
// applications are not affected.
func (s *Service) SetSearchable(ctx context.Context, actor access.Actor, id uuid.UUID, searchable bool) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.ManageStructureRegistry, st.Resource(false)); err != nil {
			return err
		}
		now := s.clock.Now()
		if !st.stored {
			if err := insertStructure(ctx, tx, st, now); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE structures SET searchable = $2, updated_at = $3 WHERE org_id = $1 AND searchable <> $2`,
			st.ID, searchable, now)
		changed, err := affected(res, err)
		if err != nil || !changed {
			return wrapTx(err, "visibilité de la structure")
		}
		return s.record(ctx, tx, actor, "offer.searchable_changed", "structure", st.ID, now, map[string]string{"searchable": strconv.FormatBool(searchable)})
	})
}
