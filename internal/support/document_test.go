package support_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/support"
)

func pdfWith(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + text + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

func imageOf(t testing.TB, format string) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (f *fixture) accept(t tester, a access.Actor, content []byte, name string) files.Upload {
	t.Helper()
	up, err := f.svc.AcceptDocument(context.Background(), a, bytes.NewReader(content), name)
	if err != nil {
		t.Fatalf("accept %s: %v", name, err)
	}
	return up
}

// A habilitated advisor of the caseload stores typed documents and new versions; the other
// advisor of the caseload reads every version, each download in the trail with the purpose
// "documents"; the person sees and downloads the newest versions and sends the types meant
// for them; nobody else reads anything.
func TestDocumentsVersionedAndAudited(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		v1, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "rib", Upload: f.accept(t, f.capAdvisor, pdfWith("RIB-V1"), "../../rib alice.pdf")})
		if err != nil {
			t.Fatal(err)
		}
		if v1.Name != "rib alice.pdf" || v1.Version != 1 {
			t.Fatalf("stored %+v", v1)
		}
		v2, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Previous: v1.ID, Upload: f.accept(t, f.capAdvisor, imageOf(t, "png"), "rib.png")})
		if err != nil || v2.Version != 2 || v2.Kind != "rib" {
			t.Fatalf("version 2: %+v %v", v2, err)
		}
		// Replacing a version that is no longer the newest is a conflict, not a silent fork.
		if _, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Previous: v1.ID, Upload: f.accept(t, f.capAdvisor, imageOf(t, "jpeg"), "rib.jpg")}); !errors.Is(err, files.ErrNewerVersion) {
			t.Fatalf("stale version: %v", err)
		}
		if _, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "devis", Upload: f.accept(t, f.capAdvisor, imageOf(t, "jpeg"), "devis.jpg")}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "ordonnance", Upload: f.accept(t, f.capAdvisor, pdfWith("x"), "x.pdf")}); fault.FieldsOf(err)["kind"] == "" {
			t.Fatalf("unknown type: %v", err)
		}
		list, err := f.svc.ListDocuments(ctx, f.ftAdvisor, f.person)
		if err != nil || len(list.Documents) != 2 {
			t.Fatalf("list: %+v %v", list, err)
		}
		var rib support.Document
		for _, d := range list.Documents {
			if d.Kind == "rib" {
				rib = d
			}
		}
		if len(rib.Versions) != 2 || rib.Versions[0].ID != v2.ID || rib.Versions[1].ID != v1.ID || rib.TypeLabel == "" {
			t.Fatalf("rib versions: %+v", rib)
		}
		before := f.count(t, "read.support.document")
		old, err := f.svc.OpenDocument(ctx, f.ftAdvisor, f.person, v1.ID)
		if err != nil || !bytes.Contains(old.Content, []byte("RIB-V1")) {
			t.Fatalf("old version: %v", err)
		}
		var purpose string
		if err := db.Reader().QueryRowContext(ctx, `SELECT purpose FROM audit_events WHERE action = 'read.support.document' ORDER BY occurred_at DESC LIMIT 1`).Scan(&purpose); err != nil {
			t.Fatal(err)
		}
		if f.count(t, "read.support.document") != before+1 || purpose != string(access.PurposeSupportDocuments) {
			t.Fatalf("download not audited with its purpose: %q", purpose)
		}
		// The person: newest versions only, and sends a signed plan, not an invoice.
		mine, err := f.svc.MyDocuments(ctx, f.personActor)
		if err != nil || len(mine.Documents) != 2 || !mine.Self {
			t.Fatalf("mine: %+v %v", mine, err)
		}
		for _, d := range mine.Documents {
			if len(d.Versions) != 1 {
				t.Fatalf("the person sees older versions: %+v", d)
			}
		}
		if _, err := f.svc.MyDocument(ctx, f.personActor, v2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.MyDocument(ctx, f.personActor, v1.ID); !errors.Is(err, fault.NotFound) {
			t.Fatalf("the person downloads an older version: %v", err)
		}
		sent, err := f.svc.SendDocument(ctx, f.personActor, support.NewDocument{Kind: "plan_signe", Upload: f.accept(t, f.personActor, pdfWith("PLAN"), "plan.pdf")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendDocument(ctx, f.personActor, support.NewDocument{Kind: "facture", Upload: f.accept(t, f.personActor, pdfWith("F"), "f.pdf")}); fault.FieldsOf(err)["kind"] == "" {
			t.Fatalf("the person sends an invoice: %v", err)
		}
		list, _ = f.svc.ListDocuments(ctx, f.capAdvisor, f.person)
		found := false
		for _, d := range list.Documents {
			found = found || d.ID == sent.ID && d.ByPerson
		}
		if !found || f.count(t, "support.document_sent") != 1 || f.count(t, "support.document_stored") != 3 {
			t.Fatalf("the person's document: %+v", list.Documents)
		}
		// Nobody else; an advisor under emergency access reads but does not write.
		for name, a := range map[string]access.Actor{"without habilitation": f.ftPlain, "another agency": f.otherAdvisor, "staff": f.staff} {
			if _, err := f.svc.ListDocuments(ctx, a, f.person); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s lists: %v", name, err)
			}
			if _, err := f.svc.OpenDocument(ctx, a, f.person, v2.ID); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s downloads: %v", name, err)
			}
			if _, err := f.svc.AddDocument(ctx, a, f.person, support.NewDocument{Kind: "courrier", Upload: f.accept(t, a, pdfWith("x"), "x.pdf")}); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s uploads: %v", name, err)
			}
		}
		if _, err := f.svc.SendDocument(ctx, f.ftAdvisor, support.NewDocument{Kind: "rib", Upload: f.accept(t, f.ftAdvisor, pdfWith("x"), "x.pdf")}); !errors.Is(err, fault.Forbidden) {
			t.Errorf("an advisor sends as the person: %v", err)
		}
		if err := f.svc.BreakGlass(ctx, f.otherAdvisor, f.person, "La personne se présente à l'accueil de l'agence."); err != nil {
			t.Fatal(err)
		}
		if l, err := f.svc.ListDocuments(ctx, f.otherAdvisor, f.person); err != nil || !l.Emergency {
			t.Fatalf("emergency read: %v", err)
		}
		if _, err := f.svc.AddDocument(ctx, f.otherAdvisor, f.person, support.NewDocument{Kind: "courrier", Upload: f.accept(t, f.otherAdvisor, pdfWith("x"), "x.pdf")}); !errors.Is(err, fault.Forbidden) {
			t.Errorf("emergency upload: %v", err)
		}
	})
}

