package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/notify"
)

// Organisation is any organisation using the platform.
type Organisation struct {
	ID                    uuid.UUID
	Kind                  string
	Category              Category
	Name                  string
	SIRET                 string
	SAFIR                 string
	CommuneCode           string
	Departement           string
	Habilitation          Habilitation
	HabilitationReason    string
	HabilitationDecidedAt time.Time
	CreatedAt             time.Time
	DeactivatedAt         time.Time
}

// KindLabel is the French name of the organisation's kind.
func (o Organisation) KindLabel() string {
	if k, ok := Kind(o.Kind); ok {
		return k.Label
	}
	return o.Kind
}

// Role is what members act as in this organisation.
func (o Organisation) Role() access.Role { return Role(o.Category, o.Habilitation) }

// Resource describes the organisation to the access package.
func (o Organisation) Resource(member bool) access.Resource {
	return access.Resource{OrgID: o.ID, OrgKind: o.Kind, OrgDepartement: o.Departement, OrgCategory: string(o.Category), Member: member}
}

const orgColumns = `id, kind, category, name, siret, safir, commune_code, departement, habilitation, habilitation_reason,
	habilitation_decided_at, created_at, deactivated_at`

// orgColumnsOf qualifies orgColumns with a table alias, for joins.
func orgColumnsOf(alias string) string {
	cols := strings.Split(orgColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// scanOrg reads orgColumns, then any extra columns selected after them.
func scanOrg(row interface{ Scan(...any) error }, extra ...any) (Organisation, error) {
	var o Organisation
	var siret, safir sql.NullString
	var decided, deactivated sql.NullTime
	var category, habilitation string
	dest := append([]any{&o.ID, &o.Kind, &category, &o.Name, &siret, &safir, &o.CommuneCode, &o.Departement, &habilitation,
		&o.HabilitationReason, &decided, &o.CreatedAt, &deactivated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Organisation{}, err
	}
	o.Category, o.Habilitation = Category(category), Habilitation(habilitation)
	o.SIRET, o.SAFIR = siret.String, safir.String
	o.HabilitationDecidedAt, o.DeactivatedAt = decided.Time, deactivated.Time
	return o, nil
}

// get loads an organisation (no access check: callers check with access before showing it).
func get(ctx context.Context, q database.Querier, id uuid.UUID) (Organisation, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organisations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Organisation{}, fmt.Errorf("organisation : %w", fault.NotFound)
	}
	if err != nil {
		return Organisation{}, fmt.Errorf("lecture de l'organisation : %w", err)
	}
	return o, nil
}

// FindBySIRET lists the organisations with a SIRET, or with the same SIREN (first 9 digits):
// another establishment of the same legal unit is probably the right one to join.
func (s *Service) FindBySIRET(ctx context.Context, actor access.Actor, siret string) ([]Organisation, error) {
	if err := access.Can(actor, access.FindOrganisation, access.Resource{}); err != nil {
		return nil, err
	}
	return bySIRET(ctx, s.db.Reader(), siret)
}

func bySIRET(ctx context.Context, q database.Querier, siret string) ([]Organisation, error) {
	siret = NormaliseSIRET(siret)
	if len(siret) < 9 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+orgColumns+` FROM organisations
		WHERE siret LIKE $1 AND deactivated_at IS NULL ORDER BY siret = $2 DESC, name LIMIT 20`, siret[:9]+"%", siret)
	if err != nil {
		return nil, fmt.Errorf("recherche par SIRET : %w", err)
	}
	return collectOrgs(rows)
}

func collectOrgs(rows *sql.Rows) ([]Organisation, error) {
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Filter selects organisations on the staff screens.
type Filter struct {
	Query        string // part of the name, or a SIRET prefix
	Category     Category
	Habilitation Habilitation
	Departement  string
	// After is the keyset cursor: name and id of the last row of the previous page.
	AfterName string
	AfterID   uuid.UUID
	Limit     int
}

// StaffSearch lists organisations ordered by name, for the staff screens.
func (s *Service) StaffSearch(ctx context.Context, actor access.Actor, f Filter) ([]Organisation, error) {
	if err := access.Can(actor, access.StaffManageOrganisations, access.Resource{}); err != nil {
		return nil, err
	}
	return search(ctx, s.db.Reader(), f)
}

// StaffNames returns the names of the organisations ids, for staff reading the audit trail,
// whose entries name organisations by id only. Organisations deleted since are absent.
// Organisations are legal persons (no personal data), so the lookup is decided, not recorded.
func (s *Service) StaffNames(ctx context.Context, actor access.Actor, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	if err := access.Can(actor, access.ViewAuditTrail, access.Resource{}); err != nil {
		return nil, err
	}
	out := map[uuid.UUID]string{}
	seen := map[uuid.UUID]bool{}
	var args []any
	var marks []string
	for _, id := range ids {
		if id != uuid.Nil && !seen[id] {
			seen[id] = true
			args = append(args, id)
			marks = append(marks, "$"+strconv.Itoa(len(args)))
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	if len(args) > 500 {
		return nil, fault.Field("ids", "Au plus 500 organisations à la fois")
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, name FROM organisations WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("noms des organisations : %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("noms des organisations : %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

// search lists organisations ordered by name.
func search(ctx context.Context, q database.Querier, f Filter) ([]Organisation, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	query := strings.ToLower(strings.TrimSpace(f.Query))
	like := "%" + query + "%"
	siretPrefix := NormaliseSIRET(query) + "%"
	rows, err := q.QueryContext(ctx, `SELECT `+orgColumns+` FROM organisations
		WHERE ($1 = '%%' OR lower(name) LIKE $1 OR siret LIKE $2)
		  AND ($3 = '' OR category = $3) AND ($4 = '' OR habilitation = $4) AND ($5 = '' OR departement = $5)
		  AND (name > $6 OR (name = $6 AND id > $7))
		ORDER BY name, id LIMIT $8`,
		like, siretPrefix, string(f.Category), string(f.Habilitation), f.Departement, f.AfterName, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("recherche d'organisations : %w", err)
	}
	return collectOrgs(rows)
}

// Member is a user's membership of an organisation, with the user's public fields.
type Member struct {
	UserID        uuid.UUID
	FirstName     string
	LastName      string
	Email         string
	Admin         bool
	Active        bool
	JoinedAt      time.Time
	DeactivatedAt time.Time
}

// FullName is "First Last".
func (m Member) FullName() string { return strings.TrimSpace(m.FirstName + " " + m.LastName) }

// members lists an organisation's members, active first.
func members(ctx context.Context, q database.Querier, orgID uuid.UUID) ([]Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.user_id, u.first_name, u.last_name, u.email, m.is_admin, m.is_active, m.joined_at, m.deactivated_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = $1 ORDER BY m.is_active DESC, u.last_name, u.first_name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("liste des membres : %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var deact sql.NullTime
		if err := rows.Scan(&m.UserID, &m.FirstName, &m.LastName, &m.Email, &m.Admin, &m.Active, &m.JoinedAt, &deact); err != nil {
			return nil, err
		}
		m.DeactivatedAt = deact.Time
		out = append(out, m)
	}
	return out, rows.Err()
}

// Membership is one of a user's organisations.
type Membership struct {
	Org   Organisation
	Admin bool
}

// RoleLabel is the French name of the member's role there.
func (m Membership) RoleLabel() string { return RoleLabel(m.Org.Role()) }

// activeMemberships lists the organisations a user actively belongs to, by name.
func activeMemberships(ctx context.Context, q database.Querier, userID uuid.UUID) ([]Membership, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+orgColumnsOf("o")+`, m.is_admin
		FROM memberships m JOIN organisations o ON o.id = m.org_id
		WHERE m.user_id = $1 AND m.is_active AND o.deactivated_at IS NULL ORDER BY o.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("organisations de l'utilisateur : %w", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		var err error
		if m.Org, err = scanOrg(rows, &m.Admin); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// activeMember tells whether a user is an active member of an organisation, and admin there.
func activeMember(ctx context.Context, q database.Querier, orgID, userID uuid.UUID) (member, admin bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT is_admin FROM memberships WHERE org_id = $1 AND user_id = $2 AND is_active`,
		orgID, userID).Scan(&admin)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("lecture de l'adhésion : %w", err)
	}
	return true, admin, nil
}

// IsActorMember tells whether the actor actively belongs to an organisation (their own
// membership), in q, the caller's transaction.
func IsActorMember(ctx context.Context, q database.Querier, actor access.Actor, orgID uuid.UUID) (bool, error) {
	if actor.Anonymous() {
		return false, nil
	}
	m, _, err := activeMember(ctx, q, orgID, actor.UserID)
	return m, err
}

// Recipients lists the address and first name of an organisation's active members (its admins
// only, when adminsOnly) who have not switched that kind of notice off (notify.SetOff), for a
// notice another domain enqueues in q, its own transaction (an application received, a job
// description deactivated). The addresses go to the outbox only.
func Recipients(ctx context.Context, q database.Querier, orgID uuid.UUID, kind notify.Kind, adminsOnly bool) ([]Member, error) {
	ms, err := members(ctx, q, orgID)
	if err != nil {
		return nil, err
	}
	var out []Member
	for _, m := range ms {
		if !m.Active || (adminsOnly && !m.Admin) {
			continue
		}
		off, err := notify.SwitchedOff(ctx, q, m.UserID, orgID, kind)
		if err != nil {
			return nil, err
		}
		if !off {
			out = append(out, m)
		}
	}
	return out, nil
}

// activeAdmins lists the e-mail and first name of an organisation's active admins.
func activeAdmins(ctx context.Context, q database.Querier, orgID uuid.UUID) ([]Member, error) {
	ms, err := members(ctx, q, orgID)
	if err != nil {
		return nil, err
	}
	var out []Member
	for _, m := range ms {
		if m.Active && m.Admin {
			out = append(out, m)
		}
	}
	return out, nil
}

// Referenced tells whether a user appears in organisation records that must keep pointing at
// them (memberships, decisions, invitations): such accounts are anonymised, not deleted.
func Referenced(ctx context.Context, q database.Querier, userID uuid.UUID) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM memberships WHERE user_id = $1 OR updated_by = $1) +
		(SELECT COUNT(*) FROM invitations WHERE invited_by = $1 OR accepted_by = $1) +
		(SELECT COUNT(*) FROM join_requests WHERE user_id = $1 OR decided_by = $1) +
		(SELECT COUNT(*) FROM habilitation_decisions WHERE decided_by = $1) +
		(SELECT COUNT(*) FROM organisations WHERE created_by = $1 OR habilitation_decided_by = $1)`, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("recherche des références au compte : %w", err)
	}
	return n > 0, nil
}
