package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds every browser step, so that a missing element fails the test with a
// message instead of hanging until `go test`'s timeout.
const stepTimeout = 20 * time.Second

// browser is one headless chromium with a single tab, used by one test.
type browser struct {
	t   *testing.T
	ctx context.Context
	srv *server

	mu sync.Mutex
	// problems are what a user's browser console would show as broken: CSP violations,
	// uncaught exceptions, console errors, platform assets that failed to load.
	problems []string
	// notes are other console errors (the browser reports every 4xx page as a failed
	// load, which is expected for error pages and rejected forms).
	notes []string
}

// cspReporter runs in every document before the page's own scripts (CDP injection is not
// subject to the page's CSP) and reports each securitypolicyviolation event on the console,
// where the listener below sees it.
const cspReporter = `document.addEventListener('securitypolicyviolation', function (e) {
  console.error('e2e-csp-violation', e.violatedDirective, e.blockedURI || '(inline)', (e.sourceFile || '') + ':' + e.lineNumber);
});`

// newBrowser starts chromium on a fresh profile. It is closed when the test ends, after
// checking that no page showed a console problem.
func newBrowser(t *testing.T, srv *server) *browser {
	t.Helper()
	exe := chromiumPath(t)
	profile := t.TempDir()
	var output lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these chromium calls Google's services, and the sandboxed machine refuses.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.WindowSize(1280, 1000),
		chromedp.CombinedOutput(&output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, srv: srv}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		if err := chromedp.Cancel(ctx); err != nil {
			t.Logf("closing chromium: %v", err)
		}
		cancel()
		cancelAlloc()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, n := range b.notes {
			t.Logf("browser console (expected): %s", n)
		}
		for _, p := range b.problems {
			t.Errorf("browser console problem: %s", p)
		}
	})
	// The first action starts the browser; it is bound to ctx, which has no deadline, so
	// later steps may each have their own timeout.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter})
		return err
	})); err != nil {
		t.Fatalf("starting chromium (%s): %v\n%s", exe, err, tail(output.String(), 3000))
	}
	return b
}

// listen runs in the tab's event loop: it must return fast and send no command.
func (b *browser) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			} else {
				parts = append(parts, a.Description)
			}
		}
		b.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		switch {
		case strings.Contains(e.Text, "Content Security Policy") || strings.Contains(e.Text, "Content-Security-Policy"):
			b.problem("CSP: %s (%s)", e.Text, e.URL)
		case e.Level != cdplog.EntryLevelError:
		case strings.Contains(e.URL, "/static/"):
			b.problem("asset failed to load: %s (%s)", e.URL, e.Text)
		default:
			b.note("%s: %s (%s)", e.Source, e.Text, e.URL)
		}
	}
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

func (b *browser) note(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// takeProblems returns the problems seen so far and forgets them (for a test that provokes
// one on purpose).
func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// step runs browser actions with a deadline, failing the test on error.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalStep(what, err)
	}
}

// run runs one action that returns a value, with a deadline.
func run[T any](b *browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fatalStep(what, err)
	}
	return v
}

// location is the current URL, or a placeholder when it cannot be read (for messages).
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return loc
}

// open loads a path of the server like a user typing the address, and returns the status.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	resp := run(b, "open "+path, chromedp.NavigateResponse(b.srv.URL+path))
	if resp == nil {
		b.t.Fatalf("open %s: no response", path)
	}
	return resp.Status
}

// fatalStep ends the test after a failed browser step, with what helps understand it: the
// page, and the server's last log lines (a slow or failed request shows there).
func (b *browser) fatalStep(what string, err error) {
	b.t.Helper()
	logs := b.srv.stderr.String()
	if i := strings.LastIndex(logs[:max(0, len(logs)-3000)], "\n"); i > 0 {
		logs = logs[i+1:]
	}
	b.t.Fatalf("%s: %v (page %s, heading %q)\nlast server log lines:\n%s", what, err, b.location(), b.heading(), logs)
}

