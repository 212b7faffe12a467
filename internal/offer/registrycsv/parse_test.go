package registrycsv_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// loadPlaces shares one parse of the reference data between tests: it is immutable.
var loadPlaces = sync.OnceValues(refdata.Load)

func places(tb testing.TB) *refdata.Data {
	tb.Helper()
	d, err := loadPlaces()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// siret makes the n-th valid SIRET of a test (Luhn check digit added).
func siret(n int) string {
	base := fmt.Sprintf("91%011d", n)
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(base+string(d)) == nil {
			return base + string(d)
		}
	}
	panic(base)
}

func parse(t *testing.T, text string) registrycsv.Parsed {
	t.Helper()
	p, err := registrycsv.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func fileErr(t *testing.T, data []byte) *registrycsv.FileError {
	t.Helper()
	_, err := registrycsv.Parse(bytes.NewReader(data))
	var fe *registrycsv.FileError
	if !errors.As(err, &fe) || !errors.Is(err, fault.Invalid) {
		t.Fatalf("want a file error, got %v", err)
	}
	return fe
}

func lines(p registrycsv.Parsed) (rows []int, rejected map[int]string) {
	rejected = map[int]string{}
	for _, r := range p.Rows {
		rows = append(rows, r.Line)
	}
	for _, r := range p.Rejected {
		rejected[r.Line] = r.Reason
	}
	return rows, rejected
}

func TestParseExampleFiles(t *testing.T) {
	data, err := os.ReadFile("testdata/exemple.csv")
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, string(data))
	if p.Separator != ';' || len(p.Rows) != 3 || len(p.Rejected) != 0 || len(p.Warnings) != 0 || p.Lines != 5 {
		t.Fatalf("parsed %+v", p)
	}
	// The antenna's quoted field spans lines 3 and 4: the GEIQ after it is on line 5.
	if p.Rows[0].Line != 2 || p.Rows[1].Line != 3 || p.Rows[2].Line != 5 {
		t.Fatalf("lines %v", p.Rows)
	}
	e := p.Rows[0].Entry
	want := offer.RegistryEntry{SIRET: "91000000000018", Kind: "ACI", Name: "Jardins solidaires de Lyon", Brand: "Le Jardin",
		AddressLine1: "12 rue de la République", Postcode: "69001", CommuneCode: "69381", Email: "contact@jardins-lyon.example",
		Phone: "04 72 00 00 00", Website: "www.jardins-lyon.example", ConventionNumber: "ACI069000001",
		ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2027-12-31")}
	if fmt.Sprint(e) != fmt.Sprint(want) {
		t.Fatalf("entry\n%+v\nwant\n%+v", e, want)
	}
	if a := p.Rows[1].Entry; a.AddressLine2 != "Bâtiment B\n2e étage" || a.ParentSIRET != e.SIRET {
		t.Fatalf("antenna %+v", a)
	}

	data, err = os.ReadFile("testdata/virgules.csv")
	if err != nil {
		t.Fatal(err)
	}
	p = parse(t, string(data))
	if p.Separator != ',' || len(p.Rows) != 1 || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "« Remarques »") {
		t.Fatalf("parsed %+v", p)
	}
	if e := p.Rows[0].Entry; e.Kind != "EI" || e.Name != "Restaurant d'insertion, Lyon" || e.ConventionEndsOn != date("2026-12-31") {
		t.Fatalf("entry %+v", e)
	}
}

func date(s string) database.Date {
	d, err := database.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseHeaderVariants(t *testing.T) {
	// BOM, CRLF, accents, capitals, spaces, aliases, any order, blank line before the header.
	text := "\ufeff\r\n  Code INSEE ;RAISON SOCIALE;Type de structure;N° SIRET;Début de convention;Fin  convention;Numéro de convention;Courriel;Tél.;Site internet;CP;Complément d'adresse\r\n" +
		"69381;Atelier;aci;" + siret(1) + ";1/2/2026;2027-01-31;C1;a@b.fr;0472000000;https://x.fr;69001;Bât. A\r\n"
	p := parse(t, text)
	if len(p.Rows) != 1 || len(p.Rejected) != 0 || len(p.Warnings) != 0 {
		t.Fatalf("parsed %+v", p)
	}
	if r := p.Rows[0]; r.Line != 3 || r.Entry.CommuneCode != "69381" || r.Entry.Kind != "ACI" || r.Entry.ConventionStartsOn != date("2026-02-01") ||
		r.Entry.Phone != "0472000000" || r.Entry.Postcode != "69001" || r.Entry.AddressLine2 != "Bât. A" || r.Entry.Email != "a@b.fr" {
		t.Fatalf("row %+v", r)
	}
	// Unknown and unnamed columns are warnings.
	p = parse(t, "siret;type;raison_sociale;code_insee;remarque;;\n"+siret(1)+";EI;X;69381;;;\n")
	if len(p.Rows) != 1 || len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "« remarque »") {
		t.Fatalf("warnings %q", p.Warnings)
	}
}

