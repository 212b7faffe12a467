package files_test

import (
	"bytes"
	"crypto/sha256"
	"path"
	"strings"
	"testing"

	"parcours/internal/files"
)

var pngEnd = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82}

// FuzzSniff: arbitrary bytes never panic the sniffer, and what it accepts has the format's
// signature at the start and its end marker at the end.
func FuzzSniff(f *testing.F) {
	f.Add(pdfWith("x"))
	f.Add(jpegBytes(f))
	f.Add(pngBytes(f))
	f.Add([]byte("%PDF-1.4\n%%EOF"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD9})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x08, 8, 0, 1, 0, 1, 1, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		format, ok := files.Sniff(b)
		if !ok {
			if format != "" {
				t.Fatalf("refused with format %q", format)
			}
			return
		}
		trimmed := bytes.TrimRight(b, "\x00")
		switch format {
		case files.PDF:
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[max(0, len(b)-1024):], []byte("%%EOF")) {
				t.Fatalf("accepted as PDF: %q", b)
			}
		case files.JPEG:
			if !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) || !bytes.HasSuffix(trimmed, []byte{0xFF, 0xD9}) {
				t.Fatalf("accepted as JPEG: %x", b)
			}
		case files.PNG:
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || !bytes.HasSuffix(b, pngEnd) {
				t.Fatalf("accepted as PNG: %x", b)
			}
		default:
			t.Fatalf("unknown format %q", format)
		}
	})
}

// FuzzCheck: whatever the content and the name, Check never panics, and an accepted upload's
// name is sanitised and ends with an extension of the format the content has (security.md
// target 12: no file accepted whose extension and magic bytes disagree).
func FuzzCheck(f *testing.F) {
	f.Add(pdfWith("x"), "cv.pdf")
	f.Add(pdfWith("x"), "cv.png")
	f.Add(pdfWith("x"), "../../cv")
	f.Add(jpegBytes(f), "photo.jpeg")
	f.Add(pngBytes(f), "scan.PNG")
	f.Add(pngBytes(f), "scan.pdf")
	f.Add([]byte("MZ"), "x.exe")
	f.Fuzz(func(t *testing.T, content []byte, name string) {
		up, err := files.Check(bytes.NewReader(content), name, docRules)
		if err != nil {
			return
		}
		sniffed, ok := files.Sniff(content)
		if !ok || sniffed != up.Format() || up.SHA256() != sha256.Sum256(content) {
			t.Fatalf("accepted %q as %s, content sniffs as %q", name, up.Format(), sniffed)
		}
		ext := strings.ToLower(path.Ext(up.Name()))
		want := map[files.Format][]string{files.PDF: {".pdf"}, files.JPEG: {".jpg", ".jpeg", ".jpe", ".jfif"}, files.PNG: {".png"}}[up.Format()]
		found := false
		for _, w := range want {
			found = found || ext == w
		}
		if !found {
			t.Fatalf("accepted %q as %s under the name %q", name, up.Format(), up.Name())
		}
		checkName(t, name, up.Name())
	})
}
