package support_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/pdftag"
	"parcours/internal/pdftag/pdftagtest"
	"parcours/internal/support"
)

// The decision letter is a tagged PDF, granted or refused: a heading, paragraphs, the aid's facts
// in a table of labelled rows; its text is extractable and qpdf finds no error.
func TestDecisionLetterPDFTagged(t *testing.T) {
	for _, state := range []string{support.AidGranted, support.AidRefused} {
		t.Run(state, func(t *testing.T) { letterTagged(t, state) })
	}
}

func letterTagged(t *testing.T, state string) {
	decided := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	a := support.AidFile{ID: uuid.New(), OrgName: "Cap emploi (Rhône)", State: state,
		Aid:            support.Aid{Code: "x", Label: "Aide à la mobilité \\ permis", Funder: "agefiph"},
		RequestedCents: 123456, GrantedCents: 100000, DecisionNote: "Pièces manquantes (après relance)",
		Bank:        support.Bank{Holder: "Élodie Dupré", IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPP"},
		RequestedAt: decided.AddDate(0, 0, -10), DecidedAt: decided}
	b, err := support.DecisionLetterPDF(a, "Élodie Dupré", database.DateOf(decided))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdftag.Verify(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pages != 1 || !slices.Contains(r.Roles, "H1") || !slices.Contains(r.Roles, "Table/TR/TH") || !slices.Contains(r.Roles, "P") {
		t.Fatalf("%s: %d pages, structure %v", state, r.Pages, r.Roles)
	}
	got := pdftagtest.Check(t, b)
	text := strings.Join(strings.Fields(got.Text), " ")
	for _, want := range []string{"Décision d", "À l'attention de Élodie Dupré", "Pièces manquantes (après relance)", "Aide à la mobilité \\ permis"} {
		if !strings.Contains(text, want) {
			t.Errorf("%s: text without %q:\n%s", state, want, text)
		}
	}
}
