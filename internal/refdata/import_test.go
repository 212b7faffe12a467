package refdata

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

func countRows(t *testing.T, q database.Querier, query string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func tableTotals(t *testing.T, r Report) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, tr := range r.Tables {
		if tr.Inserted+tr.Updated+tr.Unchanged != tr.Total {
			t.Fatalf("%s: %+v does not add up", tr.Table, tr)
		}
		m[tr.Table] = tr.Total
	}
	return m
}

func TestImportIsIdempotentAndComplete(t *testing.T) {
	data := testData(t)
	c := data.Counts()
	wantTotals := map[string]int{"regions": c.Regions, "departements": c.Departements, "communes": c.Communes,
		"rome_codes": c.Romes, "appellations": c.Appellations}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("CET", 3600))
		if loaded, err := Loaded(ctx, db.Reader()); err != nil || loaded {
			t.Fatalf("Loaded on an empty database = %v, %v", loaded, err)
		}
		if need, err := NeedsImport(ctx, db.Reader(), data); err != nil || !need {
			t.Fatalf("NeedsImport on an empty database = %v, %v", need, err)
		}

		first, err := Import(ctx, db, data, now)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(first)
		if got := tableTotals(t, first); !mapsEqual(got, wantTotals) {
			t.Fatalf("totals %v, want %v", got, wantTotals)
		}
		for _, tr := range first.Tables {
			if tr.Inserted != tr.Total || tr.Obsolete != 0 {
				t.Fatalf("first import of %s: %+v", tr.Table, tr)
			}
			if n := countRows(t, db.Reader(), `SELECT COUNT(*) FROM `+tr.Table); n != tr.Total {
				t.Fatalf("%s holds %d rows, want %d", tr.Table, n, tr.Total)
			}
		}
		if first.Version != data.Version() || len(first.WithoutCoords) != 3 || first.Duration <= 0 {
			t.Fatalf("report: version %s, %d without coordinates, duration %v", first.Version, len(first.WithoutCoords), first.Duration)
		}
		if loaded, err := Loaded(ctx, db.Reader()); err != nil || !loaded {
			t.Fatalf("Loaded after import = %v, %v", loaded, err)
		}
		if need, err := NeedsImport(ctx, db.Reader(), data); err != nil || need {
			t.Fatalf("NeedsImport after import = %v, %v", need, err)
		}
		loadedAt, _, _ := database.Setting(ctx, db.Reader(), SettingLoadedAt)
		if loadedAt != "2026-03-02T08:30:00Z" {
			t.Fatalf("refdata_loaded_at = %q, want the UTC time", loadedAt)
		}

		second, err := Import(ctx, db, data, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if second.Changed() || !mapsEqual(tableTotals(t, second), wantTotals) {
			t.Fatalf("second import changed something: %v", second)
		}
		for _, tr := range second.Tables {
			if tr.Unchanged != tr.Total {
				t.Fatalf("second import of %s: %+v", tr.Table, tr)
			}
		}
		if again, _, _ := database.Setting(ctx, db.Reader(), SettingLoadedAt); again != loadedAt {
			t.Fatalf("a no-op import moved refdata_loaded_at to %s", again)
		}
		if _, imported, err := EnsureImported(ctx, db, data, now); err != nil || imported {
			t.Fatalf("EnsureImported on an up-to-date database = %v, %v", imported, err)
		}

		// The rows read back are the data's, NULL coordinates included.
		var gotNull []string
		rows, err := db.Reader().QueryContext(ctx, `SELECT code FROM communes WHERE lat IS NULL AND lng IS NULL ORDER BY code`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var code string
			if err := rows.Scan(&code); err != nil {
				t.Fatal(err)
			}
			gotNull = append(gotNull, code)
		}
		rows.Close()
		if want := resultCodes(data.CommunesWithoutCoords(), func(c Commune) string { return c.Code }); !slices.Equal(gotNull, want) {
			t.Fatalf("communes with NULL coordinates %v, want %v", gotNull, want)
		}
		var name, postcodes string
		var lat, lng float64
		var population int
		var parent sql.NullString
		err = db.Reader().QueryRowContext(ctx, `SELECT name, postcodes, lat, lng, population, parent FROM communes WHERE code = $1`, "42218").
			Scan(&name, &postcodes, &lat, &lng, &population, &parent)
		if err != nil || name != "Saint-Étienne" || postcodes != "42000 42100 42230" || lat != 45.4241 || lng != 4.36647 ||
			population != 172718 || parent.Valid {
			t.Fatalf("42218 read back as %q %q %v %v %v %v, %v", name, postcodes, lat, lng, population, parent, err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT parent FROM communes WHERE code = '75111'`).Scan(&parent); err != nil || parent.String != "75056" {
			t.Fatalf("75111 parent = %v, %v", parent, err)
		}
	})
}

func TestImportKeepsForeignKeys(t *testing.T) {
	data := testData(t)
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		if _, err := Import(ctx, db, data, time.Now()); err != nil {
			t.Fatal(err)
		}
		r := db.Reader()
		for _, q := range []string{
			`SELECT COUNT(*) FROM departements d LEFT JOIN regions r ON r.code = d.region WHERE r.code IS NULL`,
			`SELECT COUNT(*) FROM communes c LEFT JOIN departements d ON d.code = c.departement WHERE d.code IS NULL`,
			`SELECT COUNT(*) FROM communes c LEFT JOIN regions r ON r.code = c.region WHERE r.code IS NULL`,
			`SELECT COUNT(*) FROM communes c LEFT JOIN communes p ON p.code = c.parent WHERE c.parent IS NOT NULL AND p.code IS NULL`,
			`SELECT COUNT(*) FROM appellations a LEFT JOIN rome_codes r ON r.code = a.rome WHERE r.code IS NULL`,
			`SELECT COUNT(*) FROM departements d LEFT JOIN communes c ON c.code = d.chef_lieu WHERE c.code IS NULL`,
			`SELECT COUNT(*) FROM regions g LEFT JOIN communes c ON c.code = g.chef_lieu WHERE c.code IS NULL`,
		} {
			if n := countRows(t, r, q); n != 0 {
				t.Errorf("%d dangling references: %s", n, q)
			}
		}
		// The database refuses what the loader would refuse.
		_, err := db.Writer().ExecContext(ctx, `INSERT INTO appellations (code, label, rome) VALUES ('1', 'x', 'Z9999')`)
		if !database.IsForeignKeyViolation(err) {
			t.Errorf("appellation with an unknown ROME code: %v", err)
		}
		_, err = db.Writer().ExecContext(ctx, `INSERT INTO communes (code, name, type, departement, region, postcodes, lat, lng, population, parent)
			VALUES ('99999', 'x', 'COM', '01', '84', '', 45, NULL, 0, NULL)`)
		if !database.IsCheckViolation(err) {
			t.Errorf("latitude without longitude: %v", err)
		}
		_, err = db.Writer().ExecContext(ctx, `DELETE FROM rome_codes WHERE code = 'D1102'`)
		if !database.IsForeignKeyViolation(err) {
			t.Errorf("deleting a ROME code in use: %v", err)
		}
	})
}

func TestReimportUpdatesChangedRows(t *testing.T) {
	data := testData(t)
	files := editedFS(t, RomeFile, "D1102,Boulangerie - viennoiserie", "D1102,Boulangerie et viennoiserie")
	changed := editedFS(t, AppellationsFile, "11574,Boulanger-pâtissier / Boulangère-pâtissière,D1102", "11574,Boulanger-pâtissier / Boulangère-pâtissière,D1104")
	files[AppellationsFile] = changed[AppellationsFile]
	communes := editedFS(t, CommunesFile, "01001,L'Abergement-Clémenciat,COM,01,84,01400,46.1517,4.9306,832,", "01001,L'Abergement-Clémenciat,COM,01,84,01400,,,833,")
	files[CommunesFile] = communes[CommunesFile]
	data2, err := LoadFS(files)
	if err != nil {
		t.Fatal(err)
	}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
		if _, err := Import(ctx, db, data, now); err != nil {
			t.Fatal(err)
		}
		if need, err := NeedsImport(ctx, db.Reader(), data2); err != nil || !need {
			t.Fatalf("NeedsImport with changed files = %v, %v", need, err)
		}
		r, imported, err := EnsureImported(ctx, db, data2, now.Add(24*time.Hour))
		if err != nil || !imported {
			t.Fatalf("EnsureImported = %v, %v", imported, err)
		}
		for _, tr := range r.Tables {
			wantUpdated := map[string]int{"rome_codes": 1, "appellations": 1, "communes": 1}[tr.Table]
			if tr.Updated != wantUpdated || tr.Inserted != 0 || tr.Unchanged != tr.Total-wantUpdated {
				t.Errorf("%s: %+v, want %d updated", tr.Table, tr, wantUpdated)
			}
		}
		var label, rome string
		var lat sql.NullFloat64
		var population int
		q := db.Reader()
		if err := q.QueryRowContext(ctx, `SELECT label FROM rome_codes WHERE code = 'D1102'`).Scan(&label); err != nil || label != "Boulangerie et viennoiserie" {
			t.Errorf("D1102 label = %q, %v", label, err)
		}
		if err := q.QueryRowContext(ctx, `SELECT rome FROM appellations WHERE code = '11574'`).Scan(&rome); err != nil || rome != "D1104" {
			t.Errorf("11574 rome = %q, %v", rome, err)
		}
		if err := q.QueryRowContext(ctx, `SELECT lat, population FROM communes WHERE code = '01001'`).Scan(&lat, &population); err != nil || lat.Valid || population != 833 {
			t.Errorf("01001 = %v %v, %v", lat, population, err)
		}
		if v, _, _ := database.Setting(ctx, q, SettingVersion); v != data2.Version() {
			t.Errorf("refdata_version = %s, want the new files' %s", v, data2.Version())
		}
		if at, _, _ := database.Setting(ctx, q, SettingLoadedAt); at != "2026-03-03T09:30:00Z" {
			t.Errorf("refdata_loaded_at = %s", at)
		}
	})
}

// A row that disappears from the files stays in the database (others may point at it) and is
// reported as obsolete.
func TestReimportKeepsRowsMissingFromFiles(t *testing.T) {
	data := testData(t)
	fewer, err := LoadFS(editedFS(t, AppellationsFile, "10201,Accastilleur-gréeur / Accastilleuse-gréeuse,I1601\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		if _, err := Import(ctx, db, data, time.Now()); err != nil {
			t.Fatal(err)
		}
		r, err := Import(ctx, db, fewer, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range r.Tables {
			if tr.Table == "appellations" && (tr.Obsolete != 1 || tr.Total != data.Counts().Appellations-1) {
				t.Errorf("appellations: %+v, want 1 obsolete", tr)
			}
		}
		if !strings.Contains(r.String(), "conservées") {
			t.Errorf("report does not mention the kept row: %s", r)
		}
		if n := countRows(t, db.Reader(), `SELECT COUNT(*) FROM appellations WHERE code = '10201'`); n != 1 {
			t.Errorf("obsolete appellation deleted")
		}
	})
}

// A failure in the last table rolls back the first ones: nothing is half-written.
func TestImportIsAllOrNothing(t *testing.T) {
	data := testData(t)
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		if _, err := db.Writer().ExecContext(ctx, `DROP TABLE appellations`); err != nil {
			t.Fatal(err)
		}
		if _, err := Import(ctx, db, data, time.Now()); err == nil {
			t.Fatal("Import succeeded without an appellations table")
		}
		for _, table := range []string{"regions", "departements", "communes", "rome_codes"} {
			if n := countRows(t, db.Reader(), `SELECT COUNT(*) FROM `+table); n != 0 {
				t.Errorf("%s kept %d rows of a failed import", table, n)
			}
		}
		if loaded, err := Loaded(ctx, db.Reader()); err != nil || loaded {
			t.Errorf("Loaded after a failed import = %v, %v", loaded, err)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
