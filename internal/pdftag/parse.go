package pdftag

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A narrow reader of the PDF files fpdf writes: a classic cross-reference table, direct
// dictionaries, one content stream per page (raw or FlateDecode). It parses what the update needs
// and refuses anything else; it is not a general PDF reader.

type kind int

const (
	kNull kind = iota
	kBool
	kNum
	kName
	kStr
	kHex
	kArr
	kDict
	kRef
	kKeyword
)

// value is a parsed PDF object. raw holds its exact bytes in the file, so that a dictionary can be
// written again with its values untouched.
type value struct {
	kind     kind
	raw      []byte
	text     string // a name without its slash, a keyword, a number
	arr      []value
	dict     []entry
	num, gen int // an indirect reference
}

type entry struct {
	key string
	val value
}

func (v value) get(key string) (value, bool) {
	for _, e := range v.dict {
		if e.key == key {
			return e.val, true
		}
	}
	return value{}, false
}

func (v value) int() (int, bool) {
	if v.kind != kNum {
		return 0, false
	}
	n, err := strconv.Atoi(v.text)
	return n, err == nil
}

type parser struct {
	b   []byte
	pos int
}

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf("pdftag: offset %d: %s", p.pos, fmt.Sprintf(format, a...))
}

// skip passes white space and comments.
func (p *parser) skip() {
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		switch {
		case isSpace(c):
			p.pos++
		case c == '%':
			for p.pos < len(p.b) && p.b[p.pos] != '\n' && p.b[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *parser) regular() string {
	start := p.pos
	for p.pos < len(p.b) && isRegular(p.b[p.pos]) {
		p.pos++
	}
	return string(p.b[start:p.pos])
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	digits, dot := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		case (c == '+' || c == '-') && i == 0:
		default:
			return false
		}
	}
	return digits > 0 && dot <= 1
}

func isInteger(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const maxDepth = 64

// value parses the next object; a keyword (an operator in a content stream, obj, endobj…) is
// returned as such.
func (p *parser) value(depth int) (value, error) {
	if depth > maxDepth {
		return value{}, p.errf("objects nested too deep")
	}
	p.skip()
	if p.pos >= len(p.b) {
		return value{}, p.errf("unexpected end of file")
	}
	start := p.pos
	done := func(v value) (value, error) {
		v.raw = p.b[start:p.pos]
		return v, nil
	}
	switch c := p.b[p.pos]; {
	case c == '<' && p.pos+1 < len(p.b) && p.b[p.pos+1] == '<':
		p.pos += 2
		v := value{kind: kDict}
		for {
			p.skip()
			if bytes.HasPrefix(p.b[p.pos:], []byte(">>")) {
				p.pos += 2
				return done(v)
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return value{}, err
			}
			if k.kind != kName {
				return value{}, p.errf("dictionary key is not a name")
			}
			val, err := p.value(depth + 1)
			if err != nil {
				return value{}, err
			}
			if val.kind == kKeyword {
				return value{}, p.errf("dictionary value %q is a keyword", val.text)
			}
			v.dict = append(v.dict, entry{k.text, val})
		}
	case c == '<':
		p.pos++
		for p.pos < len(p.b) && p.b[p.pos] != '>' {
			x := p.b[p.pos]
			if !isSpace(x) && !('0' <= x && x <= '9' || 'a' <= x && x <= 'f' || 'A' <= x && x <= 'F') {
				return value{}, p.errf("bad hexadecimal string")
			}
			p.pos++
		}
		if p.pos >= len(p.b) {
			return value{}, p.errf("unterminated hexadecimal string")
		}
		p.pos++
		return done(value{kind: kHex})
	case c == '[':
		p.pos++
		v := value{kind: kArr}
		for {
			p.skip()
			if p.pos < len(p.b) && p.b[p.pos] == ']' {
				p.pos++
				return done(v)
			}
			x, err := p.value(depth + 1)
			if err != nil {
				return value{}, err
			}
			if x.kind == kKeyword {
				return value{}, p.errf("array element %q is a keyword", x.text)
			}
			v.arr = append(v.arr, x)
		}
	case c == '(':
		p.pos++
		nest := 1
		for p.pos < len(p.b) && nest > 0 {
			switch p.b[p.pos] {
			case '\\':
				p.pos++
			case '(':
				nest++
			case ')':
				nest--
			}
			p.pos++
		}
		if nest > 0 {
			return value{}, p.errf("unterminated string")
		}
		return done(value{kind: kStr})
	case c == '/':
		p.pos++
		return done(value{kind: kName, text: p.regular()})
	case isDelim(c):
		return value{}, p.errf("unexpected %q", c)
	}
	s := p.regular()
	if isNumber(s) {
		if isInteger(s) {
			// An indirect reference: two unsigned integers and R.
			save := p.pos
			p.skip()
			if g := p.regular(); isInteger(g) {
				p.skip()
				if p.regular() == "R" {
					n, err1 := strconv.Atoi(s)
					gen, err2 := strconv.Atoi(g)
					if err1 != nil || err2 != nil {
						return value{}, p.errf("bad reference")
					}
					return done(value{kind: kRef, num: n, gen: gen})
				}
			}
			p.pos = save
		}
		return done(value{kind: kNum, text: s})
	}
	switch s {
	case "true", "false":
		return done(value{kind: kBool, text: s})
	case "null":
		return done(value{kind: kNull, text: s})
	}
	return done(value{kind: kKeyword, text: s})
}

// document is the original file: its objects' offsets and its trailer.
type document struct {
	b       []byte
	xref    int // offset of the cross-reference table
	offsets map[int]int
	size    int
	trailer value
	end     int // just after the trailer's dictionary
}

func readDocument(b []byte) (*document, error) {
	d := &document{b: b, offsets: map[int]int{}}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, errors.New("pdftag: not a PDF file")
	}
	i := bytes.LastIndex(b, []byte("startxref"))
	if i < 0 {
		return nil, errors.New("pdftag: no startxref")
	}
	p := &parser{b: b, pos: i + len("startxref")}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	x, ok := n.int()
	if !ok || x <= 0 || x >= len(b) {
		return nil, errors.New("pdftag: bad startxref")
	}
	for p.pos < len(b) && isSpace(b[p.pos]) {
		p.pos++
	}
	if !bytes.HasPrefix(b[p.pos:], []byte("%%EOF")) || len(bytes.TrimSpace(b[p.pos+5:])) > 0 {
		return nil, errors.New("pdftag: the file does not end with startxref and %%EOF")
	}
	if err := d.readXref(x); err != nil {
		return nil, err
	}
	return d, nil
}

