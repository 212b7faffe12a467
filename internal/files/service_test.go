package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/files"
)

func TestPutOpen(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, files.Options{})
		subject := newSubject()
		content := pdfWith("curriculum vitae")
		up := w.accept(t, content, "CV Agnès.pdf", cvRules)
		info := w.put(t, files.NewFile{Subject: subject, Kind: "cv", Upload: up})
		if info.Version != 1 || info.Document != info.ID || info.Previous != uuid.Nil || info.Scan != files.NotScanned ||
			info.Size != int64(len(content)) || info.Format != files.PDF || info.MediaType != "application/pdf" ||
			info.CreatedBy != w.actor.UserID || !info.CreatedAt.Equal(t0) {
			t.Fatalf("info = %+v", info)
		}
		f, err := w.open(info.ID, subject)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Content, content) || f.Name != "CV Agnès.pdf" || f.Kind != "cv" || f.Subject != subject {
			t.Fatalf("opened %q %q %q (%d bytes)", f.Name, f.Kind, f.Subject, len(f.Content))
		}
		if !reflect.DeepEqual(f.Info, info) {
			t.Fatalf("opened info %+v, stored %+v", f.Info, info)
		}
		// The stored digest is that of the sealed bytes as the store holds them.
		var sealed, digest []byte
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT c.content, f.sha256 FROM file_contents c JOIN files f ON f.id = c.id
			WHERE c.id = $1`, info.ID).Scan(&sealed, &digest); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(sealed); !bytes.Equal(sum[:], digest) || len(sealed) != len(content)+crypto.Overhead {
			t.Fatalf("sealed %d bytes, digest %x vs %x", len(sealed), sum, digest)
		}
		// A missing file and another person's file are not found alike.
		for _, c := range []struct {
			id      uuid.UUID
			subject string
		}{{uuid.Must(uuid.NewV7()), subject}, {info.ID, newSubject()}} {
			if _, err := w.open(c.id, c.subject); !errors.Is(err, fault.NotFound) {
				t.Fatalf("Open(%s, %s) = %v, want NotFound", c.id, c.subject, err)
			}
		}
		// Stat reads the same metadata without the content.
		err = db.ReadTx(context.Background(), func(tx *sql.Tx) error {
			st, err := w.svc.Stat(context.Background(), tx, info.ID, subject)
			if err == nil && (st.Name != "CV Agnès.pdf" || st.Size != info.Size) {
				t.Errorf("Stat = %+v", st)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The store is in the audit trail, by file id.
		var n int
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_events
			WHERE action = 'file.stored' AND object_ref = $1 AND actor_user = $2`, info.ID.String(), w.actor.UserID.String()).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit entries of the store: %d, %v", n, err)
		}
	})
}

