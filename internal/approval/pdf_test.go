package approval_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"parcours/internal/approval"
	"parcours/internal/pdftag"
	"parcours/internal/pdftag/pdftagtest"
)

// The attestation is a tagged PDF: a heading, the PASS's facts in a table of labelled rows, the
// suspensions and prolongations as lists; its text is extractable and qpdf finds no error. Many
// periods run onto a second page.
func TestAttestationPDFTagged(t *testing.T) {
	for _, periods := range []int{0, 2, 40} {
		t.Run(strconv.Itoa(periods), func(t *testing.T) { attestationTagged(t, periods) })
	}
}

func attestationTagged(t *testing.T, periods int) {
	p := approval.PASS{Number: "999992600001", OrgName: "Atelier (Lyon) \\ Réemploi", OrgKind: "ACI",
		Holder: approval.Holder{FirstNames: "Élodie", LastName: "DUPRÉ", BirthDate: day("1980-01-02")}}
	p.Start = day("2026-01-01")
	for i := range periods {
		start := day("2026-02-01").AddDays(10 * i)
		p.Suspensions = append(p.Suspensions, approval.Suspension{Start: start, End: start.AddDays(4), Reason: approval.SuspendedContract})
		p.Prolongations = append(p.Prolongations, approval.Prolongation{Start: start, End: start.AddDays(2), Reason: approval.RQTH})
	}
	p.Recompute()
	b, err := approval.AttestationPDF(p, day("2026-03-15"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdftag.Verify(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Roles[1] != "H1" || !slices.Contains(r.Roles, "Table/TR/TH") || !slices.Contains(r.Roles, "Table/TR/TD") {
		t.Fatalf("structure %v", r.Roles)
	}
	if items := slices.Index(r.Roles, "L/LI/LBody") >= 0; items != (periods > 0) || (periods > 10) != (r.Pages > 1) {
		t.Fatalf("%d periods: %d pages, structure %v", periods, r.Pages, r.Roles)
	}
	got := pdftagtest.Check(t, b)
	text := strings.Join(strings.Fields(got.Text), " ")
	for _, want := range []string{"Attestation de PASS IAE", "Élodie DUPRÉ", "Atelier (Lyon) \\ Réemploi (ACI)", "02/01/1980"} {
		if !strings.Contains(text, want) {
			t.Errorf("text without %q:\n%s", want, text)
		}
	}
	if !strings.Contains(got.Info, "Attestation de PASS IAE n°") || !strings.Contains(got.Struct, "H1") {
		t.Errorf("pdfinfo:\n%s\n%s", got.Info, got.Struct)
	}
}
