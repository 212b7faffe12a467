package application

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/notify"
	"parcours/internal/offer"
	"parcours/internal/org"
)

// SenderKind says who sent an application.
type SenderKind string

// The senders.
const (
	SentByJobSeeker  SenderKind = "job_seeker"
	SentByPrescriber SenderKind = "prescriber"
	SentByEmployer   SenderKind = "employer"
)

// Label is the French wording.
func (k SenderKind) Label() string {
	switch k {
	case SentByJobSeeker:
		return "Candidat"
	case SentByPrescriber:
		return "Prescripteur"
	case SentByEmployer:
		return "Employeur"
	}
	return string(k)
}

// Hire is what an accepted application records of the contract.
type Hire struct {
	Start, End   database.Date
	ContractType offer.ContractType
	HoursPerWeek int
	// SalaryCents is the gross monthly salary in euro cents.
	SalaryCents int
	// FirstMission is the first mission's date, for AI and ETTI.
	FirstMission     database.Date
	JobDescriptionID uuid.UUID
}

// Application is one application, as its readers see it.
type Application struct {
	ID               uuid.UUID
	JobSeekerID      uuid.UUID
	ToOrg            uuid.UUID
	SenderKind       SenderKind
	SenderUser       uuid.UUID
	SenderOrg        uuid.UUID
	SenderAuthorized bool
	SelfHire         bool
	State            State
	Message          string
	JobDescriptions  []uuid.UUID
	RefusalReason    RefusalReason
	Answer           string
	AnswerToSender   string
	ReasonShared     bool
	Hire             Hire
	TransferredFrom  uuid.UUID
	// CVFile is the CV sent with the application (uuid.Nil: none), read through CV.
	CVFile      uuid.UUID
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ProcessedAt time.Time
	ArchivedAt  time.Time
}

// Spontaneous tells whether no job description was named.
func (a Application) Spontaneous() bool { return len(a.JobDescriptions) == 0 }

// Service runs the applications. Reads go through access.Read; messages are sealed under the
// person's data key (the job seeker's file's subject).
type Service struct {
	db         *database.DB
	guard      *access.Guard
	env        *crypto.Envelope
	clock      clock.Clock
	offer      *offer.Service
	jobseekers *jobseeker.Service
	files      *files.Service
	outbox     notify.Outbox
	baseURL    string
	hireHook   HireHook
}

// NewService returns the service and tells the job seekers' service how organisations stand to
// people through applications.
func NewService(db *database.DB, g *access.Guard, env *crypto.Envelope, c clock.Clock, o *offer.Service, js *jobseeker.Service,
	fs *files.Service, baseURL string) *Service {
	s := &Service{db: db, guard: g, env: env, clock: c, offer: o, jobseekers: js, files: fs, outbox: notify.Outbox{Envelope: env}, baseURL: baseURL}
	js.AddRelations(s.relations)
	return s
}

// Employers see the applications they received for two years, and the accepted ones always.
const receivedFor = 2 * 365 * 24 * time.Hour

