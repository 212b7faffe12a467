package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
)

// employerWorld is an ACI in Lyon 1er with a valid convention, an admin, and one job description.
func employerWorld(t *testing.T, db *database.DB) (*stack, string, string) {
	t.Helper()
	s := newStack(t, db, false)
	ctx := context.Background()
	st := s.user(t, access.Staff, "staff@exemple.fr")
	staff := access.Actor{UserID: st.ID, Kind: access.Staff, MFA: true}
	admin := s.user(t, access.Professional, "encadrante@jardins.fr")
	o := s.createOrg(t, staff, "ACI", "Association Les Jardins", siret("5100000000001"), "69381", admin)
	start, _ := database.ParseDate("2025-06-01")
	end, _ := database.ParseDate("2027-05-31")
	if _, err := s.offer.SaveRegistryEntry(ctx, staff, offer.RegistryEntry{SIRET: o.SIRET, Kind: "ACI", Name: o.Name, CommuneCode: "69381",
		Brand: "Les Jardins de Fourvière", ConventionNumber: "ACI069-1", ConventionStartsOn: start, ConventionEndsOn: end}); err != nil {
		t.Fatal(err)
	}
	return s, o.ID.String(), s.login(t, admin.Email, "")
}

func TestSearchAndStructurePageWithoutLogin(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s, id, _ := employerWorld(t, db)
		r := s.do(t, "GET", "/recherche?commune="+url.QueryEscape("Villeurbanne")+"&rayon=10", "", nil)
		if r.status != 200 || !strings.Contains(r.body, "Les Jardins de Fourvière") || !strings.Contains(r.body, "à moins de 10 km de Villeurbanne") {
			t.Fatalf("search around Villeurbanne: %d", r.status)
		}
		if !regexp.MustCompile(`à \d+,\d km`).MatchString(r.body) {
			t.Fatal("no distance in km on the result")
		}
		// Far away: not found.
		if r := s.do(t, "GET", "/recherche?commune=13055&rayon=100", "", nil); strings.Contains(r.body, "Les Jardins de Fourvière") {
			t.Fatal("a Lyon structure listed 100 km around Marseille")
		}
		// Bad input: French message at the field, 422.
		r = s.do(t, "GET", "/recherche?commune=Nullepartville&rayon=25", "", nil)
		if r.status != 422 || !strings.Contains(r.body, `id="f-commune-error"`) {
			t.Fatalf("unknown commune: %d", r.status)
		}
		if r := s.do(t, "GET", "/recherche?commune=69123&rayon=7", "", nil); r.status != 422 || !strings.Contains(r.body, "Distance non proposée") {
			t.Fatalf("radius 7: %d", r.status)
		}
		page := s.do(t, "GET", "/structures/"+id, "", nil)
		if page.status != 200 || !strings.Contains(page.body, "Atelier et chantier d&#39;insertion") || strings.Contains(page.body, "Gérer la structure") {
			t.Fatalf("public structure page: %d", page.status)
		}
	})
}

