package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// BenchmarkIntegrateAndVerify measures sequencing and verifying 10,000 entries, reported per
// 1,000 entries.
func BenchmarkIntegrateAndVerify(b *testing.B) {
	const n = 10_000
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(fmt.Sprintf("%s/entries=%d", engine, n), func(b *testing.B) {
			ctx := context.Background()
			var integrate, verify time.Duration
			for b.Loop() {
				b.StopTimer()
				db, _ := databasetest.Open(b, engine)
				l := newTestLog(b, db)
				for lo := 0; lo < n; lo += 1000 {
					err := db.WithTx(ctx, func(tx *sql.Tx) error {
						for i := lo; i < lo+1000; i++ {
							if err := audit.Record(ctx, tx, sampleEvent(i, t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				if got := l.integrate(b); got != n {
					b.Fatalf("integrated %d", got)
				}
				integrate += time.Since(start)
				start = time.Now()
				rep, err := l.verify(b)
				if err != nil || rep.TreeSize != n {
					b.Fatalf("Verify: %+v, %v", rep, err)
				}
				verify += time.Since(start)
			}
			perK := float64(b.N) * n / 1000
			b.ReportMetric(float64(integrate.Milliseconds())/perK, "integrate-ms/1000entries")
			b.ReportMetric(float64(verify.Milliseconds())/perK, "verify-ms/1000entries")
		})
	}
}
