package application

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/offer"
)

// Decision is what a move of the workflow carries besides the transition.
type Decision struct {
	// Refusal (Refuse): the reason, the message to the person (required), the one to the sender
	// (when a professional sent it) and whether the person sees the reason.
	Reason         RefusalReason
	Answer         string
	AnswerToSender string
	ReasonShared   bool
	// Message (Postpone): an optional word to the person.
	Message string
	// Hire (Accept).
	Hire Hire
	// Target (Transfer): another structure of the same employer.
	Target uuid.UUID
}

// Decide moves an application through the workflow. Only the members of the structure that
// received it may; the transition must start from the application's state (Next). Accepting
// makes the person's other pending applications obsolete. Every move is recorded in the
// history and in the audit trail, in the transaction of the change.
func (s *Service) Decide(ctx context.Context, actor access.Actor, id uuid.UUID, t Transition, d Decision) (Application, error) {
	if !decidable(t) {
		return Application{}, fmt.Errorf("action %q : %w", t, fault.Invalid)
	}
	var out Application
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		var mail letters
		now := s.clock.Now()
		a, err := s.decideOne(ctx, tx, actor, id, t, d, now, &mail)
		if err != nil {
			return err
		}
		out = a
		return s.post(ctx, tx, &mail, now)
	})
	return out, err
}

// decidable are the transitions a member of the structure asks for; the others are the
// platform's (render_obsolete, external_transfer) or carried by another call (prior actions).
func decidable(t Transition) bool {
	switch t {
	case Process, Postpone, AddToPool, Refuse, Accept, CancelHire, Transfer, Reset:
		return true
	}
	return false
}

// decideOne is one move, inside the caller's transaction; the messages it sends go to mail.
func (s *Service) decideOne(ctx context.Context, tx *sql.Tx, actor access.Actor, id uuid.UUID, t Transition, d Decision, now time.Time,
	mail *letters) (Application, error) {
	st, err := loadRow(ctx, tx, id)
	if err != nil {
		return Application{}, err
	}
	res, err := s.describe(ctx, tx, actor, st)
	if err != nil {
		return Application{}, err
	}
	if err := access.Can(actor, access.DecideApplication, res); err != nil {
		return Application{}, err
	}
	a, err := s.open(ctx, tx, st)
	if err != nil {
		return Application{}, err
	}
	to, ok := Next(a.State, t)
	if !ok {
		return Application{}, stateConflict{a.State, a.JobSeekerID}
	}
	page, err := s.offer.StructureIn(ctx, tx, actor, a.ToOrg)
	if err != nil {
		return Application{}, err
	}
	switch t {
	case Refuse:
		err = s.refuse(ctx, tx, &a, page.Structure.Kind, d, now)
	case Accept:
		err = s.accept(ctx, tx, actor, &a, page, d.Hire, now)
		if err == nil && s.hireHook != nil {
			err = s.hireHook(ctx, tx, Hired{Application: a.ID, JobSeekerID: a.JobSeekerID, Structure: a.ToOrg, Start: d.Hire.Start,
				SenderKind: a.SenderKind, SenderAuthorized: a.SenderAuthorized, Actor: actor, Today: database.ParisDate(now)})
		}
	case Transfer:
		err = s.transfer(ctx, tx, actor, &a, d.Target, now)
	case Postpone:
		if utf8.RuneCountInString(strings.TrimSpace(d.Message)) > maxMessage {
			return Application{}, fault.Field("message", fmt.Sprintf("Le message ne doit pas dépasser %d caractères.", maxMessage))
		}
	case CancelHire:
		// The hire's fields stay for the history; the person becomes free again.
		if s.hireHook != nil {
			err = s.hireHook(ctx, tx, Hired{Application: a.ID, JobSeekerID: a.JobSeekerID, Structure: a.ToOrg, Start: a.Hire.Start,
				SenderKind: a.SenderKind, SenderAuthorized: a.SenderAuthorized, Actor: actor, Today: database.ParisDate(now), Cancel: true})
		}
	}
	if err != nil {
		return Application{}, err
	}
	if err := s.move(ctx, tx, actor, &a, t, to, d.Target, now); err != nil {
		return Application{}, err
	}
	if t == Accept {
		if err := s.obsoleteOthers(ctx, tx, actor, a, now); err != nil {
			return Application{}, err
		}
		if err := s.jobseekers.Touch(ctx, tx, actor, a.JobSeekerID, "hire"); err != nil {
			return Application{}, err
		}
	}
	if err := s.notifyMove(ctx, tx, a, t, d, page.Structure.DisplayName(), mail); err != nil {
		return Application{}, err
	}
	return a, nil
}