// readXref reads the cross-reference table at x and its trailer.
func (d *document) readXref(x int) error {
	b := d.b
	d.xref = x
	p := &parser{b: b, pos: x}
	if p.regular() != "xref" {
		return p.errf("no cross-reference table at startxref (a cross-reference stream?)")
	}
	for {
		p.skip()
		w := p.regular()
		if w == "trailer" {
			break
		}
		first, err1 := strconv.Atoi(w)
		p.skip()
		count, err2 := strconv.Atoi(p.regular())
		if err1 != nil || err2 != nil || first < 0 || count < 0 || count > len(b)/20 {
			return p.errf("bad cross-reference subsection")
		}
		for k := 0; k < count; k++ {
			p.skip()
			if p.pos+18 > len(b) {
				return p.errf("truncated cross-reference table")
			}
			e := string(b[p.pos : p.pos+18])
			if e[10] != ' ' || e[16] != ' ' || !isInteger(e[:10]) || !isInteger(e[11:16]) {
				return p.errf("bad cross-reference entry %q", e)
			}
			off, _ := strconv.Atoi(e[:10])
			gen, _ := strconv.Atoi(e[11:16])
			switch e[17] {
			case 'n':
				if gen != 0 {
					return p.errf("object %d has generation %d", first+k, gen)
				}
				d.offsets[first+k] = off
			case 'f':
			default:
				return p.errf("bad cross-reference entry %q", e)
			}
			p.pos += 18
		}
	}
	t, err := p.value(0)
	if err != nil {
		return err
	}
	if t.kind != kDict {
		return p.errf("trailer is not a dictionary")
	}
	d.trailer = t
	if _, ok := t.get("Prev"); ok {
		return errors.New("pdftag: the file already has an incremental update")
	}
	if _, ok := t.get("Encrypt"); ok {
		return errors.New("pdftag: encrypted files are not supported")
	}
	sz, _ := t.get("Size")
	var ok bool
	if d.size, ok = sz.int(); !ok || d.size <= 0 {
		return errors.New("pdftag: trailer without /Size")
	}
	d.end = p.pos
	return nil
}

