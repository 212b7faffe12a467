package support

import (
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"parcours/internal/database"
	"parcours/internal/pdftag"
)

// RenderPlanPDF renders a version of a person's plan: a PDF of text (not an image), in French, with
// the document language and title set, to print, sign or give the person. Like the PASS IAE
// attestation, it is not a tagged PDF (the library writes no structure tree).
func RenderPlanPDF(b PlanBook, v PlanVersion) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: every French letter
	pdf.SetTitle(fmt.Sprintf("Projet personnalisé d'accès à l'emploi — version %d", v.Version), true)
	pdf.SetSubject("Accompagnement adapté (Code du travail, D5312-50 2°)", true)
	pdf.SetAuthor("Parcours — plateforme de l'inclusion", true)
	pdf.SetCreator("Parcours", true)
	pdf.SetLang("fr-FR")
	pdf.SetCreationDate(v.CreatedAt)
	pdf.SetModificationDate(v.CreatedAt)
	pdf.SetCompression(false)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	tg := pdftag.New(pdf)
	pdf.AddPage()
	tg.Heading(1, func() {
		pdf.SetFont("Helvetica", "B", 18)
		pdf.MultiCell(0, 9, tr("Projet personnalisé d'accès à l'emploi"), "", "L", false)
	})
	pdf.SetFont("Helvetica", "", 11)
	tg.Paragraph(func() {
		pdf.MultiCell(0, 6, tr("Contrat d'engagement de l'accompagnement adapté (Code du travail, articles L5411-6-1 et D5312-50)."), "", "L", false)
	})
	pdf.Ln(3)
	// Rows and "- " lines outside a table or list are grouped into one by the tagger.
	row := func(label, value string) {
		tg.Row(func() {
			tg.RowHeader(func() {
				pdf.SetFont("Helvetica", "B", 11)
				pdf.CellFormat(60, 7, tr(label), "", 0, "L", false, 0, "")
			})
			tg.Cell(func() {
				pdf.SetFont("Helvetica", "", 11)
				pdf.MultiCell(0, 7, tr(value), "", "L", false)
			})
		})
	}
	heading := func(s string) {
		pdf.Ln(3)
		tg.Heading(2, func() {
			pdf.SetFont("Helvetica", "B", 13)
			pdf.MultiCell(0, 8, tr(s), "", "L", false)
		})
		pdf.SetFont("Helvetica", "", 11)
	}
	text := func(s string) {
		if strings.HasPrefix(s, "- ") {
			tg.Item(func() { pdf.MultiCell(0, 6, tr(s), "", "L", false) })
			return
		}
		tg.Paragraph(func() { pdf.MultiCell(0, 6, tr(s), "", "L", false) })
	}
	p := v.Plan
	row("Personne", b.PersonName)
	if !b.BirthDate.IsZero() {
		row("Date de naissance", b.BirthDate.French())
	}
	row("Version", fmt.Sprintf("%d, du %s", v.Version, frenchDay(v.CreatedAt)))
	if v.Author != "" {
		row("Établie par", strings.TrimSpace(v.Author+" — "+v.AuthorOrg))
	}
	heading("Emploi recherché")
	if len(p.Jobs) == 0 {
		text("Aucun métier renseigné.")
	}
	for _, j := range p.Jobs {
		text(fmt.Sprintf("- %s (code ROME %s)", j.Label, j.Rome))
	}
	if p.CommuneName != "" {
		row("Zone géographique", fmt.Sprintf("%s et %d km autour", p.CommuneName, p.RadiusKm))
	}
	if p.Salary > 0 {
		row("Salaire attendu", fmt.Sprintf("%d euros bruts par mois", p.Salary))
	}
	if p.Hours > 0 {
		row("Temps de travail", fmt.Sprintf("%d heures par semaine", p.Hours))
	}
	if p.Objectives != "" {
		heading("Objectifs")
		text(p.Objectives)
	}
	heading("Actions")
	if len(p.Actions) == 0 {
		text("Aucune action prévue.")
	}
	for _, a := range p.Actions {
		text(fmt.Sprintf("- %s : %s. Échéance : %s. Réalisée par : %s. État : %s.", a.TypeLabel(), a.Description, a.DueOn.French(),
			strings.ToLower(a.OwnerLabel()), strings.ToLower(a.StatusLabel())))
	}
	heading("Points d'étape")
	if len(p.Reviews) == 0 {
		text("Aucun point d'étape prévu.")
	}
	for _, r := range p.Reviews {
		if r.HeldOn.IsZero() {
			text("- Prévu le " + r.PlannedOn.French() + ".")
			continue
		}
		line := "- Prévu le " + r.PlannedOn.French() + ", tenu le " + r.HeldOn.French() + "."
		if r.Summary != "" {
			line += " Compte rendu : " + r.Summary
		}
		text(line)
	}
	heading("Prise de connaissance")
	if v.Acknowledged() {
		text(fmt.Sprintf("La personne a pris connaissance de cette version le %s (%s).", v.AckOn.French(), strings.ToLower(v.AckLabel())))
	} else {
		text("Je reconnais avoir pris connaissance de ce projet personnalisé d'accès à l'emploi.")
		pdf.Ln(4)
		text("Date et signature de la personne :")
		pdf.Ln(14)
		text("Date et signature du conseiller :")
	}
	out, err := tg.Output()
	if err != nil {
		return nil, fmt.Errorf("plan : %w", err)
	}
	return out, nil
}

// frenchDay is the Paris calendar day of t, in French.
func frenchDay(t time.Time) string { return database.ParisDate(t).French() }
