// Package pdftag makes the PDFs that go-pdf/fpdf writes tagged (PDF 1.7, 14.8): fpdf writes text
// with a document language but no structure tree, so screen readers get no headings nor
// paragraphs.
//
// While the document is drawn, each block of text is wrapped in marked content with an MCID
// (numbered per page) through fpdf's RawWriteStr, and decorative content (rules, boxes, logos) in
// /Artifact marked content:
//
//	t := pdftag.New(pdf)
//	t.Heading(1, func() { pdf.MultiCell(0, 9, "Titre", "", "L", false) })
//	t.Paragraph(func() { pdf.MultiCell(0, 6, "Texte…", "", "L", false) })
//	t.Artifact(func() { pdf.Line(20, 40, 190, 40) })
//	out, err := t.Output() // or pdf.Output(&buf) then t.Finish(buf.Bytes())
//
// Finish then appends an incremental update (7.5.6) to fpdf's file: the structure tree (a
// /Document element whose children are the blocks, each pointing at its page and MCIDs), the
// parent tree, the catalog again with /MarkInfo, /StructTreeRoot and /ViewerPreferences
// <</DisplayDocTitle true>>, each page again with /StructParents and /Tabs /S, a new
// cross-reference section and trailer. It reads the file narrowly (a classic cross-reference
// table, direct dictionaries) and checks every page's content stream: MCIDs well nested and equal
// to the ones drawn, every text, path or image painted inside a block or an artifact, and reads
// its own output back (Verify). Anything else is an error, never a broken file.
//
// A block that crosses a page break is closed at the bottom of the page (the footer function)
// and continued on the next one (after the header function) with a new MCID of the same element:
// use Tagger.SetHeaderFunc and Tagger.SetFooterFunc, never fpdf's, whose content becomes an
// artifact. Links and other annotations are not tagged: a page with annotations is an error.
//
// The package does not make a file PDF/UA: that also asks for embedded fonts (fpdf's core fonts
// are not), XMP metadata with the title and the pdfuaid part, and a review of the reading order.
package pdftag

import (
	"bytes"
	"errors"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
)

// Tagger records the structure of one fpdf document while it is drawn.
type Tagger struct {
	pdf            *fpdf.Fpdf
	root           *elem // the /Document element
	cur            *elem // the element that receives new children
	open           *elem // the element whose marked content is open, nil outside blocks
	artifact       bool  // an artifact is open
	suspended      *elem // a block interrupted by a page break
	next           map[int]int
	header, footer func()
	err            error
}

// elem is a structure element; a leaf holds marked content (its kids are MCIDs).
type elem struct {
	role   string
	attrs  string // the /A entry, if any
	parent *elem
	kids   []*elem
	mcids  []mcr
	num    int // object number in the update
	// implicit: a list or table opened by an item or a row drawn outside one.
	implicit bool
}

type mcr struct{ page, mcid int }

// New starts tagging pdf. It installs fpdf's header and footer functions: use the Tagger's.
func New(pdf *fpdf.Fpdf) *Tagger {
	t := &Tagger{pdf: pdf, next: map[int]int{}}
	t.root = &elem{role: "Document"}
	t.cur = t.root
	pdf.SetHeaderFunc(t.onHeader)
	pdf.SetFooterFunc(t.onFooter)
	return t
}

// SetHeaderFunc sets the page header, drawn as an artifact.
func (t *Tagger) SetHeaderFunc(f func()) { t.header = f }

// SetFooterFunc sets the page footer, drawn as an artifact.
func (t *Tagger) SetFooterFunc(f func()) { t.footer = f }

func (t *Tagger) fail(format string, a ...any) {
	if t.err == nil {
		t.err = fmt.Errorf("pdftag: "+format, a...)
	}
}

// onFooter ends the page: a block still open is closed here and continued on the next page.
func (t *Tagger) onFooter() {
	if t.open != nil {
		t.pdf.RawWriteStr("EMC")
		t.suspended, t.open = t.open, nil
	}
	if t.artifact {
		t.fail("an artifact crosses a page break")
		t.pdf.RawWriteStr("EMC")
		t.artifact = false
	}
	if t.footer != nil {
		t.Artifact(t.footer)
	}
}

func (t *Tagger) onHeader() {
	if t.header != nil {
		t.Artifact(t.header)
	}
	if e := t.suspended; e != nil {
		t.suspended = nil
		t.begin(e)
	}
}

// begin opens marked content for leaf e on the current page.
func (t *Tagger) begin(e *elem) {
	page := t.pdf.PageNo()
	if page == 0 {
		t.fail("a block is drawn before the first page")
		return
	}
	id := t.next[page]
	t.next[page] = id + 1
	e.mcids = append(e.mcids, mcr{page, id})
	t.pdf.RawWriteStr(fmt.Sprintf("/%s <</MCID %d>> BDC", e.role, id))
	t.open = e
}

