package pdftag

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// structure is what check reads back from a tagged file.
type structure struct {
	roles []string // the elements in document order, "H1", "P", "L/LI/LBody"…
	pages int
	text  map[string]int // roles by count
}

// check reads a file written by Finish with strict checks: the update's cross-reference entries
// point at their objects, the last trailer's catalog is tagged, and every MCID of the content
// streams has exactly one structure element and the reverse.
func check(t testing.TB, out []byte) structure {
	t.Helper()
	fail := func(format string, a ...any) structure {
		t.Helper()
		t.Fatalf(format, a...)
		return structure{}
	}
	// The update: its own xref section, parsed by hand.
	sx := bytes.LastIndex(out, []byte("startxref"))
	if sx < 0 {
		return fail("no startxref")
	}
	fields := strings.Fields(string(out[sx:]))
	if len(fields) != 3 || fields[2] != "%%EOF" {
		return fail("bad file end %q", out[sx:])
	}
	xref, err := strconv.Atoi(fields[1])
	if err != nil || xref <= 0 || xref >= len(out) || !bytes.HasPrefix(out[xref:], []byte("xref\n")) {
		return fail("startxref %q does not point at an xref", fields[1])
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
			return fail("bad subsection %q", w)
		}
		p.pos++ // end of line
		for k := range count {
			if p.pos+20 > len(out) {
				return fail("truncated xref")
			}
			e := string(out[p.pos : p.pos+20])
			if e[10] != ' ' || e[11:] != "00000 n \n" {
				return fail("bad xref entry %q", e)
			}
			off, err := strconv.Atoi(e[:10])
			if err != nil || off <= 0 || off >= xref || !bytes.HasPrefix(out[off:], fmt.Appendf(nil, "%d 0 obj\n", start+k)) {
				return fail("update xref: object %d at %d does not start with its header", start+k, off)
			}
			updated[start+k] = off
			p.pos += 20
		}
	}
	trailer, err := p.value(0)
	if err != nil || trailer.kind != kDict {
		return fail("update trailer: %v", err)
	}
	// The original file, from /Prev: its xref, its trailer, its end, before every updated object.
	prev, _ := trailer.get("Prev")
	orig := &document{b: out, offsets: map[int]int{}}
	if n, ok := prev.int(); !ok || orig.readXref(n) != nil {
		return fail("/Prev %s does not point at the original xref", prev.raw)
	}
	tail := fmt.Sprintf("\nstartxref\n%d\n%%%%EOF\n", orig.xref)
	if !bytes.HasPrefix(out[orig.end:], []byte(tail)) {
		return fail("the original trailer is not followed by its startxref")
	}
	first := orig.end + len(tail)
	for n, off := range orig.offsets {
		if off >= first || !bytes.HasPrefix(out[off:], fmt.Appendf(nil, "%d 0 obj", n)) {
			return fail("original xref: object %d at %d", n, off)
		}
	}
	offsets := map[int]int{}
	for n, o := range orig.offsets {
		offsets[n] = o
	}
	for n, o := range updated {
		if o < first {
			return fail("updated object %d inside the original file", n)
		}
		offsets[n] = o
	}
	size, _ := trailer.get("Size")
	if n, _ := size.int(); n <= orig.size-1 {
		return fail("/Size %s", size.raw)
	}
	for n := range offsets {
		if sz, _ := size.int(); n >= sz {
			return fail("object %d beyond /Size %d", n, sz)
		}
	}
	for _, k := range []string{"Info", "Root"} {
		a, _ := trailer.get(k)
		b, _ := orig.trailer.get(k)
		if a.kind != kRef || string(a.raw) != string(b.raw) {
			return fail("trailer /%s %s, was %s", k, a.raw, b.raw)
		}
	}
	d := &document{b: out, offsets: offsets}
	obj := func(v value) value {
		t.Helper()
		if v.kind != kRef {
			t.Fatalf("%s is not a reference", v.raw)
		}
		o, _, err := d.object(v.num)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	root, _ := trailer.get("Root")
	catalog := obj(root)
	for k, want := range map[string]string{"MarkInfo": "<</Marked true>>", "ViewerPreferences": "<</DisplayDocTitle true>>", "Lang": "(fr-FR)", "Type": "/Catalog"} {
		if v, _ := catalog.get(k); string(v.raw) != want {
			return fail("catalog /%s = %q, want %q", k, v.raw, want)
		}
	}
	info := obj(func() value { v, _ := trailer.get("Info"); return v }())
	if v, ok := info.get("Title"); !ok || len(v.raw) < 3 {
		return fail("no /Title in /Info")
	}
	treeRef, _ := catalog.get("StructTreeRoot")
	tree := obj(treeRef)
	if v, _ := tree.get("Type"); v.text != "StructTreeRoot" {
		return fail("StructTreeRoot /Type %s", v.raw)
	}
	pagesRef, _ := catalog.get("Pages")
	kids, _ := obj(pagesRef).get("Kids")
	pageIndex := map[int]int{} // page object → index
	var pageDicts []value
	for i, k := range kids.arr {
		pageIndex[k.num] = i
		pg := obj(k)
		if v, _ := pg.get("Tabs"); v.text != "S" {
			return fail("page %d without /Tabs /S", i+1)
		}
		pageDicts = append(pageDicts, pg)
	}
	// Walk the tree: every marked content reference by page and MCID.
	type key struct{ page, mcid int }
	owner := map[key]int{} // → element object number
	var s structure
	s.pages = len(kids.arr)
	s.text = map[string]int{}
	var walk func(ref value, parent int, path string)
	walk = func(ref value, parent int, path string) {
		e := obj(ref)
		if v, _ := e.get("P"); v.kind != kRef || v.num != parent {
			t.Fatalf("element %d: /P %s, want %d", ref.num, v.raw, parent)
		}
		role, _ := e.get("S")
		path += "/" + role.text
		s.roles = append(s.roles, strings.TrimPrefix(strings.TrimPrefix(path, "/Document"), "/"))
		s.text[role.text]++
		pg, hasPg := e.get("Pg")
		k, _ := e.get("K")
		for _, x := range k.arr {
			switch x.kind {
			case kNum:
				if !hasPg {
					t.Fatalf("element %d has an MCID without /Pg", ref.num)
				}
				n, _ := x.int()
				kk := key{pageIndex[pg.num], n}
				if _, ok := pageIndex[pg.num]; !ok {
					t.Fatalf("element %d: /Pg %s is not a page", ref.num, pg.raw)
				}
				if _, dup := owner[kk]; dup {
					t.Fatalf("MCID %v has two elements", kk)
				}
				owner[kk] = ref.num
			case kDict:
				mpg, _ := x.get("Pg")
				mid, _ := x.get("MCID")
				n, ok := mid.int()
				if _, isPage := pageIndex[mpg.num]; !ok || !isPage {
					t.Fatalf("bad MCR %s", x.raw)
				}
				kk := key{pageIndex[mpg.num], n}
				if _, dup := owner[kk]; dup {
					t.Fatalf("MCID %v has two elements", kk)
				}
				owner[kk] = ref.num
			case kRef:
				walk(x, ref.num, path)
			default:
				t.Fatalf("element %d: kid %s", ref.num, x.raw)
			}
		}
	}
	top, _ := tree.get("K")
	if len(top.arr) != 1 {
		return fail("StructTreeRoot /K %s", top.raw)
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
			t.Fatal(err)
		}
		m, err := scanContent(data)
		if err != nil {
			return fail("page %d: %v", i+1, err)
		}
		sp, has := pg.get("StructParents")
		if len(m.mcids) > 0 && !has {
			return fail("page %d has marked content and no /StructParents", i+1)
		}
		idx, _ := sp.int()
		for _, id := range m.mcids {
			el, ok := owner[key{i, id}]
			if !ok {
				return fail("page %d MCID %d has no element", i+1, id)
			}
			if list := parents[idx]; id >= len(list) || list[id].num != el {
				return fail("page %d MCID %d: parent tree says %v, element %d", i+1, id, parents[idx], el)
			}
			seen++
		}
	}
	if seen != len(owner) {
		return fail("%d MCIDs in the tree, %d in the pages", len(owner), seen)
	}
	return s
}

