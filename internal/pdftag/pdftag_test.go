package pdftag

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

func newPDF(compress bool) (*fpdf.Fpdf, func(string) string) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Document d'essai — étiqueté", true)
	pdf.SetLang("fr-FR")
	pdf.SetCreationDate(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	pdf.SetCompression(compress)
	pdf.SetMargins(20, 20, 20)
	pdf.SetFont("Helvetica", "", 11)
	return pdf, pdf.UnicodeTranslatorFromDescriptor("")
}

// A document with every kind of block, compressed or not: the structure read back is the one
// drawn, qpdf finds no error, poppler says it is tagged and extracts the text.
func TestTaggedDocument(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "raw", true: "flate"}[compress], func(t *testing.T) {
			pdf, tr := newPDF(compress)
			tg := New(pdf)
			pdf.AddPage()
			tg.Heading(1, func() {
				pdf.SetFont("Helvetica", "B", 18)
				pdf.MultiCell(0, 9, tr("Attestation d'essai"), "", "L", false)
			})
			tg.Artifact(func() { pdf.Line(20, 32, 190, 32); pdf.Rect(20, 34, 170, 2, "F") })
			pdf.SetFont("Helvetica", "", 11)
			tg.Paragraph(func() {
				pdf.MultiCell(0, 6, tr("Un paragraphe accentué : éàçù (et des parenthèses) \\ fin."), "", "L", false)
			})
			tg.Table(func() {
				for _, r := range [][2]string{{"Numéro", "99999 23 00001"}, {"Titulaire", "Élodie Dupré"}} {
					tg.Row(func() {
						tg.RowHeader(func() { pdf.CellFormat(60, 8, tr(r[0]), "", 0, "L", false, 0, "") })
						tg.Cell(func() { pdf.MultiCell(0, 8, tr(r[1]), "", "L", false) })
					})
				}
			})
			tg.Heading(2, func() { pdf.MultiCell(0, 8, tr("Suspensions"), "", "L", false) })
			tg.List(func() {
				tg.Item(func() { pdf.MultiCell(0, 6, tr("- du 1er au 3 mars"), "", "L", false) })
				tg.Item(func() { pdf.MultiCell(0, 6, tr("- du 4 au 9 avril"), "", "L", false) })
			})
			out, err := tg.Output()
			if err != nil {
				t.Fatal(err)
			}
			s := check(t, out)
			want := []string{"H1", "P", "Table", "Table/TR", "Table/TR/TH", "Table/TR/TD", "Table/TR", "Table/TR/TH", "Table/TR/TD",
				"H2", "L", "L/LI", "L/LI/LBody", "L/LI", "L/LI/LBody"}
			if !slices.Equal(s.Roles[1:], want) || s.Roles[0] != "" || s.Pages != 1 {
				t.Fatalf("structure %v", s.Roles)
			}
			text, _, st := external(t, out)
			for _, w := range []string{"Attestation d'essai", "éàçù (et des parenthèses) \\ fin.", "Élodie Dupré", "du 4 au 9 avril"} {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext lacks %q:\n%s", w, text)
				}
			}
			// poppler reads the structure tree: the heading holds its text.
			if !strings.Contains(st, "H1") || !strings.Contains(st, "Attestation d'essai") || !strings.Contains(st, "TH") {
				t.Errorf("pdfinfo -struct-text:\n%s", st)
			}
		})
	}
}

