package refdata

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestLoadCountsAndLookups(t *testing.T) {
	d := testData(t)
	// 34,976 rows in communes.csv plus Paris, Lyon and Marseille rebuilt from their arrondissements.
	want := Counts{Regions: 18, Departements: 101, Communes: 34976 + 3, Romes: 532, Appellations: 11061}
	if got := d.Counts(); got != want {
		t.Fatalf("Counts = %+v, want %+v", got, want)
	}
	c, ok := d.Commune("42218")
	if !ok || c.Name != "Saint-Étienne" || c.Type != TypeCommune || c.Departement != "42" || c.Region != "84" ||
		!slices.Equal(c.Postcodes, []string{"42000", "42100", "42230"}) || !c.HasCoords || c.Lat != 45.4241 ||
		c.Lng != 4.36647 || c.Population != 172718 || c.Parent != "" {
		t.Fatalf("Commune(42218) = %+v, %v", c, ok)
	}
	if a, ok := d.Commune("75111"); !ok || a.Type != TypeArrondissement || a.Parent != "75056" {
		t.Fatalf("Commune(75111) = %+v, %v", a, ok)
	}
	if _, ok := d.Commune("99999"); ok {
		t.Fatal("Commune(99999) found")
	}
	if dep, ok := d.Departement("2A"); !ok || dep.Name != "Corse-du-Sud" || dep.Region != "94" {
		t.Fatalf("Departement(2A) = %+v, %v", dep, ok)
	}
	if r, ok := d.Region("11"); !ok || r.Name != "Île-de-France" || r.ChefLieu != "75056" {
		t.Fatalf("Region(11) = %+v, %v", r, ok)
	}
	if r, ok := d.Rome("D1102"); !ok || r.Label != "Boulangerie - viennoiserie" {
		t.Fatalf("Rome(D1102) = %+v, %v", r, ok)
	}
	if a, ok := d.Appellation("11574"); !ok || a.Label != "Boulanger-pâtissier / Boulangère-pâtissière" || a.Rome != "D1102" {
		t.Fatalf("Appellation(11574) = %+v, %v", a, ok)
	}
	of := d.AppellationsOfRome("D1102")
	if len(of) == 0 || !slices.IsSortedFunc(of, func(a, b Appellation) int { return compareCodes(a.Code, b.Code) }) {
		t.Fatalf("AppellationsOfRome(D1102) = %v", of)
	}
	for _, a := range of {
		if a.Rome != "D1102" {
			t.Fatalf("AppellationsOfRome(D1102) holds %+v", a)
		}
	}
	deps := d.Departements()
	if deps[0].Code != "01" || deps[len(deps)-1].Code != "976" {
		t.Fatalf("Departements not by code: first %s, last %s", deps[0].Code, deps[len(deps)-1].Code)
	}
	var codes []string
	for c := range d.Communes() {
		codes = append(codes, c.Code)
	}
	if len(codes) != want.Communes || !slices.IsSorted(codes) {
		t.Fatalf("Communes() yields %d codes, sorted %v", len(codes), slices.IsSorted(codes))
	}
	n := 0
	for range d.Appellations() {
		n++
	}
	if n != want.Appellations || len(d.Romes()) != want.Romes || len(d.Regions()) != want.Regions {
		t.Fatalf("iteration counts: %d appellations, %d romes, %d regions", n, len(d.Romes()), len(d.Regions()))
	}
	if len(d.Version()) != 64 {
		t.Fatalf("Version = %q", d.Version())
	}
}

// The reference README announces four communes without coordinates; the 2024 file has three
// (see the report of this package). The test pins the file's actual content.
func TestCommunesWithoutCoords(t *testing.T) {
	d := testData(t)
	var got []string
	for _, c := range d.CommunesWithoutCoords() {
		if c.HasCoords || c.Lat != 0 || c.Lng != 0 {
			t.Fatalf("%+v listed without coordinates", c)
		}
		got = append(got, c.Code)
	}
	if want := []string{"60694", "85165", "85212"}; !slices.Equal(got, want) {
		t.Fatalf("CommunesWithoutCoords = %v, want %v", got, want)
	}
	n := 0
	for c := range d.Communes() {
		if !c.HasCoords {
			n++
		}
	}
	if n != len(got) {
		t.Fatalf("%d communes without coordinates, %d reported", n, len(got))
	}
}