// tool finds a command of poppler-utils or qpdf: without it the test is skipped on a developer's
// machine and fails when CI or PARCOURS_TEST_POSTGRES_REQUIRED says everything must run.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " not found: install qpdf and poppler-utils (scripts/pdftools.sh)"
	if os.Getenv("PARCOURS_TEST_POSTGRES_REQUIRED") != "" || os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// external checks the file with qpdf --check and reads it with pdfinfo and pdftotext; it returns
// the text and pdfinfo's report.
func external(t testing.TB, out []byte) (text, info, structText string) {
	t.Helper()
	qpdf, pdfinfo, pdftotext := tool(t, "qpdf"), tool(t, "pdfinfo"), tool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		b, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
		return string(b)
	}
	if r := run(qpdf, "--check", path); !strings.Contains(r, "No syntax or stream encoding errors") || strings.Contains(r, "WARNING") {
		t.Fatalf("qpdf --check:\n%s", r)
	}
	info = run(pdfinfo, path)
	if strings.Contains(info, "Syntax Error") || !regexp.MustCompile(`(?m)^Tagged: +yes$`).MatchString(info) {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	structText = run(pdfinfo, "-struct-text", path)
	text = run(pdftotext, "-enc", "UTF-8", path, "-")
	return text, info, structText
}
