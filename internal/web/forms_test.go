package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"net/url"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/org"
)

var (
	summaryRE = regexp.MustCompile(`(?s)<div class="fr-alert fr-alert--error[^"]*" role="alert"[^>]*id="erreurs">(.*?)</div>`)
	itemRE    = regexp.MustCompile(`(?s)<li>(?:<a href="#f-([^"]+)">)?(.*?)(?:</a>)?</li>`)
)

// checkErrors checks a rejected form's page: 422, a summary listing exactly the fields want
// (in any order given) in the order of the fields on the page, each linked to a field that
// exists, is marked invalid and carries its message; every message starts with a capital.
func checkErrors(t *testing.T, name string, r response, want ...string) {
	t.Helper()
	if r.status != 422 {
		t.Errorf("%s: status %d, want 422", name, r.status)
		return
	}
	m := summaryRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Errorf("%s: no error summary", name)
		return
	}
	var got []string
	last := -1
	for _, it := range itemRE.FindAllStringSubmatch(m[1], -1) {
		field, msg := it[1], strings.TrimSpace(it[2])
		if r, _ := utf8.DecodeRuneInString(msg); !unicode.IsUpper(r) {
			t.Errorf("%s: message %q does not start with a capital", name, msg)
		}
		if field == "" {
			t.Errorf("%s: message %q is tied to no field", name, msg)
			continue
		}
		got = append(got, field)
		at := strings.Index(r.body, `id="f-`+field+`"`)
		switch {
		case at < 0:
			t.Errorf("%s: the summary links to #f-%s, which is not on the page", name, field)
		case at < last:
			t.Errorf("%s: %s is listed after a field that comes later on the page", name, field)
		default:
			last = at
		}
		if !strings.Contains(r.body, `id="f-`+field+`-error"`) {
			t.Errorf("%s: %s has no message at the field", name, field)
		}
	}
	gotSet, wantSet := strings.Join(sortedCopy(got), ","), strings.Join(sortedCopy(want), ",")
	if gotSet != wantSet {
		t.Errorf("%s: errors on %v, want %v (all at once)", name, got, want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Every form reports all its errors in one pass, in the order of its fields, each tied to its
// field (RGAA 11.10 and 11.11), as each role concerned meets it.
func TestEveryFormReportsAllItsErrorsAtOnce(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s, id, emp := employerWorld(t, db)
		ctx := context.Background()
		checkErrors(t, "login, empty", s.do(t, "POST", "/connexion", "", url.Values{}), "email", "password")
		checkErrors(t, "sign-up, empty", s.do(t, "POST", "/inscription/professionnel", "", url.Values{}),
			"first_name", "last_name", "email", "password", "accept_terms")
		checkErrors(t, "forgotten password", s.do(t, "POST", "/mot-de-passe/oubli", "", url.Values{"email": {"x@"}}), "email")
		checkErrors(t, "new confirmation link", s.do(t, "POST", "/confirmer-email", "", url.Values{}), "email")

		// The employer's forms: the example, every problem at once.
		checkErrors(t, "new job description", s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/nouvelle", emp, url.Values{
			"metier": {""}, "contract_type": {""}, "hours_per_week": {"99"}, "open_positions": {"-3"},
			"description": {strings.Repeat("é", 5001)}, "custom_title": {strings.Repeat("a", 201)}}),
			"metier", "custom_title", "contract_type", "hours_per_week", "open_positions", "description")
		checkErrors(t, "new job description, numbers that are not", s.do(t, "POST", "/structures/"+id+"/fiches-de-poste/nouvelle", emp, url.Values{
			"metier": {"pas un métier"}, "hours_per_week": {"trente"}, "open_positions": {""}, "commune": {"Nullepartville"},
			"expected_profile": {strings.Repeat("x", 5001)}}),
			"metier", "contract_type", "commune", "hours_per_week", "open_positions", "expected_profile")
		checkErrors(t, "structure", s.do(t, "POST", "/structures/"+id+"/modifier", emp, url.Values{
			"brand": {strings.Repeat("b", 201)}, "postcode": {"75001"}, "commune": {"Lyon 1er Arrondissement (69001)"}, "phone": {"12"},
			"email": {"non"}, "website": {"ftp://x"}, "provided_support": {strings.Repeat("s", 5001)}}),
			"brand", "postcode", "phone", "email", "website", "provided_support")
		checkErrors(t, "profile", s.do(t, "POST", "/compte/profil", emp, url.Values{}), "first_name", "last_name")
		checkErrors(t, "password change", s.do(t, "POST", "/compte/mot-de-passe", emp, url.Values{}), "current_password", "new_password")
		checkErrors(t, "invitation", s.do(t, "POST", "/organisations/"+id+"/invitations", emp, url.Values{}), "email")
		// The invited person creates their account: every field at once, the terms included.
		if r := s.do(t, "POST", "/organisations/"+id+"/invitations", emp, url.Values{"email": {"invitee@exemple.fr"}}); r.status != 303 {
			t.Fatalf("invitation: %d", r.status)
		}
		mails, err := s.accounts.Outbox().List(ctx, s.db.Reader(), 100)
		if err != nil {
			t.Fatal(err)
		}
		var link string
		for _, m := range mails {
			if m.To == "invitee@exemple.fr" {
				link = regexp.MustCompile(`/invitation/[A-Za-z0-9_-]+`).FindString(m.TextBody)
			}
		}
		checkErrors(t, "account from an invitation", s.do(t, "POST", link, "", url.Values{}), "first_name", "last_name", "password", "accept_terms")

		// A professional without organisation creates one.
		newcomer := s.user(t, access.Professional, "nouveau@exemple.fr")
		tok := s.login(t, newcomer.Email, "")
		checkErrors(t, "organisation, empty", s.do(t, "POST", "/organisations", tok, url.Values{}), "kind", "name", "siret", "commune")
		checkErrors(t, "organisation, bad SIRET", s.do(t, "POST", "/organisations", tok, url.Values{"kind": {"CCAS"}, "name": {"CCAS"},
			"siret": {"12345678901234"}, "commune": {"Lyon"}}), "siret")
		if r := s.do(t, "GET", "/organisations/rattachement?siret=12345678901234", tok, nil); !strings.Contains(r.body, "Ce numéro SIRET n&#39;est pas valide") {
			t.Error("a SIRET with a wrong check digit is not said invalid")
		}

		// Staff: a new organisation, a habilitation decision on the page and in the queue.
		st := s.user(t, access.Staff, "admin@exemple.fr")
		staffTok := s.login(t, st.Email, s.enrol(t, st))
		checkErrors(t, "staff organisation", s.do(t, "POST", "/admin/organisations", staffTok, url.Values{}), "kind", "name", "siret", "commune")
		staff := access.Actor{UserID: st.ID, Kind: access.Staff, MFA: true}
		p, err := s.orgs.Create(ctx, staff, org.NewOrganisation{Kind: "CCAS", Name: "CCAS de Bron", SIRET: siret("2100000000001"), CommuneCode: "69029"})
		if err != nil {
			t.Fatal(err)
		}
		checkErrors(t, "habilitation", s.do(t, "POST", "/organisations/"+p.ID.String()+"/habilitation", staffTok, url.Values{}), "status", "reason")
		checkErrors(t, "habilitation queue", s.do(t, "POST", "/organisations/"+p.ID.String()+"/habilitation", staffTok,
			url.Values{"from": {"queue"}}), "status-"+p.ID.String(), "reason-"+p.ID.String())
	})
}
