package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"parcours/internal/fault"
	"parcours/internal/offer"
)

// The search pages are the most requested pages, and html/template spends most of a page in
// reflection: every value it prints goes through a reflective call of its escaper, every
// field through a lookup by name. So the search page is assembled from parts rendered ahead,
// by the same templates (search.html, layout.html), and its own template prints a handful of
// values:
//
//   - for an anonymous visitor (no session, no message, no error), the layout around the
//     page's main part is rendered once per page and title (pageChrome);
//   - the form's controls, which depend on a few choices (a radius, a set of kinds, a
//     département…), are rendered once per choice and kept (searchFragments); a control
//     showing an error is rendered at each request;
//   - each result card is rendered from plain values (no method or function called from the
//     template), and an employer's or a job's card is kept for the searches of the same
//     registry generation (offer.Page.Generation), as the API keeps its JSON: only the distance
//     changes from one search to another, and it is written between the card's two halves.
//     Employers found with a job filter show the matching job descriptions only, and are
//     rendered at each search.
//
// bench/http.sh measures the pages: the employers' search served 2.9 % of /healthz's
// throughput before, more than 25 % now (bench/README.md).

// chrome is a page's layout around its main part, for an anonymous visitor without message
// nor error: the part before main and the part after.
type chrome struct{ head, tail []byte }

// chromeMark stands for the main part in the layout rendered for chrome.
const chromeMark template.HTML = "<!--main-->"

// pageChrome renders the layout of page at path with title once, for anonymous visitors, and
// keeps it. The layout then depends on these alone: the session, the message and the errors
// it shows are absent, Demo is the instance's.
func (s *Server) pageChrome(page, path, title string) (*chrome, error) {
	key := "chrome|" + page + "|" + path + "|" + title
	if c, ok := s.search.fragments.Load(key); ok {
		return c.(*chrome), nil
	}
	t, ok := s.search.chromes[page]
	if !ok {
		return nil, fmt.Errorf("gabarit %s : pas de mise en page préparée", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view{Title: title, Description: pageDescription(page), Path: path, Demo: s.cfg.Demo,
		Data: chromeMark}); err != nil {
		return nil, err
	}
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(chromeMark))
	if !ok {
		return nil, fmt.Errorf("gabarit %s : la partie principale n'est pas écrite", page)
	}
	c := &chrome{head: bytes.Clone(head), tail: bytes.Clone(tail)}
	s.search.fragments.Store(key, c)
	return c, nil
}

// renderInChrome writes page's main part inside its kept layout (see render for the headers).
func (s *Server) renderInChrome(w http.ResponseWriter, r *http.Request, page, title string, data any) error {
	c, err := s.pageChrome(page, r.URL.Path, title)
	if err != nil {
		return err
	}
	buf := s.pageBuffer()
	defer s.putPageBuffer(buf)
	buf.Write(c.head)
	if err := s.templates[page].ExecuteTemplate(buf, "main", view{Title: title, Description: pageDescription(page), Path: r.URL.Path,
		Demo: s.cfg.Demo, Data: data}); err != nil {
		return err
	}
	buf.Write(c.tail)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// maxCachedCards bounds the cards kept per generation (0.6 to 1 KB each): the searches
// around the most searched places fill it first. National scale shows about 4,000 employers
// and 8,000 job offers on the first pages around the 200 most searched communes.
const maxCachedCards = 16384

// distanceMark stands for the distance in a kept card. Printed data can never produce it:
// html/template escapes every "<" of the values it prints.
const distanceMark template.HTML = "<!--distance-->"

// newSearchRenderer prepares, for each page named, a copy of its templates whose main part
// prints the page's data as it is (pageChrome). html/template copies a set only before its
// first use: New calls it right after parsing.
func newSearchRenderer(t templates, pages ...string) (*searchRenderer, error) {
	sr := &searchRenderer{chromes: map[string]*template.Template{}}
	for _, page := range pages {
		c, err := t[page].Clone()
		if err != nil {
			return nil, err
		}
		if _, err := c.New("main").Parse(`{{.Data}}`); err != nil {
			return nil, err
		}
		sr.chromes[page] = c
	}
	return sr, nil
}

// searchRenderer keeps the rendered parts of the search pages.
type searchRenderer struct {
	// chromes are the templates that render a page's layout alone (newSearchRenderer).
	chromes   map[string]*template.Template
	fragments sync.Map // key → template.HTML
	cards     atomic.Pointer[cardSet]
}

// cardSet is the cards kept for one generation of the registry.
type cardSet struct {
	generation int64
	cards      sync.Map // "e"/"j" + id → *card
	size       atomic.Int64
}

// card is a result card cut at its distance.
type card struct{ head, tail []byte }

// cardsFor returns the card set of a generation, nil for a page older than the set in use (a
// search that raced a rebuild), which is then rendered without keeping its cards.
func (sr *searchRenderer) cardsFor(generation int64) *cardSet {
	for {
		c := sr.cards.Load()
		switch {
		case c != nil && c.generation == generation:
			return c
		case c != nil && c.generation > generation:
			return nil
		}
		if n := (&cardSet{generation: generation}); sr.cards.CompareAndSwap(c, n) {
			return n
		}
	}
}

// execute renders a template of the search page.
func (s *Server) execute(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := s.templates["search"].ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("gabarit %s : %w", name, err)
	}
	return buf.Bytes(), nil
}

