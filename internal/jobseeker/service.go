package jobseeker

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
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/refdata"
)

// Relations finds how the actor's organisation stands to a person besides following them (an
// application sent or received): package application provides it, so that this package does
// not read applications.
type Relations func(ctx context.Context, q database.Querier, actor access.Actor, person uuid.UUID) (access.Relations, error)

// Service keeps the job seekers' files. Every read goes through access.Read with its purpose;
// identifiers and sensitive details are sealed under the person's data key.
type Service struct {
	db        *database.DB
	guard     *access.Guard
	env       *crypto.Envelope
	clock     clock.Clock
	places    *refdata.Data
	accounts  *account.Service
	relations []Relations
	erasers   []Eraser
}

// Eraser erases what another module holds about a person, in q, the transaction that erases the
// person's file (wired once by app).
type Eraser func(ctx context.Context, q database.Querier, person uuid.UUID) error

// NewService returns the service.
func NewService(db *database.DB, g *access.Guard, env *crypto.Envelope, c clock.Clock, places *refdata.Data, accounts *account.Service) *Service {
	return &Service{db: db, guard: g, env: env, clock: c, places: places, accounts: accounts}
}

// Places is the reference data the service checks against (communes, appellations).
func (s *Service) Places() *refdata.Data { return s.places }

// AddEraser adds what Erase calls before it deletes the file.
func (s *Service) AddEraser(e Eraser) { s.erasers = append(s.erasers, e) }

// EraseFilesWith makes Erase purge the files sealed under the person's key (CVs, prolongation
// reports) with purge, the file store's files.Service.PurgeSubject.
func (s *Service) EraseFilesWith(purge func(ctx context.Context, q database.Querier, subject string) (int, error)) {
	s.AddEraser(func(ctx context.Context, q database.Querier, person uuid.UUID) error {
		_, err := purge(ctx, q, subject(person))
		return err
	})
}

// AddRelations lets another module tell how organisations stand to people (wired once by app).
func (s *Service) AddRelations(r Relations) { s.relations = append(s.relations, r) }

// JobSeeker is a person's file, opened.
type JobSeeker struct {
	ID uuid.UUID
	// UserID is the person's account, when they have one (opened by themselves, or by a
	// professional for them to take over).
	UserID uuid.UUID
	Profile
	CreatedAt    time.Time
	UpdatedAt    time.Time
	CreatedByOrg uuid.UUID
	// HandledByProxy tells whether the person has never logged in: until they do, the
	// professionals who follow them keep the file up to date.
	HandledByProxy bool
}

// FullName is "First names Usage name (birth name)" as the lists show it.
func (j JobSeeker) FullName() string { return j.Identity.FullName() }

// FullName is the person's name as people read it.
func (i Identity) FullName() string {
	name := i.FirstNames + " " + i.BirthName
	if i.UsageName != "" && !strings.EqualFold(i.UsageName, i.BirthName) {
		name = i.FirstNames + " " + i.UsageName + " (née " + i.BirthName + ")"
		if i.Civility == Monsieur {
			name = i.FirstNames + " " + i.UsageName + " (né " + i.BirthName + ")"
		}
	}
	return name
}

// subject names the person's data key.
func subject(id uuid.UUID) string { return "jobseeker:" + id.String() }

func binding(id uuid.UUID, column string) crypto.Binding {
	return crypto.Binding{Table: "job_seekers", Column: column, Row: id.String()}
}

// Blind index kinds.
const (
	indexNIR  = "nir"
	indexFTID = "ft_id"
)

// details is what the sealed column holds.
type details struct {
	Phone           string          `json:"phone,omitempty"`
	Address         string          `json:"address,omitempty"`
	Postcode        string          `json:"postcode,omitempty"`
	Education       string          `json:"education,omitempty"`
	RSA             string          `json:"rsa,omitempty"`
	RSADuration     string          `json:"rsa_duration,omitempty"`
	ASS             string          `json:"ass,omitempty"`
	AAH             string          `json:"aah,omitempty"`
	ARE             string          `json:"are,omitempty"`
	UnemployedSince string          `json:"unemployed_since,omitempty"`
	Needs           map[Need]string `json:"needs,omitempty"`
}

