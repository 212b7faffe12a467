package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
)

// optDate scans a DATE that may be NULL.
type optDate struct{ database.Date }

func (d *optDate) Scan(src any) error {
	if src == nil {
		d.Date = database.Date{}
		return nil
	}
	return d.Date.Scan(src)
}

// Get reads a person's record with its health data, for the purpose stated (one of D5312-50
// 1° to 4°). The read is decided and recorded by access.Read in one transaction: no purpose,
// no read; an entry that cannot be written fails the read. While the person's restriction
// holds, advisors get the record without its health data (Withheld).
func (s *Service) Get(ctx context.Context, actor access.Actor, person uuid.UUID, purpose access.Purpose) (Record, error) {
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupport, Purpose: purpose, What: "support.record"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) (Record, error) {
			if st.record == uuid.Nil {
				return Record{}, errNoRecord
			}
			self := st.res.Relations.Has(access.RelSelf)
			r, err := s.load(ctx, q, st.record, self || !st.restricted)
			r.Emergency = !self && !st.res.Relations.Has(access.RelCaseload)
			return r, err
		})
}

// Mine reads the record of the job seeker acting (fault.NotFound when they have none). Reading
// one's own record is not recorded in the trail.
func (s *Service) Mine(ctx context.Context, actor access.Actor) (Record, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return Record{}, err
	}
	return s.Get(ctx, actor, person, access.PurposeSupport)
}

// personOf finds the job seeker file of the account acting.
func (s *Service) personOf(ctx context.Context, actor access.Actor) (uuid.UUID, error) {
	if actor.Kind != access.JobSeeker {
		return uuid.Nil, fmt.Errorf("accompagnement adapté : %w", fault.Forbidden)
	}
	var id uuid.UUID
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM job_seekers WHERE user_id = $1`, actor.UserID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, errNoRecord
	}
	return id, err
}

// Proof reads the title's document, decided and recorded like a read of the record.
func (s *Service) Proof(ctx context.Context, actor access.Actor, person uuid.UUID, purpose access.Purpose) (files.File, error) {
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupport, Purpose: purpose, What: "support.proof"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) (files.File, error) {
			if st.record == uuid.Nil || s.files == nil {
				return files.File{}, errNoRecord
			}
			if st.restricted && !st.res.Relations.Has(access.RelSelf) {
				return files.File{}, fmt.Errorf("traitement limité à la demande de la personne : %w", fault.Conflict)
			}
			var id uuid.NullUUID
			if err := q.QueryRowContext(ctx, `SELECT proof_file FROM support_records WHERE id = $1`, st.record).Scan(&id); err != nil {
				return files.File{}, err
			}
			if !id.Valid {
				return files.File{}, fmt.Errorf("justificatif : %w", fault.NotFound)
			}
			return s.files.Open(ctx, q, id.UUID, subject(st.record))
		})
}

const recordColumns = `id, job_seeker_id, started_on, ended_on, closing_reason, registered_on, deregistered_on, title, health,
	proof_file, purge_on, litigation_hold, restricted_at, created_at, updated_at`

// load reads a record in q; with open, it opens the title and the health data.
func (s *Service) load(ctx context.Context, q database.Querier, id uuid.UUID, open bool) (Record, error) {
	var r Record
	var ended, registered, deregistered, purge optDate
	var title, health []byte
	var proof uuid.NullUUID
	var restricted sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM support_records WHERE id = $1`, id).Scan(&r.ID, &r.PersonID, &r.StartedOn,
		&ended, &r.ClosingReason, &registered, &deregistered, &title, &health, &proof, &purge, &r.LitigationHold, &restricted,
		&r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, errNoRecord
	}
	if err != nil {
		return Record{}, fmt.Errorf("lecture de l'accompagnement : %w", err)
	}
	r.EndedOn, r.RegisteredOn, r.DeregisteredOn, r.PurgeOn = ended.Date, registered.Date, deregistered.Date, purge.Date
	r.ProofFile, r.RestrictedAt = proof.UUID, restricted.Time
	if open {
		plain, err := s.env.Open(ctx, q, subject(id), binding(id, "title"), title)
		if err != nil {
			return Record{}, err
		}
		if r.Title, err = unmarshalTitle(plain); err != nil {
			return Record{}, err
		}
		if plain, err = s.env.Open(ctx, q, subject(id), binding(id, "health"), health); err != nil {
			return Record{}, err
		}
		if err := json.Unmarshal(plain, &r.Health); err != nil {
			return Record{}, fmt.Errorf("données de santé illisibles : %w", err)
		}
	} else {
		r.Withheld = true
	}
	var first, birth, usage string
	if err := q.QueryRowContext(ctx, `SELECT first_names, birth_name, usage_name, birth_date FROM job_seekers WHERE id = $1`, r.PersonID).
		Scan(&first, &birth, &usage, &r.BirthDate); err != nil {
		return Record{}, fmt.Errorf("personne : %w", err)
	}
	if usage != "" {
		birth = usage
	}
	r.PersonName = first + " " + birth
	if r.Caseload, err = caseload(ctx, q, id); err != nil {
		return Record{}, err
	}
	if r.Requests, err = s.requests(ctx, q, id, open); err != nil {
		return Record{}, err
	}
	return r, nil
}