// What the store accepts: PDF, JPEG, PNG by content, 10 MB at most.
func TestDocumentContentChecked(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for name, c := range map[string]struct {
			content []byte
			file    string
		}{
			"text named PDF":    {[]byte("bonjour, ceci n'est pas un PDF"), "rib.pdf"},
			"PNG named PDF":     {imageOf(t, "png"), "rib.pdf"},
			"HTML":              {[]byte("<html><script>alert(1)</script></html>"), "page.html"},
			"over 10 MB":        {append(pdfWith("x"), bytes.Repeat([]byte(" "), support.MaxDocumentSize)...), "gros.pdf"},
			"empty":             {nil, "vide.pdf"},
			"GIF under PNG ext": {[]byte("GIF89a\x01\x00\x01\x00"), "image.png"},
		} {
			if _, err := f.svc.AcceptDocument(ctx, f.capAdvisor, bytes.NewReader(c.content), c.file); fault.FieldsOf(err)["file"] == "" {
				t.Errorf("%s accepted: %v", name, err)
			}
		}
		for _, c := range []struct {
			content []byte
			name    string
		}{{pdfWith("ok"), "a.pdf"}, {imageOf(t, "jpeg"), "b.jpeg"}, {imageOf(t, "png"), "c"}} {
			up, err := f.svc.AcceptDocument(ctx, f.capAdvisor, bytes.NewReader(c.content), c.name)
			if err != nil || up.Name() == "" {
				t.Errorf("%s refused: %v", c.name, err)
			}
		}
	})
}