func detailsOf(p Profile) details {
	d := details{Phone: p.Phone, Address: p.Address, Postcode: p.Postcode, Education: p.Education, RSA: p.RSA,
		RSADuration: p.RSADuration, ASS: p.ASS, AAH: p.AAH, ARE: p.ARE, Needs: p.Needs}
	if !p.UnemployedSince.IsZero() {
		d.UnemployedSince = p.UnemployedSince.String()
	}
	return d
}

func (d details) apply(p *Profile) error {
	p.Phone, p.Address, p.Postcode, p.Education = d.Phone, d.Address, d.Postcode, d.Education
	p.RSA, p.RSADuration, p.ASS, p.AAH, p.ARE, p.Needs = d.RSA, d.RSADuration, d.ASS, d.AAH, d.ARE, d.Needs
	if d.UnemployedSince != "" {
		date, err := database.ParseDate(d.UnemployedSince)
		if err != nil {
			return err
		}
		p.UnemployedSince = date
	}
	if p.Needs == nil {
		p.Needs = SupportNeeds{}
	}
	return nil
}

// sealed is a profile's sealed columns and blind indexes.
type sealed struct {
	nir, nirIndex, ftID, ftIDIndex, details []byte
}

func (s *Service) seal(ctx context.Context, q database.Querier, id uuid.UUID, p Profile) (sealed, error) {
	return sealProfile(func(subject string, b crypto.Binding, plain []byte) ([]byte, error) {
		return s.env.Seal(ctx, q, subject, b, plain)
	}, s.env.BlindIndex, id, p)
}

// sealProfile seals a profile's identifiers and details under the person's key with seal, and
// computes the identifiers' blind indexes with blind.
func sealProfile(seal func(subject string, b crypto.Binding, plain []byte) ([]byte, error), blind func(kind, value string) []byte,
	id uuid.UUID, p Profile) (sealed, error) {
	var out sealed
	var err error
	if p.NIR != "" {
		if out.nir, err = seal(subject(id), binding(id, "nir"), []byte(p.NIR)); err != nil {
			return out, err
		}
		out.nirIndex = blind(indexNIR, p.NIR)
	}
	if p.FTID != "" {
		if out.ftID, err = seal(subject(id), binding(id, "ft_id"), []byte(p.FTID)); err != nil {
			return out, err
		}
		out.ftIDIndex = blind(indexFTID, p.FTID)
	}
	raw, err := json.Marshal(detailsOf(p))
	if err != nil {
		return out, err
	}
	out.details, err = seal(subject(id), binding(id, "details"), raw)
	return out, err
}

// LoadColumns are the columns of job_seekers that LoadRow fills, in order.
var LoadColumns = []string{"id", "user_id", "civility", "birth_name", "usage_name", "first_names", "birth_date", "birth_commune",
	"birth_country", "nir", "nir_index", "no_nir_reason", "ft_id", "ft_id_index", "no_ft_id_reason", "email", "commune_code", "details",
	"created_at", "created_by_user", "created_by_org", "updated_at", "updated_by"}

// LoadRow is a person's row for a bulk load that bypasses Create (the national load-test seed,
// bench/seed): the profile, already valid, sealed under the person's own key made by b, exactly
// as Create stores it, so that every page reads it. The caller stores b's keys with the rows.
// createdBy is the professional who created the file (uuid.Nil: the person alone).
func LoadRow(b *crypto.Bulk, j JobSeeker, createdBy uuid.UUID) ([]any, error) {
	sl, err := sealProfile(b.Seal, b.BlindIndex, j.ID, j.Profile)
	if err != nil {
		return nil, err
	}
	return []any{j.ID, database.NullUUID(j.UserID), string(j.Civility), j.BirthName, j.UsageName, j.FirstNames, j.BirthDate,
		j.BirthCommune, j.BirthCountry, sl.nir, sl.nirIndex, string(j.NoNIRReason), sl.ftID, sl.ftIDIndex, string(j.NoFTIDReason),
		nullString(j.Email), j.CommuneCode, sl.details, j.CreatedAt, database.NullUUID(createdBy), database.NullUUID(j.CreatedByOrg),
		j.UpdatedAt, database.NullUUID(createdBy)}, nil
}