// stateConflict is a move asked from a state it cannot start from.
type stateConflict struct {
	from   State
	person uuid.UUID
}

func (e stateConflict) Error() string {
	return fmt.Sprintf("impossible depuis l'état « %s » : %s", e.from.Label(), fault.Conflict)
}

func (e stateConflict) Unwrap() error { return fault.Conflict }

// move changes the state, and records the transition in the history and the audit trail.
func (s *Service) move(ctx context.Context, q database.Querier, actor access.Actor, a *Application, t Transition, to State,
	target uuid.UUID, now time.Time) error {
	from := a.State
	if err := s.setState(ctx, q, a, from, to, now); err != nil {
		return err
	}
	if err := s.recordTransition(ctx, q, a.ID, t, from, to, actor, target, now); err != nil {
		return err
	}
	return s.record(ctx, q, actor, "application."+string(t), *a, map[string]string{"from": string(from), "to": string(to)})
}

// processed are the states in which the employer has answered for good.
var processed = []State{Accepted, Refused, Cancelled, Obsolete}

// setState moves the row from one state to the next, only if nobody moved it meanwhile.
func (s *Service) setState(ctx context.Context, q database.Querier, a *Application, from, to State, now time.Time) error {
	var processedAt any
	if slices.Contains(processed, to) {
		processedAt = now
		if !a.ProcessedAt.IsZero() {
			processedAt = a.ProcessedAt
		}
	}
	res, err := q.ExecContext(ctx, `UPDATE applications SET state = $3, updated_at = $4, processed_at = $5, archived_at = NULL
		WHERE id = $1 AND state = $2`, a.ID, string(from), string(to), now, processedAt)
	if err != nil {
		return fmt.Errorf("changement d'état : %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("la candidature a changé entre-temps : rechargez la page : %w", fault.Conflict)
	}
	a.State, a.UpdatedAt, a.ArchivedAt = to, now, time.Time{}
	if processedAt == nil {
		a.ProcessedAt = time.Time{}
	} else {
		a.ProcessedAt = processedAt.(time.Time)
	}
	return nil
}

func (s *Service) refuse(ctx context.Context, q database.Querier, a *Application, kind string, d Decision, now time.Time) error {
	f := fault.Fields{}
	if !slices.Contains(RefusalReasons(kind), d.Reason) {
		f.Add("reason", "Choisissez le motif du refus.")
	}
	d.Answer, d.AnswerToSender = strings.TrimSpace(d.Answer), strings.TrimSpace(d.AnswerToSender)
	if d.Answer == "" {
		f.Add("answer", "Écrivez un message au candidat : il lui explique la décision.")
	} else if utf8.RuneCountInString(d.Answer) > maxMessage {
		f.Add("answer", fmt.Sprintf("Le message ne doit pas dépasser %d caractères.", maxMessage))
	}
	if utf8.RuneCountInString(d.AnswerToSender) > maxMessage {
		f.Add("answer_to_sender", fmt.Sprintf("Le message ne doit pas dépasser %d caractères.", maxMessage))
	}
	if a.SenderKind == SentByJobSeeker {
		d.AnswerToSender = ""
	}
	if err := f.Err(); err != nil {
		return err
	}
	return s.saveRefusal(ctx, q, a, d.Reason, d.Answer, d.AnswerToSender, d.ReasonShared)
}

// saveRefusal stores the reason and seals the two messages.
func (s *Service) saveRefusal(ctx context.Context, q database.Querier, a *Application, reason RefusalReason, answer, toSender string, shared bool) error {
	sealedAnswer, err := s.env.Seal(ctx, q, personSubject(a.JobSeekerID), bind(a.ID, "answer"), []byte(answer))
	if err != nil {
		return err
	}
	var sealedToSender []byte
	if toSender != "" {
		if sealedToSender, err = s.env.Seal(ctx, q, personSubject(a.JobSeekerID), bind(a.ID, "answer_to_sender"), []byte(toSender)); err != nil {
			return err
		}
	}
	if _, err := q.ExecContext(ctx, `UPDATE applications SET refusal_reason = $2, answer = $3, answer_to_sender = $4, reason_shared = $5
		WHERE id = $1`, a.ID, string(reason), sealedAnswer, sealedToSender, shared); err != nil {
		return fmt.Errorf("enregistrement du refus : %w", err)
	}
	a.RefusalReason, a.Answer, a.AnswerToSender, a.ReasonShared = reason, answer, toSender, shared
	return nil
}

// CheckHire validates a hire for a structure of that kind, on day today.
func CheckHire(h Hire, kind string, jobs []offer.JobDescription, today database.Date) error {
	f := fault.Fields{}
	switch {
	case h.Start.IsZero():
		f.Add("hiring_start", "Indiquez la date de début du contrat.")
	case h.Start.Before(today):
		f.Add("hiring_start", "Le contrat ne peut pas commencer dans le passé.")
	case h.Start.After(addMonths(today, 6)):
		f.Add("hiring_start", "Le contrat doit commencer dans les 6 mois.")
	}
	if !h.End.IsZero() && !h.Start.IsZero() && h.End.Before(h.Start) {
		f.Add("hiring_end", "La date de fin du contrat doit suivre sa date de début.")
	}
	if !offer.ContractAllowed(kind, h.ContractType) {
		f.Add("contract_type", "Choisissez un type de contrat possible pour cette structure.")
	}
	if h.HoursPerWeek < 1 || h.HoursPerWeek > 48 {
		f.Add("hours_per_week", "La durée hebdomadaire est comprise entre 1 et 48 heures.")
	}
	if h.SalaryCents < 0 || h.SalaryCents > 100_000_00 {
		f.Add("salary", "Indiquez le salaire brut mensuel en euros.")
	}
	if kind == offer.KindAI || kind == offer.KindETTI {
		if h.FirstMission.IsZero() {
			f.Add("first_mission", "Indiquez la date de la première mission.")
		} else if !h.Start.IsZero() && h.FirstMission.Before(h.Start) {
			f.Add("first_mission", "La première mission ne peut pas précéder le début du contrat.")
		}
	}
	if h.JobDescriptionID != uuid.Nil && !slices.ContainsFunc(jobs, func(j offer.JobDescription) bool { return j.ID == h.JobDescriptionID }) {
		f.Add("hired_job", "Choisissez un poste de la structure.")
	}
	return f.Err()
}

func addMonths(d database.Date, n int) database.Date {
	return database.DateOf(d.Time().AddDate(0, n, 0))
}

func (s *Service) accept(ctx context.Context, q database.Querier, actor access.Actor, a *Application, page offer.StructurePage,
	h Hire, now time.Time) error {
	today := database.ParisDate(now)
	if err := CheckHire(h, page.Structure.Kind, page.JobDescriptions, today); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `UPDATE applications SET hiring_start = $2, hiring_end = $3, contract_type = $4, hours_per_week = $5,
		salary_cents = $6, first_mission = $7, hired_job = $8 WHERE id = $1`, a.ID, h.Start, nullDateArg(h.End), string(h.ContractType),
		h.HoursPerWeek, h.SalaryCents, nullDateArg(h.FirstMission), database.NullUUID(h.JobDescriptionID)); err != nil {
		return fmt.Errorf("enregistrement de l'embauche : %w", err)
	}
	a.Hire = h
	return nil
}

