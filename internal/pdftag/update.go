package pdftag

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// page is one page of the original file.
type page struct {
	num  int   // object number
	dict value // its dictionary
}

// update checks the original file against what was drawn and appends the structure tree.
func (t *Tagger) update(original []byte) ([]byte, error) {
	d, err := readDocument(original)
	if err != nil {
		return nil, err
	}
	rootRef, ok := d.trailer.get("Root")
	if !ok || rootRef.kind != kRef {
		return nil, fmt.Errorf("pdftag: trailer without /Root")
	}
	infoRef, ok := d.trailer.get("Info")
	if !ok || infoRef.kind != kRef {
		return nil, fmt.Errorf("pdftag: trailer without /Info")
	}
	info, _, err := d.object(infoRef.num)
	if err != nil {
		return nil, err
	}
	if title, ok := info.get("Title"); info.kind != kDict || !ok || len(title.raw) <= 2 {
		return nil, fmt.Errorf("pdftag: the document has no title (fpdf SetTitle)")
	}
	catalog, _, err := d.object(rootRef.num)
	if err != nil {
		return nil, err
	}
	if typ, _ := catalog.get("Type"); catalog.kind != kDict || typ.text != "Catalog" {
		return nil, fmt.Errorf("pdftag: /Root is not a catalog")
	}
	for _, k := range []string{"StructTreeRoot", "MarkInfo", "ViewerPreferences"} {
		if _, ok := catalog.get(k); ok {
			return nil, fmt.Errorf("pdftag: the catalog already has /%s", k)
		}
	}
	if lang, ok := catalog.get("Lang"); !ok || len(lang.raw) <= 2 {
		return nil, fmt.Errorf("pdftag: the document has no language (fpdf SetLang)")
	}
	pagesRef, ok := catalog.get("Pages")
	if !ok || pagesRef.kind != kRef {
		return nil, fmt.Errorf("pdftag: catalog without /Pages")
	}
	pagesObj, _, err := d.object(pagesRef.num)
	if err != nil {
		return nil, err
	}
	kids, _ := pagesObj.get("Kids")
	if typ, _ := pagesObj.get("Type"); pagesObj.kind != kDict || typ.text != "Pages" || kids.kind != kArr || len(kids.arr) == 0 {
		return nil, fmt.Errorf("pdftag: unexpected page tree")
	}
	var pages []page
	for i, k := range kids.arr {
		if k.kind != kRef {
			return nil, fmt.Errorf("pdftag: /Kids holds %s", k.raw)
		}
		p, _, err := d.object(k.num)
		if err != nil {
			return nil, err
		}
		if typ, _ := p.get("Type"); p.kind != kDict || typ.text != "Page" {
			return nil, fmt.Errorf("pdftag: page %d is not a /Page (nested page trees are not supported)", i+1)
		}
		for _, key := range []string{"StructParents", "Tabs", "Annots"} {
			if _, ok := p.get(key); ok {
				return nil, fmt.Errorf("pdftag: page %d has /%s", i+1, key)
			}
		}
		contents, ok := p.get("Contents")
		if !ok || contents.kind != kRef {
			return nil, fmt.Errorf("pdftag: page %d: /Contents is not one stream", i+1)
		}
		_, data, err := d.object(contents.num)
		if err != nil {
			return nil, err
		}
		if data == nil {
			return nil, fmt.Errorf("pdftag: page %d: /Contents is not a stream", i+1)
		}
		m, err := scanContent(data)
		if err != nil {
			return nil, fmt.Errorf("pdftag: page %d: %w", i+1, err)
		}
		if want := t.next[i+1]; len(m.mcids) != want {
			return nil, fmt.Errorf("pdftag: page %d marks %d MCIDs, %d were drawn", i+1, len(m.mcids), want)
		}
		for j, id := range m.mcids {
			if id != j {
				return nil, fmt.Errorf("pdftag: page %d: MCID %d where %d was drawn", i+1, id, j)
			}
		}
		pages = append(pages, page{k.num, p})
	}
	for n := range t.next {
		if n > len(pages) {
			return nil, fmt.Errorf("pdftag: page %d was drawn, the file has %d", n, len(pages))
		}
	}
	return t.write(d, catalog, rootRef.num, pages)
}

