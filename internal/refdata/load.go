package refdata

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	files "parcours/refdata"
)

// The file names, in load order: each file's references point to files read before it.
const (
	RegionsFile      = "regions.csv"
	DepartementsFile = "departements.csv"
	CommunesFile     = "communes.csv"
	RomeFile         = "rome.csv"
	AppellationsFile = "appellations.csv"
)

var headers = map[string][]string{
	RegionsFile:      {"code", "nom", "lat", "lng", "chef_lieu"},
	DepartementsFile: {"code", "region", "nom", "lat", "lng", "chef_lieu"},
	CommunesFile:     {"code_insee", "nom", "type", "departement", "region", "codes_postaux", "lat", "lng", "population", "commune_parente"},
	RomeFile:         {"code", "libelle"},
	AppellationsFile: {"code", "libelle", "code_rome"},
}

// ParseError locates a problem in a reference file, so that whoever updates the CSVs can fix
// the line rather than hunt for it.
type ParseError struct {
	File string
	Line int // 0 when the problem is not on one line
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s, ligne %d : %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s : %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Load parses the reference files embedded in the binary.
func Load() (*Data, error) { return LoadFS(files.FS) }

// LoadFS parses the five reference files found at the root of fsys. It checks what later code
// relies on (unique codes, every reference resolves, coordinates in range) so that a bad file
// fails at start, with its line, rather than as a foreign-key error halfway through an import.
//
// The communes file lists the arrondissements of Paris, Lyon and Marseille but not the three
// communes themselves (75056, 69123, 13055), which départements, régions and arrondissements
// name and which job seekers' addresses often carry. LoadFS rebuilds such a missing parent from
// its arrondissements: the name they share ("Paris 1er Arrondissement" → "Paris"), the union of
// their postcodes, the sum of their populations, and as centre the population-weighted mean of
// their centres, which is where distances to "Paris" should be measured from. DerivedCommunes
// lists them. If a later file includes the parents, nothing is derived.
func LoadFS(fsys fs.FS) (*Data, error) {
	l := loader{d: &Data{}, sum: sha256.New()}
	d := l.d
	steps := []struct {
		file string
		row  func(line int, rec []string) error
		// reserve sizes the slice and map for n rows: growing them row by row costs more than
		// parsing.
		reserve func(n int)
	}{
		{RegionsFile, l.region, func(n int) { d.regions, d.regionIdx = make([]Region, 0, n), make(map[string]int, n) }},
		{DepartementsFile, l.departement, func(n int) { d.departements, d.depIdx = make([]Departement, 0, n), make(map[string]int, n) }},
		{CommunesFile, l.commune, func(n int) { d.communes, d.communeIdx = make([]Commune, 0, n+8), make(map[string]int, n+8) }},
		{RomeFile, l.rome, func(n int) { d.romes, d.romeIdx = make([]Rome, 0, n), make(map[string]int, n) }},
		{AppellationsFile, l.appellation, func(n int) { d.appellations, d.appellationIdx = make([]Appellation, 0, n), make(map[string]int, n) }},
	}
	l.lines = map[string]int{}
	for _, s := range steps {
		if err := l.read(fsys, s.file, s.row, s.reserve); err != nil {
			return nil, err
		}
		if s.file == CommunesFile {
			if err := l.deriveParents(); err != nil {
				return nil, err
			}
		}
	}
	if err := l.checkChefLieux(); err != nil {
		return nil, err
	}
	l.d.version = hex.EncodeToString(l.sum.Sum(nil))
	l.finish()
	return l.d, nil
}

type loader struct {
	d   *Data
	sum hash.Hash
	// lines remembers where départements and régions were read, for errors found later.
	lines map[string]int
}

func (l *loader) read(fsys fs.FS, name string, row func(line int, rec []string) error, reserve func(n int)) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return &ParseError{File: name, Err: fmt.Errorf("lecture impossible : %w", err)}
	}
	// The name and length go into the version too, so that moving bytes from one file to the
	// next cannot keep the same version.
	fmt.Fprintf(l.sum, "%s\x00%d\x00", name, len(b))
	l.sum.Write(b)
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	reserve(bytes.Count(b, []byte("\n")))
	r := csv.NewReader(bytes.NewReader(b))
	r.ReuseRecord = true
	want := headers[name]
	head, err := r.Read()
	if err != nil {
		return &ParseError{File: name, Line: 1, Err: fmt.Errorf("en-tête illisible : %w", err)}
	}
	if !slices.Equal(head, want) {
		return &ParseError{File: name, Line: 1, Err: fmt.Errorf("en-tête « %s » inattendu, attendu « %s »",
			strings.Join(head, ","), strings.Join(want, ","))}
	}
	r.FieldsPerRecord = len(want)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &ParseError{File: name, Line: pe.Line, Err: csvMessage(pe.Err)}
			}
			return &ParseError{File: name, Err: err}
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := row(line, rec); err != nil {
			return &ParseError{File: name, Line: line, Err: err}
		}
	}
}