// CreateInput is what the creation form sends.
type CreateInput struct {
	Profile
	// Confirmed is true once the creator has seen the possible duplicates and creates anyway.
	Confirmed bool
}

// DuplicatesError says that files resembling the new one exist; the creator sees them before
// creating another.
type DuplicatesError struct{ Matches []Match }

func (e *DuplicatesError) Error() string {
	return fmt.Sprintf("%d dossier(s) ressemblant à ce candidat existent déjà", len(e.Matches))
}

// Is makes errors.Is(err, fault.Conflict) true.
func (e *DuplicatesError) Is(target error) bool { return target == fault.Conflict }

// Match is a possible duplicate, shown with as little as tells it apart.
type Match struct {
	ID uuid.UUID
	// Masked is "Karim B., né en 1984": enough to recognise, not to identify a stranger.
	Masked string
	// Why names the rule: "même numéro de sécurité sociale", "même identifiant France Travail et
	// même date de naissance", "mêmes nom, prénoms et date de naissance".
	Why string
	// SameNIR is true when the NIR matched: the file cannot be created again.
	SameNIR bool
}

// Create creates a person's file: a job seeker their own, a prescriber or an employer someone
// they support (by proxy: with an address, the person gets an account to take over by e-mail).
// Possible duplicates stop the creation with a *DuplicatesError until in.Confirmed; the same NIR
// always does.
func (s *Service) Create(ctx context.Context, actor access.Actor, in CreateInput) (JobSeeker, error) {
	if err := access.Can(actor, access.CreateJobSeeker, access.Resource{OwnerID: actor.UserID}); err != nil {
		return JobSeeker{}, err
	}
	today := database.ParisDate(s.clock.Now())
	p := in.Profile
	if p.Needs == nil {
		p.Needs = SupportNeeds{}
	}
	if err := p.Validate(today, s.places); err != nil {
		return JobSeeker{}, err
	}
	now := s.clock.Now()
	j := JobSeeker{ID: uuid.Must(uuid.NewV7()), Profile: p, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		if actor.Kind == access.JobSeeker {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_seekers WHERE user_id = $1`, actor.UserID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("votre dossier existe déjà : modifiez-le : %w", fault.Conflict)
			}
			j.UserID = actor.UserID
		}
		matches, err := s.matches(ctx, tx, p, uuid.Nil)
		if err != nil {
			return err
		}
		for _, m := range matches {
			if m.SameNIR {
				if actor.Kind == access.JobSeeker {
					return fault.Field("nir", "Ce numéro de sécurité sociale est déjà rattaché à un autre dossier : contactez l'équipe de la plateforme.")
				}
				return &DuplicatesError{Matches: matches}
			}
		}
		if len(matches) > 0 && !in.Confirmed {
			return &DuplicatesError{Matches: matches}
		}
		if actor.Kind == access.Professional {
			j.CreatedByOrg = actor.OrgID
			if p.Email != "" {
				var orgName string
				if err := tx.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, actor.OrgID).Scan(&orgName); err != nil {
					return fmt.Errorf("organisation : %w", err)
				}
				u, err := s.accounts.CreateForJobSeeker(ctx, tx, actor, account.Proxy{Email: p.Email, FirstName: p.FirstNames,
					LastName: p.BirthName, OrganisationName: orgName})
				if err != nil {
					return err
				}
				j.UserID = u.ID
			}
		}
		if err := s.insert(ctx, tx, actor, j); err != nil {
			return err
		}
		if actor.Kind == access.Professional {
			if err := follow(ctx, tx, j.ID, actor, "create", now); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "jobseeker.created", j.ID, map[string]string{"by_proxy": fmt.Sprint(actor.Kind == access.Professional)})
	})
	if err != nil {
		return JobSeeker{}, err
	}
	return j, nil
}

func (s *Service) insert(ctx context.Context, tx *sql.Tx, actor access.Actor, j JobSeeker) error {
	sl, err := s.seal(ctx, tx, j.ID, j.Profile)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO job_seekers (id, user_id, civility, birth_name, usage_name, first_names, birth_date,
		birth_commune, birth_country, nir, nir_index, no_nir_reason, ft_id, ft_id_index, no_ft_id_reason, email, commune_code, details,
		created_at, created_by_user, created_by_org, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $19, $20)`,
		j.ID, database.NullUUID(j.UserID), string(j.Civility), j.BirthName, j.UsageName, j.FirstNames, j.BirthDate,
		j.BirthCommune, j.BirthCountry, sl.nir, sl.nirIndex, string(j.NoNIRReason), sl.ftID, sl.ftIDIndex, string(j.NoFTIDReason),
		nullString(j.Email), j.CommuneCode, sl.details, j.CreatedAt, actor.UserID, database.NullUUID(j.CreatedByOrg))
	if database.IsUniqueViolation(err) {
		return fault.Field("nir", "Ce numéro de sécurité sociale est déjà rattaché à un autre dossier.")
	}
	if err != nil {
		return fmt.Errorf("enregistrement du dossier : %w", err)
	}
	return nil
}

// matches finds the files that may be the same person as p (except the file except).
func (s *Service) matches(ctx context.Context, q database.Querier, p Profile, except uuid.UUID) ([]Match, error) {
	var nirIndex, ftIndex []byte
	if p.NIR != "" {
		nirIndex = s.env.BlindIndex(indexNIR, p.NIR)
	}
	if p.FTID != "" {
		ftIndex = s.env.BlindIndex(indexFTID, p.FTID)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, civility, first_names, birth_name, birth_date,
			COALESCE(nir_index = $1, FALSE), COALESCE(ft_id_index = $2, FALSE)
		FROM job_seekers
		WHERE id <> $6 AND ((nir_index IS NOT NULL AND nir_index = $1)
		   OR (ft_id_index IS NOT NULL AND ft_id_index = $2 AND birth_date = $3)
		   OR (birth_date = $3 AND lower(birth_name) = $4 AND lower(first_names) = $5))
		ORDER BY created_at LIMIT 10`,
		nirIndex, ftIndex, p.BirthDate, strings.ToLower(p.BirthName), strings.ToLower(p.FirstNames), except)
	if err != nil {
		return nil, fmt.Errorf("recherche de doublons : %w", err)
	}
	defer rows.Close()
	var out []Match
	for rows.Next() {
		var m Match
		var civility, first, last string
		var born database.Date
		var sameFT bool
		if err := rows.Scan(&m.ID, &civility, &first, &last, &born, &m.SameNIR, &sameFT); err != nil {
			return nil, err
		}
		m.Masked = mask(Civility(civility), first, last, born)
		switch {
		case m.SameNIR:
			m.Why = "même numéro de sécurité sociale"
		case sameFT:
			m.Why = "même identifiant France Travail et même date de naissance"
		default:
			m.Why = "mêmes nom, prénoms et date de naissance"
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// mask shows a first name, an initial and a birth year.
func mask(c Civility, first, last string, born database.Date) string {
	initial := ""
	if r := []rune(strings.TrimSpace(last)); len(r) > 0 {
		initial = " " + string(r[0]) + "."
	}
	word := "né"
	if c == Madame {
		word = "née"
	}
	return fmt.Sprintf("%s%s, %s en %d", strings.Fields(first + " ?")[0], initial, word, born.Year)
}

func follow(ctx context.Context, q database.Querier, id uuid.UUID, actor access.Actor, action string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO job_seeker_followers (job_seeker_id, org_id, user_id, since, last_action, last_action_at)
		VALUES ($1, $2, $3, $4, $5, $4)
		ON CONFLICT (job_seeker_id, org_id) DO UPDATE SET user_id = excluded.user_id, last_action = excluded.last_action,
			last_action_at = excluded.last_action_at`,
		id, actor.OrgID, actor.UserID, now, action)
	if err != nil {
		return fmt.Errorf("suivi du candidat : %w", err)
	}
	return nil
}

// record writes the audit entry of a change, naming the person by pseudonym.
func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action string, id uuid.UUID, d map[string]string) error {
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: audit.SubjectKind, ObjectRef: s.env.Pseudonym(audit.SubjectKind, id.String()),
		Outcome: audit.OutcomeOK, Details: d}
	if !actor.Anonymous() {
		e.ActorUser = actor.UserID.String()
	}
	if actor.OrgID != uuid.Nil {
		e.ActorOrg = actor.OrgID.String()
	}
	return audit.Record(ctx, q, e)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var errNoFile = fmt.Errorf("dossier de candidat : %w", fault.NotFound)

