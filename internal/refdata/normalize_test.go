package refdata

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Saint-Étienne":   "saint etienne",
		"  ST  ÉTIENNE  ": "st etienne",
		"L'Haÿ-les-Roses": "l hay les roses",
		"Œuvre":           "oeuvre",
		"cœur":            "coeur",
		"Lætitia":         "laetitia",
		"Garçon":          "garcon",
		"Boulanger-pâtissier / Boulangère-pâtissière": "boulanger patissier boulangere patissiere",
		"Accastilleur(se)-monteur(se)":                "accastilleur se monteur se",
		"« Île »":                                     "ile",
		"ﬁlm ²":                                       "film 2",
		"e\u0301cole":                                 "ecole", // a combining accent typed separately
		"Straße":                                      "strasse",
		"İstanbul":                                    "istanbul",
		"75011":                                       "75011",
		"2A004":                                       "2a004",
		"":                                            "",
		"'-/ ":                                        "",
		"日本":                                          "日本",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNormalize checks the properties search relies on: normalising is idempotent, and the
// result is lower case, without accents, with single spaces between words and none at the ends.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Saint-Étienne", "Œuf", "ǅ", "ẞ", "\xff", "a\u0301\u0301", "İ", "Ⅻ", "ﬀ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", s, n, again)
		}
		if !utf8.ValidString(n) || strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q: bad spacing or encoding", s, n)
		}
		for _, r := range n {
			if r != ' ' && !(unicode.IsLetter(r) || unicode.IsDigit(r)) || unicode.IsUpper(r) || unicode.Is(unicode.Mn, r) {
				t.Fatalf("Normalize(%q) = %q holds %q", s, n, r)
			}
		}
	})
}
