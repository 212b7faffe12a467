package offer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// Convention is a structure's agreement with the State. A zero Convention means none.
type Convention struct {
	ID       uuid.UUID
	Number   string
	StartsOn database.Date
	EndsOn   database.Date
}

// Structure is an SIAE or GEIQ with its registry and public-page fields.
type Structure struct {
	// ID is the organisation's id.
	ID uuid.UUID
	// Identity, from the organisation.
	Kind        string
	Name        string // legal name
	SIRET       string
	CommuneCode string
	Departement string
	// OrgDeactivatedAt is set when the organisation was closed on the platform.
	OrgDeactivatedAt time.Time

	Brand        string
	AddressLine1 string
	AddressLine2 string
	Postcode     string
	// Lat and Lng are meaningful when HasPosition: the commune's centre, or the address's
	// exact position when PositionPrecise.
	Lat, Lng        float64
	HasPosition     bool
	PositionPrecise bool
	Phone           string // compact: 0123456789 or +33123456789 (see FormatPhone)
	Email           string
	Website         string
	Description     string
	ProvidedSupport string

	// ParentID is set for an antenna, which shares its parent's convention.
	ParentID uuid.UUID
	// Convention is the structure's own, or its parent's for an antenna (zero when none).
	Convention Convention
	// Searchable is false when staff hid the structure from searches.
	Searchable bool
	// BlockApplications refuses new applications; the structure stays listed.
	BlockApplications bool
	// SpontaneousOpenSince is when the employer opened spontaneous applications (zero: closed).
	SpontaneousOpenSince time.Time
	// HasActiveMembers tells whether someone can answer applications.
	HasActiveMembers bool

	CreatedAt time.Time
	UpdatedAt time.Time
	// stored is false for a structure whose organisation has no structures row yet.
	stored bool
}

// DisplayName is the brand when there is one, else the legal name.
func (st Structure) DisplayName() string {
	if st.Brand != "" {
		return st.Brand
	}
	return st.Name
}

// KindLabel is the French name of the kind, e.g. "Atelier et chantier d'insertion (ACI)".
func (st Structure) KindLabel() string {
	if k, ok := org.Kind(st.Kind); ok {
		return k.Label
	}
	return st.Kind
}

// IsAntenna tells whether the structure is an antenna of another one.
func (st Structure) IsAntenna() bool { return st.ParentID != uuid.Nil }

// Active applies the activity rule on today (a closed organisation is never active).
func (st Structure) Active(today database.Date) bool {
	return st.OrgDeactivatedAt.IsZero() && StructureActive(st.Kind, st.Convention.EndsOn, today)
}

// SpontaneousOpen tells whether spontaneous applications are open on today.
func (st Structure) SpontaneousOpen(today database.Date) bool {
	return SpontaneousOpen(st.SpontaneousOpenSince, today)
}

// Resource describes the structure to the access package.
func (st Structure) Resource(member bool) access.Resource {
	category := "siae"
	if st.Kind == KindGEIQ {
		category = "geiq"
	}
	return access.Resource{OrgID: st.ID, OrgKind: st.Kind, OrgDepartement: st.Departement, OrgCategory: category, Member: member}
}

// structureColumns and structureFrom read a structure (scanStructure).
const (
	structureColumns = `o.id, o.kind, o.category, o.name, o.siret, o.commune_code, o.departement, o.deactivated_at,
	s.org_id, s.brand, s.address_line1, s.address_line2, s.postcode, s.lat, s.lng, s.position_precise,
	s.phone, s.email, s.website, s.description, s.provided_support, s.parent_id,
	c.id, c.number, c.starts_on, c.ends_on,
	s.searchable, s.block_applications, s.spontaneous_open_since, s.created_at, s.updated_at,
	EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.is_active)`
	structureFrom = `
	FROM organisations o
	LEFT JOIN structures s ON s.org_id = o.id
	LEFT JOIN structures p ON p.org_id = s.parent_id
	LEFT JOIN conventions c ON c.id = COALESCE(s.convention_id, p.convention_id)`
	structureSelect = `SELECT ` + structureColumns + structureFrom
)