// Describe tells, in q (another domain's transaction), how the actor stands to a person: the
// resource access decides on (its subject, whose account it is, the relations). Package
// application asks it before sending an application for the person.
func (s *Service) Describe(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID) (access.Resource, error) {
	return s.describe(ctx, q, actor, id)
}

// Touch records, in q, that the actor's organisation acted for a person ("apply", "hire"): the
// person stays in its list, most recent first.
func (s *Service) Touch(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID, action string) error {
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return nil
	}
	return follow(ctx, q, id, actor, action, s.clock.Now())
}

// describe loads what a decision about a person's file needs: whose account it is and how the
// actor's organisation stands to the person.
func (s *Service) describe(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID) (access.Resource, error) {
	var userID uuid.NullUUID
	var loggedIn bool
	err := q.QueryRowContext(ctx, `SELECT j.user_id, u.last_login_at IS NOT NULL FROM job_seekers j LEFT JOIN users u ON u.id = j.user_id
		WHERE j.id = $1`, id).Scan(&userID, &loggedIn)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Resource{}, errNoFile
	}
	if err != nil {
		return access.Resource{}, err
	}
	// The account is the person's once they have logged in: until then the file is handled by
	// proxy (OwnerID stays nil), and the person's first login ends that.
	res := access.Resource{Subject: id}
	if loggedIn {
		res.OwnerID = userID.UUID
	}
	if userID.Valid && userID.UUID == actor.UserID {
		res.Relations |= access.RelSelf
	}
	if actor.Kind == access.Professional && actor.OrgID != uuid.Nil {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_seeker_followers WHERE job_seeker_id = $1 AND org_id = $2`,
			id, actor.OrgID).Scan(&n); err != nil {
			return access.Resource{}, err
		}
		if n > 0 {
			res.Relations |= access.RelFollowUp
		}
		for _, rel := range s.relations {
			r, err := rel(ctx, q, actor, id)
			if err != nil {
				return access.Resource{}, err
			}
			res.Relations |= r
		}
	}
	return res, nil
}

// Get reads a person's file for the purpose stated (recruitment, follow-up, or accounts for
// the platform's staff). The read is decided and recorded by access.Read.
func (s *Service) Get(ctx context.Context, actor access.Actor, id uuid.UUID, purpose access.Purpose) (JobSeeker, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewJobSeeker, Purpose: purpose, What: "jobseeker.profile"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return s.describe(ctx, q, actor, id)
		},
		func(ctx context.Context, q database.Querier) (JobSeeker, error) { return s.load(ctx, q, id) })
}

// ForEdit reads a person's file to change it: only those who may change it (EditJobSeeker)
// read it this way. The read is recorded like any other.
func (s *Service) ForEdit(ctx context.Context, actor access.Actor, id uuid.UUID) (JobSeeker, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.EditJobSeeker, Purpose: access.PurposeIAEFollowUp, What: "jobseeker.profile"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return s.describe(ctx, q, actor, id)
		},
		func(ctx context.Context, q database.Querier) (JobSeeker, error) { return s.load(ctx, q, id) })
}

// Mine returns the actor's own file; ok is false when the job seeker has none yet.
func (s *Service) Mine(ctx context.Context, actor access.Actor) (JobSeeker, bool, error) {
	if actor.Kind != access.JobSeeker {
		return JobSeeker{}, false, fmt.Errorf("dossier de candidat : %w", fault.Forbidden)
	}
	var id uuid.UUID
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM job_seekers WHERE user_id = $1`, actor.UserID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return JobSeeker{}, false, nil
	}
	if err != nil {
		return JobSeeker{}, false, err
	}
	j, err := s.Get(ctx, actor, id, access.PurposeIAETools)
	return j, err == nil, err
}

