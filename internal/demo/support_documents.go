package demo

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/support"
)

// The documents of the demo's adapted support (issue 11): Karim Benali's record, followed by
// Cap emploi Rhône, holds a quote for an ergonomic chair uploaded by his advisor and the bank
// details he sent himself from his own page.
//
// The statistics of the demo show "secret" in every cell: the demo has three support records,
// and a count is shown from 11 people. Filling a cell would take a dozen more supported people,
// which would change the demo's lists and counts for every other module.

const supportDocumentsLoadedKey = "demo_support_documents_loaded_at"

func loadSupportDocuments(ctx context.Context, a Deps, ids map[string]uuid.UUID) error {
	if a.Support == nil {
		return nil
	}
	if _, loaded, err := database.Setting(ctx, a.DB.Reader(), supportDocumentsLoadedKey); err != nil || loaded {
		return err
	}
	u, err := a.Accounts.OperatorLookup(ctx, CapEmploiEmail)
	if err != nil {
		return err
	}
	capAdv, _, err := a.Orgs.Actor(ctx, u, ids["org:Cap emploi Rhône"], true)
	if err != nil {
		return err
	}
	people, err := a.Support.Caseload(ctx, capAdv, access.PurposeSupportDocuments)
	if err != nil {
		return err
	}
	var karim uuid.UUID
	for _, p := range people {
		if strings.Contains(p.Name, "Karim") {
			karim = p.PersonID
		}
	}
	if karim == uuid.Nil {
		return fmt.Errorf("accompagnement de Karim Benali absent")
	}
	up, err := a.Support.AcceptDocument(ctx, capAdv, bytes.NewReader(demoPDF("Devis : siege ergonomique avec accoudoirs (demonstration)")), "devis-siege-ergonomique.pdf")
	if err != nil {
		return err
	}
	if _, err := a.Support.AddDocument(ctx, capAdv, karim, support.NewDocument{Kind: "devis", Upload: up}); err != nil {
		return fmt.Errorf("devis de démonstration : %w", err)
	}
	me := access.Actor{UserID: ids[seekerEmail], Kind: access.JobSeeker}
	up, err = a.Support.AcceptDocument(ctx, me, bytes.NewReader(demoPDF("Releve d'identite bancaire (demonstration)")), "rib.pdf")
	if err != nil {
		return err
	}
	if _, err := a.Support.SendDocument(ctx, me, support.NewDocument{Kind: "rib", Upload: up}); err != nil {
		return fmt.Errorf("RIB de démonstration : %w", err)
	}
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), supportDocumentsLoadedKey, now.Format(time.RFC3339), now)
}
