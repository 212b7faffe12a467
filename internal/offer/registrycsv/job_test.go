package registrycsv_test

import (
	"bytes"
	"context"
	"errors"
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

// staffMember is a staff account with its second factor, who sends files from the page.
func staffMember(t *testing.T, db *database.DB) access.Actor {
	t.Helper()
	a := access.Actor{Kind: access.Staff, MFA: true}
	if err := db.Writer().QueryRowContext(context.Background(), `INSERT INTO users (id, kind, email, first_name, last_name, created_at,
		updated_at, last_activity_at) VALUES ('01900000-0000-7000-8000-000000000001', 'staff', 'agent@parcours.test', 'A', 'B', $1, $1, $1)
		RETURNING id`, now).Scan(&a.UserID); err != nil {
		t.Fatal(err)
	}
	return a
}

func newImporterService(t *testing.T, db *database.DB) (*offer.Service, *clock.Fake) {
	t.Helper()
	if _, _, err := refdata.EnsureImported(context.Background(), db, places(t), now); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(now)
	return offer.NewService(db, clk, places(t), "https://parcours.test"), clk
}

// A file sent from the page is stored, run in the background batch by batch, and reported:
// counts, refused lines with their reason, the audit entry of the command line; the file is
// deleted once the import ends.
func TestImporterRunsAnImportInTheBackground(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc, _ := newImporterService(t, db)
		staff := staffMember(t, db)
		im := registrycsv.NewImporter(svc, places(t), nil, "instance-a")
		// Two lines the file's checks refuse, one the registry refuses (a parent nobody knows).
		var extra bytes.Buffer
		if err := registrycsv.Write(&extra, []offer.RegistryEntry{
			{SIRET: siret(1), Kind: "EI", Name: "Commune inconnue", CommuneCode: "99999"},
			{SIRET: "12345678901234", Kind: "EI", Name: "SIRET faux", CommuneCode: "69123"},
			{SIRET: siret(2), Kind: "ACI", Name: "Antenne orpheline", CommuneCode: "69123", ParentSIRET: siret(3)},
		}); err != nil {
			t.Fatal(err)
		}
		_, rest, _ := bytes.Cut(extra.Bytes(), []byte("\n"))
		file := append(registryFile(t, places(t), 1200), rest...)
		if _, err := im.Submit(ctx, access.Actor{Kind: access.Professional, UserID: staff.UserID}, "x.csv", file); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("a professional submitted an import: %v", err)
		}
		var fe *registrycsv.FileError
		if _, err := im.Submit(ctx, staff, "latin1.csv", []byte("siret;type;raison_sociale;code_insee\n1;EI;R\xe9gie;69123\n")); !errors.As(err, &fe) {
			t.Fatalf("unreadable file accepted: %v", err)
		}
		sub, err := im.Submit(ctx, staff, "registre.csv", file)
		if err != nil {
			t.Fatal(err)
		}
		if sub.State != offer.ImportQueued || sub.Lines != 1203 {
			t.Fatalf("submitted: %+v", sub)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM registry_import_files`); n != 1 {
			t.Fatalf("%d stored files", n)
		}
		ran, err := im.RunOnce(ctx)
		if err != nil || !ran {
			t.Fatalf("RunOnce: %v, %v", ran, err)
		}
		r, refused, err := svc.RegistryImportReport(ctx, staff, sub.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != offer.ImportSucceeded || r.Done != 1203 || r.Rejected != 3 || r.Created != 1200 || r.Percent() != 100 {
			t.Fatalf("report: %+v", r)
		}
		if len(refused) != 3 || refused[0].Line != 1202 || !strings.Contains(refused[0].Reason, "code_insee") ||
			refused[1].Line != 1203 || refused[2].Line != 1204 || !strings.Contains(refused[2].Reason, "siret_parent") {
			t.Fatalf("refused lines: %+v", refused)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM registry_import_files`); n != 0 {
			t.Fatal("the file outlived its import")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE action = 'offer.registry_imported' AND object_ref = $1
			AND actor_user = $2 AND outcome = 'ok'`, r.FileSHA256, staff.UserID); n != 1 {
			t.Fatalf("%d audit entries of the import", n)
		}
		history, err := svc.RegistryImports(ctx, staff, 10)
		if err != nil || len(history) != 1 || history[0].ID != sub.ID {
			t.Fatalf("history: %+v, %v", history, err)
		}
		if ran, err := im.RunOnce(ctx); ran || err != nil {
			t.Fatalf("nothing left to run: %v, %v", ran, err)
		}
	})
}

// An instance that stops mid-import leaves it to another, which goes on from the batch after
// the last one committed: every line is counted once. An instance whose claim was taken over
// (its lease expired) writes nothing more.
func TestImportTakenOverGoesOnFromTheNextBatch(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc, clk := newImporterService(t, db)
		staff := staffMember(t, db)
		file := registryFile(t, places(t), 1300) // three batches
		a := registrycsv.NewImporter(svc, places(t), nil, "instance-a")
		sub, err := a.Submit(ctx, staff, "registre.csv", file)
		if err != nil {
			t.Fatal(err)
		}
		// Instance a stops (its context ends) after its first batch.
		actx, stop := context.WithCancel(ctx)
		registrycsv.SetAfterBatch(a, func(int) { stop() })
		if ran, err := a.RunOnce(actx); !ran || err != nil {
			t.Fatalf("a: %v, %v", ran, err)
		}
		r, _, _ := svc.RegistryImportReport(ctx, staff, sub.ID, 0)
		if r.State != offer.ImportRunning || r.Done != registrycsv.BatchSize || r.Created != registrycsv.BatchSize {
			t.Fatalf("after a's first batch: %+v", r)
		}
		b := registrycsv.NewImporter(svc, places(t), nil, "instance-b")
		if ran, err := b.RunOnce(ctx); !ran || err != nil {
			t.Fatalf("b: %v, %v", ran, err)
		}
		r, _, _ = svc.RegistryImportReport(ctx, staff, sub.ID, 0)
		if r.State != offer.ImportSucceeded || r.Done != 1300 || r.Created != 1300 || r.Updated+r.Unchanged != 0 || r.Claims != 2 {
			t.Fatalf("after b: %+v", r)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM structures`); n != 1300 {
			t.Fatalf("%d structures", n)
		}

		// A claim whose lease expired is taken over; its holder's next batch writes nothing.
		sub, err = a.Submit(ctx, staff, "registre-2.csv", registryFile(t, places(t), 20))
		if err != nil {
			t.Fatal(err)
		}
		held, ok, err := svc.ClaimRegistryImport(ctx, "instance-a", time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		if _, ok, _ := svc.ClaimRegistryImport(ctx, "instance-b", time.Minute); ok {
			t.Fatal("an import claimed twice while its lease runs")
		}
		clk.Advance(2 * time.Minute)
		if ran, err := b.RunOnce(ctx); !ran || err != nil {
			t.Fatalf("b takes over: %v, %v", ran, err)
		}
		before := count(t, db, `SELECT COUNT(*) FROM registry_imports WHERE id = $1 AND next_batch = 1`, sub.ID)
		_, err = svc.ImportRegistryStep(ctx, held.Actor(), &held, []offer.RegistryEntry{{SIRET: siret(4), Kind: "EI", Name: "Tard", CommuneCode: "69123"}},
			offer.ImportStep{Lines: 1})
		if !errors.Is(err, offer.ErrImportLost) {
			t.Fatalf("the former holder's step: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM organisations WHERE name = 'Tard'`); n != 0 || before != 1 {
			t.Fatal("a step of a lost claim wrote")
		}
	})
}
