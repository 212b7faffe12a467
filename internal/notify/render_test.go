package notify_test

import (
	"html"
	"os"
	"strings"
	"testing"
	"time"

	"parcours/internal/notify"
)

// samples holds realistic data for every kind; TestEveryKindRenders fails when a kind has none.
func samples() map[notify.Kind]any {
	when := time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC)
	return map[notify.Kind]any{
		notify.KindAccountExists:   notify.AccountExists{FirstName: "Camille", LoginLink: "https://parcours.example.fr/connexion", ResetLink: "https://parcours.example.fr/mot-de-passe/oubli"},
		notify.KindVerifyEmail:     notify.VerifyEmail{FirstName: "Camille", Link: "https://parcours.example.fr/compte/verifier?jeton=abc", ExpiresIn: "48 heures"},
		notify.KindPasswordReset:   notify.PasswordReset{FirstName: "Camille", Link: "https://parcours.example.fr/motdepasse?jeton=x=y&z", ExpiresIn: "1 heure"},
		notify.KindPasswordChanged: notify.PasswordChanged{FirstName: "Camille", When: when},
		notify.KindApplicationUpdate: notify.ApplicationUpdate{FirstName: "Karim", Structure: "Les Jardins du Rhône",
			Link: "https://parcours.example.fr/candidatures/1", Paragraphs: []string{"Votre candidature n'a pas été retenue.", "Message de la structure : merci."}},
		notify.KindApplicationReceived: notify.ApplicationReceived{FirstName: "Camille", Structure: "Les Jardins du Rhône",
			Link: "https://parcours.example.fr/candidatures/1", Spontaneous: true},
		notify.KindProlongationRequest: notify.ProlongationRequest{FirstName: "Camille", Structure: "Les Jardins du Rhône",
			Link: "https://parcours.example.fr/prolongations/1", Reminder: true},
		notify.KindSupportPlanOverdue: notify.SupportPlanOverdue{FirstName: "Camille", Link: "https://parcours.example.fr/accompagnement", Review: true},
		notify.KindAccountActivation: notify.AccountActivation{FirstName: "Karim", CreatorName: "Sophie Martin",
			OrganisationName: "France Travail Lyon Part-Dieu", Link: "https://parcours.example.fr/mot-de-passe/nouveau/abc", ExpiresIn: "7 jours"},
		notify.KindInvitation: notify.Invitation{InviterName: "Dominique Leroy", OrganisationName: "Cap emploi 75",
			Link: "https://parcours.example.fr/invitations/123", ExpiresOn: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		notify.KindJoinRequest: notify.JoinRequest{RequesterName: "Alex Martin", OrganisationName: "ACI Les Jardins",
			Link: "https://parcours.example.fr/organisation/demandes"},
		notify.KindJoinDecision:         notify.JoinDecision{Accepted: false, OrganisationName: "ACI Les Jardins", Reason: "Personne inconnue de la structure"},
		notify.KindHabilitationDecision: notify.HabilitationDecision{OrganisationName: "Mission locale de Lens", Status: "habilitée"},
		notify.KindMembershipChanged:    notify.MembershipChanged{OrganisationName: "ETTI Intérim+", Change: "admin accordé"},
		notify.KindInactivityWarning: notify.InactivityWarning{FirstName: "Camille", DeletionDate: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
			LoginLink: "https://parcours.example.fr/connexion"},
		notify.KindAccountDeleted: notify.AccountDeleted{FirstName: "Camille"},
		notify.KindMFAChanged:     notify.MFAChanged{FirstName: "", Change: "double authentification désactivée"},
		notify.KindSpontaneousClosed: notify.SpontaneousClosed{FirstName: "Camille", StructureName: "ACI Les Jardins",
			Link: "https://parcours.example.fr/structures/123", OpenedOn: when},
		notify.KindJobDescriptionsStale: notify.JobDescriptionsStale{FirstName: "Camille", StructureName: "ACI Les Jardins",
			Link: "https://parcours.example.fr/structures/123/fiches-de-poste", JobDescriptions: []notify.JobDescriptionNotice{
				{Title: "Maraîcher / Maraîchère", DeactivatesOn: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
				{Title: "Agent d'entretien des espaces verts", DeactivatesOn: time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)}}},
		notify.KindJobDescriptionsDeactivated: notify.JobDescriptionsDeactivated{FirstName: "Camille", StructureName: "ACI Les Jardins",
			Link: "https://parcours.example.fr/structures/123/fiches-de-poste", JobDescriptions: []notify.JobDescriptionNotice{{Title: "Maraîcher / Maraîchère"}}},
	}
}