// leaf draws a block of role as one structure element, child of the current element.
func (t *Tagger) leaf(role, attrs string, draw func()) {
	if t.open != nil || t.artifact {
		t.fail("a /%s block inside another block", role)
		draw()
		return
	}
	e := &elem{role: role, attrs: attrs, parent: t.cur}
	t.cur.kids = append(t.cur.kids, e)
	t.begin(e)
	if t.open == nil {
		return
	}
	draw()
	if t.open != e {
		t.fail("the /%s block was not closed on its page", role)
		return
	}
	t.pdf.RawWriteStr("EMC")
	t.open = nil
}

// group draws the children of a structure element of role (a list, a table, an item, a row).
// An item or a row drawn outside its list or table joins the list or table just before it if it
// is implicit, or starts an implicit one: consecutive rows make one table.
func (t *Tagger) group(role, container string, body func()) {
	if t.open != nil || t.artifact {
		t.fail("a /%s inside a block", role)
		body()
		return
	}
	outer := t.cur
	if container != "" && t.cur.role != container {
		switch t.cur.role {
		case "L", "LI", "Table", "TR":
			t.fail("a /%s inside a /%s", role, t.cur.role)
		}
		if n := len(t.cur.kids); n > 0 && t.cur.kids[n-1].implicit && t.cur.kids[n-1].role == container {
			t.cur = t.cur.kids[n-1]
		} else {
			c := &elem{role: container, parent: t.cur, implicit: true}
			t.cur.kids = append(t.cur.kids, c)
			t.cur = c
		}
	}
	e := &elem{role: role, parent: t.cur}
	t.cur.kids = append(t.cur.kids, e)
	t.cur = e
	body()
	t.cur = outer
}

// Heading draws a heading of level 1 to 6 (/H1…/H6).
func (t *Tagger) Heading(level int, draw func()) {
	if level < 1 || level > 6 {
		t.fail("heading level %d", level)
		level = min(max(level, 1), 6)
	}
	t.leaf(fmt.Sprintf("H%d", level), "", draw)
}

// Paragraph draws a paragraph (/P).
func (t *Tagger) Paragraph(draw func()) { t.leaf("P", "", draw) }

// List draws a list (/L) whose items are drawn by Item.
func (t *Tagger) List(items func()) { t.group("L", "", items) }

// Item draws an item of the list (/LI holding its /LBody). Items drawn one after the other
// outside List make one list.
func (t *Tagger) Item(draw func()) {
	t.group("LI", "L", func() { t.leaf("LBody", "", draw) })
}

// Table draws a table (/Table) whose rows are drawn by Row.
func (t *Tagger) Table(rows func()) { t.group("Table", "", rows) }

// Row draws a row of the table (/TR) whose cells are drawn by RowHeader, ColumnHeader and Cell.
// Rows drawn one after the other outside Table make one table.
func (t *Tagger) Row(cells func()) { t.group("TR", "Table", cells) }

// RowHeader draws a header cell of its row (/TH, scope Row): a label before its value.
func (t *Tagger) RowHeader(draw func()) { t.cell("TH", "<</O /Table /Scope /Row>>", draw) }

// ColumnHeader draws a header cell of its column (/TH, scope Column).
func (t *Tagger) ColumnHeader(draw func()) { t.cell("TH", "<</O /Table /Scope /Column>>", draw) }

// Cell draws a data cell (/TD).
func (t *Tagger) Cell(draw func()) { t.cell("TD", "", draw) }

func (t *Tagger) cell(role, attrs string, draw func()) {
	if t.cur.role != "TR" {
		t.fail("a /%s outside a row", role)
	}
	t.leaf(role, attrs, draw)
}

// Artifact draws decorative content (rules, boxes, logos, page headers and footers) that
// assistive technologies skip.
func (t *Tagger) Artifact(draw func()) {
	if t.open != nil || t.artifact {
		t.fail("an artifact inside a block")
		draw()
		return
	}
	if t.pdf.PageNo() == 0 {
		t.fail("an artifact is drawn before the first page")
		draw()
		return
	}
	t.pdf.RawWriteStr("/Artifact BMC")
	t.artifact = true
	draw()
	if t.artifact {
		t.pdf.RawWriteStr("EMC")
		t.artifact = false
	}
}

// Output closes the document, writes it and tags it.
func (t *Tagger) Output() ([]byte, error) {
	var b bytes.Buffer
	if err := t.pdf.Output(&b); err != nil {
		return nil, err
	}
	return t.Finish(b.Bytes())
}

// Finish appends the structure tree to the file fpdf wrote for the document (pdf.Output).
func (t *Tagger) Finish(original []byte) ([]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	if t.open != nil || t.artifact || t.suspended != nil {
		return nil, errors.New("pdftag: a block is still open")
	}
	out, err := t.update(original)
	if err != nil {
		return nil, err
	}
	// The file is read back before it leaves: a mistake here is an error, not a broken file.
	r, err := Verify(out)
	if err != nil {
		return nil, err
	}
	drawn := 0
	for _, n := range t.next {
		drawn += n
	}
	if r.MCIDs != drawn {
		return nil, fmt.Errorf("pdftag: %d MCIDs in the file, %d drawn", r.MCIDs, drawn)
	}
	return out, nil
}
