package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
)

// Service keeps the support records. Every read goes through access.Read with one of the
// purposes of D5312-50 and is recorded in the same transaction; every write asks access.Can
// and commits with its audit entry.
type Service struct {
	db      *database.DB
	guard   *access.Guard
	env     *crypto.Envelope
	clock   clock.Clock
	journal audit.Journal
	people  *jobseeker.Service
	files   *files.Service
}

// NewService returns the service. fs stores the titles' documents (nil: none can be sent).
func NewService(db *database.DB, g *access.Guard, env *crypto.Envelope, c clock.Clock, j audit.Journal, people *jobseeker.Service, fs *files.Service) *Service {
	return &Service{db: db, guard: g, env: env, clock: c, journal: j, people: people, files: fs}
}

func (s *Service) today() database.Date { return database.ParisDate(s.clock.Now()) }

// subject names the record's data key: one per record, so that the purge shreds the health
// data of one support without touching the person's other files, and a later support of the
// same person gets a fresh key.
func subject(record uuid.UUID) string { return "support:" + record.String() }

func binding(record uuid.UUID, column string) crypto.Binding {
	return crypto.Binding{Table: "support_records", Column: column, Row: record.String()}
}

// EmergencyDuration is how long an emergency access lasts.
const EmergencyDuration = 4 * time.Hour

// state is what a decision about a person's record needs besides the resource.
type state struct {
	res    access.Resource
	record uuid.UUID // uuid.Nil when the person has no record
	// restricted and ended describe the record.
	restricted bool
	ended      bool
}

