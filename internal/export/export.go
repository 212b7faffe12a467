// Package export writes tables as CSV and XLSX files for people to open in a spreadsheet.
//
// Every cell is text, and a cell a spreadsheet would take for a formula (it starts with =, +,
// -, @, a tab or a carriage return) is prefixed with an apostrophe: a name typed as
// "=HYPERLINK(…)" in a form must not run when an employer opens the export (OWASP "CSV
// injection"). The XLSX writer is the smallest valid workbook (one sheet, inline strings),
// written with archive/zip and encoding/xml: no dependency for a few hundred lines of
// spreadsheet.
package export

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Table is a header and rows of text cells.
type Table struct {
	// Sheet names the XLSX sheet (31 characters at most).
	Sheet  string
	Header []string
	Rows   [][]string
}

// Neutralise makes a cell inert in a spreadsheet: a leading character that starts a formula
// gets an apostrophe before it.
func Neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// CSV writes t as CSV for French spreadsheets: UTF-8 with a byte order mark (so that
// accents show), semicolons (the comma is the French decimal separator), CRLF line ends.
func CSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	if err := cw.Write(neutralised(t.Header)); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := cw.Write(neutralised(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func neutralised(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = Neutralise(c)
	}
	return out
}

// XLSX writes t as a one-sheet workbook; now dates the document's properties.
func XLSX(w io.Writer, t Table, now time.Time) error {
	zw := zip.NewWriter(w)
	sheet := t.Sheet
	if sheet == "" {
		sheet = "Export"
	}
	if utf8.RuneCountInString(sheet) > 31 {
		sheet = string([]rune(sheet)[:31])
	}
	files := []struct{ name, body string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", rootRels},
		{"docProps/core.xml", fmt.Sprintf(coreProps, now.UTC().Format(time.RFC3339))},
		{"xl/workbook.xml", fmt.Sprintf(workbook, escape(sheet))},
		{"xl/_rels/workbook.xml.rels", workbookRels},
		{"xl/styles.xml", styles},
		{"xl/worksheets/sheet1.xml", sheetXML(t)},
	}
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, f.body); err != nil {
			return err
		}
	}
	return zw.Close()
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// sheetXML lays the rows out with inline strings; the header row is bold (style 1).
func sheetXML(t Table) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	row := func(n int, cells []string, style int) {
		fmt.Fprintf(&b, `<row r="%d">`, n)
		for i, c := range cells {
			fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"`, column(i), n)
			if style > 0 {
				fmt.Fprintf(&b, ` s="%d"`, style)
			}
			b.WriteString(`><is><t xml:space="preserve">`)
			b.WriteString(escape(cleanXML(Neutralise(c))))
			b.WriteString(`</t></is></c>`)
		}
		b.WriteString(`</row>`)
	}
	row(1, t.Header, 1)
	for i, r := range t.Rows {
		row(i+2, r, 0)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.String()
}

// cleanXML drops the characters XML 1.0 cannot hold (control characters but tab and newlines).
func cleanXML(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}

// column names the i-th column: A…Z, AA…
func column(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`

const rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`

const coreProps = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Parcours</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">%s</dcterms:created></cp:coreProperties>`

const workbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>`

const workbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`

const styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>`
