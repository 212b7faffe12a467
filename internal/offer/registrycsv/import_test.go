package registrycsv_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/refdata"
)

var now = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

// system is the actor imports run as in these tests: staff with MFA and no account, as the
// command line does.
var system = access.Actor{Kind: access.Staff, MFA: true}

// newService imports the reference data (communes are foreign keys of organisations) and
// returns the offer service on db.
func newService(tb testing.TB, db *database.DB) *offer.Service {
	tb.Helper()
	if _, _, err := refdata.EnsureImported(context.Background(), db, places(tb), now); err != nil {
		tb.Fatal(err)
	}
	return offer.NewService(db, clock.NewFake(now), places(tb), "https://parcours.test")
}

func count(t *testing.T, db *database.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func importText(t *testing.T, svc *offer.Service, text string) (registrycsv.Report, []int) {
	t.Helper()
	p := parse(t, text)
	var calls []int
	r, err := registrycsv.Import(context.Background(), svc, system, p, func(done, total int) {
		if total != p.Total() || done > total || (len(calls) > 0 && done < calls[len(calls)-1]) {
			t.Errorf("progress %d/%d after %v", done, total, calls)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != p.Total() {
		t.Errorf("progress calls %v, want the last at %d", calls, p.Total())
	}
	return r, calls
}

func rejectedLines(r registrycsv.Report) map[int]string {
	out := map[int]string{}
	for _, x := range r.Rejected {
		out[x.Line] = x.Reason
	}
	return out
}

func wantRejected(t *testing.T, r registrycsv.Report, want map[int]string) {
	t.Helper()
	got := rejectedLines(r)
	for line, w := range want {
		if !strings.Contains(got[line], w) {
			t.Errorf("line %d: %q lacks %q", line, got[line], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rejected %v, want lines %v", got, want)
	}
}

// scenario is a semicolon file with a byte order mark and CRLF line ends, as French Excel
// writes it, with an unknown column, a quoted field over two lines before the bad rows, both
// orders of parent and antenna, and one of each kind of problem.
func scenario() string {
	lines := []string{
		"\ufeffSIRET;Type;Raison sociale;Enseigne;Adresse;Complément adresse;Code postal;Code INSEE;E-mail;Téléphone;Site web;Numéro convention;Début convention;Fin convention;SIRET parent;Observations",
		siret(1) + ";ACI;Jardins solidaires de Lyon;Le Jardin;12 rue de la République;\"Bâtiment B\r\n2e étage\";69001;69381;contact@jardins.example;04 72 00 00 00;www.jardins.example;ACI069-001;01/01/2026;31/12/2027;;ok", // 2-3
		"12345678901234;EI;Mauvais SIRET;;;;;69381;;;;;;;;",                                        // 4
		siret(2) + ";EI;Commune inconnue;;;;;99999;;;;;;;;",                                        // 5
		siret(3) + ";ACI;Antenne de Villeurbanne;;;;;69266;;;;;;;" + siret(1) + ";parent avant",    // 6
		siret(4) + ";ETTI;Antenne de Vénissieux;;;;;69259;;;;;;;" + siret(5) + ";parent après",     // 7
		siret(5) + ";ETTI;Tremplin Intérim Rhône;;;;;69123;;;;ETTI069-002;2026-01-01;2026-12-31;;", // 8
		siret(1) + ";ACI;Doublon des Jardins;;;;;69381;;;;;;;;",                                    // 9
		siret(6) + ";EI;Date fausse;;;;;69381;;;;EI069-003;32/01/2026;31/12/2026;;",                // 10
		siret(7) + ";GEIQ;GEIQ BTP Rhône;;;;;69123;;;https://geiq-btp.example;;;;;",                // 11
		siret(8) + ";ACI;Antenne orpheline;;;;;69123;;;;;;;" + siret(99) + ";",                     // 12
		siret(9) + ";EI;Antenne d'une ligne rejetée;;;;;69123;;;;;;;" + siret(2) + ";",             // 13
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

func TestImportScenario(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		svc := newService(t, db)
		r, _ := importText(t, svc, scenario())
		if r.Lines != 11 || r.Created != 5 || r.Updated != 0 || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "Observations") {
			t.Fatalf("report %+v", r)
		}
		wantRejected(t, r, map[int]string{
			4:  "siret « 12345678901234 » : ce numéro SIRET n'est pas valide",
			5:  "code_insee : commune inconnue",
			9:  "doublon : même SIRET et même type que la ligne 2",
			10: "debut_convention « 32/01/2026 » : date invalide",
			12: "siret_parent : structure mère introuvable",
			13: "(la ligne 5, qui la décrit, est rejetée)",
		})
		if got := rejectedLines(r)[13]; !strings.Contains(got, "introuvable") {
			t.Errorf("line 13: %q", got)
		}
		if r.Rejected[0].Line != 4 || r.Rejected[len(r.Rejected)-1].Line != 13 {
			t.Errorf("rejections not by line: %v", r.Rejected)
		}
		s := r.String()
		for _, w := range []string{"11 lignes lues", "5 structures créées", "0 structure mise à jour", "6 lignes rejetées", "Attention : colonne(s) inconnue(s)"} {
			if !strings.Contains(s, w) {
				t.Errorf("summary lacks %q:\n%s", w, s)
			}
		}

		var brand, line2, website, email, phone, number string
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT s.brand, s.address_line2, s.website, s.email, s.phone, c.number
			FROM organisations o JOIN structures s ON s.org_id = o.id JOIN conventions c ON c.id = s.convention_id WHERE o.siret = $1`,
			siret(1)).Scan(&brand, &line2, &website, &email, &phone, &number); err != nil {
			t.Fatal(err)
		}
		if brand != "Le Jardin" || line2 != "Bâtiment B 2e étage" || website != "https://www.jardins.example" || email != "contact@jardins.example" ||
			phone != "0472000000" || number != "ACI069-001" {
			t.Errorf("stored %q %q %q %q %q %q", brand, line2, website, email, phone, number)
		}
		for _, ant := range []struct{ antenna, parent string }{{siret(3), siret(1)}, {siret(4), siret(5)}} {
			if count(t, db, `SELECT COUNT(*) FROM structures a JOIN organisations ao ON ao.id = a.org_id
				JOIN organisations po ON po.id = a.parent_id WHERE ao.siret = $1 AND po.siret = $2`, ant.antenna, ant.parent) != 1 {
				t.Errorf("antenna %s not attached to %s", ant.antenna, ant.parent)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM structures`); n != 5 {
			t.Errorf("%d structures", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE action = 'offer.registry_created'`); n != 5 {
			t.Errorf("%d audit entries", n)
		}

		// The same file again: nothing created, the same lines rejected.
		r2, _ := importText(t, svc, scenario())
		if r2.Created != 0 || r2.Updated != 0 || r2.Unchanged != 5 || len(r2.Rejected) != 6 {
			t.Fatalf("second import %+v", r2)
		}
		if !strings.Contains(r2.String(), "5 structures déjà à jour") {
			t.Errorf("second import's summary:\n%s", r2)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE action = 'offer.registry_updated'`); n != 0 {
			t.Errorf("%d audit entries for unchanged structures", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM structures`); n != 5 {
			t.Errorf("%d structures after the second import", n)
		}
	})
}

func TestImportCommaFileAndDryRun(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		svc := newService(t, db)
		text := "siret,type,raison_sociale,code_insee,adresse,numero_convention,debut_convention,fin_convention\n" +
			siret(1) + ",EI,\"Restaurant d'insertion, Lille\",59350,\"3, place \"\"Rihour\"\"\",EI059-1,2026-01-01,2026-12-31\n" +
			siret(2) + ",AI,Association intermédiaire,59350,,,,\n" +
			siret(3) + ",AI,Nulle part,59999,,,,\n"
		p := parse(t, text)
		p.CheckCommunes(places(t))
		check := registrycsv.Check(p)
		if len(check.Rejected) != 1 || check.Rejected[0].Line != 4 || count(t, db, `SELECT COUNT(*) FROM organisations`) != 0 {
			t.Fatalf("dry run %+v", check)
		}
		r, err := registrycsv.Import(context.Background(), svc, system, p, nil)
		if err != nil || r.Created != 2 || len(r.Rejected) != 1 || r.Rejected[0].Line != 4 {
			t.Fatalf("import %+v, %v", r, err)
		}
		var name, line1 string
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT o.name, s.address_line1 FROM organisations o
			JOIN structures s ON s.org_id = o.id WHERE o.siret = $1`, siret(1)).Scan(&name, &line1); err != nil {
			t.Fatal(err)
		}
		if name != "Restaurant d'insertion, Lille" || line1 != `3, place "Rihour"` {
			t.Errorf("stored %q %q", name, line1)
		}
	})
}

func TestImportRefusesBadFilesWritingNothing(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		newService(t, db)
		for _, name := range []string{"testdata/colonnes_manquantes.csv", "testdata/latin1.csv"} {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			_, err = registrycsv.Parse(f)
			f.Close()
			var fe *registrycsv.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("%s: %v", name, err)
			}
			if strings.HasSuffix(name, "manquantes.csv") && !strings.Contains(err.Error(), "absente(s) : type, code_insee") {
				t.Errorf("%s: %v", name, err)
			}
			if strings.HasSuffix(name, "latin1.csv") && (fe.Line != 2 || !strings.Contains(err.Error(), "« CSV UTF-8 »")) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM organisations`); n != 0 {
			t.Fatalf("%d organisations written", n)
		}
	})
}

// TestImportReplaysBatches crosses batch boundaries with lines that only the database refuses
// (a parent that exists nowhere, a convention another structure holds), so that each costs a
// replay of its batch: every other line is written and each rejection keeps its file line.
func TestImportReplaysBatches(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		svc := newService(t, db)
		if _, err := svc.SaveRegistryEntry(context.Background(), system, offer.RegistryEntry{SIRET: siret(5000), Kind: "ACI",
			Name: "Déjà là", CommuneCode: "75056", ConventionNumber: "PRISE", ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2026-12-31")}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("siret;type;raison_sociale;code_insee;numero_convention;debut_convention;fin_convention;siret_parent\n")
		const n = registrycsv.BatchSize + 150
		want := map[int]string{}
		for i := range n {
			line := i + 2
			switch {
			case i == 3 || i == registrycsv.BatchSize+10:
				fmt.Fprintf(&b, "%s;ACI;Orpheline %d;75056;;;;%s\n", siret(i+1), i, siret(9000+i))
				want[line] = "siret_parent : structure mère introuvable"
			case i == registrycsv.BatchSize-1:
				fmt.Fprintf(&b, "%s;ACI;Convention prise;75056;PRISE;01/01/2026;31/12/2026;\n", siret(i+1))
				want[line] = "numero_convention : cette convention est déjà celle d'une autre structure"
			case i == registrycsv.BatchSize+20:
				fmt.Fprintf(&b, "%s;EI;Commune inconnue;75000;;;;\n", siret(i+1))
				want[line] = "code_insee : commune inconnue"
			default:
				fmt.Fprintf(&b, "%s;EI;Structure %d;75056;;;;\n", siret(i+1), i)
			}
		}
		r, calls := importText(t, svc, b.String())
		wantRejected(t, r, want)
		if r.Created != n-len(want) {
			t.Fatalf("created %d, want %d", r.Created, n-len(want))
		}
		if got := count(t, db, `SELECT COUNT(*) FROM structures`); got != n-len(want)+1 {
			t.Fatalf("%d structures", got)
		}
		if len(calls) != 4 {
			t.Errorf("progress %v: want the start and one call per batch (two of parents, one of antennas)", calls)
		}
	})
}

// TestParseAgreesWithRegistry checks that the lines Parse refuses are those the registry
// refuses on their own, so that a dry run announces what an import would do.
func TestParseAgreesWithRegistry(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		svc := newService(t, db)
		cases := []string{
			siret(1) + ";EI;Bon;69381;;;;",
			"12345678901234;EI;SIRET;69381;;;;",
			siret(2) + ";XX;Type;69381;;;;",
			siret(3) + ";EI;;69381;;;;",
			siret(4) + ";EI;Commune;00000;;;;",
			siret(5) + ";GEIQ;Geiq conventionné;69381;C5;01/01/2026;01/01/2027;",
			siret(6) + ";ACI;Sans dates;69381;C6;;;",
			siret(7) + ";ACI;À l'envers;69381;C7;01/01/2027;01/01/2026;",
			siret(8) + ";ACI;Dates sans numéro;69381;;01/01/2026;01/01/2027;",
			siret(9) + ";ACI;Antenne conventionnée;69381;C9;01/01/2026;01/01/2027;" + siret(1),
			siret(10) + ";ACI;Sa propre mère;69381;;;;" + siret(10),
			siret(11) + ";ACI;Mère invalide;69381;;;;12345678901234",
			siret(12) + ";ACI;" + strings.Repeat("x", 201) + ";69381;;;;",
			siret(13) + ";ACI;Bonne convention;69381;" + strings.Repeat("9", 50) + ";01/01/2026;01/01/2027;",
			siret(14) + ";ACI;Convention longue;69381;" + strings.Repeat("9", 51) + ";01/01/2026;01/01/2027;",
		}
		for _, c := range cases {
			p := parse(t, "siret;type;raison_sociale;code_insee;numero_convention;debut_convention;fin_convention;siret_parent\n"+c+"\n")
			p.CheckCommunes(places(t))
			parseRefuses := len(p.Rejected) > 0
			var entry offer.RegistryEntry
			if !parseRefuses {
				entry = p.Rows[0].Entry
			} else {
				// Give the registry the same values, read without checks.
				f := strings.Split(c, ";")
				entry = offer.RegistryEntry{SIRET: f[0], Kind: f[1], Name: f[2], CommuneCode: f[3], ConventionNumber: f[4], ParentSIRET: f[7]}
				entry.ConventionStartsOn, _ = database.ParseDate(f[5])
				entry.ConventionEndsOn, _ = database.ParseDate(f[6])
			}
			_, err := svc.ImportRegistry(context.Background(), system, []offer.RegistryEntry{entry})
			var ie *offer.ImportError
			registryRefuses := errors.As(err, &ie)
			if err != nil && !errors.Is(err, fault.Invalid) {
				t.Fatalf("%s: %v", c, err)
			}
			if parseRefuses != registryRefuses {
				t.Errorf("%s: Parse refuses %v (%v), registry refuses %v (%v)", c, parseRefuses, p.Rejected, registryRefuses, err)
			}
		}
	})
}
