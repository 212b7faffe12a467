package api

import (
	"embed"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/refdata"
)

//go:embed openapi.json
var openapiFS embed.FS

// Options configure the API.
type Options struct {
	Logger *slog.Logger
	Offer  *offer.Service
	Places *refdata.Data
	// ClientIP returns the address a request comes from (the web layer knows about proxies).
	ClientIP func(*http.Request) string
	// Now is the clock of the rate limiter (tests move it).
	Now func() time.Time
	// PerMinute is the anonymous rate limit per client address (default 60).
	PerMinute int
}

// New returns the API handler, to be mounted at /api/v1/.
func New(o Options) *API {
	if o.PerMinute <= 0 {
		o.PerMinute = 60
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientIP == nil {
		o.ClientIP = func(r *http.Request) string {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			return host
		}
	}
	a := &API{log: o.Logger, mux: http.NewServeMux(), limiter: newLimiter(o.PerMinute, o.Now), offer: o.Offer, places: o.Places, clientIP: o.ClientIP}
	a.mux.HandleFunc("GET /api/v1/openapi.json", a.openapi)
	a.mux.HandleFunc("GET /api/v1/structures", a.limited(a.listStructures))
	a.mux.HandleFunc("GET /api/v1/structures/{id}", a.limited(a.getStructure))
	return a
}

// Routes lists the API's routes, for the access tests.
func Routes() []string {
	return []string{"GET /api/v1/openapi.json", "GET /api/v1/structures", "GET /api/v1/structures/{id}"}
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Public data for any site or script: reads only, never credentials.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	if _, pattern := a.mux.Handler(r); pattern == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET")
			writeProblem(w, Problem{Status: http.StatusMethodNotAllowed, Detail: "Cette API ne propose que des lectures (GET)."})
			return
		}
		writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "Aucune ressource à cette adresse : voir /api/v1/openapi.json."})
		return
	}
	a.mux.ServeHTTP(w, r)
}

