package api

import (
	"embed"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/ratelimit"
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
	// PASS answers the public PASS IAE verification (nil: the route answers 404).
	PASS PASSVerifier
	// VerifyPerMinute is the limit of PASS IAE verifications per client address (default 10).
	VerifyPerMinute int
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
	if o.VerifyPerMinute <= 0 {
		o.VerifyPerMinute = 10
	}
	a := &API{log: o.Logger, mux: http.NewServeMux(), limiter: ratelimit.PerMinute(o.PerMinute, o.Now), offer: o.Offer, places: o.Places, clientIP: o.ClientIP,
		verifyLimiter: ratelimit.PerMinute(o.VerifyPerMinute, o.Now), passes: o.PASS}
	a.mux.HandleFunc("GET /api/v1/openapi.json", a.openapi)
	a.mux.HandleFunc("GET /api/v1/structures", a.limited(a.listStructures))
	a.mux.HandleFunc("GET /api/v1/structures/{id}", a.limited(a.getStructure))
	if o.PASS != nil {
		a.mux.HandleFunc("GET /api/v1/pass-iae/verification", a.passVerification)
	}
	return a
}

// Routes lists the API's routes, for the access tests.
func Routes() []string {
	return []string{"GET /api/v1/openapi.json", "GET /api/v1/structures", "GET /api/v1/structures/{id}", "GET /api/v1/pass-iae/verification"}
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
		if ok, wait := a.limiter.Allow(a.clientIP(r)); !ok {
			w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			writeProblem(w, Problem{Status: http.StatusTooManyRequests,
				Detail: "Limite de requêtes par minute atteinte : réessayez dans " + ratelimit.RetryAfter(wait) + " seconde(s)."})
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

// Structures are written in JSON by the append functions below, the search's pages and the
// single structure alike, rather than by encoding/json's reflection; the search also keeps
// each structure's JSON for the searches of the same registry generation (cardSet). The
// page's 20 structures with their job descriptions are 10–30 KB, and encoding them with
// encoding/json was most of the cost of a search: the search served 23 % of /healthz's
// throughput with encoding/json, 31–39 % with these functions and 46–47 % with the kept cards
// (bench/README.md). They write exactly the bytes json.Encoder (SetEscapeHTML(false)) writes
// for the shapes documented in openapi.json, newline included: encode_test.go holds those
// shapes as structs and compares both on random pages and structures.

// searchBuffers recycles the response buffers of searches.
var searchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// maxPooledBuffer keeps an exceptional 100-result page's buffer out of the pool.
const maxPooledBuffer = 256 << 10

// appendPage appends the JSON of a search page, then a newline. With cards, it copies
// each structure's JSON from them.
func (a *API) appendPage(b []byte, page *offer.Page[offer.StructureResult], cards *cardSet) []byte {
	b = append(b, `{"commune":{"code_insee":`...)
	b = appendString(b, page.Centre.Code)
	b = append(b, `,"nom":`...)
	b = appendString(b, page.Centre.Name)
	b = append(b, `,"lat":`...)
	b = appendFloat(b, page.Centre.Lat)
	b = append(b, `,"lng":`...)
	b = appendFloat(b, page.Centre.Lng)
	b = append(b, `},"distance_max_km":`...)
	b = strconv.AppendInt(b, int64(page.RadiusKm), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(page.Total), 10)
	b = append(b, `,"items":[`...)
	for i := range page.Items {
		if i > 0 {
			b = append(b, ',')
		}
		it := &page.Items[i]
		if cards == nil {
			b = a.appendStructure(b, &it.Structure, true, &it.DistanceKm, it.JobDescriptions)
			continue
		}
		c := cards.card(a, it)
		b = append(b, c.json[:c.split]...)
		b = appendFloat(b, it.DistanceKm)
		b = append(b, c.json[c.split:]...)
	}
	b = append(b, `],"next_cursor":`...)
	if page.Next == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, page.Next)
	}
	return append(b, "}\n"...)
}

// cardSet keeps, for one generation of the registry (offer.Page.Generation), the JSON of
// each structure found by searches without a job filter, which show all of its active job
// descriptions: a structure found by many searches is encoded once per generation, only its
// distance at each search. It holds at most one card per structure of the registry; a new
// generation replaces the whole set.
type cardSet struct {
	generation int64
	cards      sync.Map // uuid.UUID → *card
}

// card is a structure's JSON without the value of its distance, which goes at split.
type card struct {
	json  []byte
	split int
}

// cardsFor returns the card set of a generation, nil when the page comes from an older
// generation than the set in use (a search that raced a rebuild): it is then encoded whole.
func (a *API) cardsFor(generation int64) *cardSet {
	for {
		c := a.cards.Load()
		switch {
		case c != nil && c.generation == generation:
			return c
		case c != nil && c.generation > generation:
			return nil
		}
		if n := (&cardSet{generation: generation}); a.cards.CompareAndSwap(c, n) {
			return n
		}
	}
}

// card returns the card of a result's structure, made at its first use.
func (cs *cardSet) card(a *API, it *offer.StructureResult) *card {
	if c, ok := cs.cards.Load(it.Structure.ID); ok {
		return c.(*card)
	}
	head := a.appendStructureHead(nil, &it.Structure)
	c := &card{json: a.appendStructureTail(head, &it.Structure, true, it.JobDescriptions), split: len(head)}
	actual, _ := cs.cards.LoadOrStore(it.Structure.ID, c)
	return actual.(*card)
}

