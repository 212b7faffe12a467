package pdftag

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Report is what Verify reads back from a tagged file.
type Report struct {
	// Roles are the structure elements in document order, by their path under the /Document
	// element ("" for the document itself, "H1", "L/LI/LBody"…).
	Roles []string
	Pages int
	// MCIDs counts the marked content with an MCID of every page.
	MCIDs int
}

type verifyError struct{ err error }

// Verify reads a file written by Finish back with strict checks, independent of the Tagger that
// wrote it: the original file and its update are read from the end through /Prev, every
// cross-reference entry points at "N 0 obj", the catalog of the last trailer has /MarkInfo,
// /StructTreeRoot, /Lang and /ViewerPreferences <</DisplayDocTitle true>>, /Info a title, every
// page /Tabs /S; every structure element names its parent; every MCID of the content streams has
// exactly one structure element, the parent tree agrees, and the reverse; every painting
// operator is inside tagged content or an artifact. Finish verifies its own output.
func Verify(out []byte) (s Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			ve, ok := r.(verifyError) // from bad, in the closures below
			if !ok {
				panic(r)
			}
			s, err = Report{}, ve.err
		}
	}()
	bad := func(format string, a ...any) {
		panic(verifyError{fmt.Errorf("pdftag: verify: "+format, a...)})
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("pdftag: verify: "+format, a...)
	}
	if len(out) < 16 || !bytes.HasPrefix(out, []byte("%PDF-")) {
		return Report{}, fail("not a PDF file")
	}
	// The update: its own xref section, parsed by hand.
	sx := bytes.LastIndex(out, []byte("startxref"))
	if sx < 0 {
		return Report{}, fail("no startxref")
	}
	fields := strings.Fields(string(out[sx:]))
	if len(fields) != 3 || fields[2] != "%%EOF" {
		return Report{}, fail("bad file end %q", out[sx:])
	}
	xref, err := strconv.Atoi(fields[1])
	if err != nil || xref <= 0 || xref >= len(out) || !bytes.HasPrefix(out[xref:], []byte("xref\n")) {
		return Report{}, fail("startxref %q does not point at an xref", fields[1])
	}
	updated := map[int]int{}
	p := &parser{b: out, pos: xref + len("xref\n")}
	for {
		p.skip()
		w := p.regular()
		if w == "trailer" {
			break
		}
		start, err1 := strconv.Atoi(w)
		p.skip()
		count, err2 := strconv.Atoi(p.regular())
		if err1 != nil || err2 != nil || count <= 0 {
			return Report{}, fail("bad subsection %q", w)
		}
		p.pos++ // end of line
		for k := range count {
			if p.pos+20 > len(out) {
				return Report{}, fail("truncated xref")
			}
			e := string(out[p.pos : p.pos+20])
			if e[10] != ' ' || e[11:] != "00000 n \n" {
				return Report{}, fail("bad xref entry %q", e)
			}
			off, err := strconv.Atoi(e[:10])
			if err != nil || off <= 0 || off >= xref || !bytes.HasPrefix(out[off:], fmt.Appendf(nil, "%d 0 obj\n", start+k)) {
				return Report{}, fail("update xref: object %d at %d does not start with its header", start+k, off)
			}
			updated[start+k] = off
			p.pos += 20
		}
	}
	trailer, err := p.value(0)
	if err != nil || trailer.kind != kDict {
		return Report{}, fail("update trailer: %v", err)
	}
	// The original file, from /Prev: its xref, its trailer, its end, before every updated object.
	prev, _ := trailer.get("Prev")
	orig := &document{b: out, offsets: map[int]int{}}
	if n, ok := prev.int(); !ok || orig.readXref(n) != nil {
		return Report{}, fail("/Prev %s does not point at the original xref", prev.raw)
	}
	tail := fmt.Sprintf("\nstartxref\n%d\n%%%%EOF\n", orig.xref)
	if !bytes.HasPrefix(out[orig.end:], []byte(tail)) {
		return Report{}, fail("the original trailer is not followed by its startxref")
	}
	first := orig.end + len(tail)
	for n, off := range orig.offsets {
		if off >= first || !bytes.HasPrefix(out[off:], fmt.Appendf(nil, "%d 0 obj", n)) {
			return Report{}, fail("original xref: object %d at %d", n, off)
		}
	}
	offsets := map[int]int{}
	for n, o := range orig.offsets {
		offsets[n] = o
	}
	for n, o := range updated {
		if o < first {
			return Report{}, fail("updated object %d inside the original file", n)
		}
		offsets[n] = o
	}
	size, _ := trailer.get("Size")
	if n, _ := size.int(); n <= orig.size-1 {
		return Report{}, fail("/Size %s", size.raw)
	}
	for n := range offsets {
		if sz, _ := size.int(); n >= sz {
			return Report{}, fail("object %d beyond /Size %d", n, sz)
		}
	}
	for _, k := range []string{"Info", "Root"} {
		a, _ := trailer.get(k)
		b, _ := orig.trailer.get(k)
		if a.kind != kRef || string(a.raw) != string(b.raw) {
			return Report{}, fail("trailer /%s %s, was %s", k, a.raw, b.raw)
		}
	}
	d := &document{b: out, offsets: offsets}
	obj := func(v value) value {
		if v.kind != kRef {
			bad("%s is not a reference", v.raw)
		}
		o, _, err := d.object(v.num)
		if err != nil {
			bad("%v", err)
		}
		return o
	}
	root, _ := trailer.get("Root")
	catalog := obj(root)
	for k, want := range map[string]string{"MarkInfo": "<</Marked true>>", "ViewerPreferences": "<</DisplayDocTitle true>>", "Lang": "(fr-FR)", "Type": "/Catalog"} {
		if v, _ := catalog.get(k); string(v.raw) != want {
			return Report{}, fail("catalog /%s = %q, want %q", k, v.raw, want)
		}
	}
	info := obj(func() value { v, _ := trailer.get("Info"); return v }())
	if v, ok := info.get("Title"); !ok || len(v.raw) < 3 {
		return Report{}, fail("no /Title in /Info")
	}
	treeRef, _ := catalog.get("StructTreeRoot")
	tree := obj(treeRef)
	if v, _ := tree.get("Type"); v.text != "StructTreeRoot" {
		return Report{}, fail("StructTreeRoot /Type %s", v.raw)
	}
	pagesRef, _ := catalog.get("Pages")
	kids, _ := obj(pagesRef).get("Kids")
	pageIndex := map[int]int{} // page object → index
	var pageDicts []value
	for i, k := range kids.arr {
		pageIndex[k.num] = i
		pg := obj(k)
		if v, _ := pg.get("Tabs"); v.text != "S" {
			return Report{}, fail("page %d without /Tabs /S", i+1)
		}
		pageDicts = append(pageDicts, pg)
	}
	// Walk the tree: every marked content reference by page and MCID.
	type key struct{ page, mcid int }
	owner := map[key]int{} // → element object number
	s.Pages = len(kids.arr)
	var walk func(ref value, parent int, path string)
	visited := map[int]bool{}
	walk = func(ref value, parent int, path string) {
		if visited[ref.num] {
			bad("element %d is reached twice", ref.num)
		}
		visited[ref.num] = true
		e := obj(ref)
		if v, _ := e.get("Type"); v.text != "StructElem" {
			bad("element %d: /Type %s", ref.num, v.raw)
		}
		if v, _ := e.get("P"); v.kind != kRef || v.num != parent {
			bad("element %d: /P %s, want %d", ref.num, v.raw, parent)
		}
		role, _ := e.get("S")
		if role.kind != kName {
			bad("element %d: /S %s", ref.num, role.raw)
		}
		path += "/" + role.text
		s.Roles = append(s.Roles, strings.TrimPrefix(strings.TrimPrefix(path, "/Document"), "/"))
		pg, hasPg := e.get("Pg")
		k, _ := e.get("K")
		for _, x := range k.arr {
			switch x.kind {
			case kNum:
				if !hasPg {
					bad("element %d has an MCID without /Pg", ref.num)
				}
				n, _ := x.int()
				kk := key{pageIndex[pg.num], n}
				if _, ok := pageIndex[pg.num]; !ok {
					bad("element %d: /Pg %s is not a page", ref.num, pg.raw)
				}
				if _, dup := owner[kk]; dup {
					bad("MCID %v has two elements", kk)
				}
				owner[kk] = ref.num
			case kDict:
				mpg, _ := x.get("Pg")
				mid, _ := x.get("MCID")
				n, ok := mid.int()
				if _, isPage := pageIndex[mpg.num]; !ok || !isPage {
					bad("bad MCR %s", x.raw)
				}
				kk := key{pageIndex[mpg.num], n}
				if _, dup := owner[kk]; dup {
					bad("MCID %v has two elements", kk)
				}
				owner[kk] = ref.num
			case kRef:
				walk(x, ref.num, path)
			default:
				bad("element %d: kid %s", ref.num, x.raw)
			}
		}
	}
	top, _ := tree.get("K")
	if len(top.arr) != 1 {
		return Report{}, fail("StructTreeRoot /K %s", top.raw)
	}
	walk(top.arr[0], treeRef.num, "")
	// The parent tree, from the page's /StructParents.
	pt, _ := tree.get("ParentTree")
	nums, _ := pt.get("Nums")
	parents := map[int][]value{}
	for i := 0; i+1 < len(nums.arr); i += 2 {
		n, _ := nums.arr[i].int()
		parents[n] = nums.arr[i+1].arr
	}
	seen := 0
	for i, pg := range pageDicts {
		contents, _ := pg.get("Contents")
		_, data, err := d.object(contents.num)
		if err != nil {
			bad("%v", err)
		}
		m, err := scanContent(data)
		if err != nil {
			return Report{}, fail("page %d: %v", i+1, err)
		}
		sp, has := pg.get("StructParents")
		if len(m.mcids) > 0 && !has {
			return Report{}, fail("page %d has marked content and no /StructParents", i+1)
		}
		idx, _ := sp.int()
		for _, id := range m.mcids {
			el, ok := owner[key{i, id}]
			if !ok {
				return Report{}, fail("page %d MCID %d has no element", i+1, id)
			}
			if list := parents[idx]; id >= len(list) || list[id].num != el {
				return Report{}, fail("page %d MCID %d: parent tree says %v, element %d", i+1, id, parents[idx], el)
			}
			seen++
		}
	}
	if seen != len(owner) {
		return Report{}, fail("%d MCIDs in the tree, %d in the pages", len(owner), seen)
	}
	s.MCIDs = seen
	return s, nil
}