// Neither the content nor the name is ever in clear: not in the rows, not in the database
// file or its WAL, not in a pg_dump.
func TestNothingInClear(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db, url := databasetest.Open(t, engine)
			w := newWorld(t, db, files.Options{})
			const canary, nameCanary = "CANARY-HEALTH-7f3a9c", "Zéphyrine-Canari"
			pdf := pdfWith(canary)
			png := pngBytes(t)
			a := w.put(t, files.NewFile{Subject: newSubject(), Kind: "cv", Upload: w.accept(t, pdf, nameCanary+".pdf", cvRules)})
			b := w.put(t, files.NewFile{Subject: newSubject(), Kind: "attestation", Upload: w.accept(t, png, "scan.png", docRules)})
			rows, err := db.Reader().QueryContext(context.Background(), `SELECT f.name, c.content FROM files f JOIN file_contents c ON c.id = f.id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			count := 0
			for rows.Next() {
				var name, content []byte
				if err := rows.Scan(&name, &content); err != nil {
					t.Fatal(err)
				}
				count++
				for _, clear := range [][]byte{[]byte(canary), []byte(nameCanary), []byte("%PDF-"), png[8:40]} {
					if bytes.Contains(content, clear) || bytes.Contains(name, clear) {
						t.Fatalf("row holds %q in clear", clear)
					}
				}
			}
			if count != 2 {
				t.Fatalf("%d rows", count)
			}
			raw := databasetest.RawContent(t, url)
			for _, clear := range []string{canary, nameCanary, hex.EncodeToString([]byte(canary))} {
				if bytes.Contains(raw, []byte(clear)) {
					t.Fatalf("the raw database holds %q", clear)
				}
			}
			if !bytes.Contains(raw, []byte(a.ID.String())) && !bytes.Contains(raw, a.ID[:]) || b.ID == a.ID {
				t.Fatal("the scan does not see the rows at all")
			}
		})
	}
}

// Sealed bytes open only in their row and under their subject.
func TestBinding(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db, files.Options{})
		alice, bob := newSubject(), newSubject()
		a1 := w.put(t, files.NewFile{Subject: alice, Kind: "cv", Upload: w.accept(t, pdfWith("alice 1"), "a1.pdf", cvRules)})
		a2 := w.put(t, files.NewFile{Subject: alice, Kind: "cv", Upload: w.accept(t, pdfWith("alice 2"), "a2.pdf", cvRules)})
		b1 := w.put(t, files.NewFile{Subject: bob, Kind: "cv", Upload: w.accept(t, pdfWith("bob 1"), "b1.pdf", cvRules)})
		sealedOf := func(id uuid.UUID) []byte {
			var c []byte
			if err := db.Reader().QueryRowContext(ctx, `SELECT content FROM file_contents WHERE id = $1`, id).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		// replace puts other bytes in a1's row, with their digest so that only the binding stops them.
		replace := func(content []byte) {
			sum := sha256.Sum256(content)
			w.tx(t, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE file_contents SET content = $1 WHERE id = $2`, content, a1.ID); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE files SET sha256 = $1 WHERE id = $2`, sum[:], a1.ID)
				return err
			})
		}
		original := sealedOf(a1.ID)
		for name, other := range map[string][]byte{"same person, other row": sealedOf(a2.ID), "other person": sealedOf(b1.ID)} {
			replace(other)
			if _, err := w.open(a1.ID, alice); !errors.Is(err, crypto.ErrUndecryptable) {
				t.Fatalf("%s: Open = %v, want ErrUndecryptable", name, err)
			}
		}
		replace(original)
		if _, err := w.open(a1.ID, alice); err != nil {
			t.Fatalf("restored: %v", err)
		}
		// Bytes altered in the store without their digest: refused before decryption.
		tampered := bytes.Clone(original)
		tampered[len(tampered)/2] ^= 1
		w.tx(t, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE file_contents SET content = $1 WHERE id = $2`, tampered, a1.ID)
			return err
		})
		if _, err := w.open(a1.ID, alice); !errors.Is(err, files.ErrCorrupt) {
			t.Fatalf("tampered: Open = %v, want ErrCorrupt", err)
		}
		// A row given to another person in the database does not open under that person's key.
		w.tx(t, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE files SET subject = $1 WHERE id = $2`, bob, a2.ID)
			return err
		})
		if _, err := w.open(a2.ID, bob); !errors.Is(err, crypto.ErrUndecryptable) {
			t.Fatalf("moved to another subject: Open = %v, want ErrUndecryptable", err)
		}
		// Shredding the person's key makes their files unreadable for good.
		w.tx(t, func(tx *sql.Tx) error { return w.env.Shred(ctx, tx, bob) })
		if _, err := w.open(b1.ID, bob); !errors.Is(err, crypto.ErrShredded) {
			t.Fatalf("shredded: Open = %v, want ErrShredded", err)
		}
	})
}

func TestVersions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, files.Options{})
		subject, other := newSubject(), newSubject()
		v1 := w.put(t, files.NewFile{Subject: subject, Kind: "attestation", Upload: w.accept(t, pdfWith("v1"), "attestation.pdf", docRules)})
		w.clock.Advance(60e9)
		v2 := w.put(t, files.NewFile{Subject: subject, Kind: "attestation", Previous: v1.ID, Upload: w.accept(t, pngBytes(t), "attestation.png", docRules)})
		if v2.Version != 2 || v2.Document != v1.ID || v2.Previous != v1.ID || v2.Format != files.PNG {
			t.Fatalf("v2 = %+v", v2)
		}
		cv := w.put(t, files.NewFile{Subject: subject, Kind: "cv", Upload: w.accept(t, pdfWith("cv"), "cv.pdf", cvRules)})
		w.put(t, files.NewFile{Subject: other, Kind: "cv", Upload: w.accept(t, pdfWith("other"), "cv.pdf", cvRules)})

		if got := ids(w.list(t, subject, files.Filter{})); !equalIDs(got, v2.ID, cv.ID) {
			t.Fatalf("newest versions: %v", got)
		}
		if got := ids(w.list(t, subject, files.Filter{Kind: "cv"})); !equalIDs(got, cv.ID) {
			t.Fatalf("cv only: %v", got)
		}
		history := w.list(t, subject, files.Filter{Document: v2.ID})
		if got := ids(history); !equalIDs(got, v1.ID, v2.ID) || history[0].Name != "attestation.pdf" || history[1].Name != "attestation.png" {
			t.Fatalf("history: %v", got)
		}
		if got := w.list(t, other, files.Filter{Document: v2.ID}); len(got) != 0 {
			t.Fatalf("another person's history: %v", ids(got))
		}
		// Replacing a version that is not the newest: someone replaced it meanwhile.
		_, err := w.tryPut(files.NewFile{Subject: subject, Kind: "attestation", Previous: v1.ID, Upload: w.accept(t, pdfWith("late"), "a.pdf", docRules)})
		if !errors.Is(err, files.ErrNewerVersion) || !errors.Is(err, fault.Conflict) {
			t.Fatalf("stale replacement: %v", err)
		}
		// Another person's document, and a document of another kind.
		_, err = w.tryPut(files.NewFile{Subject: other, Kind: "attestation", Previous: v2.ID, Upload: w.accept(t, pdfWith("x"), "a.pdf", docRules)})
		if !errors.Is(err, fault.NotFound) {
			t.Fatalf("another person's document: %v", err)
		}
		_, err = w.tryPut(files.NewFile{Subject: subject, Kind: "cv", Previous: v2.ID, Upload: w.accept(t, pdfWith("x"), "a.pdf", docRules)})
		if !errors.Is(err, fault.Invalid) {
			t.Fatalf("other kind: %v", err)
		}
		v3 := w.put(t, files.NewFile{Subject: subject, Kind: "attestation", Previous: v2.ID, Upload: w.accept(t, jpegBytes(t), "a.jpg", docRules)})
		if v3.Version != 3 || v3.Document != v1.ID {
			t.Fatalf("v3 = %+v", v3)
		}
	})
}

func ids(infos []files.Info) []uuid.UUID {
	out := make([]uuid.UUID, len(infos))
	for i, f := range infos {
		out[i] = f.ID
	}
	return out
}

func equalIDs(got []uuid.UUID, want ...uuid.UUID) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func countRows(t testing.TB, db *database.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDelete(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db, files.Options{})
		subject := newSubject()
		var versions []files.Info
		previous := uuid.Nil
		for i := range 4 {
			v := w.put(t, files.NewFile{Subject: subject, Kind: "attestation", Previous: previous,
				Upload: w.accept(t, pdfWith("version "+string(rune('1'+i))), "a.pdf", docRules)})
			versions, previous = append(versions, v), v.ID
		}
		// Deleting with another subject is refused as if the file did not exist.
		err := db.WithTx(ctx, func(tx *sql.Tx) error { return w.svc.Delete(ctx, tx, w.actor, versions[3].ID, newSubject()) })
		if !errors.Is(err, fault.NotFound) {
			t.Fatalf("Delete of another subject: %v", err)
		}
		// Deleting the newest version makes the one before it the newest.
		w.tx(t, func(tx *sql.Tx) error { return w.svc.Delete(ctx, tx, w.actor, versions[3].ID, subject) })
		if _, err := w.open(versions[3].ID, subject); !errors.Is(err, fault.NotFound) {
			t.Fatalf("deleted file opens: %v", err)
		}
		if got := ids(w.list(t, subject, files.Filter{})); !equalIDs(got, versions[2].ID) {
			t.Fatalf("newest after delete: %v", got)
		}
		// Keep the newest version only: the two older ones go, and the newest loses its link.
		var deleted int
		w.tx(t, func(tx *sql.Tx) error {
			var err error
			deleted, err = w.svc.DeleteVersions(ctx, tx, w.actor, versions[0].ID, subject, 1)
			return err
		})
		history := w.list(t, subject, files.Filter{Document: versions[2].ID})
		if deleted != 2 || !equalIDs(ids(history), versions[2].ID) || history[0].Previous != uuid.Nil || history[0].Version != 3 {
			t.Fatalf("after keeping 1: deleted %d, history %+v", deleted, history)
		}
		if f, err := w.open(versions[2].ID, subject); err != nil || !bytes.Contains(f.Content, []byte("version 3")) {
			t.Fatalf("kept version: %v", err)
		}
		// A new version still follows the newest, numbered after it.
		v5 := w.put(t, files.NewFile{Subject: subject, Kind: "attestation", Previous: versions[2].ID, Upload: w.accept(t, pdfWith("5"), "a.pdf", docRules)})
		if v5.Version != 4 || v5.Document != versions[0].ID {
			t.Fatalf("after pruning: %+v", v5)
		}
		// Keep none: the whole document goes, bytes included.
		w.tx(t, func(tx *sql.Tx) error {
			var err error
			deleted, err = w.svc.DeleteVersions(ctx, tx, w.actor, v5.ID, subject, 0)
			return err
		})
		if deleted != 2 || len(w.list(t, subject, files.Filter{})) != 0 || countRows(t, db, "files") != 0 || countRows(t, db, "file_contents") != 0 {
			t.Fatalf("after keeping 0: deleted %d", deleted)
		}
		var audited int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action IN ('file.deleted', 'file.versions_deleted')`).Scan(&audited); err != nil || audited != 3 {
			t.Fatalf("audited deletions: %d, %v", audited, err)
		}
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := w.svc.DeleteVersions(ctx, tx, w.actor, v5.ID, subject, 0)
			return err
		})
		if !errors.Is(err, fault.NotFound) {
			t.Fatalf("DeleteVersions of a deleted document: %v", err)
		}
	})
}