func TestEveryKindRenders(t *testing.T) {
	data := samples()
	for _, k := range notify.Kinds() {
		d, ok := data[k]
		if !ok {
			t.Errorf("%s: no sample data", k)
			continue
		}
		r, err := notify.Render(k, d)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") {
			t.Errorf("%s: subject %q", k, r.Subject)
		}
		for _, body := range []string{r.Text, r.HTML} {
			for _, bad := range []string{"<no value>", "%!", "ZgotmplZ", "<img", "{{"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s: body contains %q", k, bad)
				}
			}
			if !strings.Contains(body, "Parcours") || !strings.Contains(body, "message automatique") {
				t.Errorf("%s: body lacks the common footer", k)
			}
		}
		_, title, _ := strings.Cut(r.HTML, "<title>")
		title, _, _ = strings.Cut(title, "</title>")
		if !strings.HasPrefix(r.HTML, "<!DOCTYPE html>") || !strings.Contains(r.HTML, `<html lang="fr">`) ||
			html.UnescapeString(title) != r.Subject {
			t.Errorf("%s: HTML layout missing: %.200s", k, r.HTML)
		}
		if strings.Contains(r.Text, "<p>") {
			t.Errorf("%s: HTML in the text part", k)
		}
	}
}

func TestTemplatesFolderHoldsExactlyTheKinds(t *testing.T) {
	entries, err := os.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"layout.txt.tmpl": true, "layout.html.tmpl": true}
	for _, k := range notify.Kinds() {
		want[string(k)+".txt.tmpl"], want[string(k)+".html.tmpl"] = true, true
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("template %s belongs to no kind", e.Name())
		}
		delete(want, e.Name())
	}
	for name := range want {
		t.Errorf("template %s missing", name)
	}
}

func TestRenderedContent(t *testing.T) {
	r, err := notify.Render(notify.KindPasswordReset, samples()[notify.KindPasswordReset])
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Réinitialisation de votre mot de passe" {
		t.Errorf("subject %q", r.Subject)
	}
	for _, want := range []string{"Bonjour Camille,", "valable 1 heure", "https://parcours.example.fr/motdepasse?jeton=x=y&z"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if !strings.Contains(r.HTML, `href="https://parcours.example.fr/motdepasse?jeton=x=y&amp;z"`) {
		t.Errorf("HTML link not found or not escaped:\n%s", r.HTML)
	}
	r, err = notify.Render(notify.KindPasswordChanged, samples()[notify.KindPasswordChanged])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "le 1er mars 2026 à 14 h 05") { // 13:05 UTC is 14:05 in Paris in winter
		t.Errorf("date not in French Paris time:\n%s", r.Text)
	}
	r, err = notify.Render(notify.KindMFAChanged, samples()[notify.KindMFAChanged])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "Bonjour,\n") {
		t.Errorf("greeting without a first name:\n%s", r.Text)
	}
	r, err = notify.Render(notify.KindJoinDecision, notify.JoinDecision{Accepted: true, OrganisationName: "ACI"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Subject, "acceptée") || strings.Contains(r.Text, "Motif") {
		t.Errorf("accepted decision: %q\n%s", r.Subject, r.Text)
	}
}

// User-supplied text is escaped in HTML, kept as typed in the text part, and cannot break the
// subject header.
func TestUserTextIsEscapedInHTML(t *testing.T) {
	r, err := notify.Render(notify.KindInvitation, notify.Invitation{
		InviterName:      `Eve "<img src=x onerror=alert(1)>"`,
		OrganisationName: "<script>alert(1)</script> & Cie\r\nBcc: victim@example.org",
		Link:             "https://parcours.example.fr/invitations/1",
		ExpiresOn:        time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>", "<img", "onerror=alert(1)>"} {
		if strings.Contains(r.HTML, raw) {
			t.Errorf("HTML contains unescaped %q", raw)
		}
	}
	if !strings.Contains(r.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie") {
		t.Errorf("escaped organisation name not found:\n%s", r.HTML)
	}
	if !strings.Contains(r.Text, "<script>alert(1)</script> & Cie") {
		t.Errorf("text part altered the name:\n%s", r.Text)
	}
	if strings.ContainsAny(r.Subject, "\r\n") {
		t.Errorf("subject keeps a line break: %q", r.Subject)
	}
}

func TestRenderErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		kind notify.Kind
		data any
	}{
		"unknown kind":       {"nope", notify.AccountDeleted{FirstName: "x"}},
		"missing map field":  {notify.KindAccountDeleted, map[string]any{"Prenom": "x"}},
		"wrong data struct":  {notify.KindInvitation, notify.AccountDeleted{FirstName: "x"}},
		"relative link":      {notify.KindVerifyEmail, notify.VerifyEmail{FirstName: "x", Link: "/verifier", ExpiresIn: "1 jour"}},
		"javascript link":    {notify.KindVerifyEmail, notify.VerifyEmail{FirstName: "x", Link: "javascript:alert(1)", ExpiresIn: "1 jour"}},
		"zero date":          {notify.KindPasswordChanged, notify.PasswordChanged{FirstName: "x"}},
		"nil data":           {notify.KindAccountDeleted, nil},
		"date of wrong type": {notify.KindPasswordChanged, map[string]any{"FirstName": "x", "When": 3}},
	} {
		if _, err := notify.Render(tc.kind, tc.data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Maps with every field work, dates as strings included.
	if _, err := notify.Render(notify.KindPasswordChanged, map[string]any{"FirstName": "x", "When": "hier"}); err != nil {
		t.Errorf("map data: %v", err)
	}
}
