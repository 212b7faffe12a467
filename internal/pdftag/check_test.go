package pdftag

import (
	"testing"

	"parcours/internal/pdftag/pdftagtest"
)

// check verifies a tagged file.
func check(t testing.TB, out []byte) Report {
	t.Helper()
	s, err := Verify(out)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// external checks the file with the reference tools.
func external(t testing.TB, out []byte) (text, info, structText string) {
	t.Helper()
	r := pdftagtest.Check(t, out)
	return r.Text, r.Info, r.Struct
}
