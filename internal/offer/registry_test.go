package offer_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
)

func TestRegistryWebsite(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		e := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "EI", Name: "Blanchisserie solidaire", CommuneCode: "59350",
			Website: "  www.blanchisserie.fr "}
		r, err := f.svc.SaveRegistryEntry(ctx, f.staff, e)
		if err != nil {
			t.Fatal(err)
		}
		if r.Structure.Website != "https://www.blanchisserie.fr" {
			t.Fatalf("website %q", r.Structure.Website)
		}
		// Like the other contacts, what the employer typed wins over the registry's copy.
		emp := f.employer(t, r.Structure, "emp@blanchisserie.fr", true)
		if _, err := f.svc.UpdateStructure(ctx, emp, r.Structure.ID, offer.StructureInput{CommuneCode: "59350",
			Website: "https://blanchisserie.example.org"}); err != nil {
			t.Fatal(err)
		}
		e.Website = "https://autre.fr"
		if r, err = f.svc.SaveRegistryEntry(ctx, f.staff, e); err != nil {
			t.Fatal(err)
		}
		if r.Structure.Website != "https://blanchisserie.example.org" {
			t.Fatalf("employer's website replaced: %q", r.Structure.Website)
		}
		// An empty registry website fills nothing and erases nothing.
		e.Website = ""
		if r, err = f.svc.SaveRegistryEntry(ctx, f.staff, e); err != nil || r.Structure.Website != "https://blanchisserie.example.org" {
			t.Fatalf("empty website: %q, %v", r.Structure.Website, err)
		}

		_, err = f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "EI", Name: "X", CommuneCode: "59350",
			Website: "ftp://fichiers.example.fr"})
		wantField(t, err, "website")
		// An import reports every bad website before writing anything.
		before := f.count(t, `SELECT COUNT(*) FROM structures`)
		_, err = f.svc.ImportRegistry(ctx, f.staff, []offer.RegistryEntry{
			{SIRET: f.nextSIRET(), Kind: "EI", Name: "A", CommuneCode: "59350", Website: "pas un site"},
			{SIRET: f.nextSIRET(), Kind: "EI", Name: "B", CommuneCode: "59350", Website: "https://b.example.fr"},
			{SIRET: f.nextSIRET(), Kind: "EI", Name: "C", CommuneCode: "59350", Website: "https://localhost"},
		})
		var ie *offer.ImportError
		if !errorsAs(err, &ie) || len(ie.Lines) != 2 || ie.Lines[0].Line != 1 || ie.Lines[1].Line != 3 ||
			ie.Lines[0].Fields["website"] == "" || ie.Lines[1].Fields["website"] == "" {
			t.Fatalf("ImportRegistry = %v", err)
		}
		if after := f.count(t, `SELECT COUNT(*) FROM structures`); after != before {
			t.Fatalf("%d structures written by a failed import", after-before)
		}
	})
}

// An import decides each entry as if the ones before it were saved: a parent created by the
// batch takes its antennas, a convention given up by one line is free for the next. Every line
// that only the registry can refuse (a missing parent, a convention held elsewhere) is
// reported at once, and nothing is written until none is left.
func TestImportRegistryDecidesEntriesInOrder(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		today := database.ParisDate(start)
		a := f.structure(t, "ACI", "59350", today.AddDays(200))
		p, q, c, d, e := f.nextSIRET(), f.nextSIRET(), f.nextSIRET(), f.nextSIRET(), f.nextSIRET()
		ends := today.AddDays(365)
		entries := []offer.RegistryEntry{
			{SIRET: p, Kind: "ACI", Name: "Parent", CommuneCode: "59350", ConventionNumber: "ACI-P", ConventionStartsOn: today, ConventionEndsOn: ends},
			{SIRET: q, Kind: "ACI", Name: "Antenne", CommuneCode: "59512", ParentSIRET: p},
			{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Antenne orpheline", CommuneCode: "59512", ParentSIRET: f.nextSIRET()},
			{SIRET: c, Kind: "ACI", Name: "Trop tôt", CommuneCode: "59350", ConventionNumber: a.Convention.Number,
				ConventionStartsOn: a.Convention.StartsOn, ConventionEndsOn: a.Convention.EndsOn},
			{SIRET: a.SIRET, Kind: "ACI", Name: a.Name, CommuneCode: a.CommuneCode},
			{SIRET: d, Kind: "ACI", Name: "Reprise", CommuneCode: "59350", ConventionNumber: a.Convention.Number,
				ConventionStartsOn: a.Convention.StartsOn, ConventionEndsOn: a.Convention.EndsOn},
			{SIRET: e, Kind: "EI", Name: "Deux fois", CommuneCode: "59350"},
			{SIRET: e, Kind: "EI", Name: "Deux fois", CommuneCode: "59350", Brand: "Enseigne"},
		}
		before := generation(t, db)
		_, err := f.svc.ImportRegistry(ctx, f.staff, entries)
		var ie *offer.ImportError
		if !errorsAs(err, &ie) || len(ie.Lines) != 2 || ie.Lines[0].Line != 3 || ie.Lines[0].Fields["parent_siret"] == "" ||
			ie.Lines[1].Line != 4 || ie.Lines[1].Fields["convention_number"] == "" {
			t.Fatalf("ImportRegistry = %v", err)
		}
		if after := generation(t, db); after != before {
			t.Fatal("a refused batch wrote")
		}
		entries = append(entries[:2], entries[4:]...)
		r, err := f.svc.ImportRegistry(ctx, f.staff, entries)
		if err != nil || r.Created != 4 || r.Updated != 2 || r.Unchanged != 0 {
			t.Fatalf("import: %+v, %v", r, err)
		}
		bySIRET := func(siret, kind string) offer.Structure {
			t.Helper()
			var id uuid.UUID
			if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM organisations WHERE siret = $1 AND kind = $2`, siret, kind).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return must[offer.StructurePage](t)(f.svc.Structure(ctx, f.staff, id)).Structure
		}
		parent, antenna := bySIRET(p, "ACI"), bySIRET(q, "ACI")
		if antenna.ParentID != parent.ID || antenna.Convention.Number != "ACI-P" {
			t.Errorf("antenna: parent %v (want %v), convention %q", antenna.ParentID, parent.ID, antenna.Convention.Number)
		}
		if got := f.count(t, `SELECT COUNT(*) FROM structures s JOIN conventions c ON c.id = s.convention_id
			JOIN organisations o ON o.id = s.org_id WHERE c.number = $1 AND o.siret = $2`, a.Convention.Number, d); got != 1 {
			t.Errorf("the convention given up did not go to the next line")
		}
		if twice := bySIRET(e, "EI"); twice.Brand != "Enseigne" {
			t.Errorf("entry given twice: %+v", twice)
		}
		if n := f.audits(t, "offer.registry_created"); n < 4 {
			t.Errorf("%d creations audited", n)
		}
		// The same file again changes nothing (the antenna's and the parent's entries included).
		r, err = f.svc.ImportRegistry(ctx, f.staff, entries[:2])
		if err != nil || r.Unchanged != 2 {
			t.Fatalf("second import: %+v, %v", r, err)
		}
	})
}