func TestDerivedParentCommunes(t *testing.T) {
	d := testData(t)
	if got := d.DerivedCommunes(); !slices.Equal(got, []string{"13055", "69123", "75056"}) {
		t.Fatalf("DerivedCommunes = %v", got)
	}
	for code, want := range map[string]struct {
		name, dep       string
		arrondissements int
	}{"75056": {"Paris", "75", 20}, "13055": {"Marseille", "13", 16}, "69123": {"Lyon", "69", 9}} {
		p, ok := d.Commune(code)
		if !ok || p.Name != want.name || p.Type != TypeCommune || p.Departement != want.dep || !p.HasCoords {
			t.Fatalf("Commune(%s) = %+v, %v", code, p, ok)
		}
		pop, n := 0, 0
		var sumLat, sumLng float64
		for c := range d.Communes() {
			if c.Parent != code {
				continue
			}
			n++
			pop += c.Population
			sumLat += c.Lat * float64(c.Population)
			sumLng += c.Lng * float64(c.Population)
			for _, pc := range c.Postcodes {
				if !slices.Contains(p.Postcodes, pc) {
					t.Errorf("%s lacks postcode %s of %s", code, pc, c.Code)
				}
			}
		}
		if n != want.arrondissements || p.Population != pop {
			t.Errorf("%s: %d arrondissements, population %d, want %d and %d", code, n, p.Population, want.arrondissements, pop)
		}
		if !near(p.Lat, sumLat/float64(pop), 1e-9) || !near(p.Lng, sumLng/float64(pop), 1e-9) {
			t.Errorf("%s centre %v,%v is not the population-weighted mean", code, p.Lat, p.Lng)
		}
	}
	// Every reference to a commune resolves.
	for _, dep := range d.Departements() {
		if _, ok := d.Commune(dep.ChefLieu); !ok {
			t.Errorf("département %s: chef-lieu %s unknown", dep.Code, dep.ChefLieu)
		}
	}
}

func near(a, b, eps float64) bool { return a-b <= eps && b-a <= eps }

func TestDataIsNotChangedThroughResults(t *testing.T) {
	d := testData(t)
	c, _ := d.Commune("42218")
	c.Postcodes[0] = "00000"
	for _, r := range d.SearchCommunes("saint-etienne", 1) {
		r.Postcodes[0] = "00000"
	}
	if again, _ := d.Commune("42218"); again.Postcodes[0] != "42000" {
		t.Fatal("a caller changed the shared data")
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		line                 int
		msg                  string
	}{
		{"bad latitude", CommunesFile, "01001,L'Abergement-Clémenciat,COM,01,84,01400,46.1517,", "01001,L'Abergement-Clémenciat,COM,01,84,01400,4x6.1517,", 2, "latitude « 4x6.1517 » invalide"},
		{"latitude without longitude", CommunesFile, "01002,L'Abergement-de-Varey,COM,01,84,01640,46.00713,5.42464,", "01002,L'Abergement-de-Varey,COM,01,84,01640,46.00713,,", 3, "toutes deux"},
		{"unknown département", CommunesFile, "01004,Ambérieu-en-Bugey,COM,01,", "01004,Ambérieu-en-Bugey,COM,00,", 4, "département « 00 » inconnu"},
		{"missing column", RomeFile, "A1101,Conduite d'engins agricoles et forestiers", "A1101", 2, "nombre de colonnes"},
		{"unknown ROME", AppellationsFile, "10200,Abatteur / Abatteuse de carrière,F1402", "10200,Abatteur / Abatteuse de carrière,Z9999", 2, "code ROME « Z9999 » inconnu"},
		{"duplicate", AppellationsFile, "10201,Accastilleur", "10200,Accastilleur", 3, "en double"},
		{"bad header", RegionsFile, "code,nom,lat", "code,name,lat", 1, "en-tête"},
		{"bad postcode", CommunesFile, "COM,01,84,01400,", "COM,01,84,1400,", 2, "code postal « 1400 »"},
		{"unknown chef-lieu", DepartementsFile, "01,84,Ain,46.09944,5.34889,01053", "01,84,Ain,46.09944,5.34889,01999", 2, "chef-lieu « 01999 »"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFS(editedFS(t, tc.file, tc.old, tc.new))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("LoadFS error %v is not a *ParseError", err)
			}
			if pe.File != tc.file || pe.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q (file %s, line %d), want %s line %d with %q", err, pe.File, pe.Line, tc.file, tc.line, tc.msg)
			}
		})
	}
	missing := editedFS(t, "", "", "")
	delete(missing, RomeFile)
	var pe *ParseError
	if _, err := LoadFS(missing); !errors.As(err, &pe) || pe.File != RomeFile {
		t.Fatalf("missing file: %v", err)
	}
}

func TestVersionFollowsContent(t *testing.T) {
	a, err := LoadFS(editedFS(t, "", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if a.Version() != testData(t).Version() {
		t.Fatal("same files, different versions")
	}
	b, err := LoadFS(editedFS(t, RomeFile, "Boulangerie - viennoiserie", "Boulangerie et viennoiserie"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Version() == a.Version() {
		t.Fatal("a changed label kept the version")
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
