package eligibility_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/eligibility"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/platformtest"
)

// fixture is the platform's services (platformtest) with the criteria loaded and the
// eligibility service as svc.
type fixture struct {
	*platformtest.Platform
	svc *eligibility.Service
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	p := platformtest.New(t, db)
	if err := p.Eligibility.EnsureCriteria(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &fixture{Platform: p, svc: p.Eligibility}
}

// person creates a job seeker's file by proxy.
func (f *fixture) person(t testing.TB, by access.Actor, first string) jobseeker.JobSeeker {
	t.Helper()
	return f.Person(t, by, first, "Durand", "")
}

func (f *fixture) apply(t testing.TB, by access.Actor, person uuid.UUID, st offer.Structure, jd offer.JobDescription) {
	t.Helper()
	if _, err := f.Apps.Send(context.Background(), by, application.SendInput{JobSeekerID: person, StructureID: st.ID, JobDescriptions: []uuid.UUID{jd.ID}}); err != nil {
		t.Fatal(err)
	}
}

// A world: an authorised prescriber follows the person, who applied to an ACI and an AI; a
// non-authorised prescriber; another ACI the person never applied to.
type world struct {
	*fixture
	pres, plain, aci, ai, other access.Actor
	aciS, aiS, otherS           offer.Structure
	person                      jobseeker.JobSeeker
}

func newWorld(t *testing.T, db *database.DB) *world {
	f := newFixture(t, db)
	w := &world{fixture: f}
	w.pres = f.Prescriber(t, "habilite@exemple.fr", true)
	w.plain = f.Prescriber(t, "orienteur@exemple.fr", false)
	var aciJD, aiJD offer.JobDescription
	w.aciS, w.aci, aciJD = f.Structure(t, "ACI", "aci@exemple.fr")
	w.aiS, w.ai, aiJD = f.Structure(t, "AI", "ai@exemple.fr")
	w.otherS, w.other, _ = f.Structure(t, "ACI", "autre@exemple.fr")
	w.person = f.person(t, w.pres, "Inès")
	f.apply(t, w.pres, w.person.ID, w.aciS, aciJD)
	f.apply(t, w.pres, w.person.ID, w.aiS, aiJD)
	return w
}

func TestPrescriberDiagnosis(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		// No minimum: a diagnosis without any criterion is valid 6 months everywhere.
		d, err := w.svc.Make(ctx, w.pres, w.person.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.Author != eligibility.ByPrescriber || d.NaturalEnd != eligibility.ValidUntil(eligibility.ByPrescriber, w.Today()) {
			t.Fatalf("diagnosis: %+v", d)
		}
		for _, a := range []access.Actor{w.pres, w.aci, w.ai} {
			st, err := w.svc.Status(ctx, a, w.person.ID, uuid.Nil, access.PurposeIAERecruitment)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Eligible || st.Applied == nil || st.Applied.ID != d.ID || !strings.Contains(st.Summary, "dans toutes les structures jusqu'au "+d.NaturalEnd.French()) {
				t.Errorf("status for %s: %+v", a.Role, st)
			}
		}
		// The non-authorised prescriber reads nothing (does not follow) and makes nothing.
		if _, err := w.svc.Make(ctx, w.plain, w.person.ID, []string{"RSA"}); !errors.Is(err, fault.Forbidden) {
			t.Errorf("non-authorised prescriber: %v", err)
		}
		// A new prescriber diagnosis ends the previous one, the same day.
		w.Clock.Advance(30 * 24 * time.Hour)
		d2, err := w.svc.Make(ctx, w.pres, w.person.ID, []string{"RSA", "JEUNE"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := w.svc.Status(ctx, w.pres, w.person.ID, uuid.Nil, access.PurposeIAEFollowUp)
		if err != nil {
			t.Fatal(err)
		}
		if st.Applied == nil || st.Applied.ID != d2.ID || len(st.History) != 2 || st.History[1].EndedOn != w.Today() || st.History[1].ValidOn(w.Today()) {
			t.Fatalf("after replacement: %+v", st)
		}
		if got := st.Why(*st.Applied); got.Counted != "1 critère de niveau 1 et 1 critère de niveau 2" {
			t.Errorf("why: %+v", got)
		}
		// Expiry: valid on its last day, not the day after.
		w.Clock.Set(d2.NaturalEnd.Time().Add(12 * time.Hour))
		if st, _ := w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeIAERecruitment); !st.Eligible {
			t.Errorf("last day: %+v", st.Summary)
		}
		w.Clock.Advance(24 * time.Hour)
		st, err = w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		if st.Eligible || st.Last == nil || st.Last.ID != d2.ID || !strings.Contains(st.Summary, "valable jusqu'au "+d2.NaturalEnd.French()) {
			t.Errorf("day after: %+v", st)
		}
	})
}

func TestEmployerDiagnosis(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		// The ACI's minimum: 1 of level 1 or 3 of level 2; the AI's: 2 of level 2.
		_, err := w.svc.Make(ctx, w.aci, w.person.ID, []string{"JEUNE", "QPV"})
		if f := fault.FieldsOf(err); f["criteres"] == "" {
			t.Fatalf("ACI with two level 2: %v", err)
		}
		aiDiag, err := w.svc.Make(ctx, w.ai, w.person.ID, []string{"JEUNE", "QPV"})
		if err != nil {
			t.Fatalf("AI with two level 2: %v", err)
		}
		if aiDiag.NaturalEnd != w.Today().AddDays(91) {
			t.Errorf("92 days: %s", aiDiag.NaturalEnd)
		}
		// Incompatible pairs, each at its field, all at once.
		_, err = w.svc.Make(ctx, w.aci, w.person.ID, []string{"RSA", "SENIOR", "JEUNE", "DETLD", "DELD"})
		if f := fault.FieldsOf(err); f["critere_JEUNE"] == "" || f["critere_DELD"] == "" {
			t.Fatalf("pairs: %v", err)
		}
		aciDiag, err := w.svc.Make(ctx, w.aci, w.person.ID, []string{"RSA"})
		if err != nil {
			t.Fatal(err)
		}
		// Each structure's diagnosis counts there only, and is seen there only.
		for _, tc := range []struct {
			actor access.Actor
			want  uuid.UUID
		}{{w.aci, aciDiag.ID}, {w.ai, aiDiag.ID}} {
			st, err := w.svc.Status(ctx, tc.actor, w.person.ID, uuid.Nil, access.PurposeIAERecruitment)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Eligible || st.Applied.ID != tc.want || len(st.History) != 1 || !strings.Contains(st.Summary, "diagnostic de la structure") {
				t.Errorf("status for %s: %+v", tc.actor.OrgID, st)
			}
		}
		// The prescriber who follows the person sees neither: they count nowhere else.
		st, err := w.svc.Status(ctx, w.pres, w.person.ID, uuid.Nil, access.PurposeIAEFollowUp)
		if err != nil {
			t.Fatal(err)
		}
		if st.Eligible || len(st.History) != 0 {
			t.Errorf("prescriber sees structures' diagnoses: %+v", st)
		}
		// The structure with no application reads nothing and writes nothing.
		if _, err := w.svc.Status(ctx, w.other, w.person.ID, uuid.Nil, access.PurposeIAERecruitment); !errors.Is(err, fault.Forbidden) {
			t.Errorf("other structure reads: %v", err)
		}
		if _, err := w.svc.Make(ctx, w.other, w.person.ID, []string{"RSA"}); !errors.Is(err, fault.Forbidden) {
			t.Errorf("other structure writes: %v", err)
		}
		if _, _, err := w.svc.Get(ctx, w.ai, aciDiag.ID, access.PurposeIAERecruitment); !errors.Is(err, fault.NotFound) {
			t.Errorf("the AI opens the ACI's diagnosis: %v", err)
		}
		// A new diagnosis of the ACI ends its previous one, not the AI's.
		w.Clock.Advance(24 * time.Hour)
		again, err := w.svc.Make(ctx, w.aci, w.person.ID, []string{"RSA", "QPV"})
		if err != nil {
			t.Fatal(err)
		}
		d, st, err := w.svc.Get(ctx, w.aci, aciDiag.ID, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Replaced() || d.ValidOn(w.Today()) || st.Applied == nil || st.Applied.ID != again.ID {
			t.Errorf("replaced: %+v / %+v", d, st)
		}
		if _, st, _ := w.svc.Get(ctx, w.ai, aiDiag.ID, access.PurposeIAERecruitment); st.Applied == nil || st.Applied.ID != aiDiag.ID {
			t.Errorf("the AI's diagnosis was ended by the ACI's: %+v", st)
		}
		// Expiry after 92 days.
		w.Clock.Set(again.NaturalEnd.AddDays(1).Time().Add(9 * time.Hour))
		if st, _ := w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeIAERecruitment); st.Eligible || st.Last == nil {
			t.Errorf("after 92 days: %+v", st)
		}
	})
}

