package offer_test

import (
	"context"
	"testing"

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