func TestEmployerManagesStructureAndJobDescriptions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s, id, tok := employerWorld(t, db)
		// A bad phone number is refused at its field and nothing changes.
		r := s.do(t, "POST", "/structures/"+id+"/modifier", tok, url.Values{"commune": {"Lyon 1er Arrondissement (69001)"}, "phone": {"123"},
			"brand": {"Nouvelle enseigne"}})
		if r.status != 422 || !strings.Contains(r.body, `id="f-phone-error"`) {
			t.Fatalf("bad phone: %d", r.status)
		}
		if p := s.do(t, "GET", "/structures/"+id, "", nil); strings.Contains(p.body, "Nouvelle enseigne") {
			t.Fatal("a rejected form was half-written")
		}
		r = s.do(t, "POST", "/structures/"+id+"/modifier", tok, url.Values{"commune": {"Lyon 1er Arrondissement (69001)"}, "phone": {"04 12 34 56 78"},
			"brand": {"Les Jardins de Fourvière"}, "description": {"Maraîchage biologique et vente en circuit court."}})
		if r.status != 303 {
			t.Fatalf("save: %d %s", r.status, r.body)
		}

		// A job description with 60 hours a week is refused; a proper one is published.
		jd := url.Values{"metier": {"Ouvrier maraîcher / Ouvrière maraîchère (17506)"}, "contract_type": {"cddi"}, "hours_per_week": {"60"},
			"open_positions": {"2"}, "commune": {""}, "custom_title": {"Maraîcher en insertion"}}
		r = s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/nouvelle", tok, jd)
		if r.status != 422 || !strings.Contains(r.body, `id="f-hours_per_week-error"`) {
			t.Fatalf("60 hours: %d", r.status)
		}
		jd.Set("hours_per_week", "26")
		if r := s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/nouvelle", tok, jd); r.status != 303 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		public := s.do(t, "GET", "/structures/"+id, "", nil)
		if !strings.Contains(public.body, "Maraîcher en insertion") || !strings.Contains(public.body, "26 h par semaine") {
			t.Fatal("the new job description is not on the public page")
		}
		list := s.do(t, "GET", "/structures/"+id+"/fiches-de-poste", tok, nil)
		m := regexp.MustCompile(`/fiches-de-poste/([0-9a-f-]{36})/desactiver`).FindStringSubmatch(list.body)
		if m == nil {
			t.Fatal("no deactivate button")
		}
		if r := s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/"+m[1]+"/desactiver", tok, url.Values{}); r.status != 303 {
			t.Fatalf("deactivate: %d", r.status)
		}
		if p := s.do(t, "GET", "/structures/"+id, "", nil); strings.Contains(p.body, "Maraîcher en insertion") {
			t.Fatal("a deactivated job description is still public")
		}
		if r := s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/"+m[1]+"/activer", tok, url.Values{}); r.status != 303 {
			t.Fatalf("activate: %d", r.status)
		}

		// Sixty-one days later the employer is asked to confirm it.
		s.clock.Advance(61 * 24 * time.Hour)
		tok = s.login(t, "encadrante@jardins.fr", "")
		list = s.do(t, "GET", "/structures/"+id+"/fiches-de-poste", tok, nil)
		if !strings.Contains(list.body, "pas été mise à jour depuis plus de 60 jours") {
			t.Fatal("no banner after 61 days")
		}
		if r := s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/"+m[1]+"/confirmer", tok, url.Values{}); r.status != 303 {
			t.Fatalf("confirm: %d", r.status)
		}
		if list := s.do(t, "GET", "/structures/"+id+"/fiches-de-poste", tok, nil); strings.Contains(list.body, "pas été mise à jour depuis plus de 60 jours") {
			t.Fatal("banner still there after confirming")
		}
	})
}

// A structure created at sign-up (not yet in the registry) can be set up by its employer, but
// stays out of searches until a convention makes it active.
func TestStructureCreatedAtSignUpIsManageableButNotListed(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newStack(t, db, false)
		tok := signUpAndLogIn(t, s, "fondatrice@ei.fr")
		r := s.do(t, "POST", "/organisations", tok, url.Values{"kind": {"EI"}, "name": {"EI Nouvelle"}, "siret": {siret("5200000000001")}, "commune": {"69123"}})
		if r.status != 303 {
			t.Fatalf("create: %d", r.status)
		}
		id := strings.TrimPrefix(r.location, "/organisations/")
		if list := s.do(t, "GET", "/structures/"+id+"/fiches-de-poste", tok, nil); list.status != 200 {
			t.Fatalf("job descriptions page of a new structure: %d", list.status)
		}
		jd := url.Values{"metier": {"17506"}, "contract_type": {"cddi"}, "hours_per_week": {"30"}, "open_positions": {"1"}}
		if r := s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/nouvelle", tok, jd); r.status != 303 {
			t.Fatalf("create a job description: %d %s", r.status, r.body)
		}
		page := s.do(t, "GET", "/structures/"+id, tok, nil)
		if page.status != 200 || !strings.Contains(page.body, "sans convention valide") {
			t.Fatalf("employer view without convention: %d", page.status)
		}
		if r := s.do(t, "GET", "/recherche?commune=69123&rayon=5", "", nil); strings.Contains(r.body, "EI Nouvelle") {
			t.Fatal("a structure without convention is listed")
		}
		if r := s.do(t, "GET", "/structures/"+id, "", nil); r.status != 404 {
			t.Fatalf("public page of an inactive structure: %d", r.status)
		}
	})
}