const columns = `j.id, j.user_id, j.civility, j.birth_name, j.usage_name, j.first_names, j.birth_date, j.birth_commune,
	j.birth_country, j.nir, j.no_nir_reason, j.ft_id, j.no_ft_id_reason, COALESCE(j.email, ''), j.commune_code, j.details,
	j.created_at, j.updated_at, j.created_by_org, u.last_login_at IS NULL`

// load reads and opens a file.
func (s *Service) load(ctx context.Context, q database.Querier, id uuid.UUID) (JobSeeker, error) {
	var j JobSeeker
	var userID, byOrg uuid.NullUUID
	var civility, noNIR, noFT string
	var nir, ftID, det []byte
	err := q.QueryRowContext(ctx, `SELECT `+columns+` FROM job_seekers j LEFT JOIN users u ON u.id = j.user_id WHERE j.id = $1`, id).
		Scan(&j.ID, &userID, &civility, &j.BirthName, &j.UsageName, &j.FirstNames, &j.BirthDate, &j.BirthCommune, &j.BirthCountry,
			&nir, &noNIR, &ftID, &noFT, &j.Email, &j.CommuneCode, &det, &j.CreatedAt, &j.UpdatedAt, &byOrg, &j.HandledByProxy)
	if errors.Is(err, sql.ErrNoRows) {
		return JobSeeker{}, errNoFile
	}
	if err != nil {
		return JobSeeker{}, fmt.Errorf("lecture du dossier : %w", err)
	}
	j.UserID, j.CreatedByOrg = userID.UUID, byOrg.UUID
	j.Civility, j.NoNIRReason, j.NoFTIDReason = Civility(civility), NoNIRReason(noNIR), NoFTIDReason(noFT)
	j.BornInFrance = j.BirthCommune != ""
	if nir != nil {
		plain, err := s.env.Open(ctx, q, subject(id), binding(id, "nir"), nir)
		if err != nil {
			return JobSeeker{}, err
		}
		j.NIR = string(plain)
	}
	if ftID != nil {
		plain, err := s.env.Open(ctx, q, subject(id), binding(id, "ft_id"), ftID)
		if err != nil {
			return JobSeeker{}, err
		}
		j.FTID = string(plain)
	}
	plain, err := s.env.Open(ctx, q, subject(id), binding(id, "details"), det)
	if err != nil {
		return JobSeeker{}, err
	}
	var d details
	if err := json.Unmarshal(plain, &d); err != nil {
		return JobSeeker{}, fmt.Errorf("dossier illisible : %w", err)
	}
	if err := d.apply(&j.Profile); err != nil {
		return JobSeeker{}, err
	}
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	return j, nil
}

