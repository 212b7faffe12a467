package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// The search pages need no login and keep every criterion in the URL, so a search can be
// shared or bookmarked, and the form works without JavaScript.

// romeDomains are the ROME's fourteen domains (the code's first letter).
var romeDomains = []option{
	{Value: "A", Label: "Agriculture, pêche, espaces naturels et verts, soins aux animaux"},
	{Value: "B", Label: "Arts et façonnage d'ouvrages d'art"},
	{Value: "C", Label: "Banque, assurance, immobilier"},
	{Value: "D", Label: "Commerce, vente et grande distribution"},
	{Value: "E", Label: "Communication, média et multimédia"},
	{Value: "F", Label: "Construction, bâtiment et travaux publics"},
	{Value: "G", Label: "Hôtellerie-restauration, tourisme, loisirs et animation"},
	{Value: "H", Label: "Industrie"},
	{Value: "I", Label: "Installation et maintenance"},
	{Value: "J", Label: "Santé"},
	{Value: "K", Label: "Services à la personne et à la collectivité"},
	{Value: "L", Label: "Spectacle"},
	{Value: "M", Label: "Support à l'entreprise"},
	{Value: "N", Label: "Transport et logistique"},
}

type kindChoice struct {
	Code, Label string
	Checked     bool
}

// searchForm is the criteria as typed, echoed back in the form and in page links.
type searchForm struct {
	Commune     string
	Radius      int
	Kinds       []kindChoice
	Departement string
	Rome        string
	Metier      string
	Contract    string
	Recruiting  bool
	Searched    bool
}

// query renders the criteria as a URL query (for the next page and shared links).
func (f searchForm) query(cursor string) template.URL {
	v := url.Values{}
	v.Set("commune", f.Commune)
	v.Set("rayon", strconv.Itoa(f.Radius))
	for _, k := range f.Kinds {
		if k.Checked {
			v.Add("types", k.Code)
		}
	}
	for k, val := range map[string]string{"departement": f.Departement, "rome": f.Rome, "metier": f.Metier, "contrat": f.Contract, "page": cursor} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.Recruiting {
		v.Set("recrute", "oui")
	}
	return template.URL(v.Encode())
}

// searchView is the search page's data: the criteria as typed, the form's fields, and the
// results, rendered ahead (searchRenderer) so that the page's template writes a few values.
type searchView struct {
	Form    searchForm
	Commune communeField
	Mode    string // "structures", "postes" or "prescripteurs"
	// Fields are the form's controls but the commune, rendered.
	Radius, Kinds, Departement, Rome, Metier, Contract template.HTML
	// FiltersOpen opens "Affiner la recherche" when a filter is set or wrong.
	FiltersOpen bool
	// Results are the results' heading and list, when searched.
	Results *searchResults
	NextURL string
}

// communeField is the commune field's values: as typed, its error, the communes it may mean.
type communeField struct {
	Value, Err string
	Candidates []string
}

// searchResults is a page of results, ready to print.
type searchResults struct {
	Heading string
	// Empty is the message when nothing matches; Intro a paragraph before the list.
	Empty, Intro string
	Cards        template.HTML
}

// formErrorNames maps the domain's field names to the form's.
var formErrorNames = map[string]string{"commune": "commune", "radius": "rayon", "kinds": "types", "departement": "departement",
	"rome": "rome", "appellation": "metier", "contract_type": "contrat", "cursor": "commune"}

func (s *Server) parseSearch(r *http.Request, defaultRadius int, kinds []kindChoice) (searchForm, offer.Query, []refdata.Commune, fault.Fields) {
	v := r.URL.Query()
	f := searchForm{Commune: strings.TrimSpace(v.Get("commune")), Departement: strings.TrimSpace(v.Get("departement")),
		Rome: strings.TrimSpace(v.Get("rome")), Metier: strings.TrimSpace(v.Get("metier")), Contract: v.Get("contrat"),
		Recruiting: v.Get("recrute") == "oui", Radius: defaultRadius, Kinds: kinds}
	errs := fault.Fields{}
	if rs := v.Get("rayon"); rs != "" {
		n, err := strconv.Atoi(rs)
		if err != nil {
			errs.Add("rayon", "choisissez une distance dans la liste")
		}
		f.Radius = n
	}
	selected := map[string]bool{}
	for _, k := range v["types"] {
		selected[k] = true
	}
	for i := range f.Kinds {
		f.Kinds[i].Checked = selected[f.Kinds[i].Code]
	}
	q := offer.Query{RadiusKm: f.Radius, Departement: f.Departement, Rome: f.Rome, ContractType: offer.ContractType(f.Contract),
		RecruitingNow: f.Recruiting, Cursor: v.Get("page")}
	for k := range selected {
		q.Kinds = append(q.Kinds, k)
	}
	var candidates []refdata.Commune
	if f.Commune == "" {
		return f, q, nil, errs
	}
	f.Searched = true
	code, cands, msg := s.resolveCommune(f.Commune)
	if msg != "" {
		errs.Add("commune", msg)
		candidates = cands
	}
	q.CommuneCode = code
	if f.Metier != "" {
		if a, msg := s.resolveAppellation(f.Metier); msg != "" {
			errs.Add("metier", msg)
		} else {
			q.AppellationCode = a.Code
		}
	}
	return f, q, candidates, errs
}

