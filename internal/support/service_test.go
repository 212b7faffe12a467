package support_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/support"
)

// A Cap emploi advisor with the habilitation opens a person's support and records the five
// categories; the France Travail agency that follows the person with it reads them (joint
// controllers); the person reads their own; nobody else does.
func TestFiveCategoriesReadByTheCaseloadOnly(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		for name, a := range map[string]access.Actor{"Cap emploi": f.capAdvisor, "France Travail": f.ftAdvisor, "the person": f.personActor} {
			r, err := f.svc.Get(ctx, a, f.person, access.PurposeSupport)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			h := r.Health
			if h.DisabilityComment != "CANARI-TYPE" || h.Recovery != "CANARI-RETABLISSEMENT" || len(h.Limitations) != 2 ||
				r.Title.Category != "rqth" || len(r.Caseload) != 2 || r.Withheld {
				t.Fatalf("%s reads %+v", name, r)
			}
		}
		noMFA := f.ftAdvisor
		noMFA.MFA = false
		for name, a := range map[string]access.Actor{"an advisor without habilitation": f.ftPlain, "an advisor of another agency": f.otherAdvisor,
			"staff": f.staff, "an advisor without second factor": noMFA} {
			if r, err := f.svc.Get(ctx, a, f.person, access.PurposeSupport); !errors.Is(err, fault.Forbidden) || !r.Health.Empty() {
				t.Errorf("%s: %v %+v", name, err, r)
			}
		}
		// A withdrawn habilitation takes effect on the next read.
		if err := f.svc.SetHabilitation(ctx, f.ftAdvisor, f.ftAdvisor.UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Get(ctx, f.ftAdvisor, f.person, access.PurposeSupport); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("withdrawn: %v", err)
		}
		if f.count(t, "support.habilitation_withdrawn") != 1 || f.count(t, "support.habilitation_granted") != 3 {
			t.Fatal("habilitation changes not audited")
		}
		// A member who is not admin cannot grant it.
		if err := f.svc.SetHabilitation(ctx, f.ftPlain, f.ftPlain.UserID, true); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("self-granted: %v", err)
		}
		// A second record for the same person is refused; the form is checked.
		if _, err := f.svc.Open(ctx, f.capAdvisor, f.person, f.input("X"), uuid.Nil); !errors.Is(err, fault.Conflict) {
			t.Fatalf("second record: %v", err)
		}
		bad := f.input("X")
		bad.Title.Unlimited = true
		bad.Health.Limitations = []string{"diagnostic"}
		if err := bad.Validate(f.today()); !errors.Is(err, fault.Invalid) || len(fault.FieldsOf(err)) != 2 {
			t.Fatalf("validation: %v", err)
		}
	})
}

