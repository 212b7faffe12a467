package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/org"
)

func testSIRET(n int) string {
	base := fmt.Sprintf("92%011d", n)
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(base+string(d)) == nil {
			return base + string(d)
		}
	}
	panic(base)
}

func TestImportStructures(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			env := baseEnv(t)
			dbURL := "sqlite:" + filepath.Join(env["PARCOURS_DATA_DIR"], "parcours.db")
			if engine == database.Postgres {
				dbURL = databasetest.CreateEmptyPostgres(t)
				env["PARCOURS_DATABASE_URL"] = dbURL
			}
			dir := t.TempDir()
			good := filepath.Join(dir, "registre.csv")
			text := "\ufeffSIRET;Type;Raison sociale;Code INSEE;Numéro convention;Début convention;Fin convention;SIRET parent\r\n" +
				testSIRET(1) + ";ACI;Jardins de Lyon;69381;ACI-1;01/01/2026;31/12/2027;\r\n" +
				testSIRET(2) + ";ACI;Antenne de Villeurbanne;69266;;;;" + testSIRET(1) + "\r\n"
			if err := os.WriteFile(good, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(dir, "lignes.csv")
			if err := os.WriteFile(bad, []byte(text+"12345678901234;EI;Mauvais;69381;;;;\r\n"+testSIRET(3)+";EI;Nulle part;99999;;;;\r\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			latin1 := filepath.Join(dir, "latin1.csv")
			if err := os.WriteFile(latin1, []byte("siret;type;raison_sociale;code_insee\n"+testSIRET(4)+";EI;Cr\xe8che;69381\n"), 0o600); err != nil {
				t.Fatal(err)
			}

			// A dry run reads the file and the reference data, and opens no database.
			code, out, errOut := run(t, env, "", "import", "structures", "--dry-run", bad)
			if code != 3 || !strings.Contains(out, "4 lignes lues, 2 valides, 2 rejetées") || !strings.Contains(out, "ligne 4 : siret") ||
				!strings.Contains(out, "ligne 5 : code_insee « 99999 »") || !strings.Contains(errOut, "seraient rejetées") {
				t.Fatalf("dry run: %d\n%s\n%s", code, out, errOut)
			}
			if engine == database.SQLite {
				if _, err := os.Stat(filepath.Join(env["PARCOURS_DATA_DIR"], "parcours.db")); !os.IsNotExist(err) {
					t.Fatalf("dry run created the database: %v", err)
				}
			}

			code, out, errOut = run(t, env, "", "import", "structures", good)
			if code != 0 || !strings.Contains(out, "2 structures créées") || !strings.Contains(errOut, "import : 100 % (2 / 2 lignes)") {
				t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
			}
			// Options after the file name; the same file again creates nothing.
			code, out, errOut = run(t, env, "", "import", "structures", bad, "--log-level", "error")
			if code != 3 || !strings.Contains(out, "0 structure créée") || !strings.Contains(out, "2 structures déjà à jour") ||
				!strings.Contains(out, "ligne 4 : siret « 12345678901234 »") || !strings.Contains(errOut, "2 ligne(s) rejetée(s)") {
				t.Fatalf("second import: %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = run(t, env, "", "import", "structures", latin1)
			if code != 1 || out != "" || !strings.Contains(errOut, "ligne 2") || !strings.Contains(errOut, "« CSV UTF-8 »") {
				t.Fatalf("latin-1: %d\n%s\n%s", code, out, errOut)
			}
			if code, _, _ := run(t, env, "", "import", "structures"); code != 2 {
				t.Fatalf("no file: exit %d", code)
			}
			if code, _, errOut := run(t, env, "", "import", "structures", "--help"); code != 0 || !strings.Contains(errOut, "Code de sortie") {
				t.Fatalf("help: %d %s", code, errOut)
			}

			db, err := database.Open(context.Background(), dbURL, "", database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var structures, antennas, imports int
			if err := db.Reader().QueryRowContext(context.Background(), `SELECT (SELECT COUNT(*) FROM structures),
				(SELECT COUNT(*) FROM structures WHERE parent_id IS NOT NULL),
				(SELECT COUNT(*) FROM audit_events WHERE action = 'offer.registry_imported' AND purpose = 'command_line')`).Scan(&structures, &antennas, &imports); err != nil {
				t.Fatal(err)
			}
			if structures != 2 || antennas != 1 || imports != 2 {
				t.Fatalf("%d structures, %d antennas, %d import entries", structures, antennas, imports)
			}
			if code, out, errOut := run(t, env, "", "audit", "verify"); code != 0 {
				t.Fatalf("audit verify after imports: %d %s %s", code, out, errOut)
			}
		})
	}
}