// resolveAppellation reads "Label (code)" as suggested, a bare code, or a label typed whole.
func (s *Server) resolveAppellation(input string) (refdata.Appellation, string) {
	if i := strings.LastIndex(input, "("); i > 0 && strings.HasSuffix(input, ")") {
		if a, ok := s.places.Appellation(strings.TrimSpace(input[i+1 : len(input)-1])); ok {
			return a, ""
		}
	}
	if a, ok := s.places.Appellation(input); ok {
		return a, ""
	}
	for _, a := range s.places.SearchAppellations(input, 10) {
		if refdata.Normalize(a.Label) == refdata.Normalize(input) {
			return a, ""
		}
	}
	return refdata.Appellation{}, "métier non reconnu : choisissez-le dans la liste proposée"
}

// contractOptions are the contract types of every kind of structure.
func contractOptions() []option {
	var contracts []option
	seen := map[offer.ContractType]bool{}
	for _, k := range offer.Kinds() {
		for _, c := range offer.ContractTypesFor(k) {
			if !seen[c] {
				seen[c] = true
				contracts = append(contracts, option{Value: string(c), Label: c.Label()})
			}
		}
	}
	return contracts
}

func (s *Server) departementOptions() []option {
	var deps []option
	for _, d := range s.places.Departements() {
		deps = append(deps, option{Value: d.Code, Label: d.Code + " — " + d.Name})
	}
	return deps
}

func employerKinds() []kindChoice {
	var out []kindChoice
	for _, k := range offer.Kinds() {
		info, _ := org.Kind(k)
		out = append(out, kindChoice{Code: k, Label: info.Label})
	}
	return out
}

// searchFail renders the form with the domain's field messages renamed for the form.
func renamed(err error) fault.Fields {
	out := fault.Fields{}
	for k, msg := range fault.FieldsOf(err) {
		if n, ok := formErrorNames[k]; ok {
			k = n
		}
		out.Add(k, msg)
	}
	return out
}

func (s *Server) searchEmployers(w http.ResponseWriter, r *http.Request) {
	serveSearch(s, w, r, searchPage[offer.StructureResult]{view: "structures", path: "/recherche", title: "Trouver un employeur solidaire",
		radius: offer.DefaultRadiusKm, kinds: employerKinds(), search: s.offer.Search, show: s.showEmployers})
}

func (s *Server) searchJobs(w http.ResponseWriter, r *http.Request) {
	serveSearch(s, w, r, searchPage[offer.JobResult]{view: "postes", path: "/recherche/postes", title: "Trouver une offre d'emploi solidaire",
		radius: offer.DefaultRadiusKm, kinds: employerKinds(), search: s.offer.SearchJobs, show: s.showJobs})
}

func (s *Server) searchPrescribers(w http.ResponseWriter, r *http.Request) {
	serveSearch(s, w, r, searchPage[offer.PrescriberResult]{view: "prescripteurs", path: "/recherche/prescripteurs",
		title: "Trouver un accompagnement près de chez soi", radius: offer.DefaultPrescriberRadiusKm,
		search: func(ctx context.Context, q offer.Query) (offer.Page[offer.PrescriberResult], error) {
			// The employer filters do not apply to prescribers.
			q.Kinds, q.Rome, q.AppellationCode, q.ContractType, q.RecruitingNow = nil, "", "", "", false
			return s.offer.SearchPrescribers(ctx, q)
		},
		show: s.showPrescribers})
}

// searchPage is one of the three public searches: its form's defaults, the service call, and
// how its results are shown.
type searchPage[T any] struct {
	view, path, title string
	radius            int
	kinds             []kindChoice
	search            func(context.Context, offer.Query) (offer.Page[T], error)
	show              func(*offer.Page[T], bool) (*searchResults, error)
}

// serveSearch answers a search page: the form alone, the form with its errors, or the results
// with the link to the next page.
func serveSearch[T any](s *Server, w http.ResponseWriter, r *http.Request, sp searchPage[T]) {
	f, q, cands, errs := s.parseSearch(r, sp.radius, sp.kinds)
	v := searchView{Form: f, Commune: communeField{Value: f.Commune}, Mode: sp.view}
	for _, c := range cands {
		v.Commune.Candidates = append(v.Commune.Candidates, communeLabel(c))
	}
	if f.Searched && errs.Err() == nil {
		page, err := sp.search(r.Context(), q)
		switch {
		case fault.FieldsOf(err) != nil:
			errs = renamed(err)
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			filtered := q.Rome != "" || q.AppellationCode != "" || q.ContractType != ""
			if v.Results, err = sp.show(&page, filtered); err != nil {
				s.fail(w, r, err)
				return
			}
			if page.Next != "" {
				v.NextURL = sp.path + "?" + string(f.query(page.Next))
			}
		}
	}
	v.Commune.Err = errs["commune"]
	if err := s.searchFields(&v, errs); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSearch(w, r, sp.title, v, errs)
}

func (s *Server) renderSearch(w http.ResponseWriter, r *http.Request, title string, v searchView, errs fault.Fields) {
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		errs = nil
	}
	// An anonymous visitor without message nor error gets the page's main part inside the
	// layout rendered for that page once (searchChrome).
	if _, noFlash := r.Cookie(flashCookie); noFlash != nil && errs == nil && reqInfo(r.Context()).session == nil {
		err := s.renderInChrome(w, r, "search", title, v)
		if err == nil {
			return
		}
		s.log.Error("template", "page", "search", "err", err)
	}
	s.render(w, r, status, "search", title, v, errs)
}

// appellationOptions answers the job field's suggestions.
func (s *Server) appellationOptions(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("metier"))
	var list []string
	if len([]rune(q)) >= 2 && len(q) <= 100 {
		for _, a := range s.places.SearchAppellations(q, 15) {
			list = append(list, a.Label+" ("+a.Code+")")
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	s.renderFragment(w, r, "commune-options", list)
}