// No purpose, no read; every read states one, and N reads give exactly N audit entries.
func TestEveryReadIsAuditedWithItsPurpose(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		for _, p := range []access.Purpose{access.PurposeSupportStatistics, access.PurposeIAEFollowUp, ""} {
			if _, err := f.svc.Get(ctx, f.ftAdvisor, f.person, p); !errors.Is(err, fault.Forbidden) {
				t.Fatalf("purpose %q: %v", p, err)
			}
		}
		purposes := []access.Purpose{access.PurposeSupport, access.PurposeSupportPlan, access.PurposeSupportAids, access.PurposeSupportDocuments}
		readers := []access.Actor{f.capAdvisor, f.ftAdvisor}
		before := f.count(t, "read.support.record")
		n := 20 + rand.IntN(30)
		for range n {
			if _, err := f.svc.Get(ctx, readers[rand.IntN(2)], f.person, purposes[rand.IntN(len(purposes))]); err != nil {
				t.Fatal(err)
			}
			// The person's own reads are not the question of the trail.
			if _, err := f.svc.Mine(ctx, f.personActor); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.count(t, "read.support.record") - before; got != n {
			t.Fatalf("%d reads, %d audit entries", n, got)
		}
		var stated int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'read.support.record'
			AND outcome = 'ok' AND purpose LIKE 'support.%' AND object_ref = $1`, f.journal.SubjectRef(f.person)).Scan(&stated); err != nil || stated != n {
			t.Fatalf("%d entries with a purpose and the person's pseudonym, want %d (%v)", stated, n, err)
		}
		// The person sees who read, when and why.
		list, err := f.svc.Accesses(ctx, f.personActor)
		if err != nil {
			t.Fatal(err)
		}
		// Every read, and the opening; refusals for an undeclared purpose never reached a decision.
		if len(list) != n+1 {
			t.Fatalf("%d lines in the access list, want %d", len(list), n+1)
		}
		seen := map[string]bool{}
		for _, a := range list {
			seen[a.What] = true
			if a.Who == "" || a.Org == "" || a.Purpose == "" {
				t.Fatalf("access line %+v", a)
			}
		}
		if !seen["Consultation du dossier"] || !seen["Ouverture de l'accompagnement"] {
			t.Fatalf("access list %v", seen)
		}
		if _, err := f.svc.Accesses(ctx, f.ftAdvisor); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("an advisor reads the person's access list: %v", err)
		}
	})
}

// brokenJournal fails every entry, as a full disk or a revoked grant would.
type brokenJournal struct{}

func (brokenJournal) RecordRead(context.Context, database.Querier, access.ReadEntry) error {
	return errors.New("journal indisponible")
}

// An audit failure fails the read: nothing is returned.
func TestAuditFailureFailsTheRead(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.open(t, f.person, "CANARI")
		broken := support.NewService(db, access.NewGuard(db, brokenJournal{}, f.clock), f.env, f.clock, f.journal, f.people, f.files)
		r, err := broken.Get(context.Background(), f.ftAdvisor, f.person, access.PurposeSupport)
		if err == nil || !r.Health.Empty() || r.Title.Category != "" {
			t.Fatalf("read without audit: %v %+v", err, r)
		}
	})
}

// Ciphertexts are bound to their row: swapping two records' health data makes both fail; the
// raw database (SQLite file, pg_dump) holds no canary in clear.
func TestHealthDataSealedAndBoundToTheirRow(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db, url := databasetest.Open(t, engine)
			f := newFixture(t, db)
			ctx := context.Background()
			other, _ := f.newPerson(t, f.capAdvisor, "autre@exemple.fr")
			a := f.open(t, f.person, "CANARI-UN")
			b := f.open(t, other, "CANARI-DEUX")
			raw := databasetest.RawContent(t, url)
			for _, canary := range []string{"CANARI-UN", "CANARI-DEUX", "RETABLISSEMENT", "work_accident"} {
				if bytes.Contains(raw, []byte(canary)) {
					t.Fatalf("the raw database holds %q in clear", canary)
				}
			}
			if !bytes.Contains(raw, []byte(a.String())) && !bytes.Contains(raw, a[:]) {
				t.Fatal("the scan does not see the rows at all")
			}
			var ha, hb []byte
			if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM support_records WHERE id = $1`, a).Scan(&ha); err != nil {
				t.Fatal(err)
			}
			if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM support_records WHERE id = $1`, b).Scan(&hb); err != nil {
				t.Fatal(err)
			}
			for id, v := range map[uuid.UUID][]byte{a: hb, b: ha} {
				if _, err := db.Writer().ExecContext(ctx, `UPDATE support_records SET health = $2 WHERE id = $1`, id, v); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range []uuid.UUID{f.person, other} {
				if _, err := f.svc.Get(ctx, f.capAdvisor, p, access.PurposeSupport); !errors.Is(err, crypto.ErrUndecryptable) {
					t.Fatalf("swapped ciphertext opened: %v", err)
				}
			}
		})
	}
}

// A master-key rotation re-wraps the records' keys online: reads go on before and after.
func TestKeysRotateCoversSupportRecords(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		rep, err := crypto.Rotate(ctx, db, f.keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rewrapped == 0 || rep.Remaining != 0 {
			t.Fatalf("rotation: %+v", rep)
		}
		var version int
		if err := db.Reader().QueryRowContext(ctx, `SELECT k.kek_version FROM subject_keys k JOIN support_records r ON k.subject = 'support:' || r.id`).Scan(&version); err != nil || version != rep.NewVersion {
			t.Fatalf("record key wrapped by %d, want %d (%v)", version, rep.NewVersion, err)
		}
		if r, err := f.svc.Get(ctx, f.ftAdvisor, f.person, access.PurposeSupport); err != nil || r.Health.Recovery != "CANARI-RETABLISSEMENT" {
			t.Fatalf("after rotation: %v %+v", err, r)
		}
	})
}

// An emergency access: a reason, four hours, reads recorded as such, reviewed by the admin of
// the advisor's organisation.
func TestBreakGlass(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		if err := f.svc.BreakGlass(ctx, f.otherAdvisor, f.person, "court"); !errors.Is(err, fault.Invalid) {
			t.Fatalf("short reason: %v", err)
		}
		for name, a := range map[string]access.Actor{"no habilitation": f.ftPlain, "staff": f.staff, "the caseload": f.capAdvisor} {
			if err := f.svc.BreakGlass(ctx, a, f.person, "La personne se présente à l'accueil sans rendez-vous."); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s breaks glass: %v", name, err)
			}
		}
		if err := f.svc.BreakGlass(ctx, f.otherAdvisor, f.person, "La personne se présente à l'accueil sans rendez-vous."); err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.Get(ctx, f.otherAdvisor, f.person, access.PurposeSupport)
		if err != nil || !r.Emergency || r.Health.Recovery == "" {
			t.Fatalf("emergency read: %v %+v", err, r)
		}
		if err := f.svc.Update(ctx, f.otherAdvisor, f.person, f.input("X")); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("emergency write: %v", err)
		}
		var rel string
		if err := db.Reader().QueryRowContext(ctx, `SELECT details FROM audit_events WHERE action = 'read.support.record' AND actor_user = $1`,
			f.otherAdvisor.UserID.String()).Scan(&rel); err != nil || !strings.Contains(rel, "emergency") {
			t.Fatalf("emergency read not marked: %q %v", rel, err)
		}
		f.clock.Advance(support.EmergencyDuration + time.Second)
		if _, err := f.svc.Get(ctx, f.otherAdvisor, f.person, access.PurposeSupport); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("after expiry: %v", err)
		}
		// The admin of the advisor's organisation reviews; another organisation's admin sees none.
		if list, err := f.svc.Emergencies(ctx, f.ftAdvisor); err != nil || len(list) != 0 {
			t.Fatalf("another admin: %v %v", list, err)
		}
		admin := f.adminOf(t, f.ftOther.ID)
		list, err := f.svc.Emergencies(ctx, admin)
		if err != nil || len(list) != 1 || list[0].Reviewed || !strings.Contains(list[0].Reason, "accueil") || list[0].Person != "Alice P." {
			t.Fatalf("to review: %+v %v", list, err)
		}
		if err := f.svc.Review(ctx, f.ftAdvisor, list[0].ID, true); !errors.Is(err, fault.NotFound) {
			t.Fatalf("reviewed by another organisation: %v", err)
		}
		if err := f.svc.Review(ctx, admin, list[0].ID, true); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.svc.Emergencies(ctx, admin); !list[0].Reviewed || list[0].Verdict != "justified" {
			t.Fatalf("after review: %+v", list)
		}
		if f.count(t, "support.break_glass") != 1 || f.count(t, "support.break_glass_reviewed") != 1 {
			t.Fatal("not audited")
		}
	})
}

// The person asks for rectification or restriction; a restriction freezes the record and hides
// the health data from advisors until the referent lifts it.
func TestRestriction(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		if err := f.svc.Ask(ctx, f.ftAdvisor, support.RequestRestriction, "x"); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("an advisor asks: %v", err)
		}
		if err := f.svc.Ask(ctx, f.personActor, support.RequestRectification, "Ma date de décision est fausse."); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Ask(ctx, f.personActor, support.RequestRestriction, "Je conteste l'exactitude des données."); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Update(ctx, f.capAdvisor, f.person, f.input("NOUVEAU")); !errors.Is(err, fault.Conflict) {
			t.Fatalf("update while restricted: %v", err)
		}
		r, err := f.svc.Get(ctx, f.capAdvisor, f.person, access.PurposeSupport)
		if err != nil || !r.Withheld || !r.Health.Empty() || !r.Restricted() || len(r.Requests) != 2 || r.Requests[0].Message != "" {
			t.Fatalf("advisor while restricted: %v %+v", err, r)
		}
		mine, err := f.svc.Mine(ctx, f.personActor)
		if err != nil || mine.Withheld || mine.Health.Recovery == "" || mine.Requests[0].Message == "" {
			t.Fatalf("the person while restricted: %v %+v", err, mine)
		}
		var restriction, rectification uuid.UUID
		for _, q := range r.Requests {
			if q.Kind == support.RequestRestriction {
				restriction = q.ID
			} else {
				rectification = q.ID
			}
		}
		if err := f.svc.Handle(ctx, f.capAdvisor, f.person, rectification); !errors.Is(err, fault.Conflict) {
			t.Fatalf("rectification before lifting: %v", err)
		}
		if err := f.svc.Handle(ctx, f.capAdvisor, f.person, restriction); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Update(ctx, f.capAdvisor, f.person, f.input("NOUVEAU")); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Handle(ctx, f.capAdvisor, f.person, rectification); err != nil {
			t.Fatal(err)
		}
		r, err = f.svc.Get(ctx, f.capAdvisor, f.person, access.PurposeSupport)
		if err != nil || r.Restricted() || r.Health.Recovery != "NOUVEAU-RETABLISSEMENT" || r.Requests[0].HandledAt.IsZero() || r.Requests[1].HandledAt.IsZero() {
			t.Fatalf("after: %v %+v", err, r)
		}
	})
}

// Erasing a person deletes the record and its documents and shreds the record's key.
func TestEraseShredsTheKey(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		id := f.open(t, f.person, "CANARI")
		up, err := f.files.Accept(ctx, f.capAdvisor, strings.NewReader("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), "rqth.pdf", support.ProofRules())
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetProof(ctx, f.capAdvisor, f.person, up); err != nil {
			t.Fatal(err)
		}
		if p, err := f.svc.Proof(ctx, f.ftAdvisor, f.person, access.PurposeSupportDocuments); err != nil || !bytes.HasPrefix(p.Content, []byte("%PDF")) {
			t.Fatalf("proof: %v", err)
		}
		if _, err := f.svc.Proof(ctx, f.otherAdvisor, f.person, access.PurposeSupportDocuments); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("proof read by another agency: %v", err)
		}
		if err := f.svc.Erase(ctx, db.Writer(), f.person); err != nil {
			t.Fatal(err)
		}
		var n int
		var destroyed bool
		if err := db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM support_records) + (SELECT COUNT(*) FROM files WHERE subject = $1),
			(SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE subject = $1)`, "support:"+id.String()).Scan(&n, &destroyed); err != nil || n != 0 || !destroyed {
			t.Fatalf("after erasure: %d rows, key destroyed %v (%v)", n, destroyed, err)
		}
		if _, err := f.svc.Mine(ctx, f.personActor); !errors.Is(err, fault.NotFound) {
			t.Fatalf("read after erasure: %v", err)
		}
		// A later support of the same person gets a fresh key.
		f.open(t, f.person, "RETOUR")
		if r, err := f.svc.Mine(ctx, f.personActor); err != nil || r.Health.Recovery != "RETOUR-RETABLISSEMENT" {
			t.Fatalf("new record: %v", err)
		}
	})
}