// object parses indirect object num; a stream's decoded data is returned too.
func (d *document) object(num int) (value, []byte, error) {
	off, ok := d.offsets[num]
	if !ok || off <= 0 || off >= len(d.b) {
		return value{}, nil, fmt.Errorf("pdftag: object %d is not in the cross-reference table", num)
	}
	p := &parser{b: d.b, pos: off}
	n, err1 := p.value(0)
	g, err2 := p.value(0)
	o, err3 := p.value(0)
	if err := errors.Join(err1, err2, err3); err != nil {
		return value{}, nil, err
	}
	if n.kind != kNum || n.text != strconv.Itoa(num) || g.kind != kNum || g.text != "0" || o.kind != kKeyword || o.text != "obj" {
		return value{}, nil, fmt.Errorf("pdftag: the cross-reference entry of object %d does not point at \"%d 0 obj\"", num, num)
	}
	v, err := p.value(0)
	if err != nil {
		return value{}, nil, err
	}
	if v.kind == kKeyword {
		return value{}, nil, fmt.Errorf("pdftag: object %d starts with keyword %q", num, v.text)
	}
	end, err := p.value(0)
	if err != nil {
		return value{}, nil, err
	}
	var data []byte
	if end.kind == kKeyword && end.text == "stream" {
		if v.kind != kDict {
			return value{}, nil, fmt.Errorf("pdftag: stream object %d without dictionary", num)
		}
		switch {
		case bytes.HasPrefix(d.b[p.pos:], []byte("\r\n")):
			p.pos += 2
		case bytes.HasPrefix(d.b[p.pos:], []byte("\n")):
			p.pos++
		default:
			return value{}, nil, fmt.Errorf("pdftag: object %d: no end of line after stream", num)
		}
		lv, _ := v.get("Length")
		length, ok := lv.int()
		if !ok || length < 0 || p.pos+length > len(d.b) {
			return value{}, nil, fmt.Errorf("pdftag: object %d: bad stream /Length", num)
		}
		data = d.b[p.pos : p.pos+length]
		p.pos += length
		if end, err = p.value(0); err != nil || end.kind != kKeyword || end.text != "endstream" {
			return value{}, nil, fmt.Errorf("pdftag: object %d: stream not followed by endstream", num)
		}
		if end, err = p.value(0); err != nil {
			return value{}, nil, err
		}
		if data, err = decode(v, data); err != nil {
			return value{}, nil, fmt.Errorf("pdftag: object %d: %w", num, err)
		}
	}
	if end.kind != kKeyword || end.text != "endobj" {
		return value{}, nil, fmt.Errorf("pdftag: object %d not followed by endobj", num)
	}
	return v, data, nil
}

func decode(dict value, data []byte) ([]byte, error) {
	f, ok := dict.get("Filter")
	if !ok {
		return data, nil
	}
	if _, ok := dict.get("DecodeParms"); ok || f.kind != kName || f.text != "FlateDecode" {
		return nil, fmt.Errorf("unsupported stream filter %s", f.raw)
	}
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 64<<20))
}

// marks is what a page's content stream holds: the MCIDs of its marked content in order.
type marks struct {
	mcids []int
}

// scanContent reads a content stream: marked content is well nested, every MCID is marked once,
// no marked content with an MCID is nested in another or in an artifact, and every painting
// operator is inside marked content with an MCID or an artifact.
func scanContent(b []byte) (marks, error) {
	var m marks
	p := &parser{b: b}
	var operands []value
	type mc struct{ tagged bool } // tagged: an MCID or an Artifact
	var stack []mc
	inside := func() bool {
		for _, s := range stack {
			if s.tagged {
				return true
			}
		}
		return false
	}
	for {
		p.skip()
		if p.pos >= len(b) {
			break
		}
		v, err := p.value(0)
		if err != nil {
			return m, err
		}
		if v.kind != kKeyword {
			operands = append(operands, v)
			continue
		}
		switch op := v.text; op {
		case "BMC", "BDC":
			if len(operands) == 0 || operands[0].kind != kName {
				return m, p.errf("%s without a tag", op)
			}
			tag := operands[0].text
			mcid := -1
			if op == "BDC" && len(operands) == 2 && operands[1].kind == kDict {
				if x, ok := operands[1].get("MCID"); ok {
					if mcid, ok = x.int(); !ok || mcid < 0 {
						return m, p.errf("bad MCID %s", x.raw)
					}
				}
			}
			tagged := tag == "Artifact" || mcid >= 0
			if tagged && inside() {
				return m, p.errf("marked content /%s inside tagged content", tag)
			}
			if mcid >= 0 {
				if tag == "Artifact" {
					return m, p.errf("an artifact with an MCID")
				}
				m.mcids = append(m.mcids, mcid)
			}
			stack = append(stack, mc{tagged})
		case "EMC":
			if len(stack) == 0 {
				return m, p.errf("EMC without BMC or BDC")
			}
			stack = stack[:len(stack)-1]
		case "BI", "ID", "EI":
			return m, p.errf("inline images are not supported")
		case "Tj", "TJ", "'", "\"", "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "sh":
			if !inside() {
				return m, p.errf("content painted by %q is neither tagged nor an artifact", op)
			}
		}
		operands = operands[:0]
	}
	if len(stack) != 0 {
		return m, errors.New("pdftag: marked content not closed at the end of a page")
	}
	return m, nil
}
