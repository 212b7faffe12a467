package demo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/jobseeker"
	"parcours/internal/support"
)

// The adapted support of the demo (issue 10): habilitated advisors with a second factor, whose
// current codes the demo page shows; the demo job seeker's record opened by Cap emploi with
// France Travail Lyon Part-Dieu (joint controllers); Samira Haddad's record at France Travail,
// opened to Cap emploi's reception advisor by an emergency access that Cap emploi's admin has to
// review; Bernard Petit's record, whose RQTH ended 7 months ago, for the next purge.
const (
	// CapEmploiEmail is the Cap emploi advisor and admin, habilitated.
	CapEmploiEmail = "cap-emploi@demo.parcours.test"
	// SupportFTEmail is the France Travail Lyon Part-Dieu advisor, habilitated and admin.
	SupportFTEmail = "accompagnement.ft@demo.parcours.test"
	// ReceptionEmail is Cap emploi's reception advisor, habilitated, who broke the glass.
	ReceptionEmail = "accueil.cap-emploi@demo.parcours.test"
	// OtherAgencyEmail is the habilitated advisor of another agency (France Travail Grenoble),
	// who follows none of the demo's people: their records are not hers to read.
	OtherAgencyEmail = "accompagnement.ft-grenoble@demo.parcours.test"
)

// mfaEmails are the demo accounts enrolled with a second factor besides the administrator
// (the Agefiph agent reads the aid files addressed to the Agefiph: support_aids.go).
var mfaEmails = []string{CapEmploiEmail, SupportFTEmail, ReceptionEmail, AgefiphEmail, OtherAgencyEmail}

const supportLoadedKey = "demo_support_loaded_at"

func totpKey(email string) string { return "demo_totp_secret:" + email }

func totpPlace(email string) (string, crypto.Binding) {
	return "demo:totp:" + email, crypto.Binding{Table: "settings", Column: "value", Row: totpKey(email)}
}

// enrolAdvisor gives a demo advisor a second factor and keeps its key sealed for the demo page.
func enrolAdvisor(ctx context.Context, a Deps, email string, id uuid.UUID) error {
	if _, ok, err := database.Setting(ctx, a.DB.Reader(), totpKey(email)); err != nil || ok {
		return err
	}
	self := access.Actor{UserID: id, Kind: access.Professional}
	e, err := a.Accounts.BeginTOTP(ctx, self)
	if err != nil {
		return err
	}
	code, err := account.CodeAt(e.Secret, a.Clock.Now().Add(-30*time.Second))
	if err != nil {
		return err
	}
	if _, err := a.Accounts.ConfirmTOTP(ctx, self, uuid.Nil, code); err != nil {
		return err
	}
	return a.DB.WithTx(ctx, func(tx *sql.Tx) error {
		subject, b := totpPlace(email)
		sealed, err := a.Envelope.Seal(ctx, tx, subject, b, []byte(e.Secret))
		if err != nil {
			return err
		}
		return database.SetSetting(ctx, tx, totpKey(email), hex.EncodeToString(sealed), a.Clock.Now())
	})
}

// Code is a demo account's current second-factor code.
type Code struct {
	Email, Code string
}

// Codes returns the current codes of the demo advisors with a second factor (none before the
// demo is loaded). Only the demo page shows them.
func Codes(ctx context.Context, q database.Querier, env *crypto.Envelope, now time.Time) ([]Code, error) {
	var out []Code
	for _, email := range mfaEmails {
		value, ok, err := database.Setting(ctx, q, totpKey(email))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		sealed, err := hex.DecodeString(value)
		if err != nil {
			return nil, crypto.ErrUndecryptable
		}
		subject, b := totpPlace(email)
		secret, err := env.Open(ctx, q, subject, b, sealed)
		if err != nil {
			return nil, err
		}
		code, err := account.CodeAt(string(secret), now)
		if err != nil {
			return nil, err
		}
		out = append(out, Code{Email: email, Code: code})
	}
	return out, nil
}

