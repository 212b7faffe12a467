package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"parcours/internal/account"
)

// The demo accounts (parcours serve --demo).
const (
	demoPassword  = "Demo-Inclusion-2026"
	demoAdmin     = "admin@demo.parcours.test"
	demoJobSeeker = "candidat@demo.parcours.test"
	demoEmployer  = "employeur@demo.parcours.test"
)

// demoEmployerOrgs are the two organisations the demo employer belongs to.
var demoEmployerOrgs = []string{"Les Jardins du Rhône", "Rhône Insertion Services"}

// TestFlows runs the user journeys against one SQLite server; each journey has its own
// browser and its own accounts, so they do not interfere.
func TestFlows(t *testing.T) {
	srv := startDemoTest(t)
	t.Run("SignUpConfirmLogin", func(t *testing.T) { flowSignUpConfirmLogin(t, srv) })
	t.Run("WrongPassword", func(t *testing.T) { flowWrongPassword(t, srv) })
	t.Run("ProfessionalMFA", func(t *testing.T) { flowProfessionalMFA(t, srv) })
	t.Run("OrganisationSwitch", func(t *testing.T) { flowOrganisationSwitch(t, srv) })
	t.Run("Logout", func(t *testing.T) { flowLogout(t, srv) })
	// Last: it may have to wait for the TOTP step after the server's start (see the flow).
	t.Run("StaffMFA", func(t *testing.T) { flowStaffMFA(t, srv) })
}

// flowSignUpConfirmLogin: a job seeker signs up, cannot log in before confirming the
// address, follows the e-mailed link, logs in and lands on the dashboard.
func flowSignUpConfirmLogin(t *testing.T, srv *server) {
	b := newBrowser(t, srv)
	p := newPerson("Léonie", "Fabre")
	b.signUp(p, false)

	// Logging in before confirming is refused with a French explanation and a way out.
	if status := b.login(p.Email, p.Password); status != 422 {
		t.Fatalf("login before confirmation answered %d, want 422", status)
	}
	b.expectPath("/connexion")
	if got := b.text("#erreurs"); !strings.Contains(got, "Votre adresse e-mail n'est pas encore confirmée : suivez le lien reçu par e-mail.") {
		t.Fatalf("error summary = %q, want the unconfirmed-address message", got)
	}
	if b.text(`main a[href="/confirmer-email"]`) != "Recevoir un nouveau lien de confirmation" {
		t.Fatal("no link to receive a new confirmation link")
	}

	b.confirmEmail(p.Email)
	if status := b.login(p.Email, p.Password); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	b.expectPath("/tableau-de-bord")
	b.expectHeading("Bonjour " + p.FirstName)
	if got := b.text(`header a[href="/compte"]`); got != p.FirstName+" "+p.LastName {
		t.Fatalf("header shows %q, want the user's name %q", got, p.FirstName+" "+p.LastName)
	}
	if !strings.Contains(b.bodyText(), "Trouver un employeur solidaire") {
		t.Fatal("the job seeker's dashboard does not lead to the search")
	}
}

// flowWrongPassword: the generic error, announced by a focused summary, and the typed
// password never sent back in the page. Also checks DSFR's "Afficher" password toggle.
func flowWrongPassword(t *testing.T, srv *server) {
	b := newBrowser(t, srv)
	wrong := "Mauvais-" + randomHex(6) + "-Mot2passe"
	b.open("/connexion")
	if status := b.login(demoJobSeeker, wrong); status != 422 {
		t.Fatalf("wrong password answered %d, want 422", status)
	}
	b.expectPath("/connexion")
	b.expectHeading("Se connecter")
	if got := b.text("#erreurs"); !strings.Contains(got, "Adresse e-mail ou mot de passe incorrect.") {
		t.Fatalf("error summary = %q", got)
	}
	// parcours.js moves the focus to the summary so that screen readers read it first.
	if got := eval[string](b, "focused element", `document.activeElement ? document.activeElement.id : ''`); got != "erreurs" {
		t.Fatalf("focused element is #%s, want the error summary #erreurs", got)
	}
	if title := eval[string](b, "title", `document.title`); !strings.HasPrefix(title, "Erreur : ") {
		t.Fatalf("page title %q does not start with « Erreur : »", title)
	}
	if strings.Contains(b.pageHTML(), wrong) {
		t.Fatal("the typed password is echoed back in the page")
	}
	if v := eval[string](b, "password value", `document.getElementById('f-password').value`); v != "" {
		t.Fatal("the password field is refilled after the rejected login")
	}
	if v := eval[string](b, "e-mail value", `document.getElementById('f-email').value`); v != demoJobSeeker {
		t.Fatalf("the e-mail field holds %q, want the typed address kept", v)
	}

	// DSFR's password component: "Afficher" shows the password, a second click hides it.
	b.typeInto("#f-password", wrong)
	b.click(`label[for="f-password-show"]`)
	if typ := eval[string](b, "password type", `document.getElementById('f-password').type`); typ != "text" {
		t.Fatalf("after « Afficher », the password input has type %q, want text (DSFR's JavaScript did not run?)", typ)
	}
	b.click(`label[for="f-password-show"]`)
	if typ := eval[string](b, "password type", `document.getElementById('f-password').type`); typ != "password" {
		t.Fatalf("after a second click, the password input has type %q, want password", typ)
	}
}