// scanStructure reads the columns of structureColumns, then extra.
func scanStructure(row interface{ Scan(...any) error }, extra ...any) (Structure, string, error) {
	var st Structure
	var category string
	var siret, brand, line1, line2, postcode, phone, email, website, desc, support, number sql.NullString
	var orgDeact, spontaneous, created, updated sql.NullTime
	var rowID, parent, convID uuid.NullUUID
	var lat, lng sql.NullFloat64
	var precise, searchable, blocked sql.NullBool
	dest := append([]any{&st.ID, &st.Kind, &category, &st.Name, &siret, &st.CommuneCode, &st.Departement, &orgDeact,
		&rowID, &brand, &line1, &line2, &postcode, &lat, &lng, &precise,
		&phone, &email, &website, &desc, &support, &parent,
		&convID, &number, &st.Convention.StartsOn, &st.Convention.EndsOn,
		&searchable, &blocked, &spontaneous, &created, &updated, &st.HasActiveMembers}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return Structure{}, "", err
	}
	st.SIRET, st.OrgDeactivatedAt = siret.String, orgDeact.Time
	st.stored = rowID.Valid
	st.Brand, st.AddressLine1, st.AddressLine2, st.Postcode = brand.String, line1.String, line2.String, postcode.String
	st.Lat, st.Lng, st.HasPosition, st.PositionPrecise = lat.Float64, lng.Float64, lat.Valid && lng.Valid, precise.Bool
	st.Phone, st.Email, st.Website, st.Description, st.ProvidedSupport = phone.String, email.String, website.String, desc.String, support.String
	st.ParentID, st.Convention.ID, st.Convention.Number = parent.UUID, convID.UUID, number.String
	st.Searchable, st.BlockApplications = searchable.Bool || !rowID.Valid, blocked.Bool
	st.SpontaneousOpenSince, st.CreatedAt, st.UpdatedAt = spontaneous.Time, created.Time, updated.Time
	return st, category, nil
}

