package registrycsv_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"parcours/internal/offer/registrycsv"
)

// FuzzParse feeds Parse arbitrary files, seeded with the examples of testdata: it must not
// panic, and every line it names must be in the file.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.csv")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("siret,type,raison_sociale,code_insee\r\n\"a\r\n\r\nb\",EI,\"x\"\"y\",1\r\n"))
	f.Add([]byte("\ufeffsiret;type;raison_sociale;code_insee;siret_parent\n91000000000018;ACI;A;1;91000000000018\n;;;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := registrycsv.Parse(bytes.NewReader(data))
		lines := bytes.Count(data, []byte{'\n'}) + 1
		if err != nil {
			var fe *registrycsv.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("not a file error: %v", err)
			}
			if fe.Line < 0 || fe.Line > lines || fe.Message == "" {
				t.Fatalf("file error at line %d of %d: %v", fe.Line, lines, err)
			}
			return
		}
		if p.Lines > lines {
			t.Fatalf("%d lines counted, %d in the file", p.Lines, lines)
		}
		seen := map[int]bool{}
		last := 0
		for _, r := range p.Rows {
			if r.Line < 2 || r.Line > p.Lines || r.Line <= last {
				t.Fatalf("row at line %d (previous %d) of %d", r.Line, last, p.Lines)
			}
			last = r.Line
			seen[r.Line] = true
		}
		last = 0
		for _, r := range p.Rejected {
			if r.Line < 2 || r.Line > p.Lines || r.Line <= last || seen[r.Line] || r.Reason == "" {
				t.Fatalf("rejection at line %d (previous %d) of %d: %q", r.Line, last, p.Lines, r.Reason)
			}
			last = r.Line
		}
		if p.Total() == 0 || p.Total() > registrycsv.MaxRows {
			t.Fatalf("%d data lines", p.Total())
		}
	})
}