// describe loads the person (fault.NotFound when unknown) with the actor's relations, the
// person's record if any, whether the actor holds the habilitation in the organisation they
// act for, and whether that organisation has the person in its caseload or the actor a live
// emergency access. The record's existence is not told to a reader who may not see it: callers
// decide before saying "no record".
func (s *Service) describe(ctx context.Context, q database.Querier, actor access.Actor, person uuid.UUID) (state, error) {
	res, err := s.people.Describe(ctx, q, actor, person)
	if err != nil {
		return state{}, err
	}
	st := state{res: res}
	var restricted sql.NullTime
	var ended optDate
	err = q.QueryRowContext(ctx, `SELECT id, restricted_at, ended_on FROM support_records WHERE job_seeker_id = $1`, person).
		Scan(&st.record, &restricted, &ended)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return state{}, fmt.Errorf("dossier d'accompagnement : %w", err)
	}
	st.restricted, st.ended = restricted.Valid, !ended.IsZero()
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return st, nil
	}
	if st.res.Habilitated, err = habilitated(ctx, q, actor); err != nil {
		return state{}, err
	}
	if st.record == uuid.Nil {
		return st, nil
	}
	now := s.clock.Now()
	var inCaseload, emergency bool
	err = q.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM support_caseload WHERE record_id = $1 AND org_id = $2 AND (ended_on IS NULL OR ended_on >= $4)),
			EXISTS (SELECT 1 FROM support_emergency_accesses WHERE record_id = $1 AND org_id = $2 AND user_id = $3 AND expires_at > $5)`,
		st.record, actor.OrgID, actor.UserID, s.today(), now).Scan(&inCaseload, &emergency)
	if err != nil {
		return state{}, fmt.Errorf("file active : %w", err)
	}
	if inCaseload {
		st.res.Relations |= access.RelCaseload
	}
	if emergency {
		st.res.Relations |= access.RelEmergency
	}
	return st, nil
}

var errNoRecord = fmt.Errorf("accompagnement adapté : %w", fault.NotFound)

// record writes a change's audit entry in q: who, about whom (the person's pseudonym), why.
func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action string, person uuid.UUID, purpose access.Purpose, details map[string]string) error {
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: audit.SubjectKind, ObjectRef: s.journal.SubjectRef(person),
		Purpose: string(purpose), Outcome: audit.OutcomeOK, Details: details}
	if !actor.Anonymous() {
		e.ActorUser = actor.UserID.String()
	}
	if actor.OrgID != uuid.Nil {
		e.ActorOrg = actor.OrgID.String()
	}
	return audit.Record(ctx, q, e)
}

// seal seals the title and the health data of a record.
func (s *Service) seal(ctx context.Context, q database.Querier, id uuid.UUID, t Title, h Health) (title, health []byte, err error) {
	rawTitle, err := marshalTitle(t)
	if err != nil {
		return nil, nil, err
	}
	rawHealth, err := json.Marshal(h)
	if err != nil {
		return nil, nil, err
	}
	if title, err = s.env.Seal(ctx, q, subject(id), binding(id, "title"), rawTitle); err != nil {
		return nil, nil, err
	}
	health, err = s.env.Seal(ctx, q, subject(id), binding(id, "health"), rawHealth)
	return title, health, err
}

// Open opens a person's support record, with the actor's organisation in the caseload as
// referent and, when joint is set, the France Travail agency or Cap emploi organisation that
// follows the person with it (joint controllers). Only a habilitated advisor whose
// organisation follows the person may; a person has one record at a time.
func (s *Service) Open(ctx context.Context, actor access.Actor, person uuid.UUID, in Input, joint uuid.UUID) (uuid.UUID, error) {
	id := uuid.Must(uuid.NewV7())
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.OpenSupport, st.res); err != nil {
			return err
		}
		if st.record != uuid.Nil {
			return fmt.Errorf("un accompagnement adapté existe déjà pour cette personne : %w", fault.Conflict)
		}
		if err := in.Validate(s.today()); err != nil {
			return err
		}
		if joint != uuid.Nil {
			var kind string
			err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1 AND deactivated_at IS NULL`, joint).Scan(&kind)
			if errors.Is(err, sql.ErrNoRows) || err == nil && (kind != "FT" && kind != "CAP_EMPLOI" || joint == actor.OrgID) {
				return fault.Field("joint_org", "Choisissez une agence France Travail ou un Cap emploi autre que le vôtre.")
			}
			if err != nil {
				return err
			}
		}
		title, health, err := s.seal(ctx, tx, id, in.Title, in.Health)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		_, err = tx.ExecContext(ctx, `INSERT INTO support_records (id, job_seeker_id, started_on, registered_on, deregistered_on, title, health,
				purge_on, created_at, created_by, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10)`,
			id, person, in.StartedOn, nullDate(in.RegisteredOn), nullDate(in.DeregisteredOn), title, health,
			nullDate(PurgeOn(in.Title, in.DeregisteredOn)), now, actor.UserID)
		if err != nil {
			return fmt.Errorf("ouverture de l'accompagnement : %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_caseload (record_id, org_id, referent_user, started_on) VALUES ($1, $2, $3, $4)`,
			id, actor.OrgID, actor.UserID, in.StartedOn); err != nil {
			return err
		}
		if joint != uuid.Nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO support_caseload (record_id, org_id, started_on) VALUES ($1, $2, $3)`,
				id, joint, in.StartedOn); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "support.opened", person, access.PurposeSupport, map[string]string{"record": id.String()})
	})
	if err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

// change runs a change of an existing record: decided with EditSupport, refused while the
// person's restriction holds, committed with its audit entry.
func (s *Service) change(ctx context.Context, actor access.Actor, person uuid.UUID, action string, f func(tx *sql.Tx, id uuid.UUID) error) error {
	return s.changeWith(ctx, actor, person, action, nil, f)
}

// changeWith is change with more details in the audit entry.
func (s *Service) changeWith(ctx context.Context, actor access.Actor, person uuid.UUID, action string, details map[string]string, f func(tx *sql.Tx, id uuid.UUID) error) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.EditSupport, st.res); err != nil {
			return err
		}
		if st.record == uuid.Nil {
			return errNoRecord
		}
		if st.restricted && action != "support.restriction_lifted" {
			return fmt.Errorf("la personne a demandé la limitation du traitement : rien ne peut être modifié avant qu'elle soit levée : %w", fault.Conflict)
		}
		if err := f(tx, st.record); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_records SET updated_at = $2, updated_by = $3 WHERE id = $1`,
			st.record, s.clock.Now(), actor.UserID); err != nil {
			return err
		}
		d := map[string]string{"record": st.record.String()}
		for k, v := range details {
			d[k] = v
		}
		return s.record(ctx, tx, actor, action, person, access.PurposeSupport, d)
	})
}