// A paragraph that runs over three pages is closed at each page's bottom and continued on the
// next with a new MCID of the same element; the header and footer are artifacts.
func TestPageBreakInsideBlock(t *testing.T) {
	pdf, tr := newPDF(false)
	tg := New(pdf)
	tg.SetHeaderFunc(func() { pdf.CellFormat(0, 6, tr("En-tête"), "B", 1, "C", false, 0, "") })
	tg.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.CellFormat(0, 6, "Page "+strconv.Itoa(pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	tg.Heading(1, func() { pdf.MultiCell(0, 9, "Long", "", "L", false) })
	long := strings.Repeat(tr("Une phrase assez longue pour remplir des lignes, répétée. "), 400)
	tg.Paragraph(func() { pdf.MultiCell(0, 6, long, "", "L", false) })
	tg.Paragraph(func() { pdf.MultiCell(0, 6, "Fin.", "", "L", false) })
	out, err := tg.Output()
	if err != nil {
		t.Fatal(err)
	}
	s := check(t, out)
	if s.Pages < 3 || !slices.Equal(s.Roles, []string{"", "H1", "P", "P"}) {
		t.Fatalf("%d pages, structure %v", s.Pages, s.Roles)
	}
	p := tg.root.kids[1]
	if len(p.mcids) != s.Pages {
		t.Fatalf("the long paragraph has %v", p.mcids)
	}
	for i, m := range p.mcids {
		if m.page != i+1 {
			t.Fatalf("the long paragraph has %v", p.mcids)
		}
	}
	text, _, _ := external(t, out)
	if !strings.Contains(text, "En-tête") || !strings.Contains(text, "Page 3") {
		t.Fatalf("no header or footer:\n%s", text)
	}
	text = regexp.MustCompile(`En-tête|Page \d+`).ReplaceAllString(text, "")
	text = strings.Join(strings.Fields(text), " ")
	if strings.Count(text, "Une phrase assez longue") != 400 {
		t.Fatalf("text: %d sentences", strings.Count(text, "Une phrase assez longue"))
	}
}

// Rows and items drawn outside a table or a list make implicit ones, ended by any other element.
func TestImplicitTablesAndLists(t *testing.T) {
	pdf, _ := newPDF(false)
	tg := New(pdf)
	pdf.AddPage()
	row := func(l, v string) {
		tg.Row(func() {
			tg.RowHeader(func() { pdf.CellFormat(60, 7, l, "", 0, "L", false, 0, "") })
			tg.Cell(func() { pdf.MultiCell(0, 7, v, "", "L", false) })
		})
	}
	item := func(s string) { tg.Item(func() { pdf.MultiCell(0, 6, s, "", "L", false) }) }
	row("a", "1")
	row("b", "2")
	tg.Heading(2, func() { pdf.MultiCell(0, 8, "Actions", "", "L", false) })
	item("- une")
	item("- deux")
	row("c", "3")
	item("- trois")
	out, err := tg.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "Table", "Table/TR", "Table/TR/TH", "Table/TR/TD", "Table/TR", "Table/TR/TH", "Table/TR/TD", "H2",
		"L", "L/LI", "L/LI/LBody", "L/LI", "L/LI/LBody", "Table", "Table/TR", "Table/TR/TH", "Table/TR/TD", "L", "L/LI", "L/LI/LBody"}
	if s := check(t, out); !slices.Equal(s.Roles, want) {
		t.Fatalf("structure %v", s.Roles)
	}
}

// Mistakes in drawing or in the file are errors, never a file.
func TestErrors(t *testing.T) {
	cases := map[string]func(pdf *fpdf.Fpdf, tg *Tagger){
		"nested blocks": func(pdf *fpdf.Fpdf, tg *Tagger) {
			tg.Paragraph(func() { tg.Heading(1, func() { pdf.Cell(10, 10, "x") }) })
		},
		"artifact in a block": func(pdf *fpdf.Fpdf, tg *Tagger) {
			tg.Paragraph(func() { tg.Artifact(func() { pdf.Line(1, 1, 2, 2) }) })
		},
		"row in a list": func(pdf *fpdf.Fpdf, tg *Tagger) {
			tg.List(func() { tg.Row(func() { tg.Cell(func() { pdf.Cell(10, 10, "x") }) }) })
		},
		"cell outside a row": func(pdf *fpdf.Fpdf, tg *Tagger) { tg.Table(func() { tg.Cell(func() { pdf.Cell(10, 10, "x") }) }) },
		"heading level 7":    func(pdf *fpdf.Fpdf, tg *Tagger) { tg.Heading(7, func() { pdf.Cell(10, 10, "x") }) },
		"untagged text":      func(pdf *fpdf.Fpdf, tg *Tagger) { pdf.Cell(10, 10, "x") },
		"untagged rule":      func(pdf *fpdf.Fpdf, tg *Tagger) { pdf.Line(1, 1, 2, 2) },
		"a link": func(pdf *fpdf.Fpdf, tg *Tagger) {
			tg.Paragraph(func() { pdf.LinkString(20, 20, 10, 10, "https://example.org") })
		},
		"fpdf's footer replaced": func(pdf *fpdf.Fpdf, tg *Tagger) {
			pdf.SetFooterFunc(func() {})
			tg.Paragraph(func() { pdf.MultiCell(0, 6, strings.Repeat("mot ", 3000), "", "L", false) })
		},
		"a forged MCID": func(pdf *fpdf.Fpdf, tg *Tagger) {
			tg.Paragraph(func() { pdf.Cell(10, 10, "x") })
			pdf.RawWriteStr("/P <</MCID 7>> BDC")
			pdf.Cell(10, 10, "y")
			pdf.RawWriteStr("EMC")
		},
		"no title": func(pdf *fpdf.Fpdf, tg *Tagger) { pdf.SetTitle("", false) },
		"no lang":  func(pdf *fpdf.Fpdf, tg *Tagger) { pdf.SetLang("") },
	}
	for name, draw := range cases {
		t.Run(name, func(t *testing.T) {
			pdf, _ := newPDF(false)
			tg := New(pdf)
			pdf.AddPage()
			tg.Paragraph(func() { pdf.MultiCell(0, 6, "Texte", "", "L", false) })
			draw(pdf, tg)
			if out, err := tg.Output(); err == nil {
				t.Fatalf("no error; %d bytes", len(out))
			}
		})
	}
	t.Run("before the first page", func(t *testing.T) {
		pdf, _ := newPDF(false)
		tg := New(pdf)
		tg.Paragraph(func() { pdf.Cell(10, 10, "x") })
		if _, err := tg.Output(); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("not fpdf's file", func(t *testing.T) {
		pdf, _ := newPDF(false)
		tg := New(pdf)
		pdf.AddPage()
		tg.Paragraph(func() { pdf.Cell(10, 10, "x") })
		var b bytes.Buffer
		if err := pdf.Output(&b); err != nil {
			t.Fatal(err)
		}
		good := b.Bytes()
		for name, bad := range map[string][]byte{
			"empty":     nil,
			"truncated": good[:len(good)/2],
			"no xref":   bytes.Replace(good, []byte("\nxref\n"), []byte("\nxxxx\n"), 1),
			"shifted":   append([]byte("%PDF-1.3\n%"), good...),
			"tagged twice": func() []byte {
				out, err := tg.Finish(good)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}(),
		} {
			if _, err := tg.Finish(bad); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
	})
}

// Random text (accents, parentheses, backslashes, PDF operators, line breaks) stays text: the
// file is valid and the structure complete.
func TestRandomText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"é", "à", "ç", "Œ", "€", "«", "»", "(", ")", "\\", "\\(", "((", "))", "/MCID 3", "BDC", "EMC", "<<", ">>",
		"%", "\n", "\r", "\t", " ", "endobj", "startxref", "xref", "trailer", "%%EOF", "1 0 R", "mot", "Ünïcödé", "—", "'", "\""}
	random := func() string {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	var files [][]byte
	for i := range 60 {
		pdf, tr := newPDF(i%2 == 0)
		pdf.SetTitle(random()+"x", true)
		tg := New(pdf)
		pdf.AddPage()
		var words []string
		for range 1 + r.IntN(12) {
			s := random()
			words = append(words, s)
			switch r.IntN(4) {
			case 0:
				tg.Heading(1+r.IntN(3), func() { pdf.MultiCell(0, 8, tr(s), "", "L", false) })
			case 1:
				tg.List(func() { tg.Item(func() { pdf.Write(6, tr(s)) }) })
			case 2:
				tg.Artifact(func() { pdf.Line(20, pdf.GetY(), 190, pdf.GetY()) })
				fallthrough
			default:
				tg.Paragraph(func() { pdf.MultiCell(0, 6, tr(s), "", "L", false) })
			}
		}
		out, err := tg.Output()
		if err != nil {
			t.Fatalf("%q: %v", words, err)
		}
		check(t, out)
		if i%15 == 0 {
			files = append(files, out)
		}
	}
	for _, out := range files { // last: without the tools, the test skips here
		external(t, out)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "é(à)\\", ")))", "/P <</MCID 0>> BDC", "EMC EMC", "\\\\\\(", "%%EOF\nstartxref\n0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pdf, tr := newPDF(false)
		tg := New(pdf)
		pdf.AddPage()
		tg.Heading(1, func() { pdf.MultiCell(0, 8, tr(s), "", "L", false) })
		tg.Paragraph(func() { pdf.Write(6, tr(s)) })
		out, err := tg.Output()
		if err != nil {
			t.Fatal(err)
		}
		check(t, out)
	})
}

// Verify rejects a tagged file altered after Finish.
func TestVerifyRejects(t *testing.T) {
	pdf, _ := newPDF(false)
	tg := New(pdf)
	pdf.AddPage()
	tg.Heading(1, func() { pdf.MultiCell(0, 8, "Titre", "", "L", false) })
	tg.Paragraph(func() { pdf.MultiCell(0, 6, "Texte", "", "L", false) })
	good, err := tg.Output()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := Verify(good); err != nil || r.MCIDs != 2 || !slices.Equal(r.Roles, []string{"", "H1", "P"}) {
		t.Fatalf("%+v %v", r, err)
	}
	xref := bytes.LastIndex(good, []byte("\nxref\n")) + 1
	for name, bad := range map[string][]byte{
		"not marked":      bytes.Replace(good, []byte("/Marked true"), []byte("/Marked fals"), 1),
		"no tabs":         bytes.Replace(good, []byte("/Tabs /S"), []byte("/Tabs /R"), 1),
		"no display":      bytes.Replace(good, []byte("/DisplayDocTitle true"), []byte("/DisplayDocTitle fals"), 1),
		"MCID dropped":    bytes.Replace(good, []byte("/K [1]"), []byte("/K [ ]"), 1),
		"MCID twice":      bytes.Replace(good, []byte("/K [1]"), []byte("/K [0]"), 1),
		"bad parent tree": bytes.Replace(good, []byte("/Nums [0 ["), []byte("/Nums [1 ["), 1),
		"shifted update":  append(append(append([]byte{}, good[:xref-1]...), ' '), good[xref-1:]...),
		"bad offset":      append(append([]byte{}, good[:xref+len("xref\n3 1\n")]...), append([]byte("1"), good[xref+len("xref\n3 1\n")+1:]...)...),
		"truncated":       good[:len(good)-20],
		"no update":       good[:bytes.Index(good, []byte("%%EOF"))+6],
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: unchanged", name)
		}
		if _, err := Verify(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