// The title's document of part 1 is one of the documents: listed, and a new one of its type is
// its next version and the record's proof.
func TestProofIsOneOfTheDocuments(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		up, err := f.svc.AcceptProof(ctx, f.capAdvisor, bytes.NewReader(pdfWith("TITRE-1")), "rqth.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetProof(ctx, f.capAdvisor, f.person, up); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.ListDocuments(ctx, f.capAdvisor, f.person)
		if err != nil || len(list.Documents) != 1 || list.Documents[0].Kind != support.ProofKind {
			t.Fatalf("list: %+v %v", list, err)
		}
		info, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: support.ProofKind, Upload: f.accept(t, f.capAdvisor, pdfWith("TITRE-2"), "rqth-2.pdf")})
		if err != nil || info.Version != 2 {
			t.Fatalf("new proof: %+v %v", info, err)
		}
		proof, err := f.svc.Proof(ctx, f.ftAdvisor, f.person, access.PurposeSupport)
		if err != nil || !bytes.Contains(proof.Content, []byte("TITRE-2")) {
			t.Fatalf("the record's proof is not the new version: %v", err)
		}
		if err := f.svc.DeleteDocument(ctx, f.capAdvisor, f.person, info.ID, "Titre déposé par erreur."); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Proof(ctx, f.ftAdvisor, f.person, access.PurposeSupport); !errors.Is(err, fault.NotFound) {
			t.Fatalf("proof after deletion: %v", err)
		}
	})
}

// A deletion needs a reason, removes every version, and stays listed with its reason.
func TestDeleteDocumentWithReason(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		v1, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "courrier", Upload: f.accept(t, f.capAdvisor, pdfWith("L1"), "l.pdf")})
		if err != nil {
			t.Fatal(err)
		}
		v2, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Previous: v1.ID, Upload: f.accept(t, f.capAdvisor, pdfWith("L2"), "l.pdf")})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteDocument(ctx, f.capAdvisor, f.person, v2.ID, "  "); fault.FieldsOf(err)["reason"] == "" {
			t.Fatalf("no reason: %v", err)
		}
		if err := f.svc.DeleteDocument(ctx, f.ftPlain, f.person, v2.ID, "Motif"); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("without habilitation: %v", err)
		}
		if err := f.svc.DeleteDocument(ctx, f.ftAdvisor, f.person, v2.ID, "Courrier d'une autre personne."); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.ListDocuments(ctx, f.capAdvisor, f.person)
		if err != nil || len(list.Documents) != 0 || len(list.Deletions) != 1 {
			t.Fatalf("after deletion: %+v %v", list, err)
		}
		if d := list.Deletions[0]; d.Reason != "Courrier d'une autre personne." || d.Versions != 2 || d.Kind != "courrier" || d.By == "" {
			t.Fatalf("deletion %+v", d)
		}
		if _, err := f.svc.OpenDocument(ctx, f.capAdvisor, f.person, v1.ID); !errors.Is(err, fault.NotFound) {
			t.Fatalf("deleted version opens: %v", err)
		}
		if f.count(t, "support.document_deleted") != 1 {
			t.Fatal("deletion not audited")
		}
	})
}

