package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/refdata"
)

// Service runs the organisation flows. Each change commits together with its audit entry and
// its e-mails.
type Service struct {
	db       *database.DB
	guard    *access.Guard
	clock    clock.Clock
	places   *refdata.Data
	accounts *account.Service
	baseURL  string
}

// NewService returns the organisation service; g performs its audited reads.
func NewService(db *database.DB, g *access.Guard, c clock.Clock, places *refdata.Data, accounts *account.Service, baseURL string) *Service {
	return &Service{db: db, guard: g, clock: c, places: places, accounts: accounts, baseURL: baseURL}
}

// authorize loads an organisation in q, finds whether the actor is one of its active members,
// and asks access whether the actor may perform act on it.
func authorize(ctx context.Context, q database.Querier, actor access.Actor, act access.Action, orgID uuid.UUID) (Organisation, error) {
	o, res, err := describe(ctx, q, actor, orgID)
	if err != nil {
		return Organisation{}, err
	}
	if err := access.Can(actor, act, res); err != nil {
		return Organisation{}, err
	}
	return o, nil
}

// describe loads an organisation and describes it to access for the actor.
func describe(ctx context.Context, q database.Querier, actor access.Actor, orgID uuid.UUID) (Organisation, access.Resource, error) {
	o, err := get(ctx, q, orgID)
	if err != nil {
		return Organisation{}, access.Resource{}, err
	}
	member, _, err := activeMember(ctx, q, o.ID, actor.UserID)
	if err != nil {
		return Organisation{}, access.Resource{}, err
	}
	return o, o.Resource(member), nil
}

func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action string, orgID uuid.UUID, details map[string]string) error {
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: "organisation", ObjectRef: orgID.String(), Outcome: "ok", Details: details}
	if !actor.Anonymous() {
		e.ActorUser = actor.UserID.String()
	}
	if actor.OrgID != uuid.Nil {
		e.ActorOrg = actor.OrgID.String()
	}
	return audit.Record(ctx, q, e)
}

func (s *Service) mail(ctx context.Context, q database.Querier, to, kind string, data map[string]any) error {
	return s.accounts.Outbox().Enqueue(ctx, q, s.clock.Now(), notify.Message{To: to, Kind: notify.Kind(kind), Data: data})
}

// NewOrganisation is what the creation form sends.
type NewOrganisation struct {
	Kind        string
	Name        string
	SIRET       string
	SAFIR       string // France Travail agencies only
	CommuneCode string
	// Habilitated is the answer of an "Autre" organisation asked whether it is habilitated:
	// false makes it an orienteur (NOT_REQUIRED), true asks staff to check (NOT_SET).
	Habilitated bool
}

// Validate checks the form and returns the organisation to insert.
func (s *Service) validate(in NewOrganisation) (Organisation, error) {
	f := fault.Fields{}
	k, ok := Kind(in.Kind)
	if !ok {
		f.Add("kind", "Choisissez le type d'organisation")
	}
	name := strings.Join(strings.Fields(in.Name), " ")
	if name == "" {
		f.Add("name", "Saisissez le nom de l'organisation")
	} else if utf8.RuneCountInString(name) > 200 {
		f.Add("name", "Le nom ne doit pas dépasser 200 caractères")
	}
	siret := NormaliseSIRET(in.SIRET)
	if in.Kind == "FT" {
		if len(in.SAFIR) != 5 {
			f.Add("safir", "Le code SAFIR d'une agence France Travail compte 5 caractères")
		}
		if siret != "" {
			if err := CheckSIRET(siret); err != nil {
				f.Add("siret", err.Error())
			}
		}
	} else if err := CheckSIRET(siret); err != nil {
		f.Add("siret", err.Error())
	}
	o := Organisation{ID: uuid.Must(uuid.NewV7()), Kind: in.Kind, Category: k.Category, Name: name, SIRET: siret,
		SAFIR: strings.TrimSpace(in.SAFIR), CommuneCode: strings.TrimSpace(in.CommuneCode)}
	if o.CommuneCode == "" {
		if k.Category != Institution || !strings.HasPrefix(in.Kind, "DGEFP") {
			f.Add("commune", "Choisissez la commune de l'organisation")
		}
	} else if c, ok := s.places.Commune(o.CommuneCode); !ok {
		f.Add("commune", "Commune inconnue : choisissez-la dans la liste proposée")
	} else {
		o.Departement = c.Departement
	}
	if k.Category == Prescriber {
		switch {
		case in.Kind == "FT":
			o.Habilitation = Validated
		case in.Kind == "AUTRE" && !in.Habilitated:
			o.Habilitation = NotRequired
		default:
			o.Habilitation = NotSet
		}
	}
	return o, f.Err()
}

