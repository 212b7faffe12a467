package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
)

// Staff read the journal in French, with the names of people and organisations, never raw
// codes or identifiers; the names are read through the services, and that read is recorded;
// filtering on an actor or an object still works.
func TestAuditJournalNamesPeopleAndActions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s, id, emp := employerWorld(t, db)
		// Something for every kind of entry: an employer's change, a staff read of an account.
		if r := s.do(t, "POST", "/structures/"+id+"/candidatures-spontanees", emp, url.Values{"action": {"ouvrir"}}); r.status != 303 {
			t.Fatalf("open spontaneous applications: %d", r.status)
		}
		st := s.user(t, access.Staff, "auditrice@exemple.fr")
		tok := s.login(t, st.Email, s.enrol(t, st))
		admin, err := s.accounts.OperatorLookup(context.Background(), "encadrante@jardins.fr")
		if err != nil {
			t.Fatal(err)
		}
		if r := s.do(t, "GET", "/admin/utilisateurs/"+admin.ID.String(), tok, nil); r.status != 200 {
			t.Fatalf("staff user page: %d", r.status)
		}

		page := s.do(t, "GET", "/admin/journal", tok, nil)
		if page.status != 200 {
			t.Fatalf("journal: %d", page.status)
		}
		tbody := page.body[strings.Index(page.body, "<tbody>"):strings.Index(page.body, "</tbody>")]
		text := tagRE.ReplaceAllString(tbody, " ")
		for _, want := range []string{"Candidatures spontanées ouvertes", "Création d&#39;une organisation", "Consultation d&#39;un compte",
			"Prénom encadrante", "Les Jardins", "Structure : Association Les Jardins", "Gestion des comptes et des organisations", "Réussie",
			"Personne (réf. ", "Compte : Prénom encadrante"} {
			if !strings.Contains(text, want) {
				t.Errorf("the journal does not show %q", want)
			}
		}
		for _, raw := range []string{"offer.spontaneous_opened", "org.created", "read.account", "platform.accounts", ">ok<"} {
			if strings.Contains(tbody, raw) {
				t.Errorf("the journal shows the code %q", raw)
			}
		}
		if m := uuidRE.FindString(text); m != "" {
			t.Errorf("the journal shows an identifier as text: %s", m)
		}

		// The names were read through the account service, and that read is in the trail.
		var n int
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE action = 'read.account.names'
			AND actor_user = $1 AND purpose = 'platform.security'`, st.ID.String()).Scan(&n); err != nil || n == 0 {
			t.Errorf("the names lookup is not recorded (%d, %v)", n, err)
		}

		// Filtering on the employer's actions: only theirs, and the page says whose.
		filtered := s.do(t, "GET", "/admin/journal?acteur="+admin.ID.String(), tok, nil)
		body := filtered.body[strings.Index(filtered.body, "<tbody>"):strings.Index(filtered.body, "</tbody>")]
		if !strings.Contains(filtered.body, "Actions de <strong>Prénom encadrante</strong>") || !strings.Contains(body, "Candidatures spontanées ouvertes") ||
			strings.Contains(body, "Consultation d&#39;un compte") {
			t.Error("filter on the actor")
		}
		// And on the structure: its history.
		byObject := s.do(t, "GET", "/admin/journal?objet="+id, tok, nil)
		if !strings.Contains(byObject.body, "Historique de <strong>Association Les Jardins</strong>") || !strings.Contains(byObject.body, "Candidatures spontanées ouvertes") {
			t.Error("filter on the object")
		}
		// Not staff: refused.
		if r := s.do(t, "GET", "/admin/journal", emp, nil); r.status != 403 {
			t.Errorf("employer reading the journal: %d", r.status)
		}
	})
}