// relations tells how the actor's organisation stands to a person through applications.
func (s *Service) relations(ctx context.Context, q database.Querier, actor access.Actor, person uuid.UUID) (access.Relations, error) {
	var received, sent bool
	err := q.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM applications WHERE job_seeker_id = $1 AND to_org = $2 AND (created_at > $3 OR state = 'accepted')),
		EXISTS (SELECT 1 FROM applications WHERE job_seeker_id = $1 AND sender_org = $2)`,
		person, actor.OrgID, s.clock.Now().Add(-receivedFor)).Scan(&received, &sent)
	if err != nil {
		return 0, fmt.Errorf("relations par les candidatures : %w", err)
	}
	var r access.Relations
	if received {
		r |= access.RelApplicationReceived
	}
	if sent {
		r |= access.RelApplicationSent
	}
	return r, nil
}

func personSubject(person uuid.UUID) string { return "jobseeker:" + person.String() }

func bind(id uuid.UUID, column string) crypto.Binding {
	return crypto.Binding{Table: "applications", Column: column, Row: id.String()}
}

// SendInput is what the application form sends.
type SendInput struct {
	JobSeekerID     uuid.UUID
	StructureID     uuid.UUID
	JobDescriptions []uuid.UUID
	Message         string
	// SelfHire: the employer declares its own hire ("auto-prescription").
	SelfHire bool
	// CV, when given, was accepted by CVRules (files.Service.Accept) before the call.
	CV *files.Upload
	// transferredFrom is the refused application this one continues (SendOn).
	transferredFrom uuid.UUID
}

const maxMessage = 3000

// Send sends an application. The person, a prescriber or an employer who follows them may send
// one to an active structure that has members to answer, that does not block applications,
// for its active job descriptions, or spontaneously when it accepts that. The same person
// cannot apply twice to the same structure within 24 hours (except an employer's own hire).
func (s *Service) Send(ctx context.Context, actor access.Actor, in SendInput) (Application, error) {
	in.Message = strings.TrimSpace(in.Message)
	page, err := s.offer.Structure(ctx, actor, in.StructureID)
	if errors.Is(err, fault.NotFound) {
		return Application{}, fmt.Errorf("structure : %w", fault.NotFound)
	}
	if err != nil {
		return Application{}, err
	}
	st := page.Structure
	f := fault.Fields{}
	switch {
	case !page.Active:
		f.Add("", "Cette structure n'est plus conventionnée : elle ne reçoit pas de candidatures.")
	case st.BlockApplications && !page.EmployerView:
		f.Add("", "Cette structure ne reçoit pas de candidatures pour le moment.")
	case !st.HasActiveMembers:
		f.Add("", "Personne ne peut encore répondre aux candidatures de cette structure : elle n'a pas de membre actif.")
	}
	jobs := slices.Clone(in.JobDescriptions)
	slices.SortFunc(jobs, func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) })
	jobs = slices.Compact(jobs)
	for _, id := range jobs {
		i := slices.IndexFunc(page.JobDescriptions, func(j offer.JobDescription) bool { return j.ID == id })
		if i < 0 || !page.JobDescriptions[i].Active {
			f.Add("job_descriptions", "Un des postes choisis n'est plus ouvert : choisissez parmi les postes proposés.")
		}
	}
	if len(jobs) == 0 && !in.SelfHire && !page.SpontaneousOpen {
		f.Add("job_descriptions", "Cette structure ne reçoit pas de candidatures spontanées : choisissez au moins un poste.")
	}
	if utf8.RuneCountInString(in.Message) > maxMessage {
		f.Add("message", fmt.Sprintf("Le message ne doit pas dépasser %d caractères.", maxMessage))
	}
	if in.SelfHire && (actor.OrgID != st.ID || actor.Role != access.Employer) {
		return Application{}, fmt.Errorf("seule la structure qui embauche déclare sa propre embauche : %w", fault.Forbidden)
	}
	now := s.clock.Now()
	a := Application{ID: uuid.Must(uuid.NewV7()), JobSeekerID: in.JobSeekerID, ToOrg: st.ID, State: New, Message: in.Message,
		JobDescriptions: jobs, SelfHire: in.SelfHire, TransferredFrom: in.transferredFrom, CreatedAt: now, UpdatedAt: now}
	switch actor.Kind {
	case access.JobSeeker:
		a.SenderKind = SentByJobSeeker
	case access.Professional:
		a.SenderOrg = actor.OrgID
		a.SenderKind = SentByPrescriber
		if actor.Role == access.Employer {
			a.SenderKind = SentByEmployer
		}
		a.SenderAuthorized = actor.Role == access.AuthorizedPrescriber
	}
	a.SenderUser = actor.UserID
	err = s.db.WithTx(ctx, func(tx *sql.Tx) error {
		person, err := s.jobseekers.Describe(ctx, tx, actor, in.JobSeekerID)
		if err != nil {
			return err
		}
		member, err := org.IsActorMember(ctx, tx, actor, st.ID)
		if err != nil {
			return err
		}
		res := st.Resource(member)
		res.Subject, res.Relations = in.JobSeekerID, person.Relations
		if err := access.Can(actor, access.SendApplication, res); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		if !in.SelfHire {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications WHERE job_seeker_id = $1 AND to_org = $2 AND created_at > $3`,
				in.JobSeekerID, st.ID, now.Add(-24*time.Hour)).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fault.Field("", "Une candidature pour cette personne a déjà été envoyée à cette structure depuis moins de 24 heures.")
			}
		}
		var sealed []byte
		if a.Message != "" {
			if sealed, err = s.env.Seal(ctx, tx, personSubject(a.JobSeekerID), bind(a.ID, "message"), []byte(a.Message)); err != nil {
				return err
			}
		}
		if in.CV != nil {
			info, err := s.files.Put(ctx, tx, actor, files.NewFile{Subject: personSubject(a.JobSeekerID), Kind: "cv", Upload: *in.CV})
			if err != nil {
				return err
			}
			a.CVFile = info.ID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO applications (id, job_seeker_id, to_org, sender_kind, sender_user, sender_org,
			sender_authorized, self_hire, state, message, cv_file, transferred_from, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
			a.ID, a.JobSeekerID, a.ToOrg, string(a.SenderKind), database.NullUUID(a.SenderUser), database.NullUUID(a.SenderOrg),
			a.SenderAuthorized, a.SelfHire, string(a.State), sealed, database.NullUUID(a.CVFile), database.NullUUID(a.TransferredFrom), now); err != nil {
			return fmt.Errorf("enregistrement de la candidature : %w", err)
		}
		for _, j := range jobs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO application_jobs (application_id, job_description_id, created_at) VALUES ($1, $2, $3)`, a.ID, j, now); err != nil {
				return err
			}
		}
		if err := s.recordTransition(ctx, tx, a.ID, Send, "", New, actor, uuid.Nil, now); err != nil {
			return err
		}
		if actor.Kind == access.Professional {
			if err := s.jobseekers.Touch(ctx, tx, actor, a.JobSeekerID, "apply"); err != nil {
				return err
			}
		}
		if err := s.tellStructure(ctx, tx, a, st.DisplayName(), now); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "application.sent", a, map[string]string{"sender": string(a.SenderKind)})
	})
	if err != nil {
		return Application{}, err
	}
	return a, nil
}

// recordTransition writes one move of the workflow; actor is zero for the platform.
func (s *Service) recordTransition(ctx context.Context, q database.Querier, id uuid.UUID, t Transition, from, to State, actor access.Actor,
	target uuid.UUID, at time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO application_transitions (id, application_id, transition, from_state, to_state, at, user_id, org_id, target_org)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, uuid.Must(uuid.NewV7()), id, string(t), string(from), string(to), at,
		database.NullUUID(actor.UserID), database.NullUUID(actor.OrgID), database.NullUUID(target))
	if err != nil {
		return fmt.Errorf("historique de la candidature : %w", err)
	}
	return nil
}

// record writes the audit entry of a change; the person is named by pseudonym.
func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action string, a Application, d map[string]string) error {
	if d == nil {
		d = map[string]string{}
	}
	d["application"] = a.ID.String()
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: audit.SubjectKind,
		ObjectRef: s.env.Pseudonym(audit.SubjectKind, a.JobSeekerID.String()), Outcome: audit.OutcomeOK, Details: d}
	if !actor.Anonymous() {
		e.ActorUser = actor.UserID.String()
	}
	if actor.OrgID != uuid.Nil {
		e.ActorOrg = actor.OrgID.String()
	}
	return audit.Record(ctx, q, e)
}