// Create creates an organisation. A professional creating one at sign-up becomes its first
// member and admin; staff create State services, financers and France Travail agencies.
func (s *Service) Create(ctx context.Context, actor access.Actor, in NewOrganisation) (Organisation, error) {
	if err := access.Can(actor, access.CreateOrganisation, access.Resource{}); err != nil {
		return Organisation{}, err
	}
	o, err := s.validate(in)
	if err != nil {
		return Organisation{}, err
	}
	if err := access.Can(actor, access.CreateOrganisation, o.Resource(false)); err != nil {
		return Organisation{}, err
	}
	if k, _ := Kind(o.Kind); !k.SelfSignup && !actor.IsStaff() {
		return Organisation{}, fault.Field("kind", "Ce type d'organisation est créé par l'équipe de la plateforme : contactez-la")
	}
	now := s.clock.Now()
	o.CreatedAt = now
	err = s.db.WithTx(ctx, func(tx *sql.Tx) error {
		var siret, safir any
		if o.SIRET != "" {
			siret = o.SIRET
		}
		if o.SAFIR != "" {
			safir = o.SAFIR
		}
		var createdBy any
		if !actor.Anonymous() {
			createdBy = actor.UserID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO organisations (id, kind, category, name, siret, safir, commune_code, departement,
			habilitation, created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)`,
			o.ID, o.Kind, string(o.Category), o.Name, siret, safir, o.CommuneCode, o.Departement, string(o.Habilitation), now, createdBy)
		if database.IsUniqueViolation(err) {
			return fault.Field("siret", "Une organisation de ce type existe déjà avec ce SIRET : demandez à la rejoindre")
		}
		if err != nil {
			return fmt.Errorf("création de l'organisation : %w", err)
		}
		if actor.Kind == access.Professional {
			if err := addMember(ctx, tx, o.ID, actor.UserID, true, actor.UserID, now); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "org.created", o.ID, map[string]string{"kind": o.Kind})
	})
	if err != nil {
		return Organisation{}, err
	}
	return o, nil
}

// addMember makes the user an active member, admin when asked. Adding never takes rights away:
// an active admin stays admin (SetMemberAdmin removes it, keeping an admin in the organisation).
func addMember(ctx context.Context, q database.Querier, orgID, userID uuid.UUID, admin bool, by uuid.UUID, now time.Time) error {
	var updatedBy any
	if by != uuid.Nil {
		updatedBy = by
	}
	_, err := q.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, is_admin, is_active, joined_at, updated_at, updated_by)
		VALUES ($1, $2, $3, TRUE, $4, $4, $5)
		ON CONFLICT (org_id, user_id) DO UPDATE SET is_active = TRUE,
			is_admin = CASE WHEN memberships.is_active THEN memberships.is_admin OR excluded.is_admin ELSE excluded.is_admin END,
			deactivated_at = NULL,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`, orgID, userID, admin, now, updatedBy)
	if err != nil {
		return fmt.Errorf("ajout du membre : %w", err)
	}
	return nil
}

// hasActiveAdmin tells whether an organisation has an active admin; the first member of an
// organisation without one becomes admin.
func hasActiveAdmin(ctx context.Context, q database.Querier, orgID uuid.UUID) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND is_active AND is_admin`, orgID).Scan(&n)
	return n > 0, err
}

// ----- Join requests -----

// JoinRequest is a professional's request to join an organisation.
type JoinRequest struct {
	ID    uuid.UUID
	OrgID uuid.UUID
	// Org is the organisation asked.
	Org       Organisation
	UserID    uuid.UUID
	FirstName string
	LastName  string
	Email     string
	Message   string
	CreatedAt time.Time
}

// FullName is "First Last".
func (j JoinRequest) FullName() string { return strings.TrimSpace(j.FirstName + " " + j.LastName) }

// RequestJoin asks to join an organisation. Its admins get an e-mail; an organisation without
// admin is handled by staff.
func (s *Service) RequestJoin(ctx context.Context, actor access.Actor, orgID uuid.UUID, message string) error {
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > 1000 {
		return fault.Field("message", "Le message ne doit pas dépasser 1000 caractères")
	}
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := authorize(ctx, tx, actor, access.RequestToJoin, orgID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO join_requests (id, org_id, user_id, message, created_at) VALUES ($1, $2, $3, $4, $5)`,
			uuid.Must(uuid.NewV7()), o.ID, actor.UserID, message, now)
		if database.IsUniqueViolation(err) {
			return fmt.Errorf("une demande est déjà en attente pour cette organisation : %w", fault.Conflict)
		}
		if err != nil {
			return fmt.Errorf("enregistrement de la demande : %w", err)
		}
		requester, err := selfContact(ctx, tx, actor)
		if err != nil {
			return err
		}
		admins, err := activeAdmins(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		link := s.baseURL + "/organisations/" + o.ID.String()
		if len(admins) == 0 {
			// Nobody can answer inside the organisation: staff will, from their queue.
			admins, link = nil, s.baseURL+"/admin/demandes"
			if admins, err = staffContacts(ctx, tx); err != nil {
				return err
			}
		}
		for _, a := range admins {
			if err := s.mail(ctx, tx, a.Email, "join_request", map[string]any{
				"RequesterName": requester.FullName(), "OrganisationName": o.Name, "Link": link,
			}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "org.join_requested", o.ID, nil)
	})
}

