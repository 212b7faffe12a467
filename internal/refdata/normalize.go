package refdata

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds s into the form that search compares: lower case, accents removed, ligatures
// spelt out (œ → oe), and every run of characters that is neither a letter nor a digit
// (hyphens, apostrophes, slashes, brackets, spaces) turned into one space, without leading or
// trailing space. People type "saint etienne", "Saint-Etienne" or "ST ÉTIENNE" for the same
// place; comparing folded forms makes them equal without asking users to get diacritics right.
//
// Normalize(Normalize(s)) == Normalize(s) for every s, which the fuzz test checks.
func Normalize(s string) string {
	return string(appendFolded(make([]byte, 0, len(s)), s))
}

// tokens splits s into normalised words.
func tokens(s string) []string {
	return strings.Fields(Normalize(s))
}

// ligatures are letters that Unicode does not decompose but French readers treat as two
// letters (œ in "cœur", æ in "Lætitia") or as a plain letter with a stroke.
func ligature(r rune) (string, bool) {
	switch r {
	case 'œ', 'Œ':
		return "oe", true
	case 'æ', 'Æ':
		return "ae", true
	case 'ß', 'ẞ':
		return "ss", true
	case 'ø', 'Ø':
		return "o", true
	case 'ł', 'Ł':
		return "l", true
	case 'đ', 'Đ':
		return "d", true
	case 'ı':
		return "i", true
	}
	return "", false
}

// appendFolded appends the normalised form of s to dst. ASCII, which is nearly all of the
// reference data and of what people type, takes a byte path; other characters go through
// compatibility decomposition (NFKD), which splits "é" into "e" and a combining accent and "ﬁ"
// into "fi", and the combining marks are dropped.
func appendFolded(dst []byte, s string) []byte {
	f := folder{dst: dst, start: len(dst)}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			f.ascii(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		f.rune(r, false)
		i += size
	}
	return f.dst
}

// folder accumulates folded output. A separator is only remembered (space) and written before
// the next letter, so runs collapse and nothing trails.
type folder struct {
	dst   []byte
	start int
	space bool
}

func (f *folder) emitByte(c byte) {
	if f.space && len(f.dst) > f.start {
		f.dst = append(f.dst, ' ')
	}
	f.space = false
	f.dst = append(f.dst, c)
}

func (f *folder) ascii(c byte) {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		f.emitByte(c)
	case 'A' <= c && c <= 'Z':
		f.emitByte(c + 'a' - 'A')
	default:
		f.space = true
	}
}

// rune folds one non-ASCII character; decomposed says r already comes out of NFKD, so that
// decomposing again cannot loop.
func (f *folder) rune(r rune, decomposed bool) {
	switch {
	case r < utf8.RuneSelf:
		f.ascii(byte(r))
		return
	case unicode.Is(unicode.Mn, r):
		// A combining accent left by decomposition (or typed on its own): drop it.
		return
	}
	if lig, ok := ligature(r); ok {
		for i := 0; i < len(lig); i++ {
			f.emitByte(lig[i])
		}
		return
	}
	if !decomposed {
		// The table's full decomposition, without allocating.
		var buf [utf8.UTFMax]byte
		if d := norm.NFKD.Properties(buf[:utf8.EncodeRune(buf[:], r)]).Decomposition(); d != nil {
			for len(d) > 0 {
				dr, size := utf8.DecodeRune(d)
				f.rune(dr, true)
				d = d[size:]
			}
			return
		}
	}
	if lower := unicode.ToLower(r); lower != r {
		// Lowering can land on a letter that decomposes or is a ligature (ẞ → ß).
		f.rune(lower, false)
		return
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		if f.space && len(f.dst) > f.start {
			f.dst = append(f.dst, ' ')
		}
		f.space = false
		f.dst = utf8.AppendRune(f.dst, r)
		return
	}
	f.space = true
}
