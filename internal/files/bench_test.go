package files_test

import (
	"bytes"
	"context"
	"database/sql"
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/files"
)

// BenchmarkPutOpen stores a 5 MB PDF (random body, so incompressible like a scan) and opens it
// again, on each engine: check and sniff, seal, digest, insert, then read, digest, open. The
// file is deleted between iterations, off the clock, so that the database does not grow.
// Results: BENCHMARKS.md.
func BenchmarkPutOpen(b *testing.B) {
	content := pdfOfSize(5 << 20)
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			db, _ := databasetest.Open(b, engine)
			w := newWorld(b, db, files.Options{})
			ctx := context.Background()
			subject := newSubject()
			b.SetBytes(int64(len(content)))
			b.ResetTimer()
			for range b.N {
				up := w.accept(b, content, "scan.pdf", cvRules)
				info := w.put(b, files.NewFile{Subject: subject, Kind: "cv", Upload: up})
				f, err := w.open(info.ID, subject)
				if err != nil || len(f.Content) != len(content) {
					b.Fatal(err)
				}
				b.StopTimer()
				w.tx(b, func(tx *sql.Tx) error { return w.svc.Delete(ctx, tx, w.actor, info.ID, subject) })
				b.StartTimer()
			}
		})
	}
}

// BenchmarkCheck is the content check alone on the same 5 MB PDF.
func BenchmarkCheck(b *testing.B) {
	content := pdfOfSize(5 << 20)
	b.SetBytes(int64(len(content)))
	for range b.N {
		if _, err := files.Check(bytes.NewReader(content), "scan.pdf", cvRules); err != nil {
			b.Fatal(err)
		}
	}
}
