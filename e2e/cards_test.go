package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// More demo accounts, and the SIRET of the demo CCAS the orienteur belongs to.
const (
	demoDDETS          = "ddets@demo.parcours.test"
	demoOrienteur      = "orienteur@demo.parcours.test"
	demoOrienteurSIRET = "26690010000121"
)

// cardLayout measures every DSFR card and tile of the page. A card is faulty when it is much
// taller than its content (a card stretched to its grid column: 1,650 px for 250 px of text),
// when its content holds something outside the card's zones (DSFR orders the zones with CSS
// order, so an unclassed element jumps above the title), or when its zones do not read title,
// description, details, then footer, on screen and in the document alike.
const cardLayout = `(() => {
  const zones = {card: ['fr-card__title', 'fr-card__desc', 'fr-card__start', 'fr-card__end'],
                 tile: ['fr-tile__title', 'fr-tile__desc', 'fr-tile__detail', 'fr-tile__start']};
  const order = {card: ['fr-card__title', 'fr-card__desc', 'fr-card__end'], tile: ['fr-tile__title', 'fr-tile__desc', 'fr-tile__detail']};
  const kindOf = el => el.classList.contains('fr-tile') ? 'tile' : 'card';
  // The content's extent: from the top of its first zone to the bottom of its last, footer included.
  const extent = el => {
    const k = kindOf(el);
    let top = Infinity, bottom = -Infinity;
    for (const z of el.querySelectorAll('.fr-' + k + '__content > *, .fr-' + k + '__footer > *')) {
      const r = z.getBoundingClientRect();
      if (r.height === 0) continue;
      top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
    }
    return bottom > top ? bottom - top : 0;
  };
  const cards = [...document.querySelectorAll('main .fr-card, main .fr-tile')].map(c => ({c, r: c.getBoundingClientRect(), e: extent(c)}));
  const faults = [];
  for (const x of cards) {
    const k = kindOf(x.c);
    const title = x.c.querySelector('.fr-' + k + '__title');
    const name = title ? title.innerText.trim() : '(sans titre)';
    // Cards side by side in a grid row share the height of the tallest: compare with it.
    const row = Math.max(...cards.filter(y => Math.abs(y.r.top - x.r.top) < 2).map(y => y.e));
    if (x.r.height > row + 160) faults.push('« ' + name + ' » : ' + Math.round(x.r.height) + ' px de haut pour ' + Math.round(x.e) + ' px de contenu');
    const content = x.c.querySelector('.fr-' + k + '__content');
    if (!content || !title) { faults.push('« ' + name + ' » : pas de fr-' + k + '__content avec un titre'); continue; }
    for (const child of content.children) {
      if (!zones[k].some(z => child.classList.contains(z))) {
        faults.push('« ' + name + ' » : <' + child.tagName.toLowerCase() + ' class="' + child.className + '"> hors des zones de la ' + (k === 'tile' ? 'tuile' : 'carte'));
      }
    }
    const seq = order[k].map(z => content.querySelector(':scope > .' + z)).filter(Boolean);
    const footer = x.c.querySelector('.fr-' + k + '__footer');
    if (footer) seq.push(footer);
    for (let i = 1; i < seq.length; i++) {
      const a = seq[i - 1], b = seq[i];
      if (b.getBoundingClientRect().top < a.getBoundingClientRect().top) faults.push('« ' + name + ' » : ' + b.className + ' affiché avant ' + a.className);
      if (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_PRECEDING) faults.push('« ' + name + ' » : ' + b.className + ' avant ' + a.className + ' dans le document');
    }
  }
  // A button with an icon in a group without fr-btns-group--icon-left is shrunk to its icon:
  // its words are hidden from sight (a title would be needed).
  for (const btn of document.querySelectorAll('main .fr-btn[class*="fr-icon-"]')) {
    const words = btn.innerText.trim();
    if (words.length > 3 && !btn.title && btn.getBoundingClientRect().width < 48) faults.push('bouton « ' + words + ' » réduit à son icône');
  }
  return {count: cards.length, faults};
})()`

type cardReport struct {
	Count  int      `json:"count"`
	Faults []string `json:"faults"`
}

