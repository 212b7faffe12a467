package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/org"
)

// From the record page, the Cap emploi advisor adds an agency of the département to the
// caseload, tries a referent of another organisation, gets a refused end date back with what
// they typed, then leaves the caseload (France Travail still follows the person) and finds
// the emergency-access form instead of the record.
func TestSupportCaseloadFromTheRecordPage(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		staffActor := access.Actor{UserID: w.users[staff].ID, Kind: access.Staff, MFA: true}
		h, err := s.orgs.Create(context.Background(), staffActor, org.NewOrganisation{Kind: "FT", Name: "France Travail H", SAFIR: "69002", CommuneCode: "69123"})
		if err != nil {
			t.Fatal(err)
		}
		page := "/candidats/" + w.person["own"].String() + "/accompagnement"
		tok := w.token(t, capAdvisor)

		r := s.do(t, http.MethodGet, page, tok, nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, "France Travail H</option>") || strings.Contains(r.body, "France Travail F</option>") {
			t.Fatalf("the organisations offered to join: %d", r.status)
		}
		if r := s.do(t, http.MethodPost, page+"/suivi", tok, url.Values{}); r.status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.body, `id="f-follower_org-error"`) {
			t.Fatalf("no organisation chosen: %d", r.status)
		}
		if r := s.do(t, http.MethodPost, page+"/suivi", tok, url.Values{"follower_org": {h.ID.String()}}); r.status != http.StatusSeeOther {
			t.Fatalf("add H: %d %s", r.status, r.body)
		}
		r = s.do(t, http.MethodGet, page, tok, nil)
		if !strings.Contains(r.body, "Arrêter le suivi par France Travail H") || strings.Contains(r.body, "France Travail H</option>") {
			t.Fatal("H does not follow the person after its addition")
		}
		if r := s.do(t, http.MethodPost, page+"/referent", tok, url.Values{"referent": {w.users[ftAdvisor].ID.String()}}); r.status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.body, "Choisissez un conseiller habilité de votre organisation.") {
			t.Fatalf("a referent of another organisation: %d", r.status)
		}
		future := database.DateOf(s.clock.Now()).AddDays(3).String()
		r = s.do(t, http.MethodPost, page+"/fin", tok, url.Values{"closing_reason": {"training"}, "ended_on": {future}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `<option value="training" selected>`) ||
			!strings.Contains(r.body, `value="`+future+`"`) {
			t.Fatalf("a refused end keeps what was typed: %d", r.status)
		}
		// C leaves: the caseload no longer lists the person, the page offers an emergency access.
		r = s.do(t, http.MethodPost, page+"/suivi/fin", tok, url.Values{"org": {w.orgs["C"].ID.String()}})
		if r.status != http.StatusSeeOther || r.location != "/accompagnement" {
			t.Fatalf("C leaves: %d %s", r.status, r.location)
		}
		if r := s.do(t, http.MethodGet, page, tok, nil); r.status != http.StatusOK || !strings.Contains(r.body, "Accès d'urgence") ||
			strings.Contains(r.body, "SANTE-PROPRE") {
			t.Fatalf("after leaving: %d", r.status)
		}
		// A refused emergency access keeps its reason.
		r = s.do(t, http.MethodPost, page+"/bris-de-glace", tok, url.Values{"reason": {"Trop court"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Trop court</textarea>") {
			t.Fatalf("short reason: %d", r.status)
		}
	})
}