func TestParseFileErrors(t *testing.T) {
	latin1, err := os.ReadFile("testdata/latin1.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		line int
		want []string
	}{
		{"empty", nil, 0, []string{"vide"}},
		{"blank", []byte("\ufeff \r\n\r\n"), 0, []string{"vide"}},
		{"header only", []byte("siret;type;raison_sociale;code_insee\r\n"), 0, []string{"que la ligne d'en-tête"}},
		{"missing columns", []byte("siret;raison_sociale;commune\n1;2;3\n"), 1, []string{"type, code_insee", "« commune »"}},
		{"tab separated", []byte("siret\ttype\traison_sociale\tcode_insee\n"), 1, []string{"une seule colonne", "points-virgules"}},
		{"duplicate column", []byte("siret;type;raison_sociale;code_insee;Code commune\n"), 1, []string{"colonnes 4 (« code_insee ») et 5 (« Code commune »)"}},
		{"latin-1", latin1, 2, []string{"UTF-8", "Soci\uFFFDt\uFFFD g\uFFFDn\uFFFDrale", "« CSV UTF-8 »", "Windows-1252"}},
		{"latin-1 after a multi-byte line", []byte("siret;type;raison_sociale;code_insee\nété;;;\n\n1;EI;Cr\xe9che;1\n"), 4, []string{"UTF-8"}},
		{"UTF-16", append([]byte{0xFF, 0xFE}, "s\x00i\x00"...), 0, []string{"UTF-16"}},
		{"xlsx", []byte("PK\x03\x04\x14\x00\x06\x00"), 0, []string{"classeur"}},
		{"NUL bytes", []byte("s\x00i\x00r\x00e\x00t\x00\n\x00"), 1, []string{"octets nuls"}},
		{"unterminated quote", []byte("siret;type;raison_sociale;code_insee\n" + siret(1) + ";EI;X;69381\n" + siret(2) + ";EI;\"Ouvert;69381\n" +
			siret(3) + ";EI;Y;69381\n"), 3, []string{"jamais refermé", "jusqu'à la ligne 4"}},
		{"header quote", []byte("siret;\"type;raison_sociale;code_insee\n"), 1, []string{"en-tête"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := fileErr(t, tc.data)
			if fe.Line != tc.line {
				t.Errorf("line %d, want %d: %v", fe.Line, tc.line, fe)
			}
			for _, w := range tc.want {
				if !strings.Contains(fe.Error(), w) {
					t.Errorf("%q lacks %q", fe.Error(), w)
				}
			}
		})
	}
}

func TestParseRefusesMoreThanMaxRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("siret,type,raison_sociale,code_insee\n")
	for range registrycsv.MaxRows {
		b.WriteString("1,EI,X,1\n")
	}
	if p := parse(t, b.String()); p.Total() != registrycsv.MaxRows {
		t.Fatalf("%d lines", p.Total())
	}
	b.WriteString("1,EI,X,1\n")
	fe := fileErr(t, []byte(b.String()))
	if !strings.Contains(fe.Error(), "100000 lignes") {
		t.Fatal(fe)
	}
}

