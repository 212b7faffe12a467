package offer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	} else if TooLong(e.Name, MaxName) {
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
	case TooLong(e.ConventionNumber, MaxConventionNumber):
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
		res, err := s.saveRegistryBatch(ctx, tx, actor, []RegistryEntry{e}, s.clock.Now())
		var ie *ImportError
		if errors.As(err, &ie) && len(ie.Lines) == 1 {
			return ie.Lines[0].Fields
		}
		if err != nil {
			return err
		}
		out = res[0]
		if !out.Unchanged {
			out.Structure, err = s.loadStructure(ctx, tx, out.Structure.ID)
		}
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
// Entries are checked first and every invalid one is reported (*ImportError), then decided
// against the registry as the entries before leave it — every line that the registry refuses
// (a missing parent, a convention held elsewhere) is reported at once too — and written with
// a few multi-row statements (registry_batch.go). Parents must come before their antennas or
// already exist.
func (s *Service) ImportRegistry(ctx context.Context, actor access.Actor, entries []RegistryEntry) (ImportReport, error) {
	return s.importRegistry(ctx, actor, entries, nil)
}

// importRegistry is ImportRegistry; after, when not nil, runs in the transaction once the
// entries are saved.
func (s *Service) importRegistry(ctx context.Context, actor access.Actor, entries []RegistryEntry,
	after func(tx *sql.Tx, r ImportReport) error) (ImportReport, error) {
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
		results, err := s.saveRegistryBatch(ctx, tx, actor, clean, s.clock.Now())
		if err != nil {
			return err
		}
		for _, res := range results {
			switch {
			case res.Created:
				r.Created++
			case res.Unchanged:
				r.Unchanged++
			default:
				r.Updated++
			}
		}
		if after != nil {
			return after(tx, r)
		}
		return nil
	})
	if err != nil {
		return ImportReport{}, err
	}
	return r, nil
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