// checkCards fails on every faulty card of the page and returns how many it measured.
func (b *browser) checkCards(label string) int {
	b.t.Helper()
	// Fonts change the heights: measure once they are in.
	eval[bool](b, "fonts of "+label, `document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)
	r := eval[cardReport](b, "cards of "+label, cardLayout)
	for _, f := range r.Faults {
		b.t.Errorf("%s (%s): %s", label, b.path(), f)
	}
	return r.Count
}

// checkTruthful fails when the page announces as coming something: pages say what exists.
func (b *browser) checkTruthful(label string) {
	b.t.Helper()
	text := strings.ToLower(b.bodyText())
	for _, word := range []string{"prochainement", "bientôt", "vous pourrez", "arrivent avec", "arrive bientôt"} {
		if strings.Contains(text, word) {
			b.t.Errorf("%s (%s): the page announces something to come (%q)", label, b.path(), word)
		}
	}
}

// TestCardsAndReadingOrder opens every page that shows cards or tiles, as the role that sees
// it, and checks each card's height against its content and its reading order, the page's
// wording, and axe-core.
func TestCardsAndReadingOrder(t *testing.T) {
	srv := startDemoTest(t)
	b := newBrowser(t, srv)
	check := func(label string, minCards int) {
		t.Helper()
		if n := b.checkCards(label); n < minCards {
			t.Errorf("%s: %d cards measured, want at least %d", label, n, minCards)
		}
		b.checkTruthful(label)
		b.checkDSFR(label)
		b.checkAccessibility(label)
	}

	// A visitor.
	b.open("/")
	check("home", 5)
	// The search box reads heading, then field.
	if !eval[bool](b, "search box order", `(() => {
  const h = document.getElementById('recherche-titre'), f = document.getElementById('f-commune');
  return !!h && !!f && h.getBoundingClientRect().top < f.getBoundingClientRect().top;
})()`) {
		t.Error("home: the search heading is not above the commune field")
	}
	b.open("/inscription")
	check("sign-up choice", 2)
	b.open("/recherche?commune=69123&rayon=5")
	check("employer search", 3)
	href := eval[string](b, "the demo ACI", `(() => {
  for (const a of document.querySelectorAll('#resultats ~ ul a')) { if (a.textContent.includes('Jardins du Rhône')) return a.getAttribute('href'); }
  return '';
})()`)
	if !strings.HasPrefix(href, "/structures/") {
		t.Fatalf("no link to the demo structure: %q", href)
	}
	b.open("/recherche/postes?commune=69123&rayon=10")
	check("job search", 3)
	b.open("/recherche/prescripteurs?commune=69123")
	check("prescriber search", 1)
	b.open(href)
	check("structure page, public", 3)
	// Someone answers applications on Parcours for the demo ACI: the page says how, and offers
	// the button, without announcing anything for later.
	if text := b.bodyText(); !strings.Contains(text, "Envoyez votre candidature en ligne") ||
		eval[int](b, "apply button", `document.querySelectorAll('main a[href$="/postuler"]').length`) != 1 {
		t.Errorf("structure page: how to apply is not said plainly: %s", excerpt(text, "Comment candidater"))
	}
	b.open("/donnees-personnelles")
	b.checkTruthful("personal data")

	// The employer: dashboard, structure page with its management, job list.
	b.open("/connexion")
	b.login(demoEmployer, demoPassword)
	b.expectPath("/tableau-de-bord")
	check("employer dashboard", 2)
	b.open(href)
	check("structure page, employer", 3)
	b.open(href + "/fiches-de-poste")
	check("job descriptions", 3)
	b.logout()

	// The DDETS: the habilitation queue, each organisation's name before its decision.
	b.open("/connexion")
	b.login(demoDDETS, demoPassword)
	b.expectPath("/tableau-de-bord")
	check("DDETS dashboard", 2)
	b.open("/habilitations")
	check("habilitation queue", 1)
	b.logout()

	// A prescriber looking up their own organisation is not offered to join it.
	b.open("/connexion")
	b.login(demoOrienteur, demoPassword)
	b.expectPath("/tableau-de-bord")
	check("prescriber dashboard", 2)
	b.open("/organisations/rattachement?siret=" + demoOrienteurSIRET)
	check("onboarding, own organisation", 1)
	if text := b.bodyText(); !strings.Contains(text, "Vous êtes déjà membre de cette organisation") || strings.Contains(text, "Demander à rejoindre") {
		t.Error("onboarding offers to join an organisation the user already belongs to")
	}
	b.logout()

	// The job seeker's dashboard says what works today.
	b.open("/connexion")
	b.login(demoJobSeeker, demoPassword)
	b.expectPath("/tableau-de-bord")
	check("job seeker dashboard", 0)
	if !strings.Contains(b.bodyText(), "Rechercher un employeur") {
		t.Error("the job seeker's dashboard does not lead to the search")
	}
}