// limited applies the anonymous rate limit.
func (a *API) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := a.limiter.allow(a.clientIP(r)); !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			writeProblem(w, Problem{Status: http.StatusTooManyRequests,
				Detail: "Limite de requêtes par minute atteinte : réessayez dans " + retryAfter(wait) + " seconde(s)."})
			return
		}
		h(w, r)
	}
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request) {
	b, _ := openapiFS.ReadFile("openapi.json")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

// The JSON shapes, as documented in openapi.json.
type (
	communeJSON struct {
		Code string  `json:"code_insee"`
		Name string  `json:"nom"`
		Lat  float64 `json:"lat"`
		Lng  float64 `json:"lng"`
	}
	pageJSON struct {
		Commune       communeJSON     `json:"commune"`
		DistanceMaxKm int             `json:"distance_max_km"`
		Total         int             `json:"total"`
		Items         []structureJSON `json:"items"`
		NextCursor    *string         `json:"next_cursor"`
	}
	structureJSON struct {
		ID                  uuid.UUID   `json:"id"`
		SIRET               string      `json:"siret"`
		Kind                string      `json:"kind"`
		Name                string      `json:"name"`
		Brand               string      `json:"brand"`
		Address             addressJSON `json:"address"`
		CommuneCode         string      `json:"commune_code"`
		Lat                 *float64    `json:"lat"`
		Lng                 *float64    `json:"lng"`
		DistanceKm          *float64    `json:"distance_km"`
		Active              bool        `json:"active"`
		AcceptsApplications bool        `json:"accepts_applications"`
		JobDescriptions     []jobJSON   `json:"job_descriptions"`
	}
	addressJSON struct {
		Line1    string `json:"line1"`
		Line2    string `json:"line2"`
		Postcode string `json:"postcode"`
		Commune  string `json:"commune"`
	}
	jobJSON struct {
		ID               uuid.UUID `json:"id"`
		AppellationCode  string    `json:"appellation_code"`
		AppellationLabel string    `json:"appellation_label"`
		RomeCode         string    `json:"rome_code"`
		Title            string    `json:"title"`
		ContractType     string    `json:"contract_type"`
		OpenPositions    int       `json:"open_positions"`
	}
)

func (a *API) structureOut(st offer.Structure, active bool, distance *float64, jds []offer.JobDescription) structureJSON {
	out := structureJSON{ID: st.ID, SIRET: st.SIRET, Kind: st.Kind, Name: st.Name, Brand: st.Brand,
		Address:     addressJSON{Line1: st.AddressLine1, Line2: st.AddressLine2, Postcode: st.Postcode},
		CommuneCode: st.CommuneCode, DistanceKm: distance, Active: active, AcceptsApplications: !st.BlockApplications,
		JobDescriptions: []jobJSON{}}
	if c, ok := a.places.Commune(st.CommuneCode); ok {
		out.Address.Commune = c.Name
	}
	if st.HasPosition {
		lat, lng := st.Lat, st.Lng
		out.Lat, out.Lng = &lat, &lng
	}
	for _, j := range jds {
		if !j.Active {
			continue
		}
		title := j.CustomTitle
		if title == "" {
			title = j.AppellationLabel
		}
		out.JobDescriptions = append(out.JobDescriptions, jobJSON{ID: j.ID, AppellationCode: j.AppellationCode,
			AppellationLabel: j.AppellationLabel, RomeCode: j.RomeCode, Title: title, ContractType: string(j.ContractType),
			OpenPositions: j.OpenPositions})
	}
	return out
}

// paramNames maps the domain's field names to the API's parameter names in error documents.
var paramNames = map[string]string{"commune": "code_insee", "radius": "distance_max_km", "kinds": "kinds",
	"departement": "departement", "rome": "rome", "cursor": "cursor", "limit": "limit"}

func (a *API) listStructures(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	bad := fault.Fields{}
	q := offer.Query{CommuneCode: strings.TrimSpace(v.Get("code_insee")), Departement: v.Get("departement"), Rome: v.Get("rome"),
		Cursor: v.Get("cursor"), AnyRadius: true}
	if q.CommuneCode == "" {
		bad.Add("code_insee", "paramètre obligatoire : le code INSEE de la commune (ex. 69123)")
	}
	if s := v.Get("distance_max_km"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > offer.MaxRadiusKm {
			bad.Add("distance_max_km", "nombre entier de 1 à 100 attendu")
		}
		q.RadiusKm = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > offer.MaxPageSize {
			bad.Add("limit", "nombre entier de 1 à 100 attendu")
		}
		q.Limit = n
	}
	if k := v.Get("kinds"); k != "" {
		q.Kinds = strings.Split(k, ",")
	}
	if err := bad.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.offer.Search(r.Context(), q)
	if fields := fault.FieldsOf(err); fields != nil {
		renamed := fault.Fields{}
		for k, msg := range fields {
			if n, ok := paramNames[k]; ok {
				k = n
			}
			renamed.Add(k, msg)
		}
		a.fail(w, r, renamed)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := pageJSON{Commune: communeJSON{Code: page.Centre.Code, Name: page.Centre.Name, Lat: page.Centre.Lat, Lng: page.Centre.Lng},
		DistanceMaxKm: page.RadiusKm, Total: page.Total, Items: []structureJSON{}}
	if page.Next != "" {
		next := page.Next
		out.NextCursor = &next
	}
	for _, it := range page.Items {
		d := it.DistanceKm
		out.Items = append(out.Items, a.structureOut(it.Structure, true, &d, it.JobDescriptions))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getStructure(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		a.fail(w, r, fault.NotFound)
		return
	}
	// The API is anonymous: what any visitor may see.
	p, err := a.offer.Structure(r.Context(), access.Actor{}, id)
	if errors.Is(err, fault.Forbidden) || errors.Is(err, fault.Unauthenticated) {
		err = fault.NotFound
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.structureOut(p.Structure, p.Active, nil, p.JobDescriptions))
}
