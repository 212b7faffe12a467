// Package demo loads the demonstration dataset: one account per role, the organisations they
// belong to, and a registry of structures with their job descriptions (see registry.go). The
// demo's own accounts and structures go through the same services as real users, so the data
// obeys every rule; the bulk of the registry comes from offertest's generator. It is
// idempotent: running it again creates only what is missing, and nothing once complete.
package demo

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/eligibility"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/org"
	"parcours/internal/refdata"
	"parcours/internal/support"
)

// Password is the demo accounts' shared password.
const Password = "Demo-Inclusion-2026"

// Account is a demo login to print.
type Account struct {
	Email string
	Role  string
}

// Result lists the demo logins and counts the registry.
type Result struct {
	Accounts []Account
	Registry Registry
}

// totpSettingKey keeps the demo administrator's TOTP key, sealed, so the demo page can show
// its code.
const totpSettingKey = "demo_totp_secret"

// totpSubject names the data key the demo's TOTP key is sealed under.
const totpSubject = "demo:admin-totp"

func totpBinding() crypto.Binding {
	return crypto.Binding{Table: "settings", Column: "value", Row: totpSettingKey}
}

type person struct {
	email, first, last, role string
	kind                     access.UserKind
}

type organisation struct {
	kind, name, siretBase, safir, commune string
	habilitation                          org.Habilitation
	members                               []string // e-mails; the first is admin
}

var people = []person{
	{"admin@demo.parcours.test", "Alice", "Administratrice", "administratrice de la plateforme (double authentification)", access.Staff},
	{"candidat@demo.parcours.test", "Karim", "Benali", "candidat", access.JobSeeker},
	{"prescripteur@demo.parcours.test", "Sophie", "Martin", "conseillère France Travail (prescriptrice habilitée)", access.Professional},
	{"cap-emploi@demo.parcours.test", "Julien", "Lefèvre", "conseiller Cap emploi habilité à l'accompagnement adapté, administrateur (double authentification)", access.Professional},
	{"accompagnement.ft@demo.parcours.test", "Léa", "Rousseau", "conseillère France Travail habilitée à l'accompagnement adapté, administratrice (double authentification)", access.Professional},
	{"accompagnement.ft-grenoble@demo.parcours.test", "Inès", "Faure", "conseillère France Travail Grenoble habilitée à l'accompagnement adapté, administratrice (double authentification) : une autre agence, qui ne suit pas les personnes du Rhône", access.Professional},
	{"accueil.cap-emploi@demo.parcours.test", "Hugo", "Mercier", "conseiller d'accueil Cap emploi habilité, auteur d'un accès d'urgence (double authentification)", access.Professional},
	{"orienteur@demo.parcours.test", "Nadia", "Haddad", "travailleuse sociale d'un CCAS (prescriptrice en attente d'habilitation)", access.Professional},
	{"employeur@demo.parcours.test", "Marc", "Dubois", "employeur de deux structures d'insertion (ACI et EI), administrateur", access.Professional},
	{"employeur.ai@demo.parcours.test", "Aïcha", "Benmansour", "directrice d'une association intermédiaire, administratrice", access.Professional},
	{"ddets@demo.parcours.test", "Claire", "Moreau", "agente de la DDETS du Rhône", access.Professional},
	{"agefiph@demo.parcours.test", "Thomas", "Garnier", "chargé de mission Agefiph", access.Professional},
}

var organisations = []organisation{
	{"FT", "France Travail Lyon Part-Dieu", "1300054810012", "69031", "69383", org.Validated, []string{"prescripteur@demo.parcours.test", "accompagnement.ft@demo.parcours.test"}},
	{"FT", "France Travail Grenoble", "1300054810023", "38011", "38185", org.Validated, []string{"accompagnement.ft-grenoble@demo.parcours.test"}},
	{"CAP_EMPLOI", "Cap emploi Rhône", "7751234500011", "", "69383", org.Validated, []string{"cap-emploi@demo.parcours.test", "accueil.cap-emploi@demo.parcours.test"}},
	{"CCAS", "CCAS de Villeurbanne", "2669001000012", "", "69266", org.NotSet, []string{"orienteur@demo.parcours.test"}},
	{"ACI", "Les Jardins du Rhône", "8123456700015", "", "69381", "", []string{"employeur@demo.parcours.test"}},
	{"EI", "Rhône Insertion Services", "8234567800013", "", "69266", "", []string{"employeur@demo.parcours.test"}},
	{"AI", "Rhône Intérim Solidaire", "8345678900011", "", "69123", "", []string{"employeur.ai@demo.parcours.test"}},
	{"DDETS_IAE", "DDETS du Rhône — IAE", "1300067000010", "", "69383", "", []string{"ddets@demo.parcours.test"}},
	{"AGEFIPH", "Agefiph Auvergne-Rhône-Alpes", "3324567800017", "", "69383", "", []string{"agefiph@demo.parcours.test"}},
}