// OrphanJoinRequests lists pending requests to organisations without an active admin (staff
// queue), with the organisation's name. The list read is recorded (access.Read).
func (s *Service) OrphanJoinRequests(ctx context.Context, actor access.Actor) ([]JoinRequest, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.StaffManageOrganisations, Purpose: access.PurposeAccounts, What: "organisation.join_requests"},
		func(context.Context, database.Querier) (access.Resource, error) { return access.Resource{}, nil },
		func(ctx context.Context, q database.Querier) ([]JoinRequest, error) {
			return joinRequests(ctx, q, `NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = j.org_id AND m.is_active AND m.is_admin)`)
		})
}

func joinRequests(ctx context.Context, q database.Querier, where string, args ...any) ([]JoinRequest, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+orgColumnsOf("o")+`, j.id, j.user_id, u.first_name, u.last_name, u.email, j.message, j.created_at
		FROM join_requests j JOIN users u ON u.id = j.user_id JOIN organisations o ON o.id = j.org_id
		WHERE j.decided_at IS NULL AND `+where+` ORDER BY j.created_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("liste des demandes : %w", err)
	}
	defer rows.Close()
	var out []JoinRequest
	for rows.Next() {
		var j JoinRequest
		var err error
		if j.Org, err = scanOrg(rows, &j.ID, &j.UserID, &j.FirstName, &j.LastName, &j.Email, &j.Message, &j.CreatedAt); err != nil {
			return nil, err
		}
		j.OrgID = j.Org.ID
		out = append(out, j)
	}
	return out, rows.Err()
}

// DecideJoin accepts or refuses a pending request. A refusal needs a reason, which the
// requester receives.
func (s *Service) DecideJoin(ctx context.Context, actor access.Actor, orgID, requestID uuid.UUID, accept bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if !accept && reason == "" {
		return fault.Field("reason", "Indiquez le motif du refus : il sera transmis à la personne")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return fault.Field("reason", "Le motif ne doit pas dépasser 1000 caractères")
	}
	now := s.clock.Now()
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		o, err := authorize(ctx, tx, actor, access.DecideJoinRequest, orgID)
		if err != nil {
			return err
		}
		var userID uuid.UUID
		err = tx.QueryRowContext(ctx, `UPDATE join_requests SET decided_at = $3, decided_by = $4, accepted = $5, reason = $6
			WHERE id = $1 AND org_id = $2 AND decided_at IS NULL RETURNING user_id`,
			requestID, o.ID, now, actor.UserID, accept, reason).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM join_requests WHERE id = $1 AND org_id = $2`, requestID, o.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("cette demande a déjà été traitée : %w", fault.Conflict)
			}
			return fmt.Errorf("demande : %w", fault.NotFound)
		}
		if err != nil {
			return err
		}
		if accept {
			hasAdmin, err := hasActiveAdmin(ctx, tx, o.ID)
			if err != nil {
				return err
			}
			if err := addMember(ctx, tx, o.ID, userID, !hasAdmin, actor.UserID, now); err != nil {
				return err
			}
		}
		u, err := requesterContact(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "join_decision", map[string]any{
			"Accepted": accept, "OrganisationName": o.Name, "Reason": reason,
		}); err != nil {
			return err
		}
		outcome := "refused"
		if accept {
			outcome = "accepted"
		}
		return s.record(ctx, tx, actor, "org.join_decided", o.ID, map[string]string{"decision": outcome, "user": userID.String()})
	})
}