func TestPrescriberTakesPrecedence(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		aciDiag, err := w.svc.Make(ctx, w.aci, w.person.ID, []string{"RSA"})
		if err != nil {
			t.Fatal(err)
		}
		w.Clock.Advance(24 * time.Hour)
		pd, err := w.svc.Make(ctx, w.pres, w.person.ID, []string{"QPV"})
		if err != nil {
			t.Fatal(err)
		}
		// The structure's diagnosis is still running, but the prescriber's applies.
		st, err := w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		if st.Applied == nil || st.Applied.ID != pd.ID || len(st.History) != 2 || st.CanDiagnose || st.Blocked == "" {
			t.Fatalf("precedence: %+v", st)
		}
		if st.History[1].ID != aciDiag.ID || !st.History[1].ValidOn(w.Today()) {
			t.Errorf("the structure's diagnosis: %+v", st.History[1])
		}
		// While it applies, the structure makes none.
		_, err = w.svc.Make(ctx, w.aci, w.person.ID, []string{"RSA", "QPV"})
		if f := fault.FieldsOf(err); !strings.Contains(f[""], "prime sur celui de la structure") {
			t.Errorf("structure diagnosing under a prescriber's diagnosis: %v", err)
		}
		// The person sees both, and the structure's one as valid elsewhere.
		self := w.selfActor(t)
		st, err = w.svc.Status(ctx, self, w.person.ID, uuid.Nil, access.PurposeIAETools)
		if err != nil {
			t.Fatal(err)
		}
		if st.Applied == nil || st.Applied.ID != pd.ID || len(st.History) != 2 || len(st.Elsewhere) != 1 {
			t.Errorf("the person's view: %+v", st)
		}
	})
}