// A document's content, name and deletion reason are in no raw scan of the database (SQLite
// file, pg_dump); the purge of the record erases its documents and their deletions.
func TestDocumentsInNoRawScan(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db, url := databasetest.Open(t, engine)
			f := newFixture(t, db)
			ctx := context.Background()
			id := f.open(t, f.person, "CANARI")
			kept, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "facture",
				Upload: f.accept(t, f.capAdvisor, pdfWith("DOCUMENT-CANARI-CONTENU FR7630006000011234567890189"), "DOCUMENT-CANARI-NOM.pdf")})
			if err != nil {
				t.Fatal(err)
			}
			gone, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "courrier", Upload: f.accept(t, f.capAdvisor, pdfWith("x"), "x.pdf")})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.DeleteDocument(ctx, f.capAdvisor, f.person, gone.ID, "DOCUMENT-CANARI-MOTIF"); err != nil {
				t.Fatal(err)
			}
			raw := databasetest.RawContent(t, url)
			for _, canary := range []string{"DOCUMENT-CANARI", "FR7630006000011234567890189"} {
				if bytes.Contains(raw, []byte(canary)) {
					t.Fatalf("the raw database holds %q in clear", canary)
				}
			}
			if !bytes.Contains(raw, []byte(kept.ID.String())) && !bytes.Contains(raw, kept.ID[:]) {
				t.Fatal("the scan does not see the files at all")
			}
			if err := f.svc.Erase(ctx, db.Writer(), f.person); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM files WHERE subject = $1) + (SELECT COUNT(*) FROM support_document_deletions)`,
				"support:"+id.String()).Scan(&n); err != nil || n != 0 {
				t.Fatalf("after erasure: %d rows, %v", n, err)
			}
		})
	}
}

// With an antivirus configured (PARCOURS_TEST_CLAMD_ADDR), a document carrying the EICAR test
// string is refused on its field.
func TestDocumentEICAR(t *testing.T) {
	addr := os.Getenv("PARCOURS_TEST_CLAMD_ADDR")
	if addr == "" {
		t.Skip("clamd is not configured (PARCOURS_TEST_CLAMD_ADDR): the antivirus path of documents is not tested here; files.TestClamdProtocol covers the protocol")
	}
	c, err := files.NewClamd(addr)
	if err != nil {
		t.Fatal(err)
	}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		scanned := files.NewService(db, f.env, f.clock, files.Options{Scanner: c})
		svc := support.NewService(db, f.guard, f.env, f.clock, f.journal, f.people, scanned)
		const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`
		_, err := svc.AcceptDocument(context.Background(), f.capAdvisor, bytes.NewReader(pdfWith(eicar)), "devis.pdf")
		if !strings.Contains(fault.FieldsOf(err)["file"], "virus") {
			t.Fatalf("EICAR accepted: %v", err)
		}
	})
}

// The retention period of each type: from the upload, from the end of the support, or from
// the later of the end and the last payment of an aid (bank details, never while an aid waits
// for its payment); never after the record's own purge.
func TestDocumentDueOn(t *testing.T) {
	up, end, purge, paid := date(2026, 1, 31), date(2026, 6, 15), date(2027, 3, 1), date(2026, 9, 10)
	none := database.Date{}
	for _, tc := range []struct {
		kind                 string
		end, purge, lastPaid database.Date
		unpaid               bool
		want                 database.Date
	}{
		{"devis", none, none, none, false, date(2027, 1, 31)},
		{"courrier", none, none, none, false, date(2028, 1, 31)},
		{"courrier", none, purge, none, false, purge},
		{"rib", none, none, none, false, none},
		{"rib", none, none, paid, false, none},
		{"rib", end, none, none, false, date(2027, 7, 15)},
		{"rib", end, none, date(2026, 3, 1), false, date(2027, 7, 15)},
		{"rib", end, none, paid, false, date(2027, 10, 10)},
		{"rib", end, none, paid, true, none},
		{"rib", end, purge, paid, true, purge},
		{"rib", end, purge, none, false, purge},
		{"facture", end, none, paid, false, none},
		{"facture", end, purge, none, false, purge},
		{support.ProofKind, end, purge, none, false, purge},
	} {
		d := support.DocumentDates{Uploaded: up, Ended: tc.end, PurgeOn: tc.purge, LastPaid: tc.lastPaid, Unpaid: tc.unpaid}
		if got := support.DocumentDueOn(tc.kind, d); got != tc.want {
			t.Errorf("%s %+v: %v, want %v", tc.kind, d, got, tc.want)
		}
	}
}