// write appends the update: structure tree root, elements, catalog and pages again, xref, trailer.
func (t *Tagger) write(d *document, catalog value, catalogNum int, pages []page) ([]byte, error) {
	next := d.size
	treeNum := next
	next++
	var all []*elem
	var number func(e *elem)
	number = func(e *elem) {
		e.num = next
		next++
		all = append(all, e)
		for _, k := range e.kids {
			number(k)
		}
	}
	number(t.root)

	out := new(bytes.Buffer)
	out.Grow(len(d.b) + 4096)
	out.Write(d.b)
	if !bytes.HasSuffix(d.b, []byte("\n")) {
		out.WriteByte('\n')
	}
	offsets := map[int]int{}
	obj := func(num int, body string) {
		offsets[num] = out.Len()
		fmt.Fprintf(out, "%d 0 obj\n%s\nendobj\n", num, body)
	}
	ref := func(n int) string { return strconv.Itoa(n) + " 0 R" }

	// The parent tree: for each page with marked content, its elements by MCID.
	byPage := map[int][]*elem{}
	for _, e := range all {
		for _, m := range e.mcids {
			list := byPage[m.page]
			for len(list) <= m.mcid {
				list = append(list, nil)
			}
			list[m.mcid] = e
			byPage[m.page] = list
		}
	}
	var nums bytes.Buffer
	for i := range pages {
		list := byPage[i+1]
		if len(list) == 0 {
			continue
		}
		fmt.Fprintf(&nums, "%d [", i)
		for j, e := range list {
			if e == nil {
				return nil, fmt.Errorf("pdftag: page %d: MCID %d has no element", i+1, j)
			}
			if j > 0 {
				nums.WriteByte(' ')
			}
			nums.WriteString(ref(e.num))
		}
		nums.WriteString("] ")
	}
	obj(treeNum, fmt.Sprintf("<</Type /StructTreeRoot /K [%s] /ParentTree <</Nums [%s]>> /ParentTreeNextKey %d>>",
		ref(t.root.num), bytes.TrimSpace(nums.Bytes()), len(pages)))

	for _, e := range all {
		var b bytes.Buffer
		fmt.Fprintf(&b, "<</Type /StructElem /S /%s /P %s", e.role, ref(parentNum(e, treeNum)))
		if e.attrs != "" {
			fmt.Fprintf(&b, " /A %s", e.attrs)
		}
		var kids []string
		if len(e.mcids) > 0 {
			pg := e.mcids[0].page
			fmt.Fprintf(&b, " /Pg %s", ref(pages[pg-1].num))
			for _, m := range e.mcids {
				if m.page == pg {
					kids = append(kids, strconv.Itoa(m.mcid))
				} else {
					kids = append(kids, fmt.Sprintf("<</Type /MCR /Pg %s /MCID %d>>", ref(pages[m.page-1].num), m.mcid))
				}
			}
		}
		for _, k := range e.kids {
			kids = append(kids, ref(k.num))
		}
		fmt.Fprintf(&b, " /K [%s]>>", strings.Join(kids, " "))
		obj(e.num, b.String())
	}

	// The catalog again, with what fpdf wrote and the marks of a tagged document.
	var c bytes.Buffer
	c.WriteString("<<")
	for _, e := range catalog.dict {
		fmt.Fprintf(&c, "/%s %s\n", e.key, e.val.raw)
	}
	fmt.Fprintf(&c, "/MarkInfo <</Marked true>>\n/StructTreeRoot %s\n/ViewerPreferences <</DisplayDocTitle true>>\n", ref(treeNum))
	if _, ok := catalog.get("Version"); !ok {
		// /Tabs is PDF 1.5; fpdf's header says 1.3 or 1.4.
		c.WriteString("/Version /1.7\n")
	}
	c.WriteString(">>")
	obj(catalogNum, c.String())

	for i, p := range pages {
		var b bytes.Buffer
		b.WriteString("<<")
		for _, e := range p.dict.dict {
			fmt.Fprintf(&b, "/%s %s\n", e.key, e.val.raw)
		}
		if len(byPage[i+1]) > 0 {
			fmt.Fprintf(&b, "/StructParents %d\n", i)
		}
		b.WriteString("/Tabs /S\n>>")
		obj(p.num, b.String())
	}

	// The cross-reference section: one subsection per run of consecutive objects.
	xref := out.Len()
	var changed []int
	for n := range offsets {
		changed = append(changed, n)
	}
	slices.Sort(changed)
	out.WriteString("xref\n")
	for i := 0; i < len(changed); {
		j := i + 1
		for j < len(changed) && changed[j] == changed[j-1]+1 {
			j++
		}
		fmt.Fprintf(out, "%d %d\n", changed[i], j-i)
		for _, n := range changed[i:j] {
			fmt.Fprintf(out, "%010d 00000 n \n", offsets[n])
		}
		i = j
	}
	info, _ := d.trailer.get("Info")
	fmt.Fprintf(out, "trailer\n<</Size %d /Root %s /Info %s /Prev %d", max(next, d.size), ref(catalogNum), info.raw, d.xref)
	if id, ok := d.trailer.get("ID"); ok {
		fmt.Fprintf(out, " /ID %s", id.raw)
	}
	fmt.Fprintf(out, ">>\nstartxref\n%d\n%%%%EOF\n", xref)
	return out.Bytes(), nil
}

func parentNum(e *elem, tree int) int {
	if e.parent == nil {
		return tree
	}
	return e.parent.num
}