// loadStructure reads a structure. An SIAE or GEIQ organisation without a structures row yet
// comes back with the defaults it would get (position at the commune's centre), not stored.
func (s *Service) loadStructure(ctx context.Context, q database.Querier, id uuid.UUID) (Structure, error) {
	st, category, err := scanStructure(q.QueryRowContext(ctx, structureSelect+` WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Structure{}, fmt.Errorf("structure : %w", fault.NotFound)
	}
	if err != nil {
		return Structure{}, fmt.Errorf("lecture de la structure : %w", err)
	}
	if (category != "siae" && category != "geiq") || !IsKind(st.Kind) {
		return Structure{}, fmt.Errorf("structure : %w", fault.NotFound)
	}
	if !st.stored {
		st.Searchable = true
		if c, ok := s.places.Commune(st.CommuneCode); ok && c.HasCoords {
			st.Lat, st.Lng, st.HasPosition = c.Lat, c.Lng, true
		}
	}
	return st, nil
}

// StructurePage is what a structure's page shows.
type StructurePage struct {
	Structure Structure
	// JobDescriptions are, for the public, the active ones; for the structure's employers and
	// staff, all of them. Both by rank.
	JobDescriptions []JobDescription
	// EmployerView is true when the actor may edit the structure and its job descriptions.
	EmployerView bool
	Active       bool
	// SpontaneousOpen, with the day they close (SpontaneousClosesOn) when open.
	SpontaneousOpen     bool
	SpontaneousClosesOn database.Date
	Today               database.Date
}

// Structure loads a structure's page. Anyone (anonymous included) sees an active structure's
// public page; its employers and staff see every job description, even of an inactive one.
func (s *Service) Structure(ctx context.Context, actor access.Actor, id uuid.UUID) (StructurePage, error) {
	var p StructurePage
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = s.StructureIn(ctx, tx, actor, id)
		return err
	})
	if err != nil {
		return StructurePage{}, err
	}
	return p, nil
}

// StructureIn is Structure inside the caller's transaction: a hire reads the structure in the
// transaction that accepts it, so that it never waits for a second connection while holding one.
func (s *Service) StructureIn(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID) (StructurePage, error) {
	var p StructurePage
	st, err := s.loadStructure(ctx, q, id)
	if err != nil {
		return StructurePage{}, err
	}
	m, err := member(ctx, q, actor, st.ID)
	if err != nil {
		return StructurePage{}, err
	}
	today := s.today()
	p = StructurePage{Structure: st, Today: today, Active: st.Active(today), SpontaneousOpen: st.SpontaneousOpen(today),
		EmployerView: access.Allowed(actor, access.ManageJobDescriptions, st.Resource(m))}
	if p.SpontaneousOpen {
		p.SpontaneousClosesOn = SpontaneousClosesOn(st.SpontaneousOpenSince)
	}
	if !p.EmployerView && (!p.Active || !st.stored) {
		return StructurePage{}, fmt.Errorf("structure : %w", fault.NotFound)
	}
	p.JobDescriptions, err = s.structureJobDescriptions(ctx, q, st.ID, !p.EmployerView)
	if err != nil {
		return StructurePage{}, err
	}
	return p, nil
}

// StructureInput is what the employer's form for the public page sends.
type StructureInput struct {
	Brand        string
	AddressLine1 string
	AddressLine2 string
	Postcode     string
	// CommuneCode is the INSEE code of the address's commune. Changing it moves the
	// organisation too (its département follows).
	CommuneCode string
	// Lat and Lng, both or neither, are the address's exact position (from a geocoder). When
	// absent the position is kept if the commune did not change, else reset to its centre.
	Lat, Lng        *float64
	Phone           string
	Email           string
	Website         string
	Description     string
	ProvidedSupport string
}

// maxPreciseOffsetKm bounds how far a precise position may lie from its commune's centre: a
// geocoder that matched the wrong town is caught, and Guyane's largest communes still fit.
const maxPreciseOffsetKm = 100

// apply validates in and returns the structure as it would be stored.
func (s *Service) apply(st Structure, in StructureInput) (Structure, error) {
	f := fault.Fields{}
	st.Brand = cleanLine(in.Brand)
	if TooLong(st.Brand, MaxTitle) {
		f.Add("brand", fmt.Sprintf("L'enseigne ne doit pas dépasser %s caractères", Thousands(MaxTitle)))
	}
	st.AddressLine1, st.AddressLine2 = cleanLine(in.AddressLine1), cleanLine(in.AddressLine2)
	if TooLong(st.AddressLine1, MaxTitle) {
		f.Add("address_line1", fmt.Sprintf("L'adresse ne doit pas dépasser %s caractères", Thousands(MaxTitle)))
	}
	if TooLong(st.AddressLine2, MaxTitle) {
		f.Add("address_line2", fmt.Sprintf("Le complément d'adresse ne doit pas dépasser %s caractères", Thousands(MaxTitle)))
	}
	var err error
	if st.Postcode, err = NormalisePostcode(in.Postcode); err != nil {
		f.Add("postcode", err.Error())
	}
	code := strings.TrimSpace(in.CommuneCode)
	moved := code != st.CommuneCode
	commune, ok := s.places.Commune(code)
	switch {
	case code == "":
		f.Add("commune", "Choisissez la commune de la structure")
	case !ok:
		f.Add("commune", "Commune inconnue : choisissez-la dans la liste proposée")
	default:
		st.CommuneCode, st.Departement = commune.Code, commune.Departement
		if err := CheckPostcodeOf(s.places, st.Postcode, commune.Code); err != nil {
			f.Add("postcode", err.Error())
		}
	}
	if (in.Lat == nil) != (in.Lng == nil) {
		f.Add("position", "Position incomplète : latitude et longitude vont ensemble")
	} else if in.Lat != nil {
		lat, lng := *in.Lat, *in.Lng
		switch {
		case !(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180):
			f.Add("position", "Position hors du globe")
		case ok && commune.HasCoords && refdata.Distance(lat, lng, commune.Lat, commune.Lng) > maxPreciseOffsetKm:
			f.Add("position", "Cette position est trop loin de la commune choisie : vérifiez l'adresse")
		default:
			st.Lat, st.Lng, st.HasPosition, st.PositionPrecise = lat, lng, true, true
		}
	} else if moved && ok {
		st.Lat, st.Lng, st.HasPosition, st.PositionPrecise = commune.Lat, commune.Lng, commune.HasCoords, false
	}
	if st.Phone, err = NormalisePhone(in.Phone); err != nil {
		f.Add("phone", err.Error())
	}
	if st.Email, err = NormaliseEmail(in.Email); err != nil {
		f.Add("email", err.Error())
	}
	if st.Website, err = NormaliseWebsite(in.Website); err != nil {
		f.Add("website", err.Error())
	}
	st.Description, st.ProvidedSupport = cleanText(in.Description), cleanText(in.ProvidedSupport)
	if TooLong(st.Description, MaxText) {
		f.Add("description", fmt.Sprintf("La présentation ne doit pas dépasser %s caractères", Thousands(MaxText)))
	}
	if TooLong(st.ProvidedSupport, MaxText) {
		f.Add("provided_support", fmt.Sprintf("L'accompagnement proposé ne doit pas dépasser %s caractères", Thousands(MaxText)))
	}
	return st, f.Err()
}

// changedFields names the public fields that differ, for the audit entry (names, never values).
func changedFields(a, b Structure) string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("brand", a.Brand != b.Brand)
	add("address", a.AddressLine1 != b.AddressLine1 || a.AddressLine2 != b.AddressLine2 || a.Postcode != b.Postcode)
	add("commune", a.CommuneCode != b.CommuneCode)
	add("position", a.Lat != b.Lat || a.Lng != b.Lng || a.PositionPrecise != b.PositionPrecise)
	add("phone", a.Phone != b.Phone)
	add("email", a.Email != b.Email)
	add("website", a.Website != b.Website)
	add("description", a.Description != b.Description)
	add("provided_support", a.ProvidedSupport != b.ProvidedSupport)
	return strings.Join(out, ",")
}

// UpdateStructure saves the public information of a structure: members of the structure acting
// for it, and staff. Bad input writes nothing and comes back as fault.Fields.
func (s *Service) UpdateStructure(ctx context.Context, actor access.Actor, id uuid.UUID, in StructureInput) (Structure, error) {
	var out Structure
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.EditStructure, st); err != nil {
			return err
		}
		next, err := s.apply(st, in)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := s.save(ctx, tx, st, next, now); err != nil {
			return err
		}
		out = next
		out.UpdatedAt = now
		return s.record(ctx, tx, actor, "offer.structure_updated", "structure", st.ID, now, map[string]string{"fields": changedFields(st, next)})
	})
	if err != nil {
		return Structure{}, err
	}
	return out, nil
}

// save writes next over st (inserting the row the first time) and moves the organisation
// when the commune changed.
func (s *Service) save(ctx context.Context, tx *sql.Tx, st, next Structure, now time.Time) error {
	if !st.stored {
		if err := insertStructure(ctx, tx, next, now); err != nil {
			return err
		}
	} else {
		_, err := tx.ExecContext(ctx, `UPDATE structures SET brand = $2, address_line1 = $3, address_line2 = $4, postcode = $5,
			lat = $6, lng = $7, position_precise = $8, phone = $9, email = $10, website = $11, description = $12,
			provided_support = $13, updated_at = $14 WHERE org_id = $1`,
			st.ID, next.Brand, next.AddressLine1, next.AddressLine2, next.Postcode,
			nullFloat(next.Lat, next.HasPosition), nullFloat(next.Lng, next.HasPosition), next.PositionPrecise,
			next.Phone, next.Email, next.Website, next.Description, next.ProvidedSupport, now)
		if err != nil {
			return fmt.Errorf("enregistrement de la structure : %w", err)
		}
	}
	if next.CommuneCode != st.CommuneCode || next.Departement != st.Departement {
		if _, err := tx.ExecContext(ctx, `UPDATE organisations SET commune_code = $2, departement = $3, updated_at = $4 WHERE id = $1`,
			st.ID, next.CommuneCode, next.Departement, now); err != nil {
			return fmt.Errorf("déplacement de l'organisation : %w", err)
		}
	}
	return nil
}

// insertStructure writes a new structures row.
func insertStructure(ctx context.Context, q database.Querier, st Structure, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO structures (org_id, brand, address_line1, address_line2, postcode, lat, lng,
		position_precise, phone, email, website, description, provided_support, parent_id, searchable, block_applications,
		spontaneous_open_since, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)`,
		st.ID, st.Brand, st.AddressLine1, st.AddressLine2, st.Postcode, nullFloat(st.Lat, st.HasPosition), nullFloat(st.Lng, st.HasPosition),
		st.PositionPrecise, st.Phone, st.Email, st.Website, st.Description, st.ProvidedSupport, database.NullUUID(st.ParentID),
		st.Searchable, st.BlockApplications, database.NullTime(st.SpontaneousOpenSince), now)
	if err != nil {
		return fmt.Errorf("création de la structure : %w", err)
	}
	return nil
}

// EnsureStructure creates the structures row of an SIAE or GEIQ organisation that has none
// yet (created at sign-up), positioned at its commune's centre. It is idempotent.
func (s *Service) EnsureStructure(ctx context.Context, actor access.Actor, id uuid.UUID) (Structure, error) {
	var out Structure
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.EditStructure, st); err != nil {
			return err
		}
		out = st
		if st.stored {
			return nil
		}
		now := s.clock.Now()
		if err := insertStructure(ctx, tx, st, now); err != nil {
			return err
		}
		out.stored, out.CreatedAt, out.UpdatedAt = true, now, now
		return s.record(ctx, tx, actor, "offer.structure_created", "structure", st.ID, now, map[string]string{"kind": st.Kind})
	})
	if err != nil {
		return Structure{}, err
	}
	return out, nil
}