// Someone who is not a member of the structure is refused its employer forms even when the
// form sent has errors (which used to answer 422 with the form).
func TestEmployerFormsWithErrorsAreRefusedToOthers(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s, id, _ := employerWorld(t, db)
		other := s.user(t, access.Professional, "autre@ailleurs.fr")
		tok := s.login(t, other.Email, "")
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/structures/" + id + "/modifier", url.Values{"commune": {"Nullepartville"}, "brand": {"Prise"}}},
			{"/structures/" + id + "/fiches-de-poste/nouvelle", url.Values{"hours_per_week": {"abc"}}},
		} {
			if r := s.do(t, "POST", c.path, tok, c.form); r.status != 403 {
				t.Errorf("%s with errors, not a member: %d", c.path, r.status)
			}
		}
	})
}

// Result cards are kept per registry generation, the distance written at each search: the
// same structure shows its own distance from each centre, a change of the registry shows at
// once, and a filtered search shows the matching job descriptions only.
func TestSearchPagesKeepCardsPerGeneration(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s, id, _ := employerWorld(t, db)
		distance := regexp.MustCompile(`(?s)Les Jardins de Fourvière</a>.*?— à (\d+,\d km)`)
		at := func(commune string) string {
			t.Helper()
			r := s.do(t, "GET", "/recherche?commune="+commune+"&rayon=25", "", nil)
			m := distance.FindStringSubmatch(r.body)
			if r.status != 200 || m == nil {
				t.Fatalf("search around %s: %d, no card", commune, r.status)
			}
			return m[1]
		}
		lyon, villeurbanne := at("69123"), at("69266")
		if lyon == villeurbanne || at("69123") != lyon || at("69266") != villeurbanne {
			t.Fatalf("distances: from Lyon %s, from Villeurbanne %s", lyon, villeurbanne)
		}
		// A job description added shows in the next search (new generation).
		staff := s.user(t, access.Staff, "agent@exemple.fr")
		if _, err := s.offer.CreateJobDescription(context.Background(), access.Actor{UserID: staff.ID, Kind: access.Staff, MFA: true},
			uuid.MustParse(id), offer.JobDescriptionInput{AppellationCode: "17506", ContractType: offer.ContractCDDI, HoursPerWeek: 26,
				OpenPositions: 2}); err != nil {
			t.Fatal(err)
		}
		r := s.do(t, "GET", "/recherche?commune=69123&rayon=25", "", nil)
		if !strings.Contains(r.body, "1 fiche de poste") || !strings.Contains(r.body, "recrute") {
			t.Fatalf("card after a new job description:\n%s", r.body)
		}
		if r := s.do(t, "GET", "/recherche?commune=69123&rayon=25&rome=K", "", nil); strings.Contains(r.body, "Les Jardins de Fourvière") {
			t.Fatal("a structure without a matching job description listed with a job filter")
		}
		jobs := s.do(t, "GET", "/recherche/postes?commune=69123&rayon=25", "", nil)
		if jobs.status != 200 || !strings.Contains(jobs.body, "Les Jardins de Fourvière · ") || !regexp.MustCompile(`— à \d+,\d km`).MatchString(jobs.body) {
			t.Fatalf("job search:\n%s", jobs.body)
		}
	})
}
