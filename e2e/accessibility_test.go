package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parcours/internal/account"
)

// TestAccessibility runs axe-core (WCAG 2.0 and 2.1, levels A and AA) on every page family
// of the foundation, in the states a user meets them (empty forms, rejected forms, logged in
// as a job seeker or an employer), and checks on each that DSFR's JavaScript ran and that
// the browser reported no CSP violation.
func TestAccessibility(t *testing.T) {
	srv := startDemoTest(t)
	b := newBrowser(t, srv)

	check := func(label string) {
		t.Helper()
		b.checkDSFR(label)
		b.checkAccessibility(label)
	}

	b.checkCSPEnforced()
	b.expectHeading("Parcours : trouver un emploi solidaire près de chez soi")
	check("home")

	b.open("/inscription")
	b.expectHeading("Créer un compte")
	check("sign-up choice")

	b.open("/inscription/candidat")
	b.expectHeading("Créer un compte candidat")
	check("job seeker sign-up, empty")
	// A rejected submission: every field in error, with the summary.
	b.typeInto("#f-email", "pas-une-adresse")
	b.typeInto("#f-password", "court")
	if status := b.clickThrough(`form[action="/inscription/candidat"] button[type=submit]`); status != 422 {
		t.Fatalf("invalid sign-up answered %d, want 422", status)
	}
	if n := eval[int](b, "field errors", `document.querySelectorAll('.fr-error-text, .fr-message--error').length`); n < 3 {
		t.Fatalf("%d field errors shown, want at least 3 (names, e-mail, password): %s", n, b.bodyText())
	}
	check("job seeker sign-up, rejected")

	b.open("/inscription/professionnel")
	b.clickThrough(`form[action="/inscription/professionnel"] button[type=submit]`)
	check("professional sign-up, rejected")

	b.open("/connexion")
	b.expectHeading("Se connecter")
	check("login, empty")
	if status := b.login("personne-"+randomHex(3)+"@exemple.test", "Pas-le-bon-"+randomHex(4)); status != 422 {
		t.Fatalf("unknown account answered %d, want 422", status)
	}
	if !strings.Contains(b.text("#erreurs"), "Adresse e-mail ou mot de passe incorrect.") {
		t.Fatalf("no login error: %s", b.bodyText())
	}
	check("login, with the error")

	b.open("/mot-de-passe/oubli")
	b.expectHeading("Mot de passe oublié")
	check("forgotten password")

	if status := b.open("/cette-page-n-existe-pas"); status != 404 {
		t.Fatalf("unknown page answered %d, want 404", status)
	}
	b.expectHeading("Page non trouvée")
	check("404 page")

	b.open("/demo/courriels")
	b.expectHeading("Courriels de démonstration")
	check("demo mailbox")

	// The second-factor page, for the demo administrator, with and without an error.
	b.open("/connexion")
	b.login(demoAdmin, demoPassword)
	b.expectPath("/connexion/double-facteur")
	check("second factor")
	b.typeInto("#f-code", "12")
	if status := b.clickThrough(`form[action="/connexion/double-facteur"] button[type=submit]`); status != 422 {
		t.Fatalf("short code answered %d, want 422", status)
	}
	check("second factor, wrong code")
	b.clickThrough(`main form[action="/deconnexion"] button[type=submit]`)
	b.expectPath("/")

	// A job seeker's pages.
	b.login(demoJobSeeker, demoPassword)
	b.expectPath("/tableau-de-bord")
	check("job seeker dashboard")
	b.open("/compte")
	b.expectHeading("Mon compte")
	check("account")
	b.open("/compte/double-facteur")
	b.expectHeading("Double authentification")
	check("second factor settings")
	b.clickThrough(`form[action="/compte/double-facteur/activation"] button[type=submit]`)
	b.expectHeading("Activer la double authentification")
	key := b.text("#cle-totp")
	srv.keepPrivate(key, strings.ReplaceAll(key, " ", ""))
	check("second factor activation (key shown)")
	b.typeInto("#f-code", wrongCode(t, key))
	b.clickThrough(`form[action="/compte/double-facteur/confirmation"] button[type=submit]`)
	check("second factor activation, wrong code")
	if _, err := account.CodeAt(key, time.Now()); err != nil {
		t.Fatalf("the key shown is not a valid TOTP key: %v", err)
	}
	b.logout()

	// An employer's pages.
	b.login(demoEmployer, demoPassword)
	b.expectPath("/tableau-de-bord")
	check("employer dashboard")
	b.open("/organisation/courante")
	b.expectHeading("Changer d'organisation")
	check("organisation switch")
	b.open("/organisations/rattachement")
	b.expectHeading("Rejoindre ou créer votre organisation")
	check("join or create an organisation")
	b.typeInto("#f-recherche-siret", "8123456700015")
	b.clickThrough(`form[action="/organisations/rattachement"] button[type=submit]`)
	check("organisation search by SIRET")
	b.clickThrough(`form[action="/organisations"] button[type=submit]`)
	check("organisation creation, rejected")
	b.logout()
}

// checkCSPEnforced proves the CSP is in force and that a violation would be noticed: the page
// came with the policy, a script element added to it does not run, and the browser reports
// the refusal through both channels the browser harness listens to (the
// securitypolicyviolation event and DevTools' log).
func (b *browser) checkCSPEnforced() {
	b.t.Helper()
	resp := run(b, "open /", chromedp.NavigateResponse(b.srv.URL+"/"))
	csp, _ := resp.Headers["Content-Security-Policy"].(string)
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		b.t.Fatalf("Content-Security-Policy of / is %q", csp)
	}
	ran := eval[bool](b, "inline script", `(() => {
  const s = document.createElement('script');
  s.textContent = 'window.__e2eInlineRan = true;';
  document.head.appendChild(s);
  return window.__e2eInlineRan === true;
})()`)
	if ran {
		b.t.Fatal("an inline script ran: the Content-Security-Policy is not enforced")
	}
	var event, logged bool
	for deadline := time.Now().Add(5 * time.Second); !(event && logged) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		for _, m := range b.takeProblems() {
			switch {
			case strings.Contains(m, "e2e-csp-violation") && strings.Contains(m, "script-src"):
				event = true
			case strings.HasPrefix(m, "CSP: ") && strings.Contains(m, "inline script"):
				logged = true
			default:
				b.problem("%s", m) // a real problem: keep it
			}
		}
	}
	if !event || !logged {
		b.t.Fatalf("the blocked inline script was not reported (securitypolicyviolation event: %v, DevTools log: %v): the CSP check would miss violations", event, logged)
	}
}