func TestPurgeSubject(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db, files.Options{})
		erased, kept := newSubject(), newSubject()
		v1 := w.put(t, files.NewFile{Subject: erased, Kind: "cv", Upload: w.accept(t, pdfWith("1"), "cv.pdf", cvRules)})
		w.put(t, files.NewFile{Subject: erased, Kind: "cv", Previous: v1.ID, Upload: w.accept(t, pdfWith("2"), "cv.pdf", cvRules)})
		w.put(t, files.NewFile{Subject: erased, Kind: "attestation", Upload: w.accept(t, pngBytes(t), "a.png", docRules)})
		other := w.put(t, files.NewFile{Subject: kept, Kind: "cv", Upload: w.accept(t, pdfWith("3"), "cv.pdf", cvRules)})
		var n int
		w.tx(t, func(tx *sql.Tx) error {
			var err error
			if n, err = w.svc.PurgeSubject(ctx, tx, erased); err != nil {
				return err
			}
			return w.env.Shred(ctx, tx, erased)
		})
		if n != 3 || len(w.list(t, erased, files.Filter{})) != 0 || countRows(t, db, "files") != 1 || countRows(t, db, "file_contents") != 1 {
			t.Fatalf("purged %d", n)
		}
		if _, err := w.open(other.ID, kept); err != nil {
			t.Fatalf("another person's file: %v", err)
		}
		w.tx(t, func(tx *sql.Tx) error {
			var err error
			n, err = w.svc.PurgeSubject(ctx, tx, erased)
			return err
		})
		if n != 0 {
			t.Fatalf("second purge: %d", n)
		}
	})
}

