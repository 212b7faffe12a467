package approval

import (
	"context"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/pdftag"
)

// Attestation is the PASS IAE attestation the structure prints: a PDF of text (not an image),
// in French, with the document language and title set. It holds the number, the holder and
// their birth date, the dates, the structure and the suspensions and prolongations. The file is
// tagged (internal/pdftag): headings, paragraphs, a table of the PASS's facts and lists, in
// reading order.
func (s *Service) Attestation(ctx context.Context, actor access.Actor, id uuid.UUID) ([]byte, string, error) {
	p, err := s.ForPrint(ctx, actor, id)
	if err != nil {
		return nil, "", err
	}
	b, err := AttestationPDF(p, s.today())
	if err != nil {
		return nil, "", err
	}
	return b, "attestation-pass-iae-" + p.Number + ".pdf", nil
}

// AttestationPDF renders the attestation of a PASS on a day.
func AttestationPDF(p PASS, today database.Date) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: every French letter
	pdf.SetTitle("Attestation de PASS IAE n° "+p.Spaced(), true)
	pdf.SetSubject("Agrément IAE (Code du travail, R5132-1-1 et suivants)", true)
	pdf.SetAuthor("Parcours — plateforme de l'inclusion", true)
	pdf.SetCreator("Parcours", true)
	pdf.SetLang("fr-FR")
	pdf.SetCreationDate(today.Time())
	pdf.SetModificationDate(today.Time())
	// Uncompressed: the attestation is one page, and its text stays readable by any tool.
	pdf.SetCompression(false)
	pdf.SetMargins(20, 20, 20)
	tg := pdftag.New(pdf)
	pdf.AddPage()
	tg.Heading(1, func() {
		pdf.SetFont("Helvetica", "B", 18)
		pdf.MultiCell(0, 9, tr("Attestation de PASS IAE"), "", "L", false)
	})
	tg.Artifact(func() {
		pdf.SetLineWidth(0.3)
		pdf.Line(20, pdf.GetY()+1, 190, pdf.GetY()+1)
	})
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "", 11)
	tg.Paragraph(func() {
		pdf.MultiCell(0, 6, tr("Agrément permettant l'embauche en structure d'insertion par l'activité économique (Code du travail, articles L5132-1 et R5132-1-1 et suivants)."), "", "L", false)
	})
	pdf.Ln(4)
	row := func(label, value string) {
		tg.Row(func() {
			tg.RowHeader(func() {
				pdf.SetFont("Helvetica", "B", 11)
				pdf.CellFormat(60, 8, tr(label), "", 0, "L", false, 0, "")
			})
			tg.Cell(func() {
				pdf.SetFont("Helvetica", "", 11)
				pdf.MultiCell(0, 8, tr(value), "", "L", false)
			})
		})
	}
	tg.Table(func() {
		row("Numéro de PASS IAE", p.Spaced())
		row("Titulaire", p.Holder.Name())
		row("Date de naissance", p.Holder.BirthDate.French())
		row("Date de début", p.Start.French())
		row("Date de fin prévisionnelle", p.LastDay().French())
		row("État au "+today.French(), p.StateOn(today).Label())
		row("Structure employeuse", p.OrgName+" ("+p.OrgKind+")")
		if p.Interrupted() {
			row("Parcours interrompu le", p.InterruptedOn.French()+" : "+p.InterruptionReason.Label())
		}
	})
	periods := func(title string, list []string) {
		if len(list) == 0 {
			return
		}
		pdf.Ln(3)
		tg.Heading(2, func() {
			pdf.SetFont("Helvetica", "B", 13)
			pdf.MultiCell(0, 8, tr(title), "", "L", false)
		})
		pdf.SetFont("Helvetica", "", 11)
		tg.List(func() {
			for _, x := range list {
				tg.Item(func() { pdf.MultiCell(0, 6, tr(x), "", "L", false) })
			}
		})
	}
	var suspensions, prolongations []string
	for _, x := range p.Suspensions {
		suspensions = append(suspensions, fmt.Sprintf("- du %s au %s (%d jours) : %s", x.Start.French(), x.End.French(), x.Days(), x.Reason.Label()))
	}
	for _, x := range p.Prolongations {
		prolongations = append(prolongations, fmt.Sprintf("- du %s au %s (%d jours) : %s", x.Start.French(), x.End.French(), x.Days(), x.Reason.Label()))
	}
	periods("Suspensions", suspensions)
	periods("Prolongations", prolongations)
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 10)
	tg.Paragraph(func() {
		pdf.MultiCell(0, 5, tr("La fin prévisionnelle tient compte des suspensions et prolongations enregistrées à la date de l'attestation. "+
			"Toute personne disposant du numéro et de la date de naissance du titulaire peut vérifier la validité du PASS IAE sur la page « Vérifier un PASS IAE » de la plateforme."), "", "L", false)
	})
	b, err := tg.Output()
	if err != nil {
		return nil, fmt.Errorf("attestation : %w", err)
	}
	return b, nil
}