// siret completes a 13-digit base with the Luhn check digit.
func siret(base string) string {
	for d := 0; d <= 9; d++ {
		s := base + strconv.Itoa(d)
		if org.CheckSIRET(s) == nil {
			return s
		}
	}
	panic("demo: no Luhn digit for " + base)
}

// Deps are the services the dataset is created through.
type Deps struct {
	DB       *database.DB
	Clock    clock.Clock
	Envelope *crypto.Envelope
	Accounts *account.Service
	Orgs     *org.Service
	// Places is the reference data the registry is drawn from; loaded when nil.
	Places *refdata.Data
	// JobSeekers, Applications and Eligibility create the demo's people, their applications
	// and eligibility diagnoses (people.go); without them the demo has none.
	JobSeekers   *jobseeker.Service
	Applications *application.Service
	Eligibility  *eligibility.Service
	// Approvals gives the demo's hires their PASS IAE in every state (passes.go).
	Approvals *approval.Service
	// Support creates the adapted-support records (support.go); without it the demo has none.
	Support *support.Service
}

// Load creates whatever part of the dataset is missing.
func Load(ctx context.Context, a Deps) (Result, error) {
	ids := map[string]uuid.UUID{}
	var res Result
	for _, p := range people {
		u, err := a.Accounts.OperatorLookup(ctx, p.email)
		if errors.Is(err, fault.NotFound) {
			u, err = a.Accounts.CreateVerified(ctx, account.SignUp{Kind: p.kind, Email: p.email, Password: Password, FirstName: p.first, LastName: p.last})
		}
		if err != nil {
			return res, fmt.Errorf("compte %s : %w", p.email, err)
		}
		ids[p.email] = u.ID
		res.Accounts = append(res.Accounts, Account{Email: p.email, Role: p.role})
	}
	if err := enrolAdmin(ctx, a, ids[AdminEmail]); err != nil {
		return res, err
	}
	staff := access.Actor{UserID: ids[AdminEmail], Kind: access.Staff, MFA: true}
	for _, o := range organisations {
		if err := ensureOrganisation(ctx, a, staff, o, ids); err != nil {
			return res, fmt.Errorf("organisation %s : %w", o.name, err)
		}
	}
	places := a.Places
	if places == nil {
		var err error
		if places, err = refdata.Load(); err != nil {
			return res, fmt.Errorf("données de référence : %w", err)
		}
	}
	reg, err := loadRegistry(ctx, a, places, staff)
	if err != nil {
		return res, fmt.Errorf("registre des structures : %w", err)
	}
	res.Registry = reg
	if err := loadPeople(ctx, a, places, staff, ids); err != nil {
		return res, fmt.Errorf("candidats de démonstration : %w", err)
	}
	if err := loadApplications(ctx, a, places, ids); err != nil {
		return res, fmt.Errorf("candidatures de démonstration : %w", err)
	}
	if err := loadPasses(ctx, a, places, staff, ids); err != nil {
		return res, fmt.Errorf("PASS IAE de démonstration : %w", err)
	}
	if err := loadSupport(ctx, a, ids); err != nil {
		return res, fmt.Errorf("accompagnement adapté de démonstration : %w", err)
	}
	if err := loadSupportAids(ctx, a, ids); err != nil {
		return res, fmt.Errorf("aides de démonstration : %w", err)
	}
	if err := loadSupportDocuments(ctx, a, ids); err != nil {
		return res, fmt.Errorf("documents d'accompagnement de démonstration : %w", err)
	}
	return res, database.SetSetting(ctx, a.DB.Writer(), "demo_loaded_at", a.Clock.Now().Format("2006-01-02T15:04:05Z"), a.Clock.Now())
}

