package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
)

// The public verification answers the state and the end only; a wrong birth date answers as an
// unknown number; attempts are limited per address, on the page and in the API.
func TestPASSVerification(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		get := func(number, birth string) response {
			return s.do(t, "GET", "/api/v1/pass-iae/verification?numero="+url.QueryEscape(number)+"&date_naissance="+birth, "", nil)
		}
		p, err := s.passes.ForPrint(t.Context(), w.actorOf(t, employerAdmin, "A"), w.pass["own"])
		if err != nil {
			t.Fatal(err)
		}
		ok := get(p.Spaced(), "1980-01-02")
		if ok.status != 200 || !strings.Contains(ok.body, `"etat":"valide"`) || !strings.Contains(ok.body, `"fin":"`+p.End.String()+`"`) ||
			strings.Contains(ok.body, "Titulaire") {
			t.Errorf("verification: %d %s", ok.status, ok.body)
		}
		wrong, unknown := get(p.Number, "1980-01-03"), get("999990009999", "1980-01-02")
		if wrong.status != 404 || wrong.body != unknown.body || wrong.status != unknown.status {
			t.Errorf("wrong birth date %d %s, unknown number %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
		}
		if bad := get("12", "hier"); bad.status != 400 || !strings.Contains(bad.body, "date_naissance") {
			t.Errorf("bad parameters: %d %s", bad.status, bad.body)
		}
		var last response
		for range 10 {
			last = get(p.Number, "1980-01-02")
		}
		if last.status != 429 {
			t.Errorf("no limit: %d", last.status)
		}
		// The page: the same answer, nothing about the holder.
		page := s.do(t, "POST", "/verifier-pass-iae", "", url.Values{"numero": {p.Number}, "date_naissance": {"1980-01-02"}})
		if page.status != 200 || !strings.Contains(page.body, "PASS IAE valide") || !strings.Contains(page.body, p.End.French()) || strings.Contains(page.body, "Titulaire") {
			t.Errorf("page: %d", page.status)
		}
		page = s.do(t, "POST", "/verifier-pass-iae", "", url.Values{"numero": {p.Number}, "date_naissance": {"1980-01-03"}})
		if !strings.Contains(page.body, "Aucun PASS IAE ne correspond") {
			t.Errorf("wrong birth date on the page")
		}
	})
}

// The structure prints the attestation: a PDF whose text holds the number and the holder.
func TestPASSAttestation(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	w := newWorld(t, db)
	r := w.s.do(t, "GET", "/pass-iae/"+w.pass["own"].String()+"/attestation", w.token(t, employerMember), nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.body, "%PDF-") {
		t.Fatalf("attestation: %d %s", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{"Attestation de PASS IAE", "PASS own Titulaire", "02/01/1980", "Atelier A", "/Lang (fr-FR)"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("attestation without %q", want)
		}
	}
}

// actorOf is a user acting for one of the world's organisations.
func (w *world) actorOf(t *testing.T, key, orgKey string) access.Actor {
	t.Helper()
	a, _, err := w.s.orgs.Actor(t.Context(), w.users[key], w.orgs[orgKey].ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Before the contract starts, the structure changes the hire from the application page: the
// form comes filled with the hire, a refused change keeps what was typed, and the PASS not
// started follows the new start.
func TestChangeHireBeforeItStarts(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	w := newWorld(t, db)
	s, ctx := w.s, t.Context()
	emp := w.actorOf(t, employerAdmin, "A")
	j, err := s.people.Create(ctx, emp, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: jobseeker.Monsieur, BirthName: "Report", FirstNames: "Jean", BirthDate: database.Date{Year: 1982, Month: 4, Day: 5},
			BornInFrance: true, BirthCommune: "69123"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.apps.Send(ctx, emp, application.SendInput{JobSeekerID: j.ID, StructureID: w.orgs["A"].ID, JobDescriptions: []uuid.UUID{w.jd["A"]}, SelfHire: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.elig.Make(ctx, emp, j.ID, []string{"RSA"}); err != nil {
		t.Fatal(err)
	}
	today := database.ParisDate(s.clock.Now())
	start := today.AddDays(10)
	if _, err := s.apps.Decide(ctx, emp, a.ID, application.Accept, application.Decision{Hire: application.Hire{Start: start,
		ContractType: offer.ContractCDDI, HoursPerWeek: 26, SalaryCents: 1_450_00}}); err != nil {
		t.Fatal(err)
	}
	page := "/candidatures/" + a.ID.String()
	tok := w.token(t, employerMember)
	r := s.do(t, "GET", page, tok, nil)
	if r.status != 200 || !strings.Contains(r.body, "Modifier l'embauche avant le début du contrat") || !strings.Contains(r.body, `value="`+start.String()+`"`) ||
		!strings.Contains(r.body, `value="1450,00"`) {
		t.Fatalf("the change form: %d", r.status)
	}
	later := today.AddDays(30)
	form := url.Values{"hiring_start": {later.String()}, "contract_type": {string(offer.ContractCDDI)}, "hours_per_week": {"99"}, "salary": {"1500"}}
	if r := s.do(t, "POST", page+"/embauche", tok, form); r.status != 422 || !strings.Contains(r.body, "entre 1 et 48 heures") ||
		!strings.Contains(r.body, `value="`+later.String()+`"`) || !strings.Contains(r.body, `value="99"`) {
		t.Fatalf("a refused change: %d", r.status)
	}
	form.Set("hours_per_week", "30")
	if r := s.do(t, "POST", page+"/embauche", tok, form); r.status != 303 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	all, err := s.passes.ForPerson(ctx, emp, j.ID, access.PurposeIAEFollowUp)
	if err != nil || len(all) != 1 || all[0].Start != later {
		t.Fatalf("the PASS after the change: %+v %v", all, err)
	}
	// A prescriber cannot.
	if r := s.do(t, "POST", page+"/embauche", w.token(t, prescriberAdm), form); r.status != 403 && r.status != 404 {
		t.Fatalf("another structure changes the hire: %d", r.status)
	}
}