// selfActor gives the person an account (taken over) and returns it as actor.
func (w *world) selfActor(t *testing.T) access.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := w.Accounts.CreateVerified(ctx, account.SignUp{Kind: access.JobSeeker, Email: "ines@exemple.fr", Password: platformtest.Password, FirstName: "Inès", LastName: "Durand"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Writer().ExecContext(ctx, `UPDATE job_seekers SET user_id = $1 WHERE id = $2`, u.ID, w.person.ID); err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Kind: access.JobSeeker}
}

// A running PASS keeps its diagnosis valid past its end (the hook the PASS module fills).
func TestPASSKeepsDiagnosisValid(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		d, err := w.svc.Make(ctx, w.aci, w.person.ID, []string{"AAH"})
		if err != nil {
			t.Fatal(err)
		}
		w.svc.SetPASSCheck(func(_ context.Context, _ database.Querier, id uuid.UUID, _ database.Date) (bool, error) {
			return id == d.ID, nil
		})
		w.Clock.Set(d.NaturalEnd.AddDays(200).Time())
		st, err := w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Eligible || !strings.Contains(st.Summary, "tant que son PASS IAE est en cours") {
			t.Errorf("kept by a PASS: %+v", st.Summary)
		}
	})
}

// Every read is recorded with its purpose; the criteria are not in clear in the database.
func TestReadsAreAuditedAndCriteriaSealed(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		d, err := w.svc.Make(ctx, w.pres, w.person.ID, []string{"DETENTION_MJ"})
		if err != nil {
			t.Fatal(err)
		}
		var before int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'read.eligibility.status'`).Scan(&before)
		if _, err := w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeIAERecruitment); err != nil {
			t.Fatal(err)
		}
		var after int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'read.eligibility.status'`).Scan(&after)
		if after != before+1 {
			t.Errorf("reads recorded: %d then %d", before, after)
		}
		// An undeclared purpose reads nothing.
		if _, err := w.svc.Status(ctx, w.aci, w.person.ID, uuid.Nil, access.PurposeAccounts); !errors.Is(err, fault.Forbidden) {
			t.Errorf("undeclared purpose: %v", err)
		}
		var raw []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT criteria FROM eligibility_diagnoses WHERE id = $1`, d.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "DETENTION") {
			t.Error("criteria stored in clear")
		}
		// The database refuses an employer's diagnosis below its minimum, whatever the code.
		_, err = db.Writer().ExecContext(ctx, `INSERT INTO eligibility_diagnoses (id, job_seeker_id, author_kind, author_org, structure_kind,
			criteria_set, criteria, level1_count, level2_count, made_on, valid_until, created_at)
			VALUES ($1, $2, 'employer', $3, 'ACI', $4, $5, 0, 2, $6, $7, $8)`, uuid.Must(uuid.NewV7()), w.person.ID, w.aci.OrgID, d.SetID, raw,
			w.Today(), w.Today().AddDays(91), w.Clock.Now())
		if err == nil {
			t.Error("the database accepted an ACI diagnosis with two level-2 criteria")
		}
	})
}

// A new arrêté is a new file: the set in force is chosen by date, and a published set cannot
// change its codes.
func TestCriteriaVersions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		current, err := f.svc.Criteria(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(current.Criteria) != 18 {
			t.Fatalf("current set: %d criteria", len(current.Criteria))
		}
		next := `{"id":"futur","label":"Futur arrêté","source":"JO","effective_from":"2027-01-01",
			"criteria":[{"code":"RSA","level":1,"label":"RSA","proof":"Attestation","proof_validity":"3 mois"},
			{"code":"NOUVEAU","level":2,"label":"Nouveau","proof":"Attestation","proof_validity":"3 mois"}]}`
		fsys := fstest.MapFS{"futur.json": {Data: []byte(next)}}
		if err := eligibility.EnsureCriteria(ctx, db, fsys, f.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := eligibility.EnsureCriteria(ctx, db, fsys, f.Clock.Now()); err != nil {
			t.Fatalf("loading twice: %v", err)
		}
		if err := f.svc.EnsureCriteria(ctx); err != nil {
			t.Fatalf("loading the embedded sets twice: %v", err)
		}
		if s, _ := f.svc.Criteria(ctx); s.ID != current.ID {
			t.Errorf("before its date: %s", s.ID)
		}
		f.Clock.Set(time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC))
		if s, _ := f.svc.Criteria(ctx); s.ID != "futur" || len(s.Criteria) != 2 {
			t.Errorf("from its date: %+v", s)
		}
		changed := fstest.MapFS{"futur.json": {Data: []byte(strings.Replace(next, `"level":2`, `"level":1`, 1))}}
		if err := eligibility.EnsureCriteria(ctx, db, changed, f.Clock.Now()); !errors.Is(err, fault.Conflict) {
			t.Errorf("a published set changed: %v", err)
		}
		reworded := fstest.MapFS{"futur.json": {Data: []byte(strings.Replace(next, `"label":"Nouveau"`, `"label":"Critère nouveau"`, 1))}}
		if err := eligibility.EnsureCriteria(ctx, db, reworded, f.Clock.Now()); err != nil {
			t.Errorf("a wording corrected: %v", err)
		}
	})
}

// Diagnoses made at the same time about the same person: one running diagnosis at the end,
// the others replaced or refused as a conflict, never two running.
func TestConcurrentDiagnoses(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.svc.Make(ctx, w.pres, w.person.ID, []string{"RSA"})
			}()
		}
		wg.Wait()
		made := 0
		for _, err := range errs {
			switch {
			case err == nil:
				made++
			case !errors.Is(err, fault.Conflict):
				t.Errorf("unexpected error: %v", err)
			}
		}
		var running int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM eligibility_diagnoses WHERE job_seeker_id = $1 AND ended_on IS NULL`,
			w.person.ID).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if made == 0 || running != 1 {
			t.Fatalf("%d made, %d running", made, running)
		}
	})
}