func csvMessage(err error) error {
	switch {
	case errors.Is(err, csv.ErrFieldCount):
		return fmt.Errorf("nombre de colonnes inattendu : %w", err)
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return fmt.Errorf("guillemets mal placés : %w", err)
	}
	return err
}

func (l *loader) region(line int, rec []string) error {
	code, name := rec[0], rec[1]
	if err := newCode(code, "région", l.d.regionIdx); err != nil {
		return err
	}
	if name == "" {
		return errors.New("nom vide")
	}
	lat, lng, ok, err := parseCoords(rec[2], rec[3])
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("coordonnées manquantes")
	}
	l.d.regionIdx[code] = len(l.d.regions)
	l.d.regions = append(l.d.regions, Region{Code: code, Name: name, Lat: lat, Lng: lng, ChefLieu: rec[4]})
	l.lines["r"+code] = line
	return nil
}

func (l *loader) departement(line int, rec []string) error {
	code, region, name := rec[0], rec[1], rec[2]
	if err := newCode(code, "département", l.d.depIdx); err != nil {
		return err
	}
	if _, ok := l.d.regionIdx[region]; !ok {
		return fmt.Errorf("région « %s » inconnue", region)
	}
	if name == "" {
		return errors.New("nom vide")
	}
	lat, lng, ok, err := parseCoords(rec[3], rec[4])
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("coordonnées manquantes")
	}
	l.d.depIdx[code] = len(l.d.departements)
	l.d.departements = append(l.d.departements, Departement{Code: code, Region: region, Name: name, Lat: lat, Lng: lng, ChefLieu: rec[5]})
	l.lines["d"+code] = line
	return nil
}

func (l *loader) commune(_ int, rec []string) error {
	c := Commune{Code: rec[0], Name: rec[1], Type: CommuneType(rec[2]), Departement: rec[3], Region: rec[4], Parent: rec[9]}
	if err := newCode(c.Code, "commune", l.d.communeIdx); err != nil {
		return err
	}
	if c.Name == "" {
		return errors.New("nom vide")
	}
	switch c.Type {
	case TypeCommune:
		if c.Parent != "" {
			return fmt.Errorf("une commune (COM) n'a pas de commune parente, « %s » donnée", c.Parent)
		}
	case TypeArrondissement:
		if c.Parent == "" {
			return errors.New("commune parente manquante pour un arrondissement (ARM)")
		}
	default:
		return fmt.Errorf("type « %s » inconnu, attendu COM ou ARM", rec[2])
	}
	dep, ok := l.d.depIdx[c.Departement]
	if !ok {
		return fmt.Errorf("département « %s » inconnu", c.Departement)
	}
	if want := l.d.departements[dep].Region; c.Region != want {
		return fmt.Errorf("région « %s » différente de celle du département %s (%s)", c.Region, c.Departement, want)
	}
	c.Postcodes = strings.Fields(rec[5])
	for _, p := range c.Postcodes {
		if len(p) != 5 || !allDigits(p) {
			return fmt.Errorf("code postal « %s » invalide (5 chiffres attendus)", p)
		}
	}
	var err error
	c.Lat, c.Lng, c.HasCoords, err = parseCoords(rec[6], rec[7])
	if err != nil {
		return err
	}
	if c.Population, err = strconv.Atoi(rec[8]); err != nil || c.Population < 0 {
		return fmt.Errorf("population « %s » invalide", rec[8])
	}
	l.d.communeIdx[c.Code] = len(l.d.communes)
	l.d.communes = append(l.d.communes, c)
	return nil
}

func (l *loader) rome(_ int, rec []string) error {
	code, label := rec[0], rec[1]
	if err := newCode(code, "ROME", l.d.romeIdx); err != nil {
		return err
	}
	if len(code) != 5 || code[0] < 'A' || code[0] > 'Z' || !allDigits(code[1:]) {
		return fmt.Errorf("code ROME « %s » invalide (une lettre et 4 chiffres attendus)", code)
	}
	if label == "" {
		return errors.New("libellé vide")
	}
	l.d.romeIdx[code] = len(l.d.romes)
	l.d.romes = append(l.d.romes, Rome{Code: code, Label: label})
	return nil
}