// settle waits until the element's position is stable: fonts loaded and the same box on two
// animation frames in a row. DSFR's JavaScript and web fonts can move things just after the
// load event, and a click aimed at a moving element lands elsewhere.
const settle = `(async sel => {
  await document.fonts.ready;
  const el = document.querySelector(sel);
  if (!el) return false;
  el.scrollIntoView({block: 'center', behavior: 'instant'});
  let prev = '';
  for (let i = 0; i < 30; i++) {
    await new Promise(r => requestAnimationFrame(() => r()));
    const r = el.getBoundingClientRect();
    const box = [r.x, r.y, r.width, r.height].join(',');
    if (box === prev) return true;
    prev = box;
  }
  return false;
})`

// clickable waits for the element to be visible and still.
func (b *browser) clickable(sel string) {
	b.t.Helper()
	b.step("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	if !eval[bool](b, "settle "+sel, settle+"("+jsString(sel)+")", chromedp.EvalAwaitPromise) {
		b.t.Logf("%s kept moving; clicking anyway", sel)
	}
}

// clickThrough clicks an element that leads to another page (a link, a submit button) and
// waits for that page; it returns the final page's HTTP status (after redirects).
func (b *browser) clickThrough(sel string) int64 {
	b.t.Helper()
	b.clickable(sel)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.fatalStep("click "+sel, err)
	}
	if resp == nil {
		b.t.Fatalf("click %s: no page loaded", sel)
	}
	return resp.Status
}

