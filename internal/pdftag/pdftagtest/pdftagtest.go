// Package pdftagtest reads the PDFs of the tests with the reference tools: qpdf --check for the
// file's syntax (cross-reference tables, incremental updates, streams), poppler's pdfinfo (the
// file is tagged; the structure tree with its text) and pdftotext (the text is extractable).
//
// scripts/pdftools.sh installs them (Debian's qpdf and poppler-utils) for scripts/test.sh and
// .ci/run. Without them the checks are skipped on a developer's machine, and fail when
// PARCOURS_TEST_POSTGRES_REQUIRED or CI says the whole suite must run.
package pdftagtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Result is what the tools read from a file.
type Result struct {
	Text   string // pdftotext, UTF-8
	Info   string // pdfinfo
	Struct string // pdfinfo -struct-text: the structure tree with the text of each element
}

func tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := name + " not found: install qpdf and poppler-utils (scripts/pdftools.sh) to check the tagged PDFs"
	if os.Getenv("PARCOURS_TEST_POSTGRES_REQUIRED") != "" || os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

var tagged = regexp.MustCompile(`(?m)^Tagged: +yes$`)

// Check fails the test unless qpdf finds no error nor warning in file and pdfinfo says it is
// tagged; it returns what poppler reads.
func Check(t testing.TB, file []byte) Result {
	t.Helper()
	qpdf, pdfinfo, pdftotext := tool(t, "qpdf"), tool(t, "pdfinfo"), tool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		b, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
		return string(b)
	}
	if r := run(qpdf, "--check", path); !strings.Contains(r, "No syntax or stream encoding errors") || strings.Contains(r, "WARNING") {
		t.Fatalf("qpdf --check:\n%s", r)
	}
	var r Result
	r.Info = run(pdfinfo, path)
	if strings.Contains(r.Info, "Syntax Error") || !tagged.MatchString(r.Info) {
		t.Fatalf("pdfinfo: not tagged:\n%s", r.Info)
	}
	r.Struct = run(pdfinfo, "-struct-text", path)
	r.Text = run(pdftotext, "-enc", "UTF-8", path, "-")
	return r
}
