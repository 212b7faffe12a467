package files_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"parcours/internal/fault"
	"parcours/internal/files"
)

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

func TestSniff(t *testing.T) {
	pdf, jpg, png := pdfWith("bonjour"), jpegBytes(t), pngBytes(t)
	// A PNG whose IHDR is rewritten with a wrong CRC.
	badCRC := bytes.Clone(png)
	badCRC[8+8+4+12] ^= 0xff
	// A PNG with a chunk (correctly encoded) after IEND.
	afterIEND := append(bytes.Clone(png), pngChunk("tEXt", []byte("x"))...)
	zeroWidth := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", make([]byte, 13))...)
	zeroWidth = append(zeroWidth, pngChunk("IEND", nil)...)
	cases := []struct {
		name    string
		content []byte
		want    files.Format
	}{
		{"pdf", pdf, files.PDF},
		{"pdf with trailing newlines", append(bytes.Clone(pdf), "\r\n\r\n"...), files.PDF},
		{"pdf 2.0", []byte("%PDF-2.0\n%%EOF"), files.PDF},
		{"pdf without %%EOF", []byte("%PDF-1.4\n1 0 obj\nendobj\n"), ""},
		{"pdf truncated", pdf[:len(pdf)/2], ""},
		{"pdf with %%EOF far from the end", append(bytes.Clone(pdf), bytes.Repeat([]byte("A"), 2000)...), ""},
		{"pdf header not at the start", append([]byte("MZ"), pdf...), ""},
		{"pdf bad version", []byte("%PDF-x.4\n%%EOF"), ""},
		{"jpeg", jpg, files.JPEG},
		{"jpeg with zero padding", append(bytes.Clone(jpg), 0, 0, 0), files.JPEG},
		{"jpeg truncated", jpg[:len(jpg)-10], ""},
		{"jpeg with a zip appended", append(bytes.Clone(jpg), "PK\x03\x04 archive"...), ""},
		{"jpeg magic only", []byte{0xFF, 0xD8, 0xFF, 0xD9}, ""},
		{"jpeg magic then garbage then EOI", append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 'x', 'y'}, 0xFF, 0xD9), ""},
		{"png", png, files.PNG},
		{"png bad crc", badCRC, ""},
		{"png data after IEND", afterIEND, ""},
		{"png truncated", png[:len(png)-4], ""},
		{"png zero width", zeroWidth, ""},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), ""},
		{"exe", []byte("MZ\x90\x00\x03\x00\x00\x00PE\x00\x00"), ""},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), ""},
		{"empty", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := files.Sniff(c.content)
			if got != c.want || ok != (c.want != "") {
				t.Fatalf("Sniff = %q, %v; want %q", got, ok, c.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	pdf, jpg, png := pdfWith("bonjour"), jpegBytes(t), pngBytes(t)
	cases := []struct {
		name     string
		content  []byte
		filename string
		rules    files.Rules
		wantName string // when accepted
		wantMsg  string // the field's message when refused
	}{
		{"pdf", pdf, "CV Agnès.pdf", cvRules, "CV Agnès.pdf", ""},
		{"pdf upper-case extension", pdf, "CV.PDF", cvRules, "CV.PDF", ""},
		{"pdf without extension", pdf, "CV", cvRules, "CV.pdf", ""},
		{"pdf with a dot that is no extension", pdf, "Rapport v1.2", cvRules, "Rapport v1.2.pdf", ""},
		{"pdf with an initial", pdf, "CV J. Dupont", cvRules, "CV J. Dupont.pdf", ""},
		{"pdf from a Windows path", pdf, `C:\fakepath\cv.pdf`, cvRules, "cv.pdf", ""},
		{"pdf with traversal", pdf, "../../etc/cv.pdf", cvRules, "cv.pdf", ""},
		{"jpeg", jpg, "photo.jpeg", docRules, "photo.jpeg", ""},
		{"jpeg .jpg", jpg, "photo.JPG", docRules, "photo.JPG", ""},
		{"png without extension", png, "scan", docRules, "scan.png", ""},
		{"html named pdf", []byte("<html><script>alert(1)</script></html>"), "cv.pdf", cvRules, "", "Le fichier doit être un PDF."},
		{"png where only pdf", png, "cv.png", cvRules, "", "Le fichier doit être un PDF."},
		{"nothing accepted", []byte("MZ"), "x.exe", docRules, "", "Le fichier doit être un PDF, une image JPEG ou une image PNG."},
		{"png named pdf", png, "attestation.pdf", docRules, "", "Le nom du fichier se termine par .pdf mais son contenu est une image PNG : renommez-le en .png ou envoyez le bon fichier."},
		{"pdf named exe", pdf, "cv.exe", cvRules, "", "Le nom du fichier se termine par .exe mais son contenu est un PDF : renommez-le en .pdf ou envoyez le bon fichier."},
		{"pdf named html", pdf, "cv.html", cvRules, "", "Le nom du fichier se termine par .html mais son contenu est un PDF : renommez-le en .pdf ou envoyez le bon fichier."},
		{"pdf with a double extension", pdf, "cv.pdf.exe", cvRules, "", "Le nom du fichier se termine par .exe mais son contenu est un PDF : renommez-le en .pdf ou envoyez le bon fichier."},
		{"empty", nil, "cv.pdf", cvRules, "", "Le fichier est vide."},
		{"too big", pdfOfSize(5<<20 + 1), "cv.pdf", cvRules, "", "Le fichier dépasse 5 Mo."},
		{"too big for 10", pdfOfSize(10<<20 + 1), "cv.pdf", docRules, "", "Le fichier dépasse 10 Mo."},
		{"at the limit", pdfOfSize(5 << 20), "cv.pdf", cvRules, "cv.pdf", ""},
		{"small limit", pdfOfSize(2000), "cv.pdf", files.Rules{Field: "f", Formats: []files.Format{files.PDF}, MaxSize: 1536}, "", "Le fichier dépasse 2 Ko."},
		{"one and a half", pdfOfSize(2 << 20), "cv.pdf", files.Rules{Field: "f", Formats: []files.Format{files.PDF}, MaxSize: 3 << 19}, "", "Le fichier dépasse 1,5 Mo."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, err := files.Check(bytes.NewReader(c.content), c.filename, c.rules)
			if c.wantMsg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if up.Name() != c.wantName || up.SHA256() != sha256.Sum256(c.content) || up.Field() != c.rules.Field || up.Scan() != "" {
					t.Fatalf("upload = %q (%d bytes, field %q), want %q", up.Name(), up.Size(), up.Field(), c.wantName)
				}
				return
			}
			if !errors.Is(err, fault.Invalid) {
				t.Fatalf("error %v is not fault.Invalid", err)
			}
			if got := fault.FieldsOf(err)[c.rules.Field]; got != c.wantMsg {
				t.Fatalf("message on %q = %q, want %q", c.rules.Field, got, c.wantMsg)
			}
		})
	}
}

