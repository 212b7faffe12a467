package support

import (
	"context"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/pdftag"
)

// DecisionLetter reads a decided aid and writes its decision letter (PDF of text, in French),
// decided and recorded as a read with the purpose support.aids: by the person, or by a
// habilitated advisor of the caseload.
func (s *Service) DecisionLetter(ctx context.Context, actor access.Actor, person, aid uuid.UUID) ([]byte, string, error) {
	var st state
	type letter struct {
		file AidFile
		name string
	}
	l, err := access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewAids, Purpose: access.PurposeSupportAids, What: "support.aid_letter"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) (letter, error) {
			if st.record == uuid.Nil {
				return letter{}, errNoRecord
			}
			if st.restricted && !st.res.Relations.Has(access.RelSelf) {
				return letter{}, fmt.Errorf("traitement limité à la demande de la personne : %w", fault.Conflict)
			}
			list, err := s.aids(ctx, q, st.record, aid, true)
			if err != nil {
				return letter{}, err
			}
			if len(list) != 1 || !list[0].Decided() {
				return letter{}, fmt.Errorf("lettre de décision : %w", fault.NotFound)
			}
			var first, birth, usage string
			if err := q.QueryRowContext(ctx, `SELECT first_names, birth_name, usage_name FROM job_seekers WHERE id = $1`, person).
				Scan(&first, &birth, &usage); err != nil {
				return letter{}, err
			}
			if usage != "" {
				birth = usage
			}
			return letter{list[0], first + " " + birth}, nil
		})
	if err != nil {
		return nil, "", err
	}
	b, err := DecisionLetterPDF(l.file, l.name, s.today())
	if err != nil {
		return nil, "", err
	}
	return b, "decision-" + l.file.Reference() + ".pdf", nil
}

// DecisionLetterPDF renders the letter of a decided aid to the person named: a tagged PDF
// (internal/pdftag) whose heading, paragraphs and table of the aid a screen reader follows.
func DecisionLetterPDF(a AidFile, person string, today database.Date) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	granted := a.Granted()
	title := "Décision de refus d'aide"
	if granted {
		title = "Décision d'attribution d'aide"
	}
	pdf.SetTitle(title+" "+a.Reference(), true)
	pdf.SetSubject("Accompagnement adapté : attribution des aides (Code du travail, D5312-50 3°)", true)
	pdf.SetAuthor(a.OrgName, true)
	pdf.SetCreator("Parcours", true)
	pdf.SetLang("fr-FR")
	pdf.SetCreationDate(today.Time())
	pdf.SetModificationDate(today.Time())
	pdf.SetCompression(false)
	pdf.SetMargins(20, 20, 20)
	tg := pdftag.New(pdf)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 11)
	para := func(h float64, align, text string) {
		tg.Paragraph(func() { pdf.MultiCell(0, h, tr(text), "", align, false) })
	}
	para(6, "L", a.OrgName)
	para(6, "R", "Le "+today.French())
	pdf.Ln(2)
	para(6, "L", "À l'attention de "+person)
	pdf.Ln(6)
	tg.Heading(1, func() {
		pdf.SetFont("Helvetica", "B", 16)
		pdf.MultiCell(0, 8, tr(title), "", "L", false)
	})
	pdf.SetFont("Helvetica", "", 11)
	para(6, "L", "Référence "+a.Reference())
	tg.Artifact(func() {
		pdf.SetLineWidth(0.3)
		pdf.Line(20, pdf.GetY()+1, 190, pdf.GetY()+1)
	})
	pdf.Ln(4)
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
	tg.Table(func() {
		row("Aide", a.Aid.Label)
		row("Financeur", a.Aid.FunderLabel())
		row("Demandée le", database.ParisDate(a.RequestedAt).French())
		row("Montant demandé", Euros(a.RequestedCents)+" €")
		row("Décidée le", database.ParisDate(a.DecidedAt).French())
		if granted {
			row("Montant accordé", Euros(a.GrantedCents)+" €")
			row("Versement", "Par virement sur le compte "+a.Bank.Masked()+" au nom de "+a.Bank.Holder)
		}
	})
	pdf.Ln(4)
	if granted {
		para(6, "L", fmt.Sprintf("Nous avons le plaisir de vous informer que l'aide « %s » vous est accordée pour un montant de %s €. "+
			"Le versement interviendra par virement dans les prochaines semaines.", a.Aid.Label, Euros(a.GrantedCents)))
		if a.DecisionNote != "" {
			pdf.Ln(2)
			para(6, "L", "Observation : "+a.DecisionNote)
		}
	} else {
		para(6, "L", fmt.Sprintf("Après instruction de votre demande, l'aide « %s » ne peut pas vous être accordée, pour le motif suivant :", a.Aid.Label))
		pdf.Ln(2)
		para(6, "L", a.DecisionNote)
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 10)
	para(5, "L", "Cette décision a été prise par une autre personne que celle qui a instruit votre demande. Vous pouvez en demander "+
		"le réexamen à votre conseiller dans un délai de deux mois, ou former un recours devant le tribunal administratif dans le même délai. "+
		"Vos données sont traitées pour l'attribution et le paiement des aides (Code du travail, D5312-50 3°) ; vous pouvez consulter qui y a accédé "+
		"depuis votre espace « Mon accompagnement adapté ».")
	return tg.Output()
}
