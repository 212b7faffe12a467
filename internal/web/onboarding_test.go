package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/notify"
)

var confirmLink = regexp.MustCompile(`/confirmer-email/[A-Za-z0-9_-]+`)

// signUpAndLogIn goes through the public pages: sign-up, the e-mailed link, login.
func signUpAndLogIn(t *testing.T, s *stack, email string) string {
	t.Helper()
	r := s.do(t, "POST", "/inscription/professionnel", "", url.Values{"first_name": {"Inès"}, "last_name": {"Roux"}, "email": {email},
		"password": {pw}, "accept_terms": {"on"}})
	if r.status != 200 || !strings.Contains(r.body, "Confirmez votre adresse") {
		t.Fatalf("sign-up: %d", r.status)
	}
	mails, err := s.accounts.Outbox().List(context.Background(), s.db.Reader(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var link string
	for _, m := range mails {
		if m.To == email && m.Kind == notify.KindVerifyEmail {
			link = confirmLink.FindString(m.TextBody)
		}
	}
	if r := s.do(t, "GET", link, "", nil); r.status != 303 || r.location != "/connexion" {
		t.Fatalf("confirmation link %q: %d %s", link, r.status, r.location)
	}
	r = s.do(t, "POST", "/connexion", "", url.Values{"email": {email}, "password": {pw}})
	if r.status != 303 {
		t.Fatalf("login: %d", r.status)
	}
	for _, c := range r.cookies {
		if c.Name == s.cookieName() {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestProfessionalOnboardingOverHTTP(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newStack(t, db, false)
		founder := signUpAndLogIn(t, s, "ines.roux@ccas.fr")
		if r := s.do(t, "GET", "/tableau-de-bord", founder, nil); !strings.Contains(r.body, "Rattachez-vous à votre organisation") {
			t.Fatal("a professional without organisation is not guided to join one")
		}
		// An ambiguous commune is rejected with the candidates, and nothing is created.
		form := url.Values{"kind": {"CCAS"}, "name": {"CCAS de Saint-Denis"}, "siret": {siret("4100000000001")}, "commune": {"Saint-Denis"}}
		r := s.do(t, "POST", "/organisations", founder, form)
		if r.status != 422 || !strings.Contains(r.body, "Plusieurs communes portent ce nom") || !strings.Contains(r.body, "Saint-Denis (93200)") {
			t.Fatalf("ambiguous commune: %d", r.status)
		}
		form.Set("commune", "Saint-Denis (93200)")
		r = s.do(t, "POST", "/organisations", founder, form)
		if r.status != 303 || !strings.HasPrefix(r.location, "/organisations/") {
			t.Fatalf("create: %d %s", r.status, r.location)
		}
		orgPath := r.location
		page := s.do(t, "GET", orgPath, founder, nil)
		if !strings.Contains(page.body, "CCAS de Saint-Denis") || !strings.Contains(page.body, "en attente de vérification") || !strings.Contains(page.body, "Saint-Denis (93200)") {
			t.Fatal("organisation page")
		}
		if r := s.do(t, "GET", "/tableau-de-bord", founder, nil); !strings.Contains(r.body, "prescripteur et administrateur") {
			t.Fatal("dashboard does not show the role")
		}

		// A colleague finds it by SIRET and asks to join; the founder must give a reason to refuse.
		colleague := signUpAndLogIn(t, s, "paul.marchand@ccas.fr")
		search := s.do(t, "GET", "/organisations/rattachement?siret="+url.QueryEscape(form.Get("siret")), colleague, nil)
		if !strings.Contains(search.body, "CCAS de Saint-Denis") {
			t.Fatal("search by SIRET did not find the organisation")
		}
		if r := s.do(t, "POST", orgPath+"/demandes", colleague, url.Values{"message": {"Je travaille à l'accueil"}}); r.status != 303 {
			t.Fatalf("join request: %d", r.status)
		}
		page = s.do(t, "GET", orgPath, founder, nil)
		req := regexp.MustCompile(`/demandes/([0-9a-f-]{36})/decision`).FindStringSubmatch(page.body)
		if req == nil || !strings.Contains(page.body, "Je travaille à l&#39;accueil") {
			t.Fatal("the request is not on the organisation page")
		}
		r = s.do(t, "POST", orgPath+"/demandes/"+req[1]+"/decision", founder, url.Values{"decision": {"refuser"}})
		if r.status != 422 || !strings.Contains(r.body, "Pour refuser une demande : indiquez le motif du refus") {
			t.Fatalf("refusal without reason: %d", r.status)
		}
		r = s.do(t, "POST", orgPath+"/demandes/"+req[1]+"/decision", founder, url.Values{"decision": {"refuser"}, "reason": {"Vous dépendez du CCAS voisin"}})
		if r.status != 303 {
			t.Fatalf("refusal: %d", r.status)
		}
		if r := s.do(t, "GET", "/tableau-de-bord", colleague, nil); !strings.Contains(r.body, "Rattachez-vous") {
			t.Fatal("a refused colleague became a member")
		}
	})
}