// fragment renders a template of the search page, kept by key when key is not empty.
func (s *Server) fragment(key, name string, data any) (template.HTML, error) {
	if key != "" {
		if h, ok := s.search.fragments.Load(key); ok {
			return h.(template.HTML), nil
		}
	}
	b, err := s.execute(name, data)
	if err != nil {
		return "", err
	}
	h := template.HTML(b) // html/template's own output
	if key != "" {
		s.search.fragments.Store(key, h)
	}
	return h, nil
}

// cacheKey is key for a control without error (kept), "" for one showing an error.
func cacheKey(err string, parts ...string) string {
	if err != "" {
		return ""
	}
	return strings.Join(parts, "|")
}

type radiusField struct {
	Radius int
	Radii  []int
	Err    string
}

type kindsField struct {
	Kinds []kindChoice
	Err   string
}

// searchFields renders the form's controls but the commune.
func (s *Server) searchFields(v *searchView, errs fault.Fields) error {
	f := v.Form
	var err error
	if v.Radius, err = s.fragment(cacheKey(errs["rayon"], "rayon", strconv.Itoa(f.Radius)), "search-radius",
		radiusField{Radius: f.Radius, Radii: offer.Radii(), Err: errs["rayon"]}); err != nil {
		return err
	}
	if v.Mode == "prescripteurs" {
		return nil
	}
	v.FiltersOpen = f.Departement != "" || f.Rome != "" || f.Metier != "" || f.Contract != "" || f.Recruiting || errs["types"] != ""
	var mask strings.Builder
	for _, k := range f.Kinds {
		if k.Checked {
			mask.WriteString(k.Code + ",")
		}
	}
	if v.Kinds, err = s.fragment(cacheKey(errs["types"], "types", mask.String()), "search-kinds", kindsField{Kinds: f.Kinds, Err: errs["types"]}); err != nil {
		return err
	}
	for _, sel := range []struct {
		out         *template.HTML
		name, label string
		options     func() []option
		value       string
		template    string
	}{
		{&v.Departement, "departement", "Département", s.departementOptions, f.Departement, "select"},
		{&v.Rome, "rome", "Domaine professionnel", func() []option { return romeDomains }, f.Rome, "select"},
		{&v.Contract, "contrat", "Type de contrat", contractOptions, f.Contract, "select"},
		{&v.Metier, "metier", "Métier", func() []option { return nil }, f.Metier, "appellation-field"},
	} {
		key := cacheKey(errs[sel.name], sel.template, sel.name, sel.value)
		if sel.template == "appellation-field" && sel.value != "" {
			key = "" // typed text: not kept
		}
		if key != "" {
			if h, ok := s.search.fragments.Load(key); ok {
				*sel.out = h.(template.HTML)
				continue
			}
		}
		data := map[string]any{"name": sel.name, "label": sel.label, "options": sel.options(), "value": sel.value, "err": errs[sel.name],
			"optional": true}
		if *sel.out, err = s.fragment(key, sel.template, data); err != nil {
			return err
		}
	}
	return nil
}

// km writes a distance the French way: "3,2 km".
func km(d float64) string {
	return strings.Replace(strconv.FormatFloat(d, 'f', 1, 64), ".", ",", 1) + " km"
}

// communeName is the commune's name and first postcode, or its code when unknown.
func (s *Server) communeName(code string) string {
	if c, ok := s.places.Commune(code); ok {
		return communeLabel(c)
	}
	return code
}

func countOf(n int, one, many string) string {
	if n > 1 {
		return strconv.Itoa(n) + " " + many
	}
	return strconv.Itoa(n) + " " + one
}

// employerCard is what an employer's card prints.
type employerCard struct {
	Href, Title, Desc, Place, Jobs string
	Distance                       template.HTML
	Recruiting, Blocked            bool
}

func (s *Server) employerCard(r *offer.StructureResult, distance template.HTML) employerCard {
	st := &r.Structure
	c := employerCard{Href: "/structures/" + st.ID.String(), Title: st.DisplayName(), Desc: kindLabel(st.Kind),
		Place: s.communeName(st.CommuneCode), Distance: distance, Recruiting: r.Recruiting, Blocked: st.BlockApplications}
	if n := len(r.JobDescriptions); n > 0 {
		c.Desc += " · " + countOf(n, "fiche de poste", "fiches de poste")
		titles := make([]string, 0, 4)
		for _, j := range r.JobDescriptions[:min(n, 4)] {
			titles = append(titles, j.Title())
		}
		c.Jobs = strings.Join(titles, " · ")
		if n > 4 {
			c.Jobs += " …"
		}
	}
	return c
}

// jobCard is what a job offer's card prints.
type jobCard struct {
	Href, Title, Desc, Place string
	Distance                 template.HTML
}

