package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/offer"
	"parcours/internal/refdata"
)

// The JSON shapes, as documented in openapi.json: what encoding/json would write, the
// reference of the hand encoder (structures.go).
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

// structureOut is what encoding/json is given for a structure: the reference the hand
// encoder must match byte for byte.
func (a *API) structureOut(st offer.StructureCard, active bool, distance *float64, jds []offer.JobCard) structureJSON {
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

// referencePage is what the search handler encoded with encoding/json before it wrote its
// JSON by hand: the reference the hand encoder must match byte for byte.
func (a *API) referencePage(page offer.Page[offer.StructureResult]) pageJSON {
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
	return out
}

// randomText mixes what JSON must escape or may not: quotes, backslashes, control characters,
// HTML's special characters (left alone), accents, line separators, emoji, invalid UTF-8.
func randomText(r *rand.Rand) string {
	pieces := []string{"a", "Ateliers", " ", "é", "Œuvre", "€", "\"", "\\", "/", "<", ">", "&", "\u2028", "\u2029", "😀", "\x00",
		"\x1f", "\x7f", "\b", "\f", "\n", "\r", "\t", "\xff", "\xc3", "\xe2\x82", "\u00a0", "'", "{}", "[", "0"}
	if r.IntN(6) == 0 {
		return ""
	}
	var b strings.Builder
	for range r.IntN(12) {
		if r.IntN(8) == 0 {
			b.WriteByte(byte(r.IntN(256)))
			continue
		}
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randomFloat(r *rand.Rand) float64 {
	switch r.IntN(10) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return float64(r.IntN(200) - 100)
	case 3:
		return r.Float64() * 1e-6
	case 4:
		return (r.Float64() + 1) * 1e21
	case 5:
		return -r.Float64() * 1e-300
	case 6:
		return math.Round(r.Float64()*1000) / 10
	case 7:
		return 1e-7
	case 8:
		return r.NormFloat64() * 1e25
	}
	return r.Float64()*180 - 90
}

func randomPage(r *rand.Rand, codes []string) offer.Page[offer.StructureResult] {
	code := func() string { return codes[r.IntN(len(codes))] }
	p := offer.Page[offer.StructureResult]{Total: r.IntN(1000), RadiusKm: r.IntN(101),
		Centre: refdata.Commune{Code: code(), Name: randomText(r), Lat: randomFloat(r), Lng: randomFloat(r)}}
	if r.IntN(2) == 0 {
		p.Next = randomText(r) + "AQAAAAAAAAAA_-"
	}
	for range r.IntN(25) {
		st, jds := randomStructure(r, code)
		p.Items = append(p.Items, offer.StructureResult{Structure: st, DistanceKm: randomFloat(r), JobDescriptions: jds})
	}
	return p
}

func randomStructure(r *rand.Rand, code func() string) (offer.StructureCard, []offer.JobCard) {
	st := offer.StructureCard{ID: uuid.New(), Kind: randomText(r), Name: randomText(r), SIRET: randomText(r), CommuneCode: code(),
		Brand: randomText(r), AddressLine1: randomText(r), AddressLine2: randomText(r), Postcode: randomText(r),
		HasPosition: r.IntN(4) > 0, Lat: randomFloat(r), Lng: randomFloat(r), BlockApplications: r.IntN(3) == 0}
	var jds []offer.JobCard
	for range r.IntN(6) {
		jds = append(jds, offer.JobCard{ID: uuid.New(), AppellationCode: randomText(r), AppellationLabel: randomText(r),
			RomeCode: randomText(r), CustomTitle: randomText(r), ContractType: offer.ContractType(randomText(r)),
			OpenPositions: r.IntN(2000) - 5})
	}
	if len(jds) == 0 && r.IntN(2) == 0 {
		jds = []offer.JobCard{}
	}
	return st, jds
}

// The hand encoder writes exactly the bytes encoding/json writes for the same structure, out
// of a search (the single-structure endpoint: no distance).
func TestHandEncoderMatchesEncodingJSONForOneStructure(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Places: places})
	codes := []string{"", "99999", "69123", "75056", "2A004", "97411", "60694"}
	r := rand.New(rand.NewPCG(13, 17))
	for i := range 3000 {
		st, jds := randomStructure(r, func() string { return codes[r.IntN(len(codes))] })
		active := r.IntN(2) == 0
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a.structureOut(st, active, nil, jds)); err != nil {
			t.Fatal(err)
		}
		if got := append(a.appendStructure(nil, &st, active, nil, jds), '\n'); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("structure %d:\nhand:          %s\nencoding/json: %s", i, got, want.Bytes())
		}
	}
}

