package files

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxNameRunes bounds a stored name: enough for any real document title, short enough for a
// list and for the Content-Disposition header.
const maxNameRunes = 120

// defaultStem replaces a name that sanitising leaves empty.
const defaultStem = "document"

// SanitizeName returns name made safe to show and to send back in Content-Disposition:
//
//   - only the last element of a path is kept ("C:\fakepath\cv.pdf" and "../../cv.pdf" give
//     "cv.pdf"); slashes and backslashes never remain;
//   - invalid UTF-8, control characters, format characters (such as the right-to-left
//     override that makes "fdp.exe" show as "exe.pdf") and line separators are removed;
//   - double quotes are removed and the ASCII apostrophe becomes the typographic one (’), so
//     that no quote reaches a header or an attribute; the characters Windows forbids in names
//     (< > : * ? |) become "_";
//   - white space runs become one space; spaces and dots are trimmed at both ends, so that
//     neither "." nor ".." nor a hidden ".name" can come out;
//   - the result is in Unicode NFC, at most 120 characters (the extension is kept when the stem
//     is shortened), and never empty ("document").
//
// SanitizeName is idempotent: a sanitised name comes out unchanged.
func SanitizeName(name string) string {
	name = cleanName(name)
	if name == "" {
		name = defaultStem
	}
	if reservedOnWindows(name) {
		name = "_" + name
	}
	// Cutting at a character may leave a sequence that NFC writes differently (rarely longer):
	// repeat both until neither changes anything, so that SanitizeName stays idempotent.
	for range 4 {
		prev := name
		name = norm.NFC.String(truncateName(name))
		if name == prev {
			break
		}
	}
	return name
}

// truncateName shortens name to maxNameRunes, keeping a short extension.
func truncateName(name string) string {
	if utf8.RuneCountInString(name) <= maxNameRunes {
		return name
	}
	ext := path.Ext(name)
	if utf8.RuneCountInString(ext) > 10 {
		ext = ""
	}
	stem := []rune(strings.TrimSuffix(name, ext))
	return trimName(string(stem[:maxNameRunes-utf8.RuneCountInString(ext)])) + ext
}

// cleanName keeps the last path element, removes what must never be shown or sent, and
// normalises spaces and quotes.
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(name)
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r),
			unicode.Is(unicode.Cs, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r), r == '"':
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch r {
		case '\'':
			r = '’'
		case '<', '>', ':', '*', '?', '|':
			r = '_'
		}
		b.WriteRune(r)
	}
	return trimName(b.String())
}

func trimName(s string) string {
	return strings.Trim(s, " .")
}

// reservedOnWindows tells whether name (before its first dot) is a device name Windows will not
// save a file under.
func reservedOnWindows(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	switch strings.ToUpper(strings.TrimSpace(stem)) {
	case "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// ContentDisposition returns the Content-Disposition value of a download of a file named name:
// always "attachment" (the browser saves, never renders, what a person uploaded), with the
// name sanitised. An ASCII name goes in filename="…"; any other also gets filename*, UTF-8
// percent-encoded (RFC 6266 §4.3, RFC 8187), with an ASCII fallback in filename for old
// clients (accents dropped, other characters replaced by "_").
func ContentDisposition(name string) string {
	name = SanitizeName(name)
	fallback := asciiFallback(name)
	v := `attachment; filename="` + fallback + `"`
	if fallback != name {
		v += "; filename*=UTF-8''" + percentEncode(name)
	}
	return v
}

// asciiFallback drops accents (é → e) and replaces every other non-ASCII character by "_".
func asciiFallback(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '’':
			b.WriteByte('\'')
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// percentEncode encodes s as RFC 8187 value-chars: attr-char stays, every other byte is %XX.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// isAttrChar is RFC 8187's attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~".
func isAttrChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
