package demo

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/support"
)

// The aids of the demo (issue 11, part 2), for Karim Benali, the demo job seeker followed by
// Cap emploi Rhône: Cap emploi's advisor (cap-emploi@…) requests and instructs, its reception
// advisor (accueil.cap-emploi@…) decides, a second person. An ergonomic seat (Agefiph) granted
// and paid in a SEPA batch marked paid; travel costs (France Travail) granted, waiting for the
// next batch; a driving licence (Agefiph) requested, to instruct. The Agefiph agent
// (agefiph@…, with a second factor whose code the demo page shows) sees the two Agefiph files.
const supportAidsLoadedKey = "demo_support_aids_loaded_at"

// AgefiphEmail is the Agefiph agent of the demo.
const AgefiphEmail = "agefiph@demo.parcours.test"

// loadSupportAids creates the demo's aids once, after the support records.
func loadSupportAids(ctx context.Context, a Deps, ids map[string]uuid.UUID) error {
	if a.Support == nil {
		return nil
	}
	if _, loaded, err := database.Setting(ctx, a.DB.Reader(), supportAidsLoadedKey); err != nil || loaded {
		return err
	}
	capOrg := ids["org:Cap emploi Rhône"]
	actor := func(email string) (access.Actor, error) {
		u, err := a.Accounts.OperatorLookup(ctx, email)
		if err != nil {
			return access.Actor{}, err
		}
		act, _, err := a.Orgs.Actor(ctx, u, capOrg, true)
		return act, err
	}
	capAdv, err := actor(CapEmploiEmail)
	if err != nil {
		return err
	}
	reception, err := actor(ReceptionEmail)
	if err != nil {
		return err
	}
	var karim uuid.UUID
	err = a.DB.Reader().QueryRowContext(ctx, `SELECT j.id FROM job_seekers j JOIN users u ON u.id = j.user_id WHERE u.email = 'candidat@demo.parcours.test'`).Scan(&karim)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	bank := support.Bank{Holder: "Karim Benali", IBAN: "FR39 1870 7000 3402 1234 5678 914", BIC: "CCBPFRPPLYO"}
	grant := func(code string, euros int64, why string) (uuid.UUID, error) {
		id, err := a.Support.RequestAid(ctx, capAdv, karim, support.AidInput{Code: code, Cents: euros * 100, Justification: why, Bank: bank})
		if err != nil {
			return id, fmt.Errorf("aide %s : %w", code, err)
		}
		if err := a.Support.InstructAid(ctx, capAdv, karim, id, support.Instruction{Complete: true, Cents: euros * 100, Note: "Devis et RIB vérifiés."}); err != nil {
			return id, err
		}
		return id, a.Support.DecideAid(ctx, reception, karim, id, true, euros*100, "")
	}
	if _, err := grant("AGEFIPH_AIDE_TECHNIQUE", 850, "Siège ergonomique et support lombaire pour le poste de préparateur de commandes (devis joint)."); err != nil {
		return err
	}
	batch, _, err := a.Support.ExportBatch(ctx, capAdv, support.FunderAgefiph)
	if err != nil {
		return fmt.Errorf("lot de virements : %w", err)
	}
	if err := a.Support.MarkPaid(ctx, capAdv, batch.ID); err != nil {
		return err
	}
	if _, err := grant("FT_MOBILITE", 180, "Trajets en train Lyon - Villefranche pour trois entretiens d'embauche."); err != nil {
		return err
	}
	if _, err := a.Support.RequestAid(ctx, capAdv, karim, support.AidInput{Code: "AGEFIPH_PERMIS", Cents: 1200_00, Bank: bank,
		Justification: "Permis B : les postes en entrepôt visés sont mal desservis en transports en commun."}); err != nil {
		return err
	}
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), supportAidsLoadedKey, now.Format(time.RFC3339), now)
}