// click clicks an element that does not leave the page.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.clickable(sel)
	b.step("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto types text in a field, key by key, after emptying it.
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.step("type into "+sel, chromedp.Clear(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// eval evaluates JavaScript in the page (CDP evaluation is not subject to the page's CSP).
func eval[T any](b *browser, what, js string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	return run(b, what, chromedp.Evaluate[T](js, opts...))
}

// path is the current URL's path (and query).
func (b *browser) path() string {
	b.t.Helper()
	loc := run(b, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

func (b *browser) expectPath(want string) {
	b.t.Helper()
	if got := b.path(); got != want {
		b.t.Fatalf("page address is %s, want %s (heading %q)", got, want, b.heading())
	}
}

// heading is the page's h1, what a user reads first.
func (b *browser) heading() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	h, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('h1') || {}).innerText || ''`))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(h)
}

func (b *browser) expectHeading(want string) {
	b.t.Helper()
	if got := b.heading(); got != want {
		b.t.Fatalf("page heading is %q, want %q (page %s)", got, want, b.location())
	}
}

// flash is the success message shown at the top of the page after an action.
func (b *browser) flash() string {
	b.t.Helper()
	return eval[string](b, "flash message", `(document.querySelector('main .fr-alert--success[role=status]') || {}).innerText || ''`)
}

func (b *browser) expectFlash(want string) {
	b.t.Helper()
	if got := strings.TrimSpace(b.flash()); got != want {
		b.t.Fatalf("flash message is %q, want %q (page %s)", got, want, b.location())
	}
}

// pageHTML is the whole document as the browser holds it.
func (b *browser) pageHTML() string {
	b.t.Helper()
	return eval[string](b, "page HTML", `document.documentElement.outerHTML`)
}

// bodyText is the text a user sees.
func (b *browser) bodyText() string {
	b.t.Helper()
	return eval[string](b, "page text", `document.body.innerText`)
}

// login fills and submits the login form; it returns the status of the page reached.
func (b *browser) login(email, password string) int64 {
	b.t.Helper()
	b.srv.keepPrivate(email, password)
	if b.path() != "/connexion" && !strings.HasPrefix(b.path(), "/connexion?") {
		b.open("/connexion")
	}
	b.expectHeading("Se connecter")
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", password)
	return b.clickThrough(`form[action="/connexion"] button[type=submit]`)
}

// logout uses the header's "Se déconnecter" button.
func (b *browser) logout() {
	b.t.Helper()
	b.clickThrough(`header form[action="/deconnexion"] button[type=submit]`)
	b.expectPath("/")
	b.expectFlash("Vous êtes déconnecté.")
}

// signUp creates an account through /inscription, choosing the kind on the choice page.
func (b *browser) signUp(p person, professional bool) {
	b.t.Helper()
	b.srv.keepPrivate(p.FirstName, p.LastName, p.Email, p.Password)
	b.open("/")
	b.clickThrough(`header a[href="/inscription"]`)
	b.expectHeading("Créer un compte")
	if professional {
		b.clickThrough(`a[href="/inscription/professionnel"]`)
		b.expectHeading("Créer un compte professionnel")
	} else {
		b.clickThrough(`a[href="/inscription/candidat"]`)
		b.expectHeading("Créer un compte candidat")
	}
	b.typeInto("#f-first_name", p.FirstName)
	b.typeInto("#f-last_name", p.LastName)
	b.typeInto("#f-email", p.Email)
	b.typeInto("#f-password", p.Password)
	if professional {
		// DSFR draws the box in the label's ::before, under the transparent input; the
		// label's middle is a link to the terms, so click the box itself.
		b.click(`#f-accept_terms`)
		if !eval[bool](b, "terms checkbox", `document.getElementById('f-accept_terms').checked`) {
			b.t.Fatal("clicking the terms label did not tick the checkbox")
		}
	}
	if status := b.clickThrough(`form[action^="/inscription/"] button[type=submit]`); status != 200 {
		b.t.Fatalf("sign-up answered %d: %s", status, b.bodyText())
	}
	b.expectHeading("Confirmez votre adresse e-mail")
	if !strings.Contains(b.bodyText(), "Un e-mail a été envoyé à "+strings.ToLower(p.Email)) {
		b.t.Fatalf("the confirmation page does not name the address: %s", b.bodyText())
	}
}

// confirmEmail opens the demo mailbox, the newest mail sent to email, and follows its
// confirmation link, as the user would from their mail client.
func (b *browser) confirmEmail(email string) {
	b.t.Helper()
	b.openNewestMail(email, "Confirmez votre adresse électronique")
	link := eval[string](b, "confirmation link", `(document.querySelector('.parcours-mail a[href*="/confirmer-email/"]') || {}).href || ''`)
	if link == "" {
		b.t.Fatalf("no confirmation link in the mail: %s", b.bodyText())
	}
	b.srv.keepPrivate(link[strings.LastIndex(link, "/")+1:])
	b.clickThrough(`.parcours-mail a[href*="/confirmer-email/"]`)
	b.expectPath("/connexion")
	b.expectFlash("Votre adresse e-mail est confirmée. Vous pouvez vous connecter.")
}

// openNewestMail opens /demo/courriels from the navigation and clicks the newest mail sent to
// email (other tests may share the server, so "newest" is per address).
func (b *browser) openNewestMail(email, subjectPrefix string) {
	b.t.Helper()
	b.clickThrough(`nav a[href="/demo/courriels"]`)
	b.expectHeading("Courriels de démonstration")
	row := eval[int](b, "find mail", fmt.Sprintf(`(() => {
  const rows = [...document.querySelectorAll('main table tbody tr')];
  return rows.findIndex(r => r.cells.length === 3 && r.cells[1].innerText.trim() === %q) + 1;
})()`, strings.ToLower(email)))
	if row == 0 {
		b.t.Fatalf("no mail to %s on /demo/courriels: %s", email, b.bodyText())
	}
	sel := fmt.Sprintf("main table tbody tr:nth-child(%d) a", row)
	if subject := b.text(sel); !strings.HasPrefix(subject, subjectPrefix) {
		b.t.Fatalf("newest mail to %s is %q, want a subject starting with %q", email, subject, subjectPrefix)
	}
	b.clickThrough(sel)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