func (l *loader) appellation(_ int, rec []string) error {
	a := Appellation{Code: rec[0], Label: rec[1], Rome: rec[2]}
	if err := newCode(a.Code, "appellation", l.d.appellationIdx); err != nil {
		return err
	}
	if !allDigits(a.Code) {
		return fmt.Errorf("code d'appellation « %s » invalide (chiffres attendus)", a.Code)
	}
	if a.Label == "" {
		return errors.New("libellé vide")
	}
	if _, ok := l.d.romeIdx[a.Rome]; !ok {
		return fmt.Errorf("code ROME « %s » inconnu", a.Rome)
	}
	l.d.appellationIdx[a.Code] = len(l.d.appellations)
	l.d.appellations = append(l.d.appellations, a)
	return nil
}

func newCode(code, what string, seen map[string]int) error {
	if code == "" {
		return fmt.Errorf("code de %s vide", what)
	}
	if _, dup := seen[code]; dup {
		return fmt.Errorf("code de %s « %s » en double", what, code)
	}
	return nil
}

// parseCoords accepts both empty (ok false) or both valid; one without the other is a mistake.
func parseCoords(latS, lngS string) (lat, lng float64, ok bool, err error) {
	if latS == "" && lngS == "" {
		return 0, 0, false, nil
	}
	if latS == "" || lngS == "" {
		return 0, 0, false, errors.New("latitude et longitude doivent être toutes deux renseignées ou toutes deux vides")
	}
	lat, err = strconv.ParseFloat(latS, 64)
	if err != nil || lat < -90 || lat > 90 {
		return 0, 0, false, fmt.Errorf("latitude « %s » invalide", latS)
	}
	lng, err = strconv.ParseFloat(lngS, 64)
	if err != nil || lng < -180 || lng > 180 {
		return 0, 0, false, fmt.Errorf("longitude « %s » invalide", lngS)
	}
	return lat, lng, true, nil
}

// deriveParents adds the communes that arrondissements name as parent but the file lacks (see
// LoadFS).
func (l *loader) deriveParents() error {
	children := map[string][]int{}
	for i, c := range l.d.communes {
		if c.Type == TypeArrondissement {
			children[c.Parent] = append(children[c.Parent], i)
		}
	}
	for _, parent := range slices.Sorted(maps.Keys(children)) {
		if i, ok := l.d.communeIdx[parent]; ok {
			if l.d.communes[i].Type != TypeCommune {
				return &ParseError{File: CommunesFile, Err: fmt.Errorf("la commune parente %s est elle-même un arrondissement", parent)}
			}
			continue
		}
		p, err := l.derive(parent, children[parent])
		if err != nil {
			return &ParseError{File: CommunesFile, Err: err}
		}
		l.d.communeIdx[parent] = len(l.d.communes)
		l.d.communes = append(l.d.communes, p)
		l.d.derived = append(l.d.derived, parent)
	}
	return nil
}

func (l *loader) derive(code string, kids []int) (Commune, error) {
	first := l.d.communes[kids[0]]
	p := Commune{Code: code, Type: TypeCommune, Departement: first.Departement, Region: first.Region, Name: nameBeforeNumber(first.Name)}
	if p.Name == "" {
		return Commune{}, fmt.Errorf("impossible de déduire le nom de la commune %s de « %s »", code, first.Name)
	}
	postcodes := map[string]bool{}
	var sumLat, sumLng, weight, plainLat, plainLng float64
	located := 0
	for _, k := range kids {
		c := l.d.communes[k]
		if nameBeforeNumber(c.Name) != p.Name || c.Departement != p.Departement {
			return Commune{}, fmt.Errorf("les arrondissements de %s ne s'accordent pas sur le nom ou le département (%s)", code, c.Code)
		}
		for _, pc := range c.Postcodes {
			postcodes[pc] = true
		}
		p.Population += c.Population
		if c.HasCoords {
			w := float64(c.Population)
			sumLat, sumLng, weight = sumLat+w*c.Lat, sumLng+w*c.Lng, weight+w
			plainLat, plainLng, located = plainLat+c.Lat, plainLng+c.Lng, located+1
		}
	}
	p.Postcodes = slices.Sorted(maps.Keys(postcodes))
	switch {
	case weight > 0:
		p.Lat, p.Lng, p.HasCoords = sumLat/weight, sumLng/weight, true
	case located > 0:
		p.Lat, p.Lng, p.HasCoords = plainLat/float64(located), plainLng/float64(located), true
	}
	return p, nil
}

// nameBeforeNumber returns the words of an arrondissement's name before the first one that
// starts with a digit: "Marseille 1er Arrondissement" → "Marseille".
func nameBeforeNumber(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		if w[0] >= '0' && w[0] <= '9' {
			return strings.Join(words[:i], " ")
		}
	}
	return ""
}

func (l *loader) checkChefLieux() error {
	for _, d := range l.d.departements {
		if _, ok := l.d.communeIdx[d.ChefLieu]; !ok {
			return &ParseError{File: DepartementsFile, Line: l.lines["d"+d.Code], Err: fmt.Errorf("chef-lieu « %s » absent des communes", d.ChefLieu)}
		}
	}
	for _, r := range l.d.regions {
		if _, ok := l.d.communeIdx[r.ChefLieu]; !ok {
			return &ParseError{File: RegionsFile, Line: l.lines["r"+r.Code], Err: fmt.Errorf("chef-lieu « %s » absent des communes", r.ChefLieu)}
		}
	}
	return nil
}