// The hand encoder writes exactly the bytes encoding/json writes for the same page.
func TestHandEncoderMatchesEncodingJSON(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Places: places})
	codes := []string{"", "99999", "69123", "75056", "2A004", "97411", "60694"}
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 5000 {
		page := randomPage(r, codes)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a.referencePage(page)); err != nil {
			t.Fatal(err)
		}
		got := a.appendPage(nil, &page, nil)
		if !bytes.Equal(got, want.Bytes()) {
			at := 0
			for at < min(len(got), len(want.Bytes())) && got[at] == want.Bytes()[at] {
				at++
			}
			t.Fatalf("page %d differs at byte %d:\nhand:          %q\nencoding/json: %q", i, at,
				got[max(0, at-60):min(len(got), at+60)], want.Bytes()[max(0, at-60):min(want.Len(), at+60)])
		}
	}
}

// The cards a search keeps per generation write the same bytes as encoding/json, when made
// and when reused by a later search that finds the same structures at other distances.
func TestStructureCardsMatchEncodingJSON(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Places: places})
	codes := []string{"", "99999", "69123", "75056", "2A004", "97411", "60694"}
	r := rand.New(rand.NewPCG(3, 5))
	check := func(i int, page offer.Page[offer.StructureResult], cards *cardSet) {
		t.Helper()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a.referencePage(page)); err != nil {
			t.Fatal(err)
		}
		if got := a.appendPage(nil, &page, cards); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("page %d with cards:\nhand:          %s\nencoding/json: %s", i, got, want.Bytes())
		}
	}
	for i := range 1000 {
		page := randomPage(r, codes)
		cards := a.cardsFor(int64(i + 1))
		check(i, page, cards)
		for k := range page.Items {
			page.Items[k].DistanceKm = randomFloat(r)
		}
		r.Shuffle(len(page.Items), func(x, y int) { page.Items[x], page.Items[y] = page.Items[y], page.Items[x] })
		check(i, page, cards)
	}
	// A page of an older generation than the set in use is encoded whole.
	if a.cardsFor(3) != nil {
		t.Error("an older generation got a card set")
	}
}

// BenchmarkEncodeSearchPage compares both encoders on a page of 20 structures with 5 job
// descriptions each.
func BenchmarkEncodeSearchPage(b *testing.B) {
	places, err := refdata.Load()
	if err != nil {
		b.Fatal(err)
	}
	a := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Places: places})
	page := offer.Page[offer.StructureResult]{Centre: refdata.Commune{Code: "69123", Name: "Lyon", Lat: 45.758, Lng: 4.835},
		RadiusKm: 25, Total: 121, Next: "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	for i := range 20 {
		st := offer.StructureCard{ID: uuid.New(), Kind: "ACI", Name: "Les Ateliers de la Croix-Rousse", SIRET: "12345678901234",
			CommuneCode: "69381", Brand: "Ateliers", AddressLine1: "12 rue des Tisserands", Postcode: "69004", HasPosition: true,
			Lat: 45.77 + float64(i)/1000, Lng: 4.83}
		var jds []offer.JobCard
		for range 5 {
			jds = append(jds, offer.JobCard{ID: uuid.New(), AppellationCode: "12345", AppellationLabel: "Agent / Agente de propreté",
				RomeCode: "K2204", ContractType: offer.ContractCDDI, OpenPositions: 2})
		}
		page.Items = append(page.Items, offer.StructureResult{Structure: st, DistanceKm: 3.2, JobDescriptions: jds})
	}
	b.Run("encoding-json", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(a.referencePage(page))
		}
		b.SetBytes(int64(buf.Len()))
	})
	b.Run("hand", func(b *testing.B) {
		buf := make([]byte, 0, 32<<10)
		for b.Loop() {
			buf = a.appendPage(buf[:0], &page, nil)
		}
		b.SetBytes(int64(len(buf)))
	})
}