// Update changes a person's file: the person themselves, or while nobody has taken the account
// over, the professionals who follow them.
func (s *Service) Update(ctx context.Context, actor access.Actor, id uuid.UUID, p Profile) (JobSeeker, error) {
	today := database.ParisDate(s.clock.Now())
	if p.Needs == nil {
		p.Needs = SupportNeeds{}
	}
	if err := p.Validate(today, s.places); err != nil {
		return JobSeeker{}, err
	}
	var j JobSeeker
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := s.describe(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.EditJobSeeker, res); err != nil {
			return err
		}
		if j, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		matches, err := s.matches(ctx, tx, p, id)
		if err != nil {
			return err
		}
		for _, m := range matches {
			if m.SameNIR {
				return fault.Field("nir", "Ce numéro de sécurité sociale est déjà rattaché à un autre dossier.")
			}
		}
		if j.UserID != uuid.Nil {
			// The account's address is the person's login: it changes on the account page.
			p.Email = j.Email
		}
		j.Profile = p
		j.UpdatedAt = s.clock.Now()
		sl, err := s.seal(ctx, tx, id, p)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE job_seekers SET civility = $2, birth_name = $3, usage_name = $4, first_names = $5,
			birth_date = $6, birth_commune = $7, birth_country = $8, nir = $9, nir_index = $10, no_nir_reason = $11, ft_id = $12,
			ft_id_index = $13, no_ft_id_reason = $14, email = $15, commune_code = $16, details = $17, updated_at = $18, updated_by = $19
			WHERE id = $1`, id, string(p.Civility), p.BirthName, p.UsageName, p.FirstNames, p.BirthDate, p.BirthCommune, p.BirthCountry,
			sl.nir, sl.nirIndex, string(p.NoNIRReason), sl.ftID, sl.ftIDIndex, string(p.NoFTIDReason), nullString(p.Email),
			p.CommuneCode, sl.details, j.UpdatedAt, actor.UserID)
		if database.IsUniqueViolation(err) {
			return fault.Field("nir", "Ce numéro de sécurité sociale est déjà rattaché à un autre dossier.")
		}
		if err != nil {
			return fmt.Errorf("enregistrement du dossier : %w", err)
		}
		return s.record(ctx, tx, actor, "jobseeker.updated", id, nil)
	})
	return j, err
}

// FollowByNIR lets a professional who knows a person's NIR and birth date find the person's
// existing file and follow it (les emplois: "rechercher un candidat par son numéro de sécurité
// sociale"). Both must match; a mismatch answers exactly like an unknown number.
func (s *Service) FollowByNIR(ctx context.Context, actor access.Actor, nir string, born database.Date) (uuid.UUID, error) {
	if err := access.Can(actor, access.FindJobSeeker, access.Resource{}); err != nil {
		return uuid.Nil, err
	}
	nir = NormaliseNIR(nir)
	if err := CheckNIR(nir); err != nil {
		return uuid.Nil, fault.Field("nir", err.Error())
	}
	var id uuid.UUID
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM job_seekers WHERE nir_index = $1 AND birth_date = $2`,
			s.env.BlindIndex(indexNIR, nir), born).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("aucun dossier ne correspond à ce numéro et cette date de naissance : %w", fault.NotFound)
		}
		if err != nil {
			return err
		}
		if err := follow(ctx, tx, id, actor, "follow", s.clock.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "jobseeker.followed", id, nil)
	})
	return id, err
}