// Deleting the account that uploaded a file keeps the file, without its author.
func TestCreatorDeleted(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db, files.Options{})
		subject := newSubject()
		info := w.put(t, files.NewFile{Subject: subject, Kind: "cv", Upload: w.accept(t, pdfWith("x"), "cv.pdf", cvRules)})
		w.tx(t, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, w.actor.UserID)
			return err
		})
		f, err := w.open(info.ID, subject)
		if err != nil || f.CreatedBy != uuid.Nil {
			t.Fatalf("after the account's deletion: %v, created by %s", err, f.CreatedBy)
		}
		// The platform itself (a job, an import) stores files without an author.
		w.actor = access.Actor{}
		if info := w.put(t, files.NewFile{Subject: subject, Kind: "cv", Upload: w.accept(t, pdfWith("y"), "cv.pdf", cvRules)}); info.CreatedBy != uuid.Nil {
			t.Fatalf("created by %s", info.CreatedBy)
		}
	})
}

func TestPutRefuses(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, files.Options{})
		up := w.accept(t, pdfWith("x"), "cv.pdf", cvRules)
		checked, _ := files.Check(bytes.NewReader(pdfWith("x")), "cv.pdf", cvRules)
		for name, in := range map[string]files.NewFile{
			"an upload that did not go through Accept": {Subject: newSubject(), Kind: "cv", Upload: checked},
			"a zero upload":      {Subject: newSubject(), Kind: "cv"},
			"a bad kind":         {Subject: newSubject(), Kind: "CV!", Upload: up},
			"an empty kind":      {Subject: newSubject(), Upload: up},
			"no subject":         {Kind: "cv", Upload: up},
			"a missing previous": {Subject: newSubject(), Kind: "cv", Upload: up, Previous: uuid.Must(uuid.NewV7())},
		} {
			if _, err := w.tryPut(in); err == nil {
				t.Errorf("Put accepted %s", name)
			}
		}
		if countRows(t, db, "files") != 0 || countRows(t, db, "file_contents") != 0 {
			t.Fatal("a refused Put left rows")
		}
	})
}

