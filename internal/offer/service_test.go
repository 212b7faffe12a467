package offer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/org"
)

func TestRegistryCreatesAndUpdatesStructures(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		lyon1, _ := places(t).Commune("69381")
		e := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "aci", Name: "  Les Jardins   du Rhône ", CommuneCode: "69381",
			Email: "Contact@Jardins.FR", Phone: "04 72 00 00 00", ConventionNumber: "ACI069-2026-001",
			ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2026-12-31")}
		r, err := f.svc.SaveRegistryEntry(ctx, f.staff, e)
		if err != nil {
			t.Fatal(err)
		}
		st := r.Structure
		if !r.Created || st.Kind != "ACI" || st.Name != "Les Jardins du Rhône" || st.Departement != "69" || st.Email != "contact@jardins.fr" ||
			st.Phone != "0472000000" || st.Convention.Number != "ACI069-2026-001" || !st.HasPosition || st.PositionPrecise ||
			st.Lat != lyon1.Lat || st.Lng != lyon1.Lng {
			t.Fatalf("created %+v", st)
		}
		if !st.Active(database.ParisDate(start)) {
			t.Fatal("structure with a valid convention inactive")
		}
		// The employer edits the contact; the registry comes back with another one and a new
		// commune: the employer's contact stays, the position follows the commune.
		emp := f.employer(t, st, "emp@jardins.fr", true)
		if _, err := f.svc.UpdateStructure(ctx, emp, st.ID, offer.StructureInput{CommuneCode: "69381", Email: "accueil@jardins.fr",
			Lat: ptr(lyon1.Lat + 0.001), Lng: ptr(lyon1.Lng)}); err != nil {
			t.Fatal(err)
		}
		e.Email, e.CommuneCode, e.ConventionEndsOn = "autre@jardins.fr", "69266", date("2027-06-30")
		r, err = f.svc.SaveRegistryEntry(ctx, f.staff, e)
		if err != nil {
			t.Fatal(err)
		}
		villeurbanne, _ := places(t).Commune("69266")
		st = r.Structure
		if r.Created || st.Email != "accueil@jardins.fr" || st.CommuneCode != "69266" || st.PositionPrecise || st.Lat != villeurbanne.Lat ||
			st.Convention.EndsOn != date("2027-06-30") {
			t.Fatalf("updated %+v", st)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM organisations WHERE commune_code = '69266' AND id = $1`, st.ID); n != 1 {
			t.Fatal("organisation not moved with the structure")
		}
		if f.audits(t, "offer.registry_created") != 1 || f.audits(t, "offer.registry_updated") != 1 {
			t.Fatal("registry changes not audited")
		}
		// Antennas share the parent's convention and cannot carry their own.
		ant, err := f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Antenne de Vaulx",
			CommuneCode: "69256", ParentSIRET: e.SIRET})
		if err != nil {
			t.Fatal(err)
		}
		if !ant.Structure.IsAntenna() || ant.Structure.Convention.Number != "ACI069-2026-001" {
			t.Fatalf("antenna %+v", ant.Structure)
		}
		_, err = f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Antenne",
			CommuneCode: "69256", ParentSIRET: e.SIRET, ConventionNumber: "X", ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2026-02-01")})
		wantField(t, err, "convention_number")
		// An antenna of an antenna is refused; so is an unknown parent or a different kind.
		_, err = f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Sous-antenne",
			CommuneCode: "69256", ParentSIRET: ant.Structure.SIRET})
		wantField(t, err, "parent_siret")
		_, err = f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "EI", Name: "Autre type",
			CommuneCode: "69256", ParentSIRET: e.SIRET})
		wantField(t, err, "parent_siret")
		// A convention belongs to one structure.
		_, err = f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "EI", Name: "Autre", CommuneCode: "69256",
			ConventionNumber: "ACI069-2026-001", ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2026-12-31")})
		wantField(t, err, "convention_number")
		// Employers do not touch the registry.
		_, err = f.svc.SaveRegistryEntry(ctx, emp, e)
		wantKind(t, err, fault.Forbidden)
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		good := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "EI", Name: "Bonne", CommuneCode: "59350",
			ConventionNumber: "EI59-1", ConventionStartsOn: date("2025-01-01"), ConventionEndsOn: date("2026-12-31")}
		bad := offer.RegistryEntry{SIRET: "123", Kind: "XYZ", Name: "", CommuneCode: "00000"}
		_, err := f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{good, bad})
		var ie *offer.ImportError
		if !errorsAs(err, &ie) || len(ie.Lines) != 1 || ie.Lines[0].Line != 2 || ie.Lines[0].Fields["siret"] == "" || ie.Lines[0].Fields["kind"] == "" {
			t.Fatalf("ImportRegistry = %v", err)
		}
		wantKind(t, err, fault.Invalid)
		// A problem found while saving (an unknown parent) rolls back the lines before it.
		orphan := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "EI", Name: "Antenne", CommuneCode: "59350", ParentSIRET: f.nextSIRET()}
		_, err = f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{good, orphan})
		if !errorsAs(err, &ie) || ie.Lines[0].Line != 2 {
			t.Fatalf("ImportRegistry = %v", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM structures`); n != 0 {
			t.Fatalf("%d structures left by failed imports", n)
		}
		r, err := f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{good, {SIRET: f.nextSIRET(), Kind: "EI", Name: "Antenne", CommuneCode: "59512", ParentSIRET: good.SIRET}})
		if err != nil || r.Created != 2 {
			t.Fatalf("ImportRegistry = %+v, %v", r, err)
		}
		r, err = f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{good})
		if err != nil || r.Unchanged != 1 || r.Updated != 0 || r.Created != 0 {
			t.Fatalf("second import = %+v, %v", r, err)
		}
	})
}