// toggle runs a one-column change of a structure for its members and staff.
func (s *Service) toggle(ctx context.Context, actor access.Actor, id uuid.UUID, action string,
	change func(tx *sql.Tx, st Structure, now time.Time) (bool, error)) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		st, err := s.loadStructure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, actor, access.EditStructure, st); err != nil {
			return err
		}
		now := s.clock.Now()
		if !st.stored {
			if err := insertStructure(ctx, tx, st, now); err != nil {
				return err
			}
		}
		changed, err := change(tx, st, now)
		if err != nil || !changed {
			return err
		}
		return s.record(ctx, tx, actor, action, "structure", st.ID, now, nil)
	})
}

// SetApplicationsBlocked blocks (or unblocks) new applications. A blocked structure stays
// listed in searches but is never "recruiting now".
func (s *Service) SetApplicationsBlocked(ctx context.Context, actor access.Actor, id uuid.UUID, blocked bool) error {
	action := "offer.applications_unblocked"
	if blocked {
		action = "offer.applications_blocked"
	}
	return s.toggle(ctx, actor, id, action, func(tx *sql.Tx, st Structure, now time.Time) (bool, error) {
		res, err := tx.ExecContext(ctx, `UPDATE structures SET block_applications = $2, updated_at = $3
			WHERE org_id = $1 AND block_applications <> $2`, st.ID, blocked, now)
		changed, err := affected(res, err)
		return changed, wrapTx(err, "blocage des candidatures")
	})
}

// SetSpontaneousOpen opens spontaneous applications for 90 days from now (reopening restarts
// the 90 days) or closes them.
func (s *Service) SetSpontaneousOpen(ctx context.Context, actor access.Actor, id uuid.UUID, open bool) error {
	if !open {
		return s.toggle(ctx, actor, id, "offer.spontaneous_closed", func(tx *sql.Tx, st Structure, now time.Time) (bool, error) {
			res, err := tx.ExecContext(ctx, `UPDATE structures SET spontaneous_open_since = NULL, updated_at = $2
				WHERE org_id = $1 AND spontaneous_open_since IS NOT NULL`, st.ID, now)
			changed, err := affected(res, err)
			return changed, wrapTx(err, "fermeture des candidatures spontanées")
		})
	}
	return s.toggle(ctx, actor, id, "offer.spontaneous_opened", func(tx *sql.Tx, st Structure, now time.Time) (bool, error) {
		res, err := tx.ExecContext(ctx, `UPDATE structures SET spontaneous_open_since = $2, updated_at = $2 WHERE org_id = $1`, st.ID, now)
		changed, err := affected(res, err)
		return changed, wrapTx(err, "ouverture des candidatures spontanées")
	})
}

// affected tells whether a statement changed a row.
func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
