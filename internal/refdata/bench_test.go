package refdata

import (
	"slices"
	"testing"
	"time"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// The query mixes imitate a type-ahead field: every prefix a user produces while typing
// (1 to 3 letters, which match thousands of entries, are the expensive ones), whole words,
// postcodes, codes, several words, and misses.
var (
	communeQueries = []string{
		"p", "pa", "par", "paris", "s", "sa", "sai", "saint", "saint-", "saint-e", "saint-eti", "st etienne",
		"etienne", "l", "la", "le", "b", "bo", "bor", "bordeaux", "m", "ma", "mar", "marseille", "marseille 13",
		"lyon 3", "7", "75", "750", "7501", "75011", "13001", "69", "2", "château", "chateau thierry", "sur mer",
		"saint sur", "ville", "les", "l'oie", "aix en provence", "xyz", "zz", "montpellier", "villeneuve saint",
		"a", "e", "o", "y",
	}
	appellationQueries = []string{
		"a", "ag", "age", "agent", "agent d", "agent de", "b", "bo", "bou", "boulanger", "boulanger patissier",
		"patissier boulanger", "c", "ch", "cha", "chauffeur", "chauffeur poids lourd", "d", "de", "d1102", "d11",
		"k2", "11574", "i", "in", "infirmier", "aide soignant", "aide", "developpeur web", "vendeur", "vente",
		"e", "en", "ma", "manutentionnaire", "s", "se", "secretaire", "comptable", "agent entretien", "xyz",
		"technicien maintenance", "conducteur", "cuisinier", "serveur", "menuisier", "p", "ou", "f", "ingenieur",
	}
)

func benchmarkSearch(b *testing.B, queries []string, search func(string) int) {
	b.ReportAllocs()
	durations := make([]time.Duration, 0, 1<<16)
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		search(q)
		durations = append(durations, time.Since(start))
	}
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "µs-p50")
	b.ReportMetric(pct(0.99), "µs-p99")
	b.ReportMetric(pct(1), "µs-max")
}

// BenchmarkSearchCommunes reports the median and 99th percentile of one query over the mix;
// ns/op is the mean. The goal is a p99 under 5 ms.
func BenchmarkSearchCommunes(b *testing.B) {
	d := testData(b)
	benchmarkSearch(b, communeQueries, func(q string) int { return len(d.SearchCommunes(q, 10)) })
}

func BenchmarkSearchAppellations(b *testing.B) {
	d := testData(b)
	benchmarkSearch(b, appellationQueries, func(q string) int { return len(d.SearchAppellations(q, 10)) })
}

func BenchmarkSearchRome(b *testing.B) {
	d := testData(b)
	benchmarkSearch(b, appellationQueries, func(q string) int { return len(d.SearchRome(q, 10)) })
}

// BenchmarkImport measures a first import into an empty database, per engine.
func BenchmarkImport(b *testing.B) {
	d := testData(b)
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db, _ := databasetest.Open(b, engine)
				b.StartTimer()
				if _, err := Import(b.Context(), db, d, time.Now()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkReimport measures the import that finds everything up to date.
func BenchmarkReimport(b *testing.B) {
	d := testData(b)
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			db, _ := databasetest.Open(b, engine)
			if _, err := Import(b.Context(), db, d, time.Now()); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Import(b.Context(), db, d, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
