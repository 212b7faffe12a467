package refdata

import (
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	files "parcours/refdata"
)

// loadOnce shares one parse of the embedded files between tests: the data is immutable.
var loadOnce = sync.OnceValues(Load)

func testData(tb testing.TB) *Data {
	tb.Helper()
	d, err := loadOnce()
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return d
}

// editedFS copies the embedded files, replacing old by new (once) in file.
func editedFS(tb testing.TB, file, old, new string) fstest.MapFS {
	tb.Helper()
	m := fstest.MapFS{}
	entries, err := fs.ReadDir(files.FS, ".")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files.FS, e.Name())
		if err != nil {
			tb.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	if file != "" {
		s := string(m[file].Data)
		if !strings.Contains(s, old) {
			tb.Fatalf("%s does not contain %q", file, old)
		}
		m[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
	}
	return m
}