// Check reads no more than the limit and one byte, however long the sender's stream.
func TestCheckReadsBoundedly(t *testing.T) {
	r := &countingReader{}
	_, err := files.Check(r, "cv.pdf", cvRules)
	if fault.FieldsOf(err)["cv"] != "Le fichier dépasse 5 Mo." {
		t.Fatalf("err = %v", err)
	}
	if r.n > 5<<20+1+64<<10 {
		t.Fatalf("read %d bytes of an endless stream", r.n)
	}
}

type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	r.n += len(p)
	return len(p), nil
}

func TestCheckRefusesBadRules(t *testing.T) {
	for _, rules := range []files.Rules{
		{},
		{Field: "cv", MaxSize: 1 << 20},
		{Field: "cv", Formats: []files.Format{files.PDF}},
		{Field: "cv", Formats: []files.Format{files.PDF}, MaxSize: files.MaxSize + 1},
		{Field: "cv", Formats: []files.Format{"gif"}, MaxSize: 1 << 20},
	} {
		_, err := files.Check(strings.NewReader("%PDF-1.4\n%%EOF"), "cv.pdf", rules)
		if !errors.Is(err, fault.Invalid) || fault.FieldsOf(err) != nil {
			t.Errorf("rules %+v: err = %v, want a plain fault.Invalid", rules, err)
		}
	}
}

func TestFormatLabels(t *testing.T) {
	for _, c := range []struct {
		f                  files.Format
		media, label, exte string
	}{
		{files.PDF, "application/pdf", "un PDF", ".pdf"},
		{files.JPEG, "image/jpeg", "une image JPEG", ".jpg"},
		{files.PNG, "image/png", "une image PNG", ".png"},
	} {
		if c.f.MediaType() != c.media || c.f.Label() != c.label || c.f.Extension() != c.exte {
			t.Errorf("%s: %s %s %s", c.f, c.f.MediaType(), c.f.Label(), c.f.Extension())
		}
	}
}