func nullDateArg(d database.Date) any {
	if d.IsZero() {
		return nil
	}
	return d
}

// obsoleteOthers makes the person's other pending applications obsolete: they were hired.
func (s *Service) obsoleteOthers(ctx context.Context, q database.Querier, actor access.Actor, hired Application, now time.Time) error {
	rows, err := q.QueryContext(ctx, `SELECT id, state FROM applications WHERE job_seeker_id = $1 AND id <> $2 AND state IN ('new', 'processing', 'postponed')`,
		hired.JobSeekerID, hired.ID)
	if err != nil {
		return err
	}
	type pending struct {
		id    uuid.UUID
		state State
	}
	var others []pending
	for rows.Next() {
		var p pending
		var st string
		if err := rows.Scan(&p.id, &st); err != nil {
			rows.Close()
			return err
		}
		p.state = State(st)
		others = append(others, p)
	}
	rows.Close()
	for _, p := range others {
		o := Application{ID: p.id}
		if err := s.setState(ctx, q, &o, p.state, Obsolete, now); err != nil {
			return err
		}
		if err := s.recordTransition(ctx, q, p.id, RenderObsolete, p.state, Obsolete, actor, uuid.Nil, now); err != nil {
			return err
		}
	}
	return nil
}

// transfer moves an application to another structure of the same employer: the actor must be
// an active member of both. It starts again as new, without the previous structure's answers.
func (s *Service) transfer(ctx context.Context, q database.Querier, actor access.Actor, a *Application, target uuid.UUID, now time.Time) error {
	if target == uuid.Nil || target == a.ToOrg {
		return fault.Field("target", "Choisissez la structure vers laquelle transférer la candidature.")
	}
	var member bool
	var category string
	err := q.QueryRowContext(ctx, `SELECT o.category, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active)
		FROM organisations o WHERE o.id = $1`, target, actor.UserID).Scan(&category, &member)
	if err != nil || !member || (category != "siae" && category != "geiq") {
		return fault.Field("target", "Vous pouvez transférer une candidature seulement vers une autre de vos structures.")
	}
	if _, err := q.ExecContext(ctx, `UPDATE applications SET to_org = $2, refusal_reason = '', answer = NULL, answer_to_sender = NULL,
		reason_shared = FALSE, hiring_start = NULL, hiring_end = NULL, contract_type = '', hours_per_week = NULL, salary_cents = NULL,
		first_mission = NULL, hired_job = NULL WHERE id = $1`, a.ID, target); err != nil {
		return fmt.Errorf("transfert : %w", err)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM application_jobs WHERE application_id = $1`, a.ID); err != nil {
		return err
	}
	a.ToOrg, a.RefusalReason, a.Answer, a.AnswerToSender, a.Hire, a.JobDescriptions = target, "", "", "", Hire{}, nil
	return nil
}

// SendOn sends a refused application on to another structure: a new application, from the
// actor, that remembers the one it continues. The refused one stays refused (its history
// records where it went).
func (s *Service) SendOn(ctx context.Context, actor access.Actor, id uuid.UUID, to uuid.UUID, jobs []uuid.UUID, message string) (Application, error) {
	if actor.Kind != access.Professional {
		return Application{}, fmt.Errorf("seuls les professionnels envoient une candidature ailleurs : %w", fault.Forbidden)
	}
	d, err := s.Get(ctx, actor, id, access.PurposeIAERecruitment)
	if err != nil {
		return Application{}, err
	}
	if d.State != Refused {
		return Application{}, fmt.Errorf("seule une candidature déclinée peut être envoyée à une autre structure : %w", fault.Conflict)
	}
	next, err := s.Send(ctx, actor, SendInput{JobSeekerID: d.JobSeekerID, StructureID: to, JobDescriptions: jobs, Message: message, transferredFrom: id})
	if err != nil {
		return Application{}, err
	}
	err = s.db.WithTx(ctx, func(tx *sql.Tx) error {
		return s.recordTransition(ctx, tx, id, ExternalTransfer, Refused, Refused, actor, to, s.clock.Now())
	})
	return next, err
}

// notifyMove tells the person and the sender what concerns them, through mail.
func (s *Service) notifyMove(ctx context.Context, q database.Querier, a Application, t Transition, d Decision, structure string, mail *letters) error {
	var personMsg, senderMsg []string
	switch t {
	case Refuse:
		personMsg = []string{"Votre candidature n'a pas été retenue."}
		if a.ReasonShared {
			personMsg = append(personMsg, "Motif : "+a.RefusalReason.Label()+".")
		}
		personMsg = append(personMsg, "Message de la structure : "+a.Answer)
		senderMsg = []string{"La candidature n'a pas été retenue. Motif : " + a.RefusalReason.Label() + "."}
		if a.AnswerToSender != "" {
			senderMsg = append(senderMsg, "Message de la structure : "+a.AnswerToSender)
		}
	case Accept:
		personMsg = []string{fmt.Sprintf("Bonne nouvelle : votre candidature est acceptée. Votre contrat commence le %s.", a.Hire.Start.French())}
		senderMsg = []string{fmt.Sprintf("La candidature est acceptée : le contrat commence le %s.", a.Hire.Start.French())}
	case Postpone:
		personMsg = []string{"Votre candidature est mise en attente : la structure vous recontactera."}
		if m := strings.TrimSpace(d.Message); m != "" {
			personMsg = append(personMsg, "Message de la structure : "+m)
		}
	case CancelHire:
		personMsg = []string{"L'embauche prévue a été annulée par la structure."}
		senderMsg = personMsg
	default:
		return nil
	}
	person, err := contactOf(ctx, q, a.JobSeekerID)
	if err != nil {
		return err
	}
	mail.add(person.email, person.first, letterItem{application: a.ID, structure: structure, about: "Votre candidature", paragraphs: personMsg})
	email, first, err := senderContact(ctx, q, a)
	if err != nil {
		return err
	}
	mail.add(email, first, letterItem{application: a.ID, structure: structure, about: "Candidature de " + person.name(), paragraphs: senderMsg})
	return nil
}