// loadSupport creates the adapted-support part of the demo once.
func loadSupport(ctx context.Context, a Deps, ids map[string]uuid.UUID) error {
	if a.Support == nil || a.JobSeekers == nil {
		return nil
	}
	for _, email := range mfaEmails {
		if err := enrolAdvisor(ctx, a, email, ids[email]); err != nil {
			return fmt.Errorf("double authentification de %s : %w", email, err)
		}
	}
	if _, loaded, err := database.Setting(ctx, a.DB.Reader(), supportLoadedKey); err != nil || loaded {
		return err
	}
	ftOrg, capOrg, grenobleOrg := ids["org:France Travail Lyon Part-Dieu"], ids["org:Cap emploi Rhône"], ids["org:France Travail Grenoble"]
	actor := func(email string, orgID uuid.UUID, mfa bool) (access.Actor, error) {
		u, err := a.Accounts.OperatorLookup(ctx, email)
		if err != nil {
			return access.Actor{}, err
		}
		act, _, err := a.Orgs.Actor(ctx, u, orgID, mfa)
		return act, err
	}
	// Léa Rousseau becomes an admin of the agency, named by its first admin.
	presc, err := actor("prescripteur@demo.parcours.test", ftOrg, false)
	if err != nil {
		return err
	}
	if err := a.Orgs.SetMemberAdmin(ctx, presc, ftOrg, ids[SupportFTEmail], true); err != nil {
		return err
	}
	ft, err := actor(SupportFTEmail, ftOrg, true)
	if err != nil {
		return err
	}
	capAdv, err := actor(CapEmploiEmail, capOrg, true)
	if err != nil {
		return err
	}
	grenoble, err := actor(OtherAgencyEmail, grenobleOrg, true)
	if err != nil {
		return err
	}
	for _, grant := range []struct {
		admin access.Actor
		email string
	}{{ft, SupportFTEmail}, {capAdv, CapEmploiEmail}, {capAdv, ReceptionEmail}, {grenoble, OtherAgencyEmail}} {
		if err := a.Support.SetHabilitation(ctx, grant.admin, ids[grant.email], true); err != nil {
			return fmt.Errorf("habilitation de %s : %w", grant.email, err)
		}
	}
	if ft, err = actor(SupportFTEmail, ftOrg, true); err != nil {
		return err
	}
	reception, err := actor(ReceptionEmail, capOrg, true)
	if err != nil {
		return err
	}
	today := database.ParisDate(a.Clock.Now())

	// The demo job seeker, found by Cap emploi with his NIR, followed with France Travail.
	karimBorn := database.Date{Year: 1991, Month: 6, Day: 8}
	karim, err := a.JobSeekers.FollowByNIR(ctx, capAdv, demoNIR(jobseeker.Monsieur, karimBorn, "69123", 9), karimBorn)
	if err != nil {
		return fmt.Errorf("Karim Benali : %w", err)
	}
	in := support.Input{StartedOn: today.AddDays(-45), RegisteredOn: today.AddDays(-200),
		Title: support.Title{Category: "rqth", DecidedOn: today.AddDays(-400), ValidUntil: today.AddDays(1425)},
		Health: support.Health{DisabilityTypes: []string{"motor"}, DisabilityOrigins: []string{"work_accident"},
			DisabilityComment:   "Séquelles d'un accident du travail au dos, stabilisées.",
			Compensation:        []string{"workstation", "working_time"},
			CompensationComment: "Siège ergonomique et pauses régulières.",
			Recovery:            "Reprendre confiance par une immersion courte avant un contrat ; souhaite travailler en équipe.",
			Limitations:         []string{"loads", "standing", "posture"},
			LimitationsComment:  "Pas de port de charges de plus de 10 kg."}}
	if _, err := a.Support.Open(ctx, capAdv, karim, in, ftOrg); err != nil {
		return fmt.Errorf("accompagnement de Karim Benali : %w", err)
	}
	up, err := a.Support.AcceptProof(ctx, capAdv, bytes.NewReader(demoPDF("Notification de décision RQTH (démonstration)")), "notification-rqth.pdf")
	if err != nil {
		return err
	}
	if err := a.Support.SetProof(ctx, capAdv, karim, up); err != nil {
		return err
	}
	if err := loadSupportPlan(ctx, a, capAdv, karim, today); err != nil {
		return err
	}
	// Karim's file is read once by each organisation, so that his access list is not empty.
	for _, reader := range []access.Actor{capAdv, ft} {
		if _, err := a.Support.Get(ctx, reader, karim, access.PurposeSupport); err != nil {
			return err
		}
	}

	// France Travail's own supports: Samira Haddad, then Bernard Petit whose RQTH has ended.
	presc, err = actor("prescripteur@demo.parcours.test", ftOrg, false)
	if err != nil {
		return err
	}
	people, err := a.JobSeekers.Followed(ctx, presc, "", 50)
	if err != nil {
		return err
	}
	find := func(name string) uuid.UUID {
		for _, p := range people {
			if strings.Contains(p.Name, name) {
				return p.ID
			}
		}
		return uuid.Nil
	}
	samira, bernard := find("Samira"), find("Bernard")
	if samira == uuid.Nil || bernard == uuid.Nil {
		return fmt.Errorf("candidats de démonstration absents")
	}
	in = support.Input{StartedOn: today.AddDays(-120), RegisteredOn: today.AddDays(-500),
		Title: support.Title{Category: "rqth", DecidedOn: today.AddDays(-700), Unlimited: true},
		Health: support.Health{DisabilityTypes: []string{"hearing"}, DisabilityOrigins: []string{"birth"},
			Compensation: []string{"communication"}, CompensationComment: "Interprète en langue des signes pour les entretiens.",
			Limitations: []string{"hearing"}}}
	if _, err := a.Support.Open(ctx, ft, samira, in, uuid.Nil); err != nil {
		return fmt.Errorf("accompagnement de Samira Haddad : %w", err)
	}
	if err := a.Support.BreakGlass(ctx, reception, samira, "Mme Haddad se présente à l'accueil de Cap emploi pour un entretien d'embauche demain."); err != nil {
		return err
	}
	in = support.Input{StartedOn: today.AddDays(-900), RegisteredOn: today.AddDays(-1000),
		Title:  support.Title{Category: "rqth", DecidedOn: today.AddDays(-2000), ValidUntil: today.AddDays(-213)},
		Health: support.Health{DisabilityTypes: []string{"chronic"}, Compensation: []string{"working_time"}, Limitations: []string{"night"}}}
	if _, err := a.Support.Open(ctx, ft, bernard, in, uuid.Nil); err != nil {
		return fmt.Errorf("accompagnement de Bernard Petit : %w", err)
	}
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), supportLoadedKey, now.Format(time.RFC3339), now)
}

// demoPDF is a one-page PDF holding a line of text.
func demoPDF(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
		"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n% " + text + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}
