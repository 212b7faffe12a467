// Package refdata loads the French reference data that every part of Parcours shares
// (communes, départements, régions, ROME codes and their appellations) from the CSV files
// embedded in the binary, answers lookups and type-ahead searches from memory, computes
// distances, and copies the data into the database so that SQL can join and filter on it.
//
// The data is read once at start and never changes while the program runs, so a *Data is
// immutable and safe for concurrent use without locks: search is a hot path of every form that
// asks for a place or a job, and it should not queue behind a mutex or a database round trip.
package refdata

import (
	"iter"
	"slices"
)

// CommuneType tells a commune from a municipal arrondissement.
type CommuneType string

// The two kinds of commune row. Paris, Lyon and Marseille are split into arrondissements,
// which have their own INSEE codes and postcodes and are what an address names.
const (
	TypeCommune        CommuneType = "COM"
	TypeArrondissement CommuneType = "ARM"
)

// Commune is a commune or a municipal arrondissement.
type Commune struct {
	// Code is the INSEE code (5 characters, "2A004" in Corsica), not a postcode: several
	// communes share a postcode and a commune can have several.
	Code        string
	Name        string
	Type        CommuneType
	Departement string
	Region      string
	Postcodes   []string
	// Lat and Lng are meaningful only when HasCoords: a handful of recently merged communes
	// have no published centre yet, and treating (0, 0) as a place would put them in the
	// Gulf of Guinea.
	Lat, Lng   float64
	HasCoords  bool
	Population int
	// Parent is the INSEE code of the commune an arrondissement belongs to, empty for a commune.
	Parent string
}

// Departement is a département; ChefLieu is the INSEE code of its prefecture.
type Departement struct {
	Code     string
	Region   string
	Name     string
	Lat, Lng float64
	ChefLieu string
}

// Region is a région; ChefLieu is the INSEE code of its prefecture.
type Region struct {
	Code     string
	Name     string
	Lat, Lng float64
	ChefLieu string
}

// Rome is a ROME code (a family of jobs, e.g. D1102 "Boulangerie - viennoiserie").
type Rome struct {
	Code  string
	Label string
}

// Appellation is a job title under a ROME code; job seekers and employers pick these.
type Appellation struct {
	Code  string
	Label string
	Rome  string
}

// Counts holds the number of rows of each kind.
type Counts struct {
	Regions, Departements, Communes, Romes, Appellations int
}

// Data is the loaded reference data. Its slices are kept in search-rank order (see index.go) so
// that a search can stop as soon as it has enough results; lookups go through maps.
type Data struct {
	version string

	regions      []Region // by code
	regionIdx    map[string]int
	departements []Departement // by code
	depIdx       map[string]int

	communes      []Commune // in rank order: population, then name
	communeIdx    map[string]int
	communeByCode []int // positions in communes, by code
	noCoords      []int // positions in communes, by code
	derived       []string

	romes      []Rome // in rank order
	romeIdx    map[string]int
	romeByCode []int

	appellations      []Appellation // in rank order
	appellationIdx    map[string]int
	appellationByCode []int
	appellationsOf    map[string][]int // ROME code → positions, by appellation code

	communeSearch     *index
	romeSearch        *index
	appellationSearch *index
}

// Version identifies the content of the CSV files (a SHA-256 of their bytes), so that the
// database can tell whether it holds this very data.
func (d *Data) Version() string { return d.version }

// Counts returns the number of rows of each kind, derived communes included.
func (d *Data) Counts() Counts {
	return Counts{
		Regions:      len(d.regions),
		Departements: len(d.departements),
		Communes:     len(d.communes),
		Romes:        len(d.romes),
		Appellations: len(d.appellations),
	}
}

// clone copies the one reference field of a Commune so that callers cannot change the shared data.
func (c Commune) clone() Commune {
	c.Postcodes = slices.Clone(c.Postcodes)
	return c
}

// Commune returns the commune or arrondissement with this INSEE code.
func (d *Data) Commune(code string) (Commune, bool) {
	i, ok := d.communeIdx[code]
	if !ok {
		return Commune{}, false
	}
	return d.communes[i].clone(), true
}

// Departement returns the département with this code ("01", "2A", "974").
func (d *Data) Departement(code string) (Departement, bool) {
	i, ok := d.depIdx[code]
	if !ok {
		return Departement{}, false
	}
	return d.departements[i], true
}

// Region returns the région with this code.
func (d *Data) Region(code string) (Region, bool) {
	i, ok := d.regionIdx[code]
	if !ok {
		return Region{}, false
	}
	return d.regions[i], true
}

// Rome returns the ROME code's entry.
func (d *Data) Rome(code string) (Rome, bool) {
	i, ok := d.romeIdx[code]
	if !ok {
		return Rome{}, false
	}
	return d.romes[i], true
}

// Appellation returns the appellation with this code.
func (d *Data) Appellation(code string) (Appellation, bool) {
	i, ok := d.appellationIdx[code]
	if !ok {
		return Appellation{}, false
	}
	return d.appellations[i], true
}

// AppellationsOfRome returns the appellations under a ROME code, by appellation code.
func (d *Data) AppellationsOfRome(code string) []Appellation {
	pos := d.appellationsOf[code]
	out := make([]Appellation, len(pos))
	for i, p := range pos {
		out[i] = d.appellations[p]
	}
	return out
}

// Regions returns every région, by code.
func (d *Data) Regions() []Region { return slices.Clone(d.regions) }

// Departements returns every département, by code.
func (d *Data) Departements() []Departement { return slices.Clone(d.departements) }

// Romes returns every ROME code, by code.
func (d *Data) Romes() []Rome {
	out := make([]Rome, len(d.romeByCode))
	for i, p := range d.romeByCode {
		out[i] = d.romes[p]
	}
	return out
}

// Communes yields every commune and arrondissement, by INSEE code.
func (d *Data) Communes() iter.Seq[Commune] {
	return func(yield func(Commune) bool) {
		for _, p := range d.communeByCode {
			if !yield(d.communes[p].clone()) {
				return
			}
		}
	}
}

// Appellations yields every appellation, by code.
func (d *Data) Appellations() iter.Seq[Appellation] {
	return func(yield func(Appellation) bool) {
		for _, p := range d.appellationByCode {
			if !yield(d.appellations[p]) {
				return
			}
		}
	}
}

// CommunesWithoutCoords returns the communes that have no centre, by code, so that imports and
// distance searches can say which places they could not place rather than silently drop them.
func (d *Data) CommunesWithoutCoords() []Commune {
	out := make([]Commune, len(d.noCoords))
	for i, p := range d.noCoords {
		out[i] = d.communes[p].clone()
	}
	return out
}

// DerivedCommunes returns the INSEE codes of the communes that Load rebuilt from their
// arrondissements because the file lists only the arrondissements (see Load).
func (d *Data) DerivedCommunes() []string { return slices.Clone(d.derived) }