// wrongCode returns a 6-digit code that the authenticator would not show around now.
func wrongCode(t *testing.T, key string) string {
	t.Helper()
	var near []string
	for d := -2; d <= 2; d++ {
		c, err := account.CodeAt(key, time.Now().Add(time.Duration(d)*30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		near = append(near, c)
	}
	for _, c := range []string{"000000", "111111", "222222"} {
		if !slices.Contains(near, c) {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// flowProfessionalMFA: a professional signs up, enrols an authenticator app, keeps the
// recovery codes, logs out, and logs in again with password then code.
func flowProfessionalMFA(t *testing.T, srv *server) {
	b := newBrowser(t, srv)
	p := newPerson("Élodie", "Marchand")
	b.signUp(p, true)
	b.confirmEmail(p.Email)
	if status := b.login(p.Email, p.Password); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	b.expectPath("/tableau-de-bord")
	b.expectHeading("Bonjour " + p.FirstName)
	if !strings.Contains(b.bodyText(), "Rattachez-vous à votre organisation") {
		t.Fatal("a professional without organisation is not invited to join one")
	}

	// Enrolment, from the account page.
	b.clickThrough(`header a[href="/compte"]`)
	b.expectHeading("Mon compte")
	b.clickThrough(`main a[href="/compte/double-facteur"]`)
	b.expectHeading("Double authentification")
	b.clickThrough(`form[action="/compte/double-facteur/activation"] button[type=submit]`)
	b.expectHeading("Activer la double authentification")
	key := b.text("#cle-totp")
	srv.keepPrivate(key, strings.ReplaceAll(key, " ", ""))
	// The link a phone opens in its authenticator app carries the same key.
	uri := eval[string](b, "authenticator link", `document.querySelector('main a.fr-link[href^="otpauth:"]')?.getAttribute('href') || ''`)
	if !strings.HasPrefix(uri, "otpauth://totp/Parcours:") || !strings.Contains(uri, "secret="+strings.ReplaceAll(key, " ", "")) {
		t.Fatalf("authenticator link is %q, want otpauth://totp/Parcours:…?secret=%s", uri, strings.ReplaceAll(key, " ", ""))
	}
	code, err := account.CodeAt(key, time.Now())
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	b.typeInto("#f-code", code)
	b.clickThrough(`form[action="/compte/double-facteur/confirmation"] button[type=submit]`)
	b.expectHeading("Vos codes de secours")
	codes := strings.Fields(b.text("main ul.parcours-code"))
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10: %q", len(codes), codes)
	}
	srv.keepPrivate(codes...)
	b.clickThrough(`main a[href="/tableau-de-bord"]`)
	b.expectHeading("Bonjour " + p.FirstName)

	b.logout()
	if status := b.login(p.Email, p.Password); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	b.expectPath("/connexion/double-facteur")
	b.expectHeading("Double authentification")

	// A wrong code: the field says so, and the session still waits for the code.
	b.typeInto("#f-code", wrongCode(t, key))
	if status := b.clickThrough(`form[action="/connexion/double-facteur"] button[type=submit]`); status != 422 {
		t.Fatalf("wrong code answered %d, want 422", status)
	}
	if got := b.text("#f-code-error"); !strings.Contains(got, "Code incorrect ou expiré") {
		t.Fatalf("code field error = %q", got)
	}
	if eval[string](b, "aria-invalid", `document.getElementById('f-code').getAttribute('aria-invalid')`) != "true" {
		t.Fatal("the code field is not marked aria-invalid")
	}
	if got := b.text("#erreurs a"); !strings.Contains(got, "Code incorrect") {
		t.Fatalf("the error summary does not link to the code field: %q", got)
	}

	// The code of the enrolment's time step was used and is refused as a replay; an
	// authenticator shows the next one within 30 s, and the server accepts one step of
	// drift, so the next step's code is what the user types without waiting.
	next, err := account.CodeAt(key, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.typeInto("#f-code", next)
	b.clickThrough(`form[action="/connexion/double-facteur"] button[type=submit]`)
	b.expectPath("/tableau-de-bord")
	b.expectHeading("Bonjour " + p.FirstName)
}

// flowStaffMFA: the platform administrator must give a second factor before reaching the
// administration; the demo shows the current code on /demo/courriels.
func flowStaffMFA(t *testing.T, srv *server) {
	b := newBrowser(t, srv)
	srv.waitPastStartupCode()
	b.open("/")
	b.clickThrough(`nav a[href="/demo/courriels"]`)
	code := b.text("#code-demo")
	if len(code) != 6 {
		t.Fatalf("demo code %q is not 6 digits", code)
	}
	// (Six digits are not looked for in the logs: durations and request ids hold such runs.)

	b.open("/connexion")
	if status := b.login(demoAdmin, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	b.expectPath("/connexion/double-facteur")
	b.expectHeading("Double authentification")
	// The password alone does not open the administration.
	b.open("/admin")
	b.expectPath("/connexion/double-facteur")

	b.typeInto("#f-code", code)
	b.clickThrough(`form[action="/connexion/double-facteur"] button[type=submit]`)
	b.expectPath("/tableau-de-bord")
	b.clickThrough(`main a[href="/admin"]`)
	b.expectPath("/admin")
	b.expectHeading("Administration")
}

// orgBar is the organisation named in the bar above every page of a professional.
func (b *browser) orgBar() string {
	b.t.Helper()
	return b.text("main .parcours-orgbar strong")
}

// flowOrganisationSwitch: a member of two organisations switches from one to the other.
func flowOrganisationSwitch(t *testing.T, srv *server) {
	b := newBrowser(t, srv)
	if status := b.login(demoEmployer, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	b.expectPath("/tableau-de-bord")
	before := b.orgBar()
	if !slices.Contains(demoEmployerOrgs, before) {
		t.Fatalf("organisation bar shows %q, want one of %q", before, demoEmployerOrgs)
	}
	other := demoEmployerOrgs[0]
	if before == other {
		other = demoEmployerOrgs[1]
	}

	b.clickThrough(`main .parcours-orgbar a[href="/organisation/courante"]`)
	b.expectHeading("Changer d'organisation")
	id := eval[string](b, "other organisation's radio", `(() => {
  const label = [...document.querySelectorAll('#f-org label')].find(l => l.firstChild.textContent.trim() === `+jsString(other)+`);
  return label ? label.htmlFor : '';
})()`)
	if id == "" {
		t.Fatalf("%q is not offered on /organisation/courante: %s", other, b.bodyText())
	}
	if eval[bool](b, "radio state", `document.getElementById(`+jsString(id)+`).checked`) {
		t.Fatalf("%q is already the checked organisation", other)
	}
	b.click(`label[for="` + id + `"]`)
	b.clickThrough(`form[action="/organisation/courante"] button[type=submit]`)
	b.expectPath("/tableau-de-bord")
	b.expectFlash("Organisation changée.")
	if got := b.orgBar(); got != other {
		t.Fatalf("after the switch the organisation bar shows %q, want %q", got, other)
	}
	if got := b.text("main .fr-card__title a"); got != other {
		t.Fatalf("the dashboard's organisation card shows %q, want %q", got, other)
	}
}

// flowLogout: the session cookie is the __Host- one, and after logout it is gone and a
// private page sends back to the login page.
func flowLogout(t *testing.T, srv *server) {
	b := newBrowser(t, srv)
	if status := b.login(demoJobSeeker, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	b.expectPath("/tableau-de-bord")
	c := b.sessionCookie()
	if c == nil {
		t.Fatalf("no __Host-parcours_session cookie after login over %s", srv.URL)
	}
	if !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Domain != "localhost" {
		t.Fatalf("session cookie attributes: secure=%v httpOnly=%v sameSite=%q path=%q domain=%q", c.Secure, c.HTTPOnly, c.SameSite, c.Path, c.Domain)
	}
	b.open("/compte")
	b.expectHeading("Mon compte")

	b.logout()
	if b.sessionCookie() != nil {
		t.Fatal("the session cookie is still there after logout")
	}
	b.open("/compte")
	b.expectPath("/connexion?suite=%2Fcompte")
	b.expectHeading("Se connecter")
	if strings.Contains(b.bodyText(), "Se déconnecter") {
		t.Fatal("the page still offers to log out")
	}
}

// sessionCookie returns the browser's session cookie for the server, if any.
func (b *browser) sessionCookie() *network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.srv.URL + "/"}})
	if err != nil {
		b.t.Fatalf("reading cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == "__Host-parcours_session" {
			return c
		}
	}
	return nil
}
