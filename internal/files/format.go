package files

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
)

// Format is a kind of content the platform accepts, decided by the bytes (Sniff), never by the
// name's extension or by the Content-Type the browser sent.
type Format string

// The accepted formats.
const (
	PDF  Format = "pdf"
	JPEG Format = "jpeg"
	PNG  Format = "png"
)

// MediaType is the format's IANA media type, sent as Content-Type on download.
func (f Format) MediaType() string {
	switch f {
	case PDF:
		return "application/pdf"
	case JPEG:
		return "image/jpeg"
	case PNG:
		return "image/png"
	}
	return "application/octet-stream"
}

// Label names the format in a French sentence: "un PDF", "une image JPEG".
func (f Format) Label() string {
	switch f {
	case PDF:
		return "un PDF"
	case JPEG:
		return "une image JPEG"
	case PNG:
		return "une image PNG"
	}
	return "un fichier"
}

// Extension is the extension given to a stored name that has none.
func (f Format) Extension() string {
	switch f {
	case JPEG:
		return ".jpg"
	case "":
		return ""
	}
	return "." + string(f)
}

// matchesExtension tells whether ext (lower case, with its dot) names format f.
func (f Format) matchesExtension(ext string) bool {
	switch f {
	case PDF:
		return ext == ".pdf"
	case JPEG:
		return ext == ".jpg" || ext == ".jpeg" || ext == ".jpe" || ext == ".jfif"
	case PNG:
		return ext == ".png"
	}
	return false
}

func (f Format) valid() bool {
	switch f {
	case PDF, JPEG, PNG:
		return true
	}
	return false
}

// Sniff decides the format of content from its bytes: the signature at the start and a
// structural check of the whole, so that a file merely starting with the right magic bytes
// (a renamed executable, a truncated upload, another file with a PDF header glued on) is not
// taken for one. ok is false when content is none of the formats.
//
//   - PDF: "%PDF-" and a version digit at offset 0, and "%%EOF" within the last 1024 bytes
//     (ISO 32000-1 §7.5.5; readers look for it there).
//   - JPEG: SOI (FF D8 FF), then well-formed marker segments up to the first SOS with a frame
//     header (SOFn) of non-zero size before it, and EOI (FF D9) as the last bytes (zero
//     padding after it tolerated). Data appended after EOI is refused: such polyglots are how
//     a "photo" carries an archive or a script.
//   - PNG: the 8-byte signature, IHDR first with a non-zero size and a valid CRC, every chunk
//     well-formed with a valid CRC, and IEND as the very last chunk.
func Sniff(content []byte) (Format, bool) {
	switch {
	case isPDF(content):
		return PDF, true
	case isJPEG(content):
		return JPEG, true
	case isPNG(content):
		return PNG, true
	}
	return "", false
}

// pdfTail is how far from the end a PDF's %%EOF may be.
const pdfTail = 1024

func isPDF(b []byte) bool {
	if len(b) < len("%PDF-1.0\n%%EOF") || !bytes.HasPrefix(b, []byte("%PDF-")) {
		return false
	}
	if v := b[5]; v < '1' || v > '2' || b[6] != '.' {
		return false
	}
	tail := b[max(0, len(b)-pdfTail):]
	return bytes.Contains(tail, []byte("%%EOF"))
}

// JPEG markers (ITU-T T.81 table B.1).
const (
	jpegSOI = 0xD8
	jpegEOI = 0xD9
	jpegSOS = 0xDA
	jpegTEM = 0x01
)

func isSOF(m byte) bool {
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC
}

func isJPEG(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1] != jpegSOI || b[2] != 0xFF {
		return false
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	if end < 4 || b[end-2] != 0xFF || b[end-1] != jpegEOI {
		return false
	}
	frame := false
	i := 2
	for {
		if i >= end-2 || b[i] != 0xFF {
			return false
		}
		// Any number of fill bytes may precede a marker (B.1.1.2).
		for i < end-2 && b[i] == 0xFF {
			i++
		}
		m := b[i]
		i++
		switch {
		case m == 0x00 || m == jpegSOI || m == jpegEOI:
			return false
		case m == jpegTEM || (m >= 0xD0 && m <= 0xD7):
			continue // standalone markers, no length
		}
		if i+2 > end {
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > end-2 {
			return false
		}
		if isSOF(m) {
			// Lf(2) P(1) Y(2) X(2) Nf(1): X and Nf must be non-zero (Y may be set later by DNL).
			if n < 8 || binary.BigEndian.Uint16(b[i+5:]) == 0 || b[i+7] == 0 {
				return false
			}
			frame = true
		}
		i += n
		if m == jpegSOS {
			// Entropy-coded data and further segments follow, up to the EOI checked above.
			return frame
		}
	}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func isPNG(b []byte) bool {
	if !bytes.HasPrefix(b, pngSignature) {
		return false
	}
	i := len(pngSignature)
	first := true
	for i+12 <= len(b) {
		n := binary.BigEndian.Uint32(b[i:])
		if n > 1<<31-1 || uint64(i)+12+uint64(n) > uint64(len(b)) {
			return false
		}
		typ := b[i+4 : i+8]
		data := b[i+8 : i+8+int(n)]
		crc := binary.BigEndian.Uint32(b[i+8+int(n):])
		if !chunkType(typ) || crc32.Checksum(b[i+4:i+8+int(n)], crc32.IEEETable) != crc {
			return false
		}
		name := string(typ)
		if first {
			if name != "IHDR" || n != 13 || binary.BigEndian.Uint32(data) == 0 || binary.BigEndian.Uint32(data[4:]) == 0 {
				return false
			}
			first = false
		}
		i += 12 + int(n)
		if name == "IEND" {
			return n == 0 && i == len(b)
		}
	}
	return false
}

// chunkType tells whether t is four ASCII letters, as PNG chunk types are.
func chunkType(t []byte) bool {
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// labels joins the formats' labels the French way: "un PDF, une image JPEG ou une image PNG".
func labels(fs []Format) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Label()
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " ou " + parts[len(parts)-1]
}