func (s *Server) jobCard(r *offer.JobResult, distance template.HTML) jobCard {
	j := &r.JobDescription
	positions := countOf(j.OpenPositions, "poste ouvert", "postes ouverts")
	return jobCard{Href: "/structures/" + r.Structure.ID.String() + "#poste-" + j.ID.String(), Title: j.Title(),
		Desc:  r.Structure.DisplayName() + " · " + j.ContractType.Label() + " · " + strconv.Itoa(j.HoursPerWeek) + " h par semaine · " + positions,
		Place: s.communeName(j.CommuneCode), Distance: distance}
}

// writeCard writes a result's card: kept for the generation when set is not nil, rendered with
// data(distanceMark) the first time; rendered with its distance otherwise.
func (s *Server) writeCard(b *strings.Builder, set *cardSet, key string, distance float64, name string, data func(template.HTML) any) error {
	d := km(distance)
	if set != nil {
		if c, ok := set.cards.Load(key); ok {
			c := c.(*card)
			b.Write(c.head)
			b.WriteString(d)
			b.Write(c.tail)
			return nil
		}
	}
	if set == nil || set.size.Load() >= maxCachedCards {
		out, err := s.execute(name, data(template.HTML(template.HTMLEscapeString(d))))
		b.Write(out)
		return err
	}
	out, err := s.execute(name, data(distanceMark))
	if err != nil {
		return err
	}
	head, tail, ok := bytes.Cut(out, []byte(distanceMark))
	if !ok {
		return fmt.Errorf("gabarit %s : la distance n'est pas écrite", name)
	}
	if _, loaded := set.cards.LoadOrStore(key, &card{head: bytes.Clone(head), tail: bytes.Clone(tail)}); !loaded {
		set.size.Add(1)
	}
	b.Write(head)
	b.WriteString(d)
	b.Write(tail)
	return nil
}

func resultsHeading(total int, one, many string, radius int, centre string) string {
	return countOf(total, one, many) + " à moins de " + strconv.Itoa(radius) + " km de " + centre
}

func (s *Server) showEmployers(p *offer.Page[offer.StructureResult], filtered bool) (*searchResults, error) {
	res := &searchResults{Heading: resultsHeading(p.Total, "structure", "structures", p.RadiusKm, p.Centre.Name)}
	if len(p.Items) == 0 {
		res.Empty = "Aucune structure ne correspond : élargissez la distance ou retirez des critères."
		return res, nil
	}
	var set *cardSet
	if !filtered && p.Generation != 0 {
		set = s.search.cardsFor(p.Generation)
	}
	var b strings.Builder
	b.Grow(1200 * len(p.Items))
	for i := range p.Items {
		it := &p.Items[i]
		if err := s.writeCard(&b, set, "e"+string(it.Structure.ID[:]), it.DistanceKm, "employer-card",
			func(d template.HTML) any { return s.employerCard(it, d) }); err != nil {
			return nil, err
		}
	}
	res.Cards = template.HTML(b.String())
	return res, nil
}

func (s *Server) showJobs(p *offer.Page[offer.JobResult], _ bool) (*searchResults, error) {
	res := &searchResults{Heading: resultsHeading(p.Total, "offre", "offres", p.RadiusKm, p.Centre.Name)}
	if len(p.Items) == 0 {
		res.Empty = "Aucune offre ne correspond : élargissez la distance ou retirez des critères."
		return res, nil
	}
	var set *cardSet
	if p.Generation != 0 {
		set = s.search.cardsFor(p.Generation)
	}
	var b strings.Builder
	b.Grow(900 * len(p.Items))
	for i := range p.Items {
		it := &p.Items[i]
		if err := s.writeCard(&b, set, "j"+string(it.JobDescription.ID[:]), it.DistanceKm, "job-card",
			func(d template.HTML) any { return s.jobCard(it, d) }); err != nil {
			return nil, err
		}
	}
	res.Cards = template.HTML(b.String())
	return res, nil
}

// prescriberCard is what a prescriber's card prints.
type prescriberCard struct {
	Title, Desc, Place string
	Habilitated        bool
}

func (s *Server) showPrescribers(p *offer.Page[offer.PrescriberResult], _ bool) (*searchResults, error) {
	res := &searchResults{Heading: resultsHeading(p.Total, "organisation", "organisations", p.RadiusKm, p.Centre.Name),
		Intro: "Ces organisations accompagnent les personnes vers l'emploi ; les organisations habilitées peuvent valider l'éligibilité à un parcours d'insertion."}
	if len(p.Items) == 0 {
		res.Empty = "Aucune organisation ne correspond : élargissez la distance."
		return res, nil
	}
	var b strings.Builder
	for _, it := range p.Items {
		out, err := s.execute("prescriber-card", prescriberCard{Title: it.Name, Desc: it.KindLabel, Habilitated: it.Habilitated,
			Place: it.CommuneName + " — à " + km(it.DistanceKm)})
		if err != nil {
			return nil, err
		}
		b.Write(out)
	}
	res.Cards = template.HTML(b.String())
	return res, nil
}