func TestParseRejectsLines(t *testing.T) {
	head := "siret;type;raison_sociale;code_insee;code_postal;email;telephone;site_web;numero_convention;debut_convention;fin_convention;siret_parent\n"
	text := head +
		siret(1) + ";ACI;Parent;69381;;;;;C1;01/01/2026;31/12/2026;\n" + // 2 ok
		"12345678901234;EI;Mauvais SIRET;69381;;;;;;;;\n" + // 3
		"9,10000E+13;EI;Excel;69381;;;;;;;;\n" + // 4
		"1000000000001;EI;Zéro perdu;69381;;;;;;;;\n" + // 5
		siret(2) + ";EIX;Type;69381;;;;;;;;\n" + // 6
		siret(3) + ";EI;;69381;1000;;;;;;;\n" + // 7: name, postcode
		siret(4) + ";EI;Contacts;69381;;pas-une-adresse;123;ftp://x.fr;;;;\n" + // 8
		siret(5) + ";ACI;Dates;69381;;;;;C5;31/02/2026;2026-13-01;\n" + // 9
		siret(6) + ";ACI;Ordre;69381;;;;;C6;01/01/2027;01/01/2026;\n" + // 10
		siret(7) + ";GEIQ;Geiq;69381;;;;;C7;01/01/2026;01/01/2027;\n" + // 11
		siret(8) + ";ACI;Antenne conventionnée;69381;;;;;C8;01/01/2026;01/01/2027;" + siret(1) + "\n" + // 12
		siret(9) + ";ACI;Sa propre antenne;69381;;;;;;;;" + siret(9) + "\n" + // 13
		siret(1) + ";aci;Doublon;69381;;;;;;;;\n" + // 14
		siret(1) + ";EI;Même SIRET, autre type;69381;;;;;;;;\n" + // 15 ok
		siret(10) + ";ACI;Convention prise;69381;;;;;C1;01/01/2026;31/12/2026;\n" + // 16
		siret(11) + ";ACI;Antenne;69381;;;;;;;;" + siret(1) + "\n" + // 17 ok
		siret(12) + ";ACI;Antenne d'antenne;69381;;;;;;;;" + siret(11) + "\n" + // 18
		siret(13) + ";ACI;Trop;de;champs;;;;;;;;;\n" + // 19
		siret(14) + ";ACI;Pas assez\n" + // 20
		siret(15) + ";ACI;Mal \"cité\";69381;;;;;;;;\n" + // 21
		";;;;;;;;;;;\n" + // 22: blank, skipped
		siret(16) + ";ACI;Sans dates;69381;;;;;C16;;;\n" + // 23
		";ACI;Sans SIRET;69381;;;;;;;;\n" // 24
	p := parse(t, text)
	rows, rejected := lines(p)
	if fmt.Sprint(rows) != "[2 15 17]" {
		t.Errorf("rows %v", rows)
	}
	want := map[int][]string{
		3:  {"siret « 12345678901234 » : ce numéro SIRET n'est pas valide"},
		4:  {"converti le SIRET en nombre"},
		5:  {"13 chiffres", "zéro initial"},
		6:  {"type « EIX » inconnu"},
		7:  {"raison_sociale : obligatoire ; code_postal « 1000 »", "zéro initial"},
		8:  {"email : adresse électronique invalide", "telephone : numéro de téléphone invalide", "site_web : adresse de site invalide"},
		9:  {"debut_convention « 31/02/2026 » : date invalide", "fin_convention « 2026-13-01 »"},
		10: {"fin_convention : la convention ne peut pas finir avant de commencer"},
		11: {"un GEIQ n'a pas de convention"},
		12: {"une antenne partage la convention"},
		13: {"sa propre antenne"},
		14: {"doublon : même SIRET et même type que la ligne 2"},
		16: {"numero_convention : déjà celui de la ligne 2"},
		18: {"la structure mère (ligne 17) est elle-même une antenne"},
		19: {"la ligne compte 14 champs mais l'en-tête 12 colonnes", "« ; »"},
		20: {"la ligne compte 3 champs"},
		21: {"ligne illisible : guillemet au milieu d'un champ"},
		23: {"debut_convention et fin_convention : obligatoires"},
		24: {"siret : obligatoire"},
	}
	for line, parts := range want {
		for _, w := range parts {
			if !strings.Contains(rejected[line], w) {
				t.Errorf("line %d: %q lacks %q", line, rejected[line], w)
			}
		}
	}
	if len(rejected) != len(want) {
		t.Errorf("rejected %d lines, want %d: %v", len(rejected), len(want), rejected)
	}
	if strings.Contains(rejected[8], "pas-une-adresse") || strings.Contains(rejected[8], "123") {
		t.Errorf("contact values repeated in %q", rejected[8])
	}
	// Rejections are sorted by line.
	for i := 1; i < len(p.Rejected); i++ {
		if p.Rejected[i-1].Line >= p.Rejected[i].Line {
			t.Fatalf("rejections out of order: %v", p.Rejected)
		}
	}
}

