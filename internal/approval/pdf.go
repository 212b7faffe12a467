package approval

import (
	"bytes"
	"context"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
)

// Attestation is the PASS IAE attestation the structure prints: a PDF of text (not an image),
// in French, with the document language and title set. It holds the number, the holder and
// their birth date, the dates, the structure and the suspensions and prolongations. The PDF
// library (go-pdf/fpdf) writes no structure tree: the file is not a tagged PDF.
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
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 18)
	pdf.MultiCell(0, 9, tr("Attestation de PASS IAE"), "", "L", false)
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(0, 6, tr("Agrément permettant l'embauche en structure d'insertion par l'activité économique (Code du travail, articles L5132-1 et R5132-1-1 et suivants)."), "", "L", false)
	pdf.Ln(4)
	row := func(label, value string) {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(60, 8, tr(label), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 8, tr(value), "", "L", false)
	}
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
	if len(p.Suspensions) > 0 {
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 13)
		pdf.MultiCell(0, 8, tr("Suspensions"), "", "L", false)
		pdf.SetFont("Helvetica", "", 11)
		for _, x := range p.Suspensions {
			pdf.MultiCell(0, 6, tr(fmt.Sprintf("- du %s au %s (%d jours) : %s", x.Start.French(), x.End.French(), x.Days(), x.Reason.Label())), "", "L", false)
		}
	}
	if len(p.Prolongations) > 0 {
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 13)
		pdf.MultiCell(0, 8, tr("Prolongations"), "", "L", false)
		pdf.SetFont("Helvetica", "", 11)
		for _, x := range p.Prolongations {
			pdf.MultiCell(0, 6, tr(fmt.Sprintf("- du %s au %s (%d jours) : %s", x.Start.French(), x.End.French(), x.Days(), x.Reason.Label())), "", "L", false)
		}
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5, tr("La fin prévisionnelle tient compte des suspensions et prolongations enregistrées à la date de l'attestation. "+
		"Toute personne disposant du numéro et de la date de naissance du titulaire peut vérifier la validité du PASS IAE sur la page « Vérifier un PASS IAE » de la plateforme."), "", "L", false)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("attestation : %w", err)
	}
	return b.Bytes(), nil
}
