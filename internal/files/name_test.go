package files_test

import (
	"mime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"parcours/internal/files"
)

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("é", 200) + ".pdf"
	cases := []struct{ in, want string }{
		{"cv.pdf", "cv.pdf"},
		{"CV Agnès Élodie.pdf", "CV Agnès Élodie.pdf"},
		{"Cafe\u0301.pdf", "Café.pdf"}, // NFD from macOS becomes NFC
		{"../../../etc/passwd", "passwd"},
		{`..\..\windows\system32\cv.pdf`, "cv.pdf"},
		{`C:\fakepath\lettre.pdf`, "lettre.pdf"},
		{"..", "document"},
		{".", "document"},
		{"", "document"},
		{"/", "document"},
		{".bashrc", "bashrc"},
		{"cv.pdf.", "cv.pdf"},
		{"  cv   final .pdf  ", "cv final .pdf"},
		// The line break goes, and the slash is a path separator: only what follows it stays.
		{"cv\r\nContent-Type: text/html.pdf", "html.pdf"},
		{"a\x00b\x1fc\x7f.pdf", "abc.pdf"},
		{"fdp\u202egnp.exe", "fdpgnp.exe"}, // right-to-left override removed
		{"zero\u200bwidth.pdf", "zerowidth.pdf"},
		{"line\u2028sep.pdf", "linesep.pdf"},
		{`say "hello".pdf`, "say hello.pdf"},
		{"lettre d'engagement.pdf", "lettre d’engagement.pdf"},
		{"a<b>c:d*e?f|g.pdf", "a_b_c_d_e_f_g.pdf"},
		{"CON.pdf", "_CON.pdf"},
		{"lpt1", "_lpt1"},
		{"console.pdf", "console.pdf"},
		{"bad\xff\xfeutf8.pdf", "badutf8.pdf"},
		{"tab\there.pdf", "tabhere.pdf"},
		{"nbsp\u00a0here.pdf", "nbsp here.pdf"},
		{long, strings.Repeat("é", 116) + ".pdf"},
	}
	for _, c := range cases {
		got := files.SanitizeName(c.in)
		if got != c.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := files.SanitizeName(got); again != got {
			t.Errorf("SanitizeName not idempotent on %q: %q", got, again)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	cases := []struct{ name, want string }{
		{"cv.pdf", `attachment; filename="cv.pdf"`},
		{"CV Agnès.pdf", `attachment; filename="CV Agnes.pdf"; filename*=UTF-8''CV%20Agn%C3%A8s.pdf`},
		{"lettre d'engagement.pdf", `attachment; filename="lettre d'engagement.pdf"; filename*=UTF-8''lettre%20d%E2%80%99engagement.pdf`},
		{`"quoted"; filename=evil.exe`, `attachment; filename="quoted; filename=evil.exe"`},
		{"日本語.pdf", `attachment; filename="___.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf`},
	}
	for _, c := range cases {
		if got := files.ContentDisposition(c.name); got != c.want {
			t.Errorf("ContentDisposition(%q) = %s, want %s", c.name, got, c.want)
		}
	}
}

// checkName is the property every sanitised name has (security.md target 12: no path
// traversal among fuzzed names).
func checkName(t *testing.T, in, got string) {
	t.Helper()
	switch {
	case got == "" || got == "." || got == "..":
		t.Fatalf("SanitizeName(%q) = %q", in, got)
	case strings.ContainsAny(got, "/\\\"<>:*?|"):
		t.Fatalf("SanitizeName(%q) = %q holds a separator, a quote or a reserved character", in, got)
	case strings.HasPrefix(got, ".") || strings.HasPrefix(got, " ") || strings.HasSuffix(got, ".") || strings.HasSuffix(got, " "):
		t.Fatalf("SanitizeName(%q) = %q starts or ends with a dot or a space", in, got)
	case !utf8.ValidString(got) || !norm.NFC.IsNormalString(got):
		t.Fatalf("SanitizeName(%q) = %q is not valid NFC UTF-8", in, got)
	case utf8.RuneCountInString(got) > 120:
		t.Fatalf("SanitizeName(%q) = %q is %d characters long", in, got, utf8.RuneCountInString(got))
	}
	for _, r := range got {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') || r == utf8.RuneError {
			t.Fatalf("SanitizeName(%q) = %q holds %U", in, got, r)
		}
	}
	if again := files.SanitizeName(got); again != got {
		t.Fatalf("SanitizeName is not idempotent: %q → %q → %q", in, got, again)
	}
}

// checkDisposition: the header is printable ASCII, parses back, and names the sanitised file.
func checkDisposition(t *testing.T, in, name string) {
	t.Helper()
	h := files.ContentDisposition(in)
	for i := 0; i < len(h); i++ {
		if h[i] < 0x20 || h[i] > 0x7e {
			t.Fatalf("ContentDisposition(%q) = %q holds byte %#x", in, h, h[i])
		}
	}
	disp, params, err := mime.ParseMediaType(h)
	if err != nil || disp != "attachment" {
		t.Fatalf("ContentDisposition(%q) = %q does not parse: %v", in, h, err)
	}
	if params["filename"] != name {
		t.Fatalf("ContentDisposition(%q) = %q: a client reads %q, want %q", in, h, params["filename"], name)
	}
	if len(params) != 1 {
		t.Fatalf("ContentDisposition(%q) = %q has parameters %v", in, h, params)
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"cv.pdf", "../../etc/passwd", `..\..\x`, "..", ".", "", "a\x00b", "fdp\u202egnp.exe",
		"CON", "Cafe\u0301", strings.Repeat("é", 130) + ".pdf", "\u0344\u0344", "a\u200d\u0301", `"; filename*=x`,
		strings.Repeat("a", 119) + "\u0301\u0301", "x." + strings.Repeat("b", 150), "CON." + strings.Repeat("x", 130)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := files.SanitizeName(in)
		checkName(t, in, got)
		checkDisposition(t, in, got)
	})
}