// appendStructure appends a structure's JSON: its card, whether it is active, its distance
// from the search's centre (null outside a search) and its active job descriptions.
func (a *API) appendStructure(b []byte, st *offer.StructureCard, active bool, distance *float64, jds []offer.JobCard) []byte {
	b = a.appendStructureHead(b, st)
	if distance != nil {
		b = appendFloat(b, *distance)
	} else {
		b = append(b, "null"...)
	}
	return a.appendStructureTail(b, st, active, jds)
}

// appendStructureHead appends a structure's JSON up to the value of its distance.
func (a *API) appendStructureHead(b []byte, st *offer.StructureCard) []byte {
	b = append(b, `{"id":`...)
	b = appendUUID(b, st.ID)
	b = append(b, `,"siret":`...)
	b = appendString(b, st.SIRET)
	b = append(b, `,"kind":`...)
	b = appendString(b, st.Kind)
	b = append(b, `,"name":`...)
	b = appendString(b, st.Name)
	b = append(b, `,"brand":`...)
	b = appendString(b, st.Brand)
	b = append(b, `,"address":{"line1":`...)
	b = appendString(b, st.AddressLine1)
	b = append(b, `,"line2":`...)
	b = appendString(b, st.AddressLine2)
	b = append(b, `,"postcode":`...)
	b = appendString(b, st.Postcode)
	b = append(b, `,"commune":`...)
	b = appendString(b, a.communeName(st.CommuneCode))
	b = append(b, `},"commune_code":`...)
	b = appendString(b, st.CommuneCode)
	if st.HasPosition {
		b = append(b, `,"lat":`...)
		b = appendFloat(b, st.Lat)
		b = append(b, `,"lng":`...)
		b = appendFloat(b, st.Lng)
	} else {
		b = append(b, `,"lat":null,"lng":null`...)
	}
	return append(b, `,"distance_km":`...)
}

// appendStructureTail appends a structure's JSON after the value of its distance.
func (a *API) appendStructureTail(b []byte, st *offer.StructureCard, active bool, jds []offer.JobCard) []byte {
	b = append(b, `,"active":`...)
	b = strconv.AppendBool(b, active)
	b = append(b, `,"accepts_applications":`...)
	b = strconv.AppendBool(b, !st.BlockApplications)
	b = append(b, `,"job_descriptions":[`...)
	for i := range jds {
		j := &jds[i]
		if i > 0 {
			b = append(b, ',')
		}
		title := j.CustomTitle
		if title == "" {
			title = j.AppellationLabel
		}
		b = append(b, `{"id":`...)
		b = appendUUID(b, j.ID)
		b = append(b, `,"appellation_code":`...)
		b = appendString(b, j.AppellationCode)
		b = append(b, `,"appellation_label":`...)
		b = appendString(b, j.AppellationLabel)
		b = append(b, `,"rome_code":`...)
		b = appendString(b, j.RomeCode)
		b = append(b, `,"title":`...)
		b = appendString(b, title)
		b = append(b, `,"contract_type":`...)
		b = appendString(b, string(j.ContractType))
		b = append(b, `,"open_positions":`...)
		b = strconv.AppendInt(b, int64(j.OpenPositions), 10)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// communeNames remembers the communes' names by reference data and code: refdata's Commune
// copies the commune's postcodes at each call.
var communeNames sync.Map

type communeKey struct {
	places *refdata.Data
	code   string
}

// communeName is the commune's name, "" when unknown.
func (a *API) communeName(code string) string {
	k := communeKey{a.places, code}
	if name, ok := communeNames.Load(k); ok {
		return name.(string)
	}
	var name string
	if c, ok := a.places.Commune(code); ok {
		name = c.Name
	}
	communeNames.Store(k, name)
	return name
}

const hexDigits = "0123456789abcdef"

// appendUUID appends the JSON of a uuid.UUID (its text form, quoted).
func appendUUID(b []byte, id uuid.UUID) []byte {
	b = append(b, '"')
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return append(b, '"')
}

// appendFloat appends a float64 as encoding/json does: like ES6's number to string, the
// exponent form only below 1e-6 or from 1e21. Non-finite numbers, which encoding/json refuses
// and no column holds, are written null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s quoted as encoding/json does without HTML escaping: \" and \\,
// the short escapes \b \f \n \r \t, \u00XX for other control characters, \ufffd for
// each byte of invalid UTF-8, and \u2028 \u2029 (line and paragraph separators).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look (most of the text).
		for i+8 <= len(s) && plainWord(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainWord tells whether none of eight bytes needs escaping or decoding: no control
// character (< 0x20), no '"', no '\\', nothing beyond ASCII (bit 7).
func plainWord(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (w - 0x20*ones) &^ w
	quote := w ^ ('"' * ones)
	quote = (quote - ones) &^ quote
	backslash := w ^ ('\\' * ones)
	backslash = (backslash - ones) &^ backslash
	return (control|quote|backslash|w)&highs == 0
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
	bp := searchBuffers.Get().(*[]byte)
	var cards *cardSet
	if q.Rome == "" && page.Generation != 0 {
		cards = a.cardsFor(page.Generation)
	}
	b := a.appendPage((*bp)[:0], &page, cards)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// Public data, the same for everyone: a proxy or the browser may reuse it for a minute.
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	if cap(b) <= maxPooledBuffer {
		*bp = b[:0]
		searchBuffers.Put(bp)
	}
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
	card := p.Structure.Card()
	jobs := make([]offer.JobCard, 0, len(p.JobDescriptions))
	for _, j := range p.JobDescriptions {
		if j.Active {
			jobs = append(jobs, j.Card())
		}
	}
	b := append(a.appendStructure(make([]byte, 0, 4<<10), &card, p.Active, nil, jobs), '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
