package database_test

import (
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

func TestDatesRoundTripAndCompareOnBothEngines(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		ddl := `CREATE TABLE dated (k TEXT PRIMARY KEY, d DATE)`
		if _, err := db.Writer().ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
		dates := map[string]string{"a": "2026-01-09", "b": "2026-01-10", "c": "2025-12-31", "z": ""}
		for k, v := range dates {
			var d database.Date
			if v != "" {
				var err error
				if d, err = database.ParseDate(v); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Writer().ExecContext(ctx, `INSERT INTO dated (k, d) VALUES ($1, $2)`, k, d); err != nil {
				t.Fatal(err)
			}
		}
		for k, v := range dates {
			var d database.Date
			if err := db.Reader().QueryRowContext(ctx, `SELECT d FROM dated WHERE k = $1`, k).Scan(&d); err != nil {
				t.Fatal(err)
			}
			if d.String() != v {
				t.Errorf("%s: got %q, want %q", k, d, v)
			}
		}
		limit, _ := database.ParseDate("10/01/2026")
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM dated WHERE d >= $1`, limit).Scan(&n); err != nil || n != 1 {
			t.Fatalf("dates on or after %s: %d (%v)", limit, n, err)
		}
	})
}

func TestDateArithmetic(t *testing.T) {
	d, _ := database.ParseDate("2024-02-28")
	if got := d.AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("leap day: %s", got)
	}
	if got := d.AddDays(-59).French(); got != "31/12/2023" {
		t.Errorf("back over a year: %s", got)
	}
	if _, err := database.ParseDate("31/02/2026"); err == nil {
		t.Error("31 February accepted")
	}
}