// Update records the health data and the record's dates and title.
func (s *Service) Update(ctx context.Context, actor access.Actor, person uuid.UUID, in Input) error {
	return s.change(ctx, actor, person, "support.updated", func(tx *sql.Tx, id uuid.UUID) error {
		if err := in.Validate(s.today()); err != nil {
			return err
		}
		title, health, err := s.seal(ctx, tx, id, in.Title, in.Health)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE support_records SET started_on = $2, registered_on = $3, deregistered_on = $4, title = $5,
			health = $6, purge_on = $7 WHERE id = $1`, id, in.StartedOn, nullDate(in.RegisteredOn), nullDate(in.DeregisteredOn),
			title, health, nullDate(PurgeOn(in.Title, in.DeregisteredOn)))
		return err
	})
}

// Close ends the support with a reason; the caseload ends with it. The record stays until
// its purge day.
func (s *Service) Close(ctx context.Context, actor access.Actor, person uuid.UUID, reason string, on database.Date) error {
	return s.change(ctx, actor, person, "support.closed", func(tx *sql.Tx, id uuid.UUID) error {
		if !known(ClosingReasons, reason) {
			return fault.Field("closing_reason", "Choisissez le motif de fin.")
		}
		if on.IsZero() || on.After(s.today()) {
			return fault.Field("ended_on", "Indiquez une date de fin passée ou du jour.")
		}
		res, err := tx.ExecContext(ctx, `UPDATE support_records SET ended_on = $2, closing_reason = $3 WHERE id = $1 AND ended_on IS NULL`, id, on, reason)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("cet accompagnement est déjà terminé : %w", fault.Conflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE support_caseload SET ended_on = $2 WHERE record_id = $1 AND ended_on IS NULL`, id, on)
		return err
	})
}

// SetHold sets or lifts the litigation hold, which suspends the purge while a dispute runs
// (D5312-54).
func (s *Service) SetHold(ctx context.Context, actor access.Actor, person uuid.UUID, hold bool) error {
	action := "support.hold_lifted"
	if hold {
		action = "support.hold_set"
	}
	return s.change(ctx, actor, person, action, func(tx *sql.Tx, id uuid.UUID) error {
		_, err := tx.ExecContext(ctx, `UPDATE support_records SET litigation_hold = $2 WHERE id = $1`, id, hold)
		return err
	})
}

// ProofRules are what a title's document may be.
func ProofRules() files.Rules {
	return files.Rules{Field: "proof", Formats: []files.Format{files.PDF, files.JPEG, files.PNG}, MaxSize: 5 << 20}
}

// SetProof stores the title's document (category 5), sealed under the record's key; a new one
// replaces the previous version.
func (s *Service) SetProof(ctx context.Context, actor access.Actor, person uuid.UUID, up files.Upload) error {
	if s.files == nil {
		return fmt.Errorf("dépôt de documents : %w", fault.Unavailable)
	}
	return s.change(ctx, actor, person, "support.proof_stored", func(tx *sql.Tx, id uuid.UUID) error {
		var previous uuid.NullUUID
		if err := tx.QueryRowContext(ctx, `SELECT proof_file FROM support_records WHERE id = $1`, id).Scan(&previous); err != nil {
			return err
		}
		info, err := s.files.Put(ctx, tx, actor, files.NewFile{Subject: subject(id), Kind: "titre_boeth", Upload: up, Previous: previous.UUID})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE support_records SET proof_file = $2 WHERE id = $1`, id, info.ID)
		return err
	})
}

func nullDate(d database.Date) any {
	if d.IsZero() {
		return nil
	}
	return d
}

// rowBinding binds a sealed value of an attached table to its row.
func rowBinding(table, column string, id uuid.UUID) crypto.Binding {
	return crypto.Binding{Table: table, Column: column, Row: id.String()}
}

// AcceptProof checks a title's document before SetProof (see files.Service.Accept).
func (s *Service) AcceptProof(ctx context.Context, actor access.Actor, r io.Reader, name string) (files.Upload, error) {
	if s.files == nil {
		return files.Upload{}, fmt.Errorf("dépôt de documents : %w", fault.Unavailable)
	}
	return s.files.Accept(ctx, actor, r, name, ProofRules())
}