// An entry the structure already matches writes nothing: no new update date, no audit entry,
// no new generation for the searches; each kind of difference is written and counted.
func TestRegistryEntryWritesOnlyWhatChanged(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		parent := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Jardins", CommuneCode: "59350",
			ConventionNumber: "ACI59-7", ConventionStartsOn: date("2025-01-01"), ConventionEndsOn: date("2026-12-31")}
		other := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Ateliers", CommuneCode: "59512",
			ConventionNumber: "ACI59-8", ConventionStartsOn: date("2025-01-01"), ConventionEndsOn: date("2026-12-31")}
		antenna := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Jardins Sud", CommuneCode: "59599", ParentSIRET: parent.SIRET}
		if r, err := f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{parent, other, antenna}); err != nil || r.Created != 3 {
			t.Fatalf("first import = %+v, %v", r, err)
		}
		f.clock.Advance(time.Hour)
		state := func() (int64, int) { return generation(t, db), f.audits(t, "offer.registry_updated") }
		gen, audits := state()
		r, err := f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{parent, other, antenna})
		if err != nil || r != (offer.ImportReport{Unchanged: 3}) {
			t.Fatalf("same entries again = %+v, %v", r, err)
		}
		if g, a := state(); g != gen || a != audits {
			t.Fatalf("an unchanged import moved the generation %d → %d or wrote %d audit entries", gen, g, a-audits)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM structures WHERE updated_at > created_at`); n != 0 {
			t.Errorf("%d structures with a new update date", n)
		}
		renamed := parent
		renamed.Name = "Jardins du Nord"
		extended := other
		extended.ConventionEndsOn = date("2027-12-31")
		moved := antenna
		moved.ParentSIRET = other.SIRET
		for _, tc := range []struct {
			what  string
			entry offer.RegistryEntry
		}{
			{"legal name", renamed}, {"convention end", extended}, {"parent", moved},
			{"address", func() offer.RegistryEntry { e := renamed; e.CommuneCode = "59512"; return e }()},
		} {
			gen, audits := state()
			r, err := f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{tc.entry})
			if err != nil || r != (offer.ImportReport{Updated: 1}) {
				t.Fatalf("%s changed: %+v, %v", tc.what, r, err)
			}
			if g, a := state(); g == gen || a != audits+1 {
				t.Errorf("%s changed: generation %d → %d, %d audit entries", tc.what, gen, g, a-audits)
			}
		}
		res, err := f.svc.SaveRegistryEntry(ctx, f.staff, moved)
		if err != nil || !res.Unchanged || res.Structure.Convention.Number != "ACI59-8" || res.Structure.Convention.EndsOn != date("2027-12-31") {
			t.Fatalf("the moved antenna: %+v, %v", res, err)
		}
	})
}

func ptr(v float64) *float64 { return &v }

func TestUpdateStructureValidatesAndChecksAccess(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "EI", "59350", date("2026-12-31"))
		other := f.structure(t, "EI", "59512", date("2026-12-31"))
		emp := f.employer(t, st, "emp@ei.fr", false)
		outsider := f.employer(t, other, "emp@other.fr", true)
		in := offer.StructureInput{Brand: "La Fabrique", AddressLine1: "12  rue de la Gare", Postcode: "59000", CommuneCode: "59350",
			Phone: "+33 (0)3 20 00 00 00", Email: "contact@fabrique.fr", Website: "www.fabrique.fr", Description: "Présentation\r\n\r\nSur deux lignes.",
			ProvidedSupport: "Accompagnement"}
		got, err := f.svc.UpdateStructure(ctx, emp, st.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Brand != "La Fabrique" || got.AddressLine1 != "12 rue de la Gare" || got.Phone != "+33320000000" ||
			got.Website != "https://www.fabrique.fr" || got.Description != "Présentation\n\nSur deux lignes." || got.DisplayName() != "La Fabrique" {
			t.Fatalf("saved %+v", got)
		}
		page := must[offer.StructurePage](t)(f.svc.Structure(ctx, access.Actor{}, st.ID))
		if page.Structure.Brand != "La Fabrique" || page.EmployerView {
			t.Fatalf("public page %+v", page)
		}
		// Every bad field is reported at once, and nothing is written.
		bad := in
		bad.Brand, bad.Postcode, bad.Phone, bad.Email, bad.Website = strings.Repeat("x", 201), "590", "12345", "pas-une-adresse", "ftp://x.fr"
		bad.Description, bad.CommuneCode = strings.Repeat("é", 5001), "99999"
		_, err = f.svc.UpdateStructure(ctx, emp, st.ID, bad)
		fields := fault.FieldsOf(err)
		for _, k := range []string{"brand", "postcode", "phone", "email", "website", "description", "commune"} {
			if fields[k] == "" {
				t.Errorf("no message for %s in %v", k, err)
			}
		}
		if page2 := must[offer.StructurePage](t)(f.svc.Structure(ctx, access.Actor{}, st.ID)); page2.Structure.Brand != "La Fabrique" {
			t.Fatal("invalid input written")
		}
		// A postcode of another commune is refused, naming the commune's; spaces are fine.
		wrong := in
		wrong.Postcode = "69001"
		_, err = f.svc.UpdateStructure(ctx, emp, st.ID, wrong)
		wantField(t, err, "postcode")
		if msg := fault.FieldsOf(err)["postcode"]; !strings.HasPrefix(msg, "Le code postal 69001 n'est pas celui de Lille (codes postaux : 59000") {
			t.Errorf("postcode message %q", msg)
		}
		spaced := in
		spaced.Postcode = "59 000"
		if got, err := f.svc.UpdateStructure(ctx, emp, st.ID, spaced); err != nil || got.Postcode != "59000" {
			t.Fatalf("spaced postcode: %v, %q", err, got.Postcode)
		}
		// A precise position far from the commune is refused.
		far := in
		far.Lat, far.Lng = ptr(43.3), ptr(5.4)
		_, err = f.svc.UpdateStructure(ctx, emp, st.ID, far)
		wantField(t, err, "position")
		// Access is checked before the input: an outsider gets Forbidden even with bad input.
		_, err = f.svc.UpdateStructure(ctx, outsider, st.ID, bad)
		wantKind(t, err, fault.Forbidden)
		_, err = f.svc.UpdateStructure(ctx, access.Actor{}, st.ID, in)
		wantKind(t, err, fault.Unauthenticated)
		if _, err := f.svc.UpdateStructure(ctx, f.staff, st.ID, in); err != nil {
			t.Fatalf("staff: %v", err)
		}
		if n := f.audits(t, "offer.structure_updated"); n != 3 {
			t.Fatalf("%d audit entries, want 3", n)
		}
		// Prescriber organisations are not structures.
		if _, err := f.svc.Structure(ctx, f.staff, uuid.New()); err == nil {
			t.Fatal("unknown structure found")
		}
	})
}

func TestStructureCreatedAtSignupGetsItsRow(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, access.Professional, "fondatrice@geiq.fr")
		a, _, err := f.orgs.Actor(ctx, u, uuid.Nil, false)
		if err != nil {
			t.Fatal(err)
		}
		o, err := f.orgs.Create(ctx, a, org.NewOrganisation{Kind: "GEIQ", Name: "GEIQ BTP Nord", SIRET: f.nextSIRET(), CommuneCode: "59350"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Structure(ctx, access.Actor{}, o.ID); !errorsIs(err, fault.NotFound) {
			t.Fatalf("unpublished structure shown to the public: %v", err)
		}
		a, _, _ = f.orgs.Actor(ctx, u, o.ID, false)
		page, err := f.svc.Structure(ctx, a, o.ID)
		if err != nil || !page.EmployerView || !page.Active {
			t.Fatalf("employer view before the row exists: %+v, %v", page, err)
		}
		st, err := f.svc.EnsureStructure(ctx, a, o.ID)
		if err != nil || !st.HasPosition {
			t.Fatalf("EnsureStructure = %+v, %v", st, err)
		}
		if _, err := f.svc.EnsureStructure(ctx, a, o.ID); err != nil {
			t.Fatal(err)
		}
		if f.audits(t, "offer.structure_created") != 1 {
			t.Fatal("EnsureStructure not idempotent")
		}
		if _, err := f.svc.Structure(ctx, access.Actor{}, o.ID); err != nil {
			t.Fatalf("GEIQ not public once created: %v", err)
		}
	})
}

func TestBlockAndSpontaneousApplications(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "AI", "13055", date("2026-12-31"))
		emp := f.employer(t, st, "emp@ai.fr", false)
		if err := f.svc.SetApplicationsBlocked(ctx, emp, st.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetApplicationsBlocked(ctx, emp, st.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSpontaneousOpen(ctx, emp, st.ID, true); err != nil {
			t.Fatal(err)
		}
		page := must[offer.StructurePage](t)(f.svc.Structure(ctx, emp, st.ID))
		if !page.Structure.BlockApplications || !page.SpontaneousOpen || page.SpontaneousClosesOn != database.ParisDate(start).AddDays(90) {
			t.Fatalf("page %+v", page)
		}
		if f.audits(t, "offer.applications_blocked") != 1 {
			t.Fatal("a no-op was audited, or the change was not")
		}
		// Reopening restarts the 90 days.
		f.clock.Advance(10 * 24 * time.Hour)
		if err := f.svc.SetSpontaneousOpen(ctx, emp, st.ID, true); err != nil {
			t.Fatal(err)
		}
		page = must[offer.StructurePage](t)(f.svc.Structure(ctx, emp, st.ID))
		if page.SpontaneousClosesOn != database.ParisDate(f.clock.Now()).AddDays(90) {
			t.Fatalf("reopening: closes on %s", page.SpontaneousClosesOn)
		}
		if err := f.svc.SetSpontaneousOpen(ctx, emp, st.ID, false); err != nil {
			t.Fatal(err)
		}
		page = must[offer.StructurePage](t)(f.svc.Structure(ctx, emp, st.ID))
		if page.SpontaneousOpen {
			t.Fatal("still open after closing")
		}
		wantKind(t, f.svc.SetApplicationsBlocked(ctx, access.Actor{UserID: uuid.New(), Kind: access.JobSeeker}, st.ID, false), fault.Forbidden)
	})
}

func TestJobDescriptions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "ACI", "69381", date("2026-12-31"))
		emp := f.employer(t, st, "emp@aci.fr", true)
		other := f.employer(t, f.structure(t, "EI", "69266", date("2026-12-31")), "emp@ei.fr", true)
		in := offer.JobDescriptionInput{AppellationCode: places(t).AppellationsOfRome("A1203")[0].Code, ContractType: offer.ContractCDDIPHC,
			HoursPerWeek: 26, OpenPositions: 3, Description: "Entretien des parcs", CVRequired: true}
		a := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, emp, st.ID, in))
		if a.CommuneCode != "69381" || a.RomeCode != "A1203" || a.Rank != 1 || !a.Active || !a.HasPosition || a.Title() == "" {
			t.Fatalf("created %+v", a)
		}
		in.CustomTitle, in.CommuneCode = "Jardinier (H/F)", "69266"
		b := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, emp, st.ID, in))
		c := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, emp, st.ID, in))
		if b.Rank != 2 || c.Rank != 3 || b.Departement != "69" || b.Title() != "Jardinier (H/F)" {
			t.Fatalf("ranks %d %d, %+v", b.Rank, c.Rank, b)
		}
		// Validation: every field at once, French messages, nothing written.
		_, err := f.svc.CreateJobDescription(ctx, emp, st.ID, offer.JobDescriptionInput{AppellationCode: "000000", ContractType: offer.ContractApprenticeship,
			CommuneCode: "nope", HoursPerWeek: 49, OpenPositions: -1, CustomTitle: strings.Repeat("a", 201), ExpectedProfile: strings.Repeat("a", 5001)})
		fields := fault.FieldsOf(err)
		for _, k := range []string{"appellation", "contract_type", "commune", "hours_per_week", "open_positions", "custom_title", "expected_profile"} {
			if fields[k] == "" {
				t.Errorf("no message for %s in %v", k, err)
			}
		}
		if !strings.Contains(fields["contract_type"], "CDD d'insertion") {
			t.Errorf("contract message does not list the allowed types: %q", fields["contract_type"])
		}
		if n := f.count(t, `SELECT COUNT(*) FROM job_descriptions`); n != 3 {
			t.Fatalf("%d rows", n)
		}
		_, err = f.svc.CreateJobDescription(ctx, other, st.ID, in)
		wantKind(t, err, fault.Forbidden)
		_, err = f.svc.UpdateJobDescription(ctx, other, a.ID, in)
		wantKind(t, err, fault.Forbidden)
		// Order: move, then set.
		if err := f.svc.MoveJobDescription(ctx, emp, c.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.MoveJobDescription(ctx, emp, a.ID, true); err != nil { // already first
			t.Fatal(err)
		}
		page := must[offer.StructurePage](t)(f.svc.Structure(ctx, emp, st.ID))
		if ids := jdIDs(page.JobDescriptions); ids != jdIDs([]offer.JobDescription{a, c, b}) {
			t.Fatalf("after move up: %s", ids)
		}
		if err := f.svc.ReorderJobDescriptions(ctx, emp, st.ID, []uuid.UUID{b.ID, a.ID, c.ID}); err != nil {
			t.Fatal(err)
		}
		wantField(t, f.svc.ReorderJobDescriptions(ctx, emp, st.ID, []uuid.UUID{b.ID, a.ID}), "order")
		wantField(t, f.svc.ReorderJobDescriptions(ctx, emp, st.ID, []uuid.UUID{b.ID, a.ID, a.ID}), "order")
		// Deactivation hides it from the public, not from the employer.
		if err := f.svc.SetJobDescriptionActive(ctx, emp, b.ID, false); err != nil {
			t.Fatal(err)
		}
		page = must[offer.StructurePage](t)(f.svc.Structure(ctx, emp, st.ID))
		public := must[offer.StructurePage](t)(f.svc.Structure(ctx, access.Actor{}, st.ID))
		if jdIDs(page.JobDescriptions) != jdIDs([]offer.JobDescription{b, a, c}) || jdIDs(public.JobDescriptions) != jdIDs([]offer.JobDescription{a, c}) {
			t.Fatalf("employer %s, public %s", jdIDs(page.JobDescriptions), jdIDs(public.JobDescriptions))
		}
		if _, err := f.svc.JobDescription(ctx, access.Actor{}, b.ID); !errorsIs(err, fault.NotFound) {
			t.Fatalf("inactive job description public: %v", err)
		}
		jp := must[offer.JobDescriptionPage](t)(f.svc.JobDescription(ctx, emp, b.ID))
		if jp.JobDescription.Active || jp.JobDescription.DeactivationReason != "employer" {
			t.Fatalf("employer view %+v", jp.JobDescription)
		}
		if err := f.svc.SetJobDescriptionActive(ctx, emp, b.ID, true); err != nil {
			t.Fatal(err)
		}
		// An edit resets the 90-day clock.
		f.clock.Advance(65 * 24 * time.Hour)
		jp = must[offer.JobDescriptionPage](t)(f.svc.JobDescription(ctx, emp, a.ID))
		if !jp.Warning || jp.DaysLeft != 25 {
			t.Fatalf("after 65 days: warning %v, %d days left", jp.Warning, jp.DaysLeft)
		}
		in.CommuneCode = ""
		upd := must[offer.JobDescription](t)(f.svc.UpdateJobDescription(ctx, emp, a.ID, in))
		if !upd.UpdatedAt.Equal(f.clock.Now()) || upd.CommuneCode != "69381" {
			t.Fatalf("updated %+v", upd)
		}
		jp = must[offer.JobDescriptionPage](t)(f.svc.JobDescription(ctx, emp, a.ID))
		if jp.Warning || jp.DaysLeft != 90 {
			t.Fatalf("after the update: warning %v, %d days left", jp.Warning, jp.DaysLeft)
		}
		if err := f.svc.ConfirmJobDescription(ctx, emp, c.ID); err != nil {
			t.Fatal(err)
		}
		for _, action := range []string{"offer.job_description_created", "offer.job_description_updated", "offer.job_descriptions_reordered",
			"offer.job_description_deactivated", "offer.job_description_activated", "offer.job_description_confirmed"} {
			if f.audits(t, action) == 0 {
				t.Errorf("%s not audited", action)
			}
		}
		// A GEIQ offers apprenticeships, an ACI does not.
		geiq := f.structure(t, "GEIQ", "59350", database.Date{})
		gemp := f.employer(t, geiq, "emp@geiq.fr", true)
		in.ContractType = offer.ContractApprenticeship
		if _, err := f.svc.CreateJobDescription(ctx, gemp, geiq.ID, in); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.CreateJobDescription(ctx, emp, st.ID, in)
		wantField(t, err, "contract_type")
	})
}

func jdIDs(jds []offer.JobDescription) string {
	var b strings.Builder
	for _, j := range jds {
		b.WriteString(j.ID.String()[30:])
		b.WriteByte(' ')
	}
	return b.String()
}

// The registry counts a convention number's characters as the CSV reader does, not its
// bytes, and refuses a postcode that is not the commune's like the employer's form.
func TestRegistryEntryRulesMatchTheForms(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		e := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Atelier", CommuneCode: "69381", Postcode: "69001",
			ConventionNumber: strings.Repeat("é", offer.MaxConventionNumber), ConventionStartsOn: date("2026-01-01"), ConventionEndsOn: date("2026-12-31")}
		if _, err := f.svc.SaveRegistryEntry(ctx, f.staff, e); err != nil {
			t.Fatalf("50 characters (100 bytes): %v", err)
		}
		e.SIRET, e.ConventionNumber = f.nextSIRET(), strings.Repeat("é", offer.MaxConventionNumber+1)
		_, err := f.svc.SaveRegistryEntry(ctx, f.staff, e)
		wantField(t, err, "convention_number")
		e.ConventionNumber, e.Postcode = "ACI-2", "75001"
		_, err = f.svc.SaveRegistryEntry(ctx, f.staff, e)
		wantField(t, err, "postcode")
	})
}

// A structure holds at most MaxJobDescriptionsPerStructure job descriptions, inactive ones
// included; the refusal says how to go on and writes nothing.
func TestJobDescriptionsPerStructureAreCapped(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "EI", "69381", date("2026-12-31"))
		emp := f.employer(t, st, "emp@ei.fr", true)
		in := offer.JobDescriptionInput{AppellationCode: places(t).AppellationsOfRome("A1203")[0].Code, ContractType: offer.ContractCDDI,
			HoursPerWeek: 35, OpenPositions: 1}
		var first offer.JobDescription
		for i := range offer.MaxJobDescriptionsPerStructure {
			j := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, emp, st.ID, in))
			if i == 0 {
				first = j
			}
		}
		if err := f.svc.SetJobDescriptionActive(ctx, emp, first.ID, false); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.CreateJobDescription(ctx, emp, st.ID, in)
		msg := fault.FieldsOf(err)[""]
		if !strings.Contains(msg, "déjà 200 fiches de poste, actives et désactivées") || !strings.Contains(msg, "Modifiez une fiche désactivée") {
			t.Fatalf("201st: %v", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM job_descriptions`); n != offer.MaxJobDescriptionsPerStructure {
			t.Fatalf("%d rows", n)
		}
		// Reusing an inactive one works.
		if err := f.svc.SetJobDescriptionActive(ctx, emp, first.ID, true); err != nil {
			t.Fatal(err)
		}
	})
}

// ValidateJobDescription reports the service's errors without writing, and checks access.
func TestValidateJobDescription(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "EI", "69381", date("2026-12-31"))
		emp := f.employer(t, st, "emp@ei.fr", true)
		other := f.employer(t, f.structure(t, "EI", "69266", date("2026-12-31")), "emp@other.fr", true)
		err := f.svc.ValidateJobDescription(ctx, emp, st.ID, offer.JobDescriptionInput{HoursPerWeek: 99, OpenPositions: -3,
			Description: strings.Repeat("é", offer.MaxText+1)})
		fields := fault.FieldsOf(err)
		for _, k := range []string{"appellation", "contract_type", "hours_per_week", "open_positions", "description"} {
			if fields[k] == "" {
				t.Errorf("no message for %s in %v", k, err)
			}
		}
		wantKind(t, f.svc.ValidateJobDescription(ctx, other, st.ID, offer.JobDescriptionInput{}), fault.Forbidden)
		if n := f.count(t, `SELECT COUNT(*) FROM job_descriptions`); n != 0 {
			t.Fatalf("%d rows written", n)
		}
	})
}