func TestCheckCommunes(t *testing.T) {
	p := parse(t, "siret;type;raison_sociale;code_insee\n"+siret(1)+";EI;Lyon;69381\n"+siret(2)+";EI;Nulle part;99999\n"+
		siret(3)+";EI;Ain;1053\n"+siret(4)+";EI;Corse;2A004\n")
	p.CheckCommunes(places(t))
	rows, rejected := lines(p)
	if fmt.Sprint(rows) != "[2 5]" || !strings.Contains(rejected[3], "code_insee « 99999 » : commune inconnue") ||
		!strings.Contains(rejected[4], "zéro initial de 01053") {
		t.Fatalf("rows %v, rejected %v", rows, rejected)
	}
	r := registrycsv.Check(p)
	if !r.DryRun || r.Lines != 4 || len(r.Rejected) != 2 || !strings.Contains(r.String(), "4 lignes lues, 2 valides, 2 rejetées") {
		t.Fatalf("check %+v\n%s", r, r)
	}
}

// A postcode must be one of the commune's, as the employer's form requires: the dry run says
// so on the line, with the column.
func TestCheckCommunesPostcodes(t *testing.T) {
	p := parse(t, "siret;type;raison_sociale;code_insee;code_postal\n"+siret(1)+";EI;Lyon 1er;69381;69001\n"+
		siret(2)+";EI;Lyon 1er;69381;75001\n"+siret(3)+";EI;Lyon;69123;69 004\n")
	p.CheckCommunes(places(t))
	rows, rejected := lines(p)
	if fmt.Sprint(rows) != "[2 4]" || !strings.Contains(rejected[3], "code_postal : le code postal 75001 n'est pas celui de Lyon 1er Arrondissement") {
		t.Fatalf("rows %v, rejected %v", rows, rejected)
	}
}

// Lengths count characters, not bytes, in the reader as in the registry: 50 "é" are a valid
// convention number (100 bytes), 51 are not.
func TestLengthsCountCharacters(t *testing.T) {
	head := "siret;type;raison_sociale;code_insee;numero_convention;debut_convention;fin_convention\n"
	p := parse(t, head+siret(1)+";EI;"+strings.Repeat("é", 200)+";69381;"+strings.Repeat("é", 50)+";01/01/2026;31/12/2026\n"+
		siret(2)+";EI;"+strings.Repeat("é", 201)+";69381;"+strings.Repeat("é", 51)+";01/01/2026;31/12/2026\n")
	rows, rejected := lines(p)
	if fmt.Sprint(rows) != "[2]" || !strings.Contains(rejected[3], "raison_sociale : 200 caractères au plus") ||
		!strings.Contains(rejected[3], "numero_convention : 50 caractères au plus") {
		t.Fatalf("rows %v, rejected %v", rows, rejected)
	}
}

func TestWriteThenParse(t *testing.T) {
	entries := []offer.RegistryEntry{
		{SIRET: siret(1), Kind: "ACI", Name: `Atelier "Le Pont"; Lyon`, Brand: "Pont", AddressLine1: "1, rue X", AddressLine2: "ligne\n2",
			Postcode: "69001", CommuneCode: "69381", Email: "a@b.fr", Phone: "0472000000", Website: "https://a.fr",
			ConventionNumber: "C1", ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2027-06-30")},
		{SIRET: siret(2), Kind: "ACI", Name: "Antenne", CommuneCode: "69266", ParentSIRET: siret(1)},
	}
	var b bytes.Buffer
	if err := registrycsv.Write(&b, entries); err != nil {
		t.Fatal(err)
	}
	p := parse(t, b.String())
	if len(p.Rows) != 2 || len(p.Rejected) != 0 || p.Rows[1].Line != 4 {
		t.Fatalf("parsed %+v", p)
	}
	for i, e := range entries {
		if fmt.Sprint(p.Rows[i].Entry) != fmt.Sprint(e) {
			t.Errorf("row %d\n%+v\nwant\n%+v", i, p.Rows[i].Entry, e)
		}
	}
}