// finish puts every slice in the order that search and iteration need and builds the indexes.
func (l *loader) finish() {
	d := l.d
	slices.SortFunc(d.regions, func(a, b Region) int { return compareCodes(a.Code, b.Code) })
	slices.SortFunc(d.departements, func(a, b Departement) int { return compareCodes(a.Code, b.Code) })
	d.regionIdx = positions(codesOf(d.regions, func(r *Region) string { return r.Code }))
	d.depIdx = positions(codesOf(d.departements, func(x *Departement) string { return x.Code }))

	// Communes: biggest first, so that "Saint" proposes Saint-Denis before a hamlet.
	var folded []string
	d.communes, folded = rank(d.communes, func(c *Commune) (string, string) { return c.Name, c.Code },
		func(c *Commune, _ string) int { return -c.Population })
	codes := codesOf(d.communes, func(c *Commune) string { return c.Code })
	d.communeIdx = positions(codes)
	d.communeByCode = byCode(codes)
	for _, p := range d.communeByCode {
		if !d.communes[p].HasCoords {
			d.noCoords = append(d.noCoords, p)
		}
	}
	entries := make([]entry, len(d.communes))
	for i, c := range d.communes {
		entries[i] = entry{folded: folded[i], codes: c.Postcodes}
	}
	d.communeSearch = newIndex(entries, postcodeCodes, true)

	// ROME codes and appellations: the shortest label first (the generic job before its
	// variants), then alphabetical without regard to accents.
	words := func(folded string) int { return strings.Count(folded, " ") }
	d.romes, folded = rank(d.romes, func(r *Rome) (string, string) { return r.Label, r.Code },
		func(_ *Rome, f string) int { return words(f) })
	codes = codesOf(d.romes, func(r *Rome) string { return r.Code })
	d.romeIdx = positions(codes)
	d.romeByCode = byCode(codes)
	entries = make([]entry, len(d.romes))
	for i, r := range d.romes {
		entries[i] = entry{folded: folded[i], codes: []string{strings.ToLower(r.Code)}}
	}
	d.romeSearch = newIndex(entries, romeCodes, false)

	d.appellations, folded = rank(d.appellations, func(a *Appellation) (string, string) { return a.Label, a.Code },
		func(_ *Appellation, f string) int { return words(f) })
	codes = codesOf(d.appellations, func(a *Appellation) string { return a.Code })
	d.appellationIdx = positions(codes)
	d.appellationByCode = byCode(codes)
	d.appellationsOf = map[string][]int{}
	for _, p := range d.appellationByCode {
		a := d.appellations[p]
		d.appellationsOf[a.Rome] = append(d.appellationsOf[a.Rome], p)
	}
	entries = make([]entry, len(d.appellations))
	for i, a := range d.appellations {
		entries[i] = entry{folded: folded[i], codes: []string{strings.ToLower(a.Rome)}, exact: a.Code}
	}
	d.appellationSearch = newIndex(entries, romeCodes, false)
}

// rank returns s sorted by primary, then by folded text, then by code (as a number), and the
// folded texts in the new order. Keys are computed once, not at every comparison.
func rank[T any](s []T, key func(*T) (text, code string), primary func(x *T, folded string) int) ([]T, []string) {
	type keyed struct {
		primary      int
		folded, code string
		pos          int
	}
	k := make([]keyed, len(s))
	for i := range s {
		text, code := key(&s[i])
		f := Normalize(text)
		k[i] = keyed{primary(&s[i], f), f, code, i}
	}
	slices.SortFunc(k, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.primary, b.primary), strings.Compare(a.folded, b.folded), compareCodes(a.code, b.code))
	})
	sorted := make([]T, len(s))
	folded := make([]string, len(s))
	for i, x := range k {
		sorted[i], folded[i] = s[x.pos], x.folded
	}
	return sorted, folded
}

// compareCodes orders numeric codes of different lengths as numbers.
func compareCodes(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

func codesOf[T any](s []T, code func(*T) string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = code(&s[i])
	}
	return out
}

func positions(codes []string) map[string]int {
	m := make(map[string]int, len(codes))
	for i, c := range codes {
		m[c] = i
	}
	return m
}

// byCode returns the positions of codes in code order.
func byCode(codes []string) []int {
	p := make([]int, len(codes))
	for i := range p {
		p[i] = i
	}
	slices.SortFunc(p, func(a, b int) int { return compareCodes(codes[a], codes[b]) })
	return p
}