// The caseload list and what each actor may do, as the pages ask it.
func TestCaseloadAndStance(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		other, _ := f.newPerson(t, f.capAdvisor, "autre@exemple.fr")
		st, err := f.svc.StanceOf(ctx, f.capAdvisor, f.person)
		if err != nil || !st.CanOpen || st.CanRead {
			t.Fatalf("before opening: %+v %v", st, err)
		}
		f.open(t, f.person, "CANARI")
		for name, c := range map[string]struct {
			a    access.Actor
			want support.Stance
		}{
			"Cap emploi":      {f.capAdvisor, support.Stance{Habilitated: true, CanRead: true, CanEdit: true}},
			"France Travail":  {f.ftAdvisor, support.Stance{Habilitated: true, CanRead: true, CanEdit: true}},
			"another agency":  {f.otherAdvisor, support.Stance{Habilitated: true, CanBreakGlass: true}},
			"no habilitation": {f.ftPlain, support.Stance{}},
			"staff":           {f.staff, support.Stance{}},
			"the person":      {f.personActor, support.Stance{CanRead: true}},
		} {
			if got, err := f.svc.StanceOf(ctx, c.a, f.person); err != nil || got != c.want {
				t.Errorf("%s: %+v, want %+v (%v)", name, got, c.want, err)
			}
		}
		if st, _ := f.svc.StanceOf(ctx, f.capAdvisor, other); !st.CanOpen {
			t.Fatalf("a person followed without record: %+v", st)
		}
		list, err := f.svc.Caseload(ctx, f.ftAdvisor, access.PurposeSupport)
		if err != nil || len(list) != 1 || list[0].PersonID != f.person {
			t.Fatalf("caseload: %+v %v", list, err)
		}
		// Cap emploi's advisor opened it and is its referent there.
		list, err = f.svc.Caseload(ctx, f.capAdvisor, access.PurposeSupport)
		if err != nil || len(list) != 1 || list[0].Referent == "" {
			t.Fatalf("caseload: %+v %v", list, err)
		}
		if list, err := f.svc.Caseload(ctx, f.otherAdvisor, access.PurposeSupport); err != nil || len(list) != 0 {
			t.Fatalf("another agency's caseload: %+v %v", list, err)
		}
		if _, err := f.svc.Caseload(ctx, f.ftPlain, access.PurposeSupport); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("without habilitation: %v", err)
		}
		if err := f.svc.Close(ctx, f.capAdvisor, f.person, "employment", f.today().AddDays(-1)); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.svc.Caseload(ctx, f.ftAdvisor, access.PurposeSupport); len(list) != 0 {
			t.Fatalf("a closed support stays in the caseload: %+v", list)
		}
		if _, err := f.svc.Get(ctx, f.ftAdvisor, f.person, access.PurposeSupport); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("read after the end of the support: %v", err)
		}
		if r, err := f.svc.Mine(ctx, f.personActor); err != nil || r.Open() || r.ClosingReason != "employment" {
			t.Fatalf("the person after the end: %+v %v", r, err)
		}
	})
}
