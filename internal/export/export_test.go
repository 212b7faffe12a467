package export_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"parcours/internal/export"
)

var table = export.Table{Sheet: "Candidatures reçues", Header: []string{"Candidat", "Structure", "Note"},
	Rows: [][]string{
		{"Léa Durand", "Jardins du Rhône", "=HYPERLINK(\"http://pirate.example\",\"clic\")"},
		{"+33 6 12", "-2+3", "@SUM(A1)"},
		{"Zoé ; « guillemets »", "ligne\nsuivante", "\tTab"},
	}}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+33": "'+33", "-2": "'-2", "@A1": "'@A1", "\tx": "'\tx", "\rx": "'\rx",
		"Léa": "Léa", "": "", "1=1": "1=1"} {
		if got := export.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVReadsBackWithFormulasNeutralised(t *testing.T) {
	var b bytes.Buffer
	if err := export.CSV(&b, table); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeff")) {
		t.Fatal("no byte order mark: spreadsheets would show the accents wrong")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[1][2] != "'"+table.Rows[0][2] || rows[2][0] != "'+33 6 12" || rows[3][1] != "ligne\nsuivante" || rows[3][0] != "Zoé ; « guillemets »" {
		t.Fatalf("rows: %q", rows)
	}
}

func TestXLSXIsAWorkbookWithEveryCell(t *testing.T) {
	var b bytes.Buffer
	if err := export.XLSX(&b, table, time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		parts[f.Name] = string(body)
		// Every part is well-formed XML.
		d := xml.NewDecoder(bytes.NewReader(body))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed: %v", f.Name, err)
			}
		}
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml", "xl/styles.xml"} {
		if _, ok := parts[name]; !ok {
			t.Fatalf("missing part %s", name)
		}
	}
	// Read the cells back.
	var sheet struct {
		Rows []struct {
			Cells []struct {
				Ref  string `xml:"r,attr"`
				Text string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal([]byte(parts["xl/worksheets/sheet1.xml"]), &sheet); err != nil {
		t.Fatal(err)
	}
	if len(sheet.Rows) != 4 || sheet.Rows[0].Cells[0].Text != "Candidat" || sheet.Rows[1].Cells[2].Text != "'"+table.Rows[0][2] ||
		sheet.Rows[3].Cells[2].Ref != "C4" || sheet.Rows[3].Cells[2].Text != "'\tTab" {
		t.Fatalf("cells: %+v", sheet.Rows)
	}
	if !strings.Contains(parts["xl/workbook.xml"], `name="Candidatures reçues"`) {
		t.Fatal("sheet name")
	}
}