// Bank details stay 13 months after the last payment of an aid when it comes after the end of
// the support, and while a granted aid waits for its payment: the daily job and the person's page agree.
func TestBankDetailsKeptAfterTheLastPayment(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		colleague := f.member(t, "cap2@exemple.fr", f.capOrg.ID, true)
		f.open(t, f.person, "CANARI")
		if _, err := f.svc.AddDocument(ctx, f.capAdvisor, f.person, support.NewDocument{Kind: "rib", Upload: f.accept(t, f.capAdvisor, pdfWith("RIB"), "rib.pdf")}); err != nil {
			t.Fatal(err)
		}
		paidLater := f.grant(t, f.capAdvisor, colleague, f.person, "AGEFIPH_AIDE_TECHNIQUE", 300)
		f.grant(t, f.capAdvisor, colleague, f.person, "FIPHFP_TRANSPORT", 200)
		start := f.today()
		if err := f.svc.Close(ctx, f.capAdvisor, f.person, "employment", start); err != nil {
			t.Fatal(err)
		}
		ribDue := func() database.Date {
			t.Helper()
			docs, err := f.svc.ListDocuments(ctx, f.personActor, f.person)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs.Documents {
				if d.Kind == "rib" {
					return d.DueOn
				}
			}
			t.Fatal("no bank details on the page")
			return database.Date{}
		}
		// The record's own purge (6 months after the end of the RQTH) caps every period.
		var purge database.Date
		if err := db.Reader().QueryRowContext(ctx, `SELECT purge_on FROM support_records`).Scan(&purge); err != nil {
			t.Fatal(err)
		}
		if due := ribDue(); due != purge {
			t.Fatalf("two aids wait for their payment, yet the bank details go on %v, before the record's purge %v", due, purge)
		}
		// The Agefiph aid is paid 3 months after the end; the FIPHFP one is still granted.
		f.clock.Set(at(start.AddDays(91)))
		if _, _, err := f.svc.ExportBatch(ctx, f.capAdvisor, "AGEFIPH"); err != nil {
			t.Fatal(err)
		}
		var batch uuid.UUID
		if err := db.Reader().QueryRowContext(ctx, `SELECT batch_id FROM support_aids WHERE id = $1`, paidLater).Scan(&batch); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.MarkPaid(ctx, f.capAdvisor, batch); err != nil {
			t.Fatal(err)
		}
		if due := ribDue(); due != purge {
			t.Fatalf("the FIPHFP aid waits for its payment, yet the bank details go on %v, before the record's purge %v", due, purge)
		}
		if _, _, err := f.svc.ExportBatch(ctx, f.capAdvisor, "FIPHFP"); err != nil {
			t.Fatal(err)
		}
		var fiphfp uuid.UUID
		if err := db.Reader().QueryRowContext(ctx, `SELECT batch_id FROM support_aids WHERE funder = 'FIPHFP'`).Scan(&fiphfp); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.MarkPaid(ctx, f.capAdvisor, fiphfp); err != nil {
			t.Fatal(err)
		}
		want := support.AddMonths(start.AddDays(91), 13)
		if !want.Before(purge) {
			t.Fatalf("the fixture's purge day %v comes before the bank details' %v: the test proves nothing", purge, want)
		}
		if due := ribDue(); due != want {
			t.Fatalf("bank details go on %v, want 13 months after the last payment, %v", due, want)
		}
		countRIB := func() int {
			t.Helper()
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM files WHERE kind = 'rib'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// 13 months after the end, the old rule's day: still there; on the day due: gone.
		for _, tc := range []struct {
			day  database.Date
			want int
		}{{support.AddMonths(start, 13), 1}, {want.AddDays(-1), 1}, {want, 0}} {
			f.clock.Set(at(tc.day))
			if _, err := f.svc.PurgeDocuments(ctx); err != nil {
				t.Fatal(err)
			}
			if got := countRIB(); got != tc.want {
				t.Fatalf("on %v: %d bank details, want %d", tc.day, got, tc.want)
			}
		}
	})
}