func caseload(ctx context.Context, q database.Querier, record uuid.UUID) ([]Follower, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.org_id, o.name, o.kind, COALESCE(u.first_name, ''), COALESCE(u.last_name, ''), c.started_on, c.ended_on
		FROM support_caseload c JOIN organisations o ON o.id = c.org_id LEFT JOIN users u ON u.id = c.referent_user
		WHERE c.record_id = $1 ORDER BY c.started_on, o.name`, record)
	if err != nil {
		return nil, fmt.Errorf("file active : %w", err)
	}
	defer rows.Close()
	var out []Follower
	for rows.Next() {
		var f Follower
		var first, last string
		var ended optDate
		if err := rows.Scan(&f.OrgID, &f.OrgName, &f.OrgKind, &first, &last, &f.StartedOn, &ended); err != nil {
			return nil, err
		}
		f.ReferentName, f.EndedOn = strings.TrimSpace(first+" "+last), ended.Date
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Service) requests(ctx context.Context, q database.Querier, record uuid.UUID, open bool) ([]Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, message, created_at, handled_at FROM support_requests WHERE record_id = $1
		ORDER BY created_at DESC, id DESC`, record)
	if err != nil {
		return nil, fmt.Errorf("demandes : %w", err)
	}
	type row struct {
		r      Request
		sealed []byte
	}
	var read []row
	for rows.Next() {
		var x row
		var handled sql.NullTime
		if err := rows.Scan(&x.r.ID, &x.r.Kind, &x.sealed, &x.r.CreatedAt, &handled); err != nil {
			rows.Close()
			return nil, err
		}
		x.r.HandledAt = handled.Time
		read = append(read, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Request, 0, len(read))
	for _, x := range read {
		if open {
			plain, err := s.env.Open(ctx, q, subject(record), rowBinding("support_requests", "message", x.r.ID), x.sealed)
			if err != nil {
				return nil, err
			}
			x.r.Message = string(plain)
		}
		out = append(out, x.r)
	}
	return out, nil
}

// Access is one line of the person's "who accessed my record" list.
type Access struct {
	At      time.Time
	Who     string
	Org     string
	Purpose string
	// What says what was done: a read, a change, an emergency access.
	What      string
	Emergency bool
	Denied    bool
}

// Accesses lists, for the job seeker acting, who accessed their record, when and for which
// purpose: reads, changes and emergency accesses, newest first.
func (s *Service) Accesses(ctx context.Context, actor access.Actor) ([]Access, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupport, Purpose: access.PurposeSupport, What: "support.accesses"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) ([]Access, error) {
			if !st.res.Relations.Has(access.RelSelf) {
				return nil, fmt.Errorf("journal des accès : %w", fault.Forbidden)
			}
			events, err := s.journal.About(ctx, q, person, []string{"read.support.", "support."}, 200)
			if err != nil {
				return nil, err
			}
			out := make([]Access, 0, len(events))
			for _, e := range events {
				a := Access{At: e.OccurredAt, Purpose: access.Purpose(e.Purpose).Label(), What: actionLabel(e.Action),
					Emergency: strings.Contains(e.Details["relation"], "emergency") || e.Action == "support.break_glass",
					Denied:    e.Outcome == "denied"}
				if e.Purpose == "" {
					a.Purpose = "Conservation (durée légale)"
				}
				if a.Who, a.Org, err = names(ctx, q, e.ActorUser, e.ActorOrg); err != nil {
					return nil, err
				}
				out = append(out, a)
			}
			return out, nil
		})
}

// actionLabel names an audited action for the person.
func actionLabel(action string) string {
	switch action {
	case "read.support.record":
		return "Consultation du dossier"
	case "read.support.proof":
		return "Consultation du justificatif"
	case "support.opened":
		return "Ouverture de l'accompagnement"
	case "support.updated":
		return "Modification du dossier"
	case "support.closed":
		return "Fin de l'accompagnement"
	case "support.proof_stored":
		return "Dépôt du justificatif"
	case "support.follower_added", "support.follower_ended", "support.referent_changed":
		return "Changement des organisations ou du conseiller qui vous suivent"
	case "read.support.documents":
		return "Consultation de la liste des documents"
	case "read.support.document":
		return "Téléchargement d'un document"
	case "support.document_stored", "support.document_sent":
		return "Dépôt d'un document"
	case "support.document_deleted", "support.document_expired":
		return "Suppression d'un document"
	case "support.break_glass":
		return "Accès d'urgence ouvert"
	case "support.hold_set", "support.hold_lifted":
		return "Conservation pendant un contentieux"
	case "support.request_handled", "support.restriction_lifted":
		return "Traitement de votre demande"
	}
	if l := aidActionLabel(action); l != "" {
		return l
	}
	if l := planActionLabel(action); l != "" {
		return l
	}
	return "Autre opération"
}

// names resolves an actor and their organisation for the person's list.
func names(ctx context.Context, q database.Querier, user, org string) (who, orgName string, err error) {
	if user == "" {
		return "La plateforme", "", nil
	}
	var first, last string
	err = q.QueryRowContext(ctx, `SELECT first_name, last_name FROM users WHERE id = $1`, user).Scan(&first, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		who = "Compte supprimé"
	case err != nil:
		return "", "", err
	default:
		who = strings.TrimSpace(first + " " + last)
	}
	if org != "" {
		err = q.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, org).Scan(&orgName)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", "", err
		}
	}
	return who, orgName, nil
}