// fakeScanner answers as told, without a network.
type fakeScanner struct {
	verdict files.Verdict
	err     error
	scanned [][]byte
}

func (f *fakeScanner) Scan(_ context.Context, r io.Reader) (files.Verdict, error) {
	b, _ := io.ReadAll(r)
	f.scanned = append(f.scanned, b)
	return f.verdict, f.err
}

func TestAcceptScans(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		scanner := &fakeScanner{}
		w := newWorld(t, db, files.Options{Scanner: scanner})
		pdf := pdfWith("clean")
		up := w.accept(t, pdf, "cv.pdf", cvRules)
		if len(scanner.scanned) != 1 || !bytes.Equal(scanner.scanned[0], pdf) {
			t.Fatalf("scanned %d files", len(scanner.scanned))
		}
		if info := w.put(t, files.NewFile{Subject: newSubject(), Kind: "cv", Upload: up}); info.Scan != files.Clean {
			t.Fatalf("scan status %s", info.Scan)
		}
		// A file not scanned (checked while no antivirus was configured) is not stored once one is.
		unscanned, err := files.NewService(db, w.env, w.clock, files.Options{}).Accept(ctx, w.actor, bytes.NewReader(pdf), "cv.pdf", cvRules)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.tryPut(files.NewFile{Subject: newSubject(), Kind: "cv", Upload: unscanned}); err == nil {
			t.Fatal("an unscanned file was stored while an antivirus is configured")
		}
		// Infected: refused at the field, and the refusal is in the audit trail.
		infected := pdfWith("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
		scanner.verdict = files.Verdict{Infected: true, Signature: "Eicar-Test-Signature"}
		_, err = w.svc.Accept(ctx, w.actor, bytes.NewReader(infected), "cv.pdf", cvRules)
		if msg := fault.FieldsOf(err)["cv"]; msg != "L'antivirus a détecté un virus dans ce fichier : il n'a pas été enregistré." {
			t.Fatalf("infected: %v", err)
		}
		sum := sha256.Sum256(infected)
		var outcome, actor, details string
		err = db.Reader().QueryRowContext(ctx, `SELECT outcome, actor_user, details FROM audit_events
			WHERE action = 'file.refused_infected' AND object_type = 'upload' AND object_ref = $1`, hex.EncodeToString(sum[:])).
			Scan(&outcome, &actor, &details)
		if err != nil || outcome != "denied" || actor != w.actor.UserID.String() || details != `{"field":"cv","signature":"Eicar-Test-Signature"}` {
			t.Fatalf("audit entry: %v %s %s %s", err, outcome, actor, details)
		}
		// The antivirus does not answer: refused, never stored unscanned.
		scanner.verdict, scanner.err = files.Verdict{}, files.ErrScanUnavailable
		_, err = w.svc.Accept(ctx, w.actor, bytes.NewReader(pdf), "cv.pdf", cvRules)
		if !errors.Is(err, fault.Unavailable) || fault.FieldsOf(err)["cv"] == "" {
			t.Fatalf("antivirus down: %v", err)
		}
		// Content checks come first: a wrong file never reaches the antivirus.
		scanned := len(scanner.scanned)
		if _, err := w.svc.Accept(ctx, w.actor, bytes.NewReader([]byte("MZ")), "cv.pdf", cvRules); !errors.Is(err, fault.Invalid) || len(scanner.scanned) != scanned {
			t.Fatalf("wrong type: %v", err)
		}
	})
}

func TestHeaders(t *testing.T) {
	info := files.Info{Name: "CV Agnès.pdf", Format: files.PDF, MediaType: "application/pdf", Size: 1234}
	want := map[string]string{
		"Content-Type":            "application/pdf",
		"Content-Disposition":     `attachment; filename="CV Agnes.pdf"; filename*=UTF-8''CV%20Agn%C3%A8s.pdf`,
		"Content-Length":          "1234",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	}
	got := info.Headers()
	if len(got) != len(want) {
		t.Fatalf("headers %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}