// Property, on both engines, with a controllable clock: whatever the types, upload days, ends
// of support and holds, each daily run deletes exactly the versions due (none early, none
// held, none left), a second run the same day deletes nothing, and the report holds counts.
func TestDocumentRetentionProperty(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		start := f.today()
		kinds := []string{"devis", "facture", "rib", "plan_signe", "courrier", support.ProofKind}
		rapid.Check(t, func(rt *rapid.T) {
			f.clock.Set(at(start))
			type doc struct {
				file          uuid.UUID
				kind          string
				uploaded, end database.Date
				purge         database.Date
				hold          bool
				person        uuid.UUID
				record        uuid.UUID
			}
			var docs []doc
			for range rapid.IntRange(1, 3).Draw(rt, "records") {
				f.clock.Set(at(start))
				person, _ := f.newPerson(rt, f.capAdvisor, fmt.Sprintf("d%d@exemple.fr", f.seq+1))
				in := f.input("D")
				in.Title.ValidUntil, in.Title.Unlimited = database.Date{}, true
				id, err := f.svc.Open(ctx, f.capAdvisor, person, in, uuid.Nil)
				if err != nil {
					rt.Fatal(err)
				}
				var mine []doc
				for range rapid.IntRange(1, 3).Draw(rt, "documents") {
					day := rapid.IntRange(0, 200).Draw(rt, "upload_day")
					f.clock.Set(at(start.AddDays(day)))
					kind := rapid.SampledFrom(kinds).Draw(rt, "kind")
					info, err := f.svc.AddDocument(ctx, f.capAdvisor, person, support.NewDocument{Kind: kind, Upload: f.accept(rt, f.capAdvisor, pdfWith("R"), "r.pdf")})
					if err != nil {
						rt.Fatal(err)
					}
					mine = append(mine, doc{file: info.ID, kind: kind, uploaded: start.AddDays(day), person: person, record: id})
				}
				f.clock.Set(at(start.AddDays(200)))
				var end database.Date
				if rapid.Bool().Draw(rt, "ended") {
					end = start.AddDays(200)
					if err := f.svc.Close(ctx, f.capAdvisor, person, "employment", end); err != nil {
						rt.Fatal(err)
					}
				}
				hold := rapid.Bool().Draw(rt, "hold")
				if hold {
					if err := f.svc.SetHold(ctx, f.capAdvisor, person, true); err != nil {
						rt.Fatal(err)
					}
				}
				for i := range mine {
					mine[i].end, mine[i].hold = end, hold
				}
				docs = append(docs, mine...)
			}
			for day := 200; day <= 1200; day += rapid.IntRange(30, 300).Draw(rt, "step") {
				today := start.AddDays(day)
				f.clock.Set(at(today))
				if _, err := f.svc.PurgeDocuments(ctx); err != nil {
					rt.Fatal(err)
				}
				if again, err := f.svc.PurgeDocuments(ctx); err != nil || again.Deleted != 0 {
					rt.Fatalf("second run: %+v %v", again, err)
				}
				for _, d := range docs {
					var exists bool
					if err := db.Reader().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM files WHERE id = $1)`, d.file).Scan(&exists); err != nil {
						rt.Fatal(err)
					}
					due := support.Due(support.DocumentDueOn(d.kind, support.DocumentDates{Uploaded: d.uploaded, Ended: d.end, PurgeOn: d.purge}), today, d.hold)
					if exists == due {
						rt.Fatalf("day %d: %s uploaded %v ended %v hold %v: due=%v exists=%v", day, d.kind, d.uploaded, d.end, d.hold, due, exists)
					}
				}
			}
			seen := map[uuid.UUID]bool{}
			for _, d := range docs {
				if !seen[d.person] {
					seen[d.person] = true
					if err := f.svc.Erase(ctx, db.Writer(), d.person); err != nil {
						rt.Fatal(err)
					}
				}
			}
		})
		res, err := f.svc.PurgeDocumentsJob().Run(ctx)
		if err != nil || len(res) != 2 {
			t.Fatalf("job: %v %v", res, err)
		}
	})
}