func ensureOrganisation(ctx context.Context, a Deps, staff access.Actor, o organisation, ids map[string]uuid.UUID) error {
	s := siret(o.siretBase)
	existing, err := a.Orgs.FindBySIRET(ctx, staff, s)
	if err != nil {
		return err
	}
	var created org.Organisation
	for _, e := range existing {
		if e.SIRET == s && e.Kind == o.kind {
			created = e
		}
	}
	defer func() { ids["org:"+o.name] = created.ID }()
	if created.ID == uuid.Nil {
		created, err = a.Orgs.Create(ctx, staff, org.NewOrganisation{Kind: o.kind, Name: o.name, SIRET: s, SAFIR: o.safir, CommuneCode: o.commune, Habilitated: true})
		if err != nil {
			return err
		}
		if o.habilitation == org.Validated && created.Habilitation != org.Validated {
			if err := a.Orgs.DecideHabilitation(ctx, staff, created.ID, org.Validated, "Organisation de démonstration vérifiée."); err != nil {
				return err
			}
		}
	}
	for i, email := range o.members {
		member, err := isMember(ctx, a, email, created.ID)
		if err != nil {
			return err
		}
		if !member {
			if err := a.Orgs.StaffAddMember(ctx, staff, created.ID, email, i == 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// isMember tells whether the account of email actively belongs to the organisation, from the
// memberships its session would see.
func isMember(ctx context.Context, a Deps, email string, orgID uuid.UUID) (bool, error) {
	u, err := a.Accounts.OperatorLookup(ctx, email)
	if err != nil {
		return false, err
	}
	_, ms, err := a.Orgs.Actor(ctx, u, orgID, false)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m org.Membership) bool { return m.Org.ID == orgID }), nil
}

// enrolAdmin gives the demo administrator a second factor through the normal enrolment,
// and keeps its key, sealed like the account's own copy, so that the demo page can show the
// current code while a reader of the database or of a backup cannot.
func enrolAdmin(ctx context.Context, a Deps, id uuid.UUID) error {
	if _, ok, err := database.Setting(ctx, a.DB.Reader(), totpSettingKey); err != nil || ok {
		return err
	}
	self := access.Actor{UserID: id, Kind: access.Staff}
	e, err := a.Accounts.BeginTOTP(ctx, self)
	if err != nil {
		return err
	}
	// Confirm with the previous step's code (accepted as clock drift), so that the code the
	// demo page shows right after start is still unused.
	code, err := account.CodeAt(e.Secret, a.Clock.Now().Add(-30*time.Second))
	if err != nil {
		return err
	}
	if _, err := a.Accounts.ConfirmTOTP(ctx, self, uuid.Nil, code); err != nil {
		return err
	}
	return a.DB.WithTx(ctx, func(tx *sql.Tx) error {
		sealed, err := a.Envelope.Seal(ctx, tx, totpSubject, totpBinding(), []byte(e.Secret))
		if err != nil {
			return fmt.Errorf("clé de double authentification de démonstration : %w", err)
		}
		return database.SetSetting(ctx, tx, totpSettingKey, hex.EncodeToString(sealed), a.Clock.Now())
	})
}

// AdminEmail is the demo administrator's login.
const AdminEmail = "admin@demo.parcours.test"

// AdminCode returns the demo administrator's current TOTP code, when the demo is loaded, so
// that the demo can be tried without an authenticator app. Only the demo page shows it.
func AdminCode(ctx context.Context, q database.Querier, env *crypto.Envelope, now time.Time) (string, bool, error) {
	secret, ok, err := adminSecret(ctx, q, env)
	if err != nil || !ok {
		return "", false, err
	}
	code, err := account.CodeAt(secret, now)
	return code, err == nil, err
}

// adminSecret opens the demo administrator's TOTP key (grouped base32).
func adminSecret(ctx context.Context, q database.Querier, env *crypto.Envelope) (string, bool, error) {
	value, ok, err := database.Setting(ctx, q, totpSettingKey)
	if err != nil || !ok {
		return "", false, err
	}
	sealed, err := hex.DecodeString(value)
	if err != nil {
		return "", false, fmt.Errorf("clé de double authentification de démonstration illisible : %w", crypto.ErrUndecryptable)
	}
	secret, err := env.Open(ctx, q, totpSubject, totpBinding(), sealed)
	if err != nil {
		return "", false, fmt.Errorf("clé de double authentification de démonstration : %w", err)
	}
	return string(secret), true, nil
}