// Summary is a line of a professional's list of the people they follow.
type Summary struct {
	ID         uuid.UUID
	Name       string
	BirthDate  database.Date
	Commune    string
	LastAction string
	LastAt     time.Time
	// HandledByProxy: nobody has taken the account over.
	HandledByProxy bool
	// Stalled ("sans solution"): a first application more than 30 days ago, applications in the
	// last 6 months, none of them accepted.
	Stalled bool
}

// StalledAfter is how long after a first application a person without a hire is "sans
// solution"; StalledWindow is how far back the rule looks for applications and hires.
const (
	StalledAfter  = 30 * 24 * time.Hour
	StalledWindow = 183 * 24 * time.Hour
)

// Followed lists the people the actor's organisation follows ("Mes candidats"), most recent
// action first, filtered by a part of the name. The list read is recorded.
func (s *Service) Followed(ctx context.Context, actor access.Actor, query string, limit int) ([]Summary, error) {
	return s.followed(ctx, actor, query, false, limit)
}

// FollowedStalled lists only the people the organisation follows who are "sans solution".
func (s *Service) FollowedStalled(ctx context.Context, actor access.Actor, query string, limit int) ([]Summary, error) {
	return s.followed(ctx, actor, query, true, limit)
}

func (s *Service) followed(ctx context.Context, actor access.Actor, query string, onlyStalled bool, limit int) ([]Summary, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	like := "%" + strings.ToLower(strings.TrimSpace(query)) + "%"
	now := s.clock.Now()
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewJobSeeker, Purpose: access.PurposeIAEFollowUp, What: "jobseeker.followed"},
		func(context.Context, database.Querier) (access.Resource, error) {
			// The list holds only people the organisation follows: the relation holds for each.
			return access.Resource{OrgID: actor.OrgID, Relations: access.RelFollowUp}, nil
		},
		func(ctx context.Context, q database.Querier) ([]Summary, error) {
			// The rule reads the person's applications (package application's table): what the
			// list shows of them is one flag, the rule of les emplois de l'inclusion.
			rows, err := q.QueryContext(ctx, `SELECT * FROM (SELECT j.id, j.first_names, j.birth_name, j.usage_name, j.civility, j.birth_date,
					j.commune_code, f.last_action, f.last_action_at, u.last_login_at IS NULL,
					(EXISTS (SELECT 1 FROM applications a WHERE a.job_seeker_id = j.id AND a.created_at > $4)
					 AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.job_seeker_id = j.id AND a.state = 'accepted' AND a.updated_at > $4)
					 AND (SELECT MIN(a.created_at) FROM applications a WHERE a.job_seeker_id = j.id) < $5) AS stalled
				FROM job_seeker_followers f JOIN job_seekers j ON j.id = f.job_seeker_id LEFT JOIN users u ON u.id = j.user_id
				WHERE f.org_id = $1 AND ($2 = '%%' OR lower(j.first_names || ' ' || j.birth_name || ' ' || j.usage_name) LIKE $2)) x
				WHERE (NOT $6 OR x.stalled)
				ORDER BY x.last_action_at DESC, x.id LIMIT $3`, actor.OrgID, like, limit, now.Add(-StalledWindow), now.Add(-StalledAfter), onlyStalled)
			if err != nil {
				return nil, fmt.Errorf("liste des candidats suivis : %w", err)
			}
			defer rows.Close()
			var out []Summary
			for rows.Next() {
				var sm Summary
				var id Identity
				var civility string
				if err := rows.Scan(&sm.ID, &id.FirstNames, &id.BirthName, &id.UsageName, &civility, &sm.BirthDate, &sm.Commune,
					&sm.LastAction, &sm.LastAt, &sm.HandledByProxy, &sm.Stalled); err != nil {
					return nil, err
				}
				id.Civility = Civility(civility)
				sm.Name, sm.LastAt = id.FullName(), sm.LastAt.UTC()
				out = append(out, sm)
			}
			return out, rows.Err()
		})
}

// Referenced tells whether records of job seekers point at an account (the person's file, a
// file or an application they created or changed): the inactivity rule anonymises such an
// account instead of deleting it, so the files keep their history.
func Referenced(ctx context.Context, q database.Querier, userID uuid.UUID) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM job_seekers WHERE user_id = $1 OR created_by_user = $1 OR updated_by = $1) +
		(SELECT COUNT(*) FROM job_seeker_followers WHERE user_id = $1) +
		(SELECT COUNT(*) FROM applications WHERE sender_user = $1) +
		(SELECT COUNT(*) FROM application_transitions WHERE user_id = $1)`, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("recherche des références au compte : %w", err)
	}
	return n > 0, nil
}
