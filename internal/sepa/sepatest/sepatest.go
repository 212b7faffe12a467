// Package sepatest validates payment files in tests against the ISO 20022 schema of
// pain.001.001.03, copied in internal/sepa/testdata (the reference is never read at run time).
//
// The validator is xmllint (Debian's libxml2-utils): no maintained Go module validates XML
// Schema, and xmllint is the reference implementation the schema's README names.
// scripts/xmllint.sh installs it for scripts/test.sh and .ci/run. Without it the validation is
// skipped on a developer's machine, and fails when PARCOURS_TEST_POSTGRES_REQUIRED or CI says
// the whole suite must run.
package sepatest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Schema is the path of the pain.001.001.03 schema in the repository.
func Schema() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "pain.001.001.03.xsd")
}

// xmllint finds the validator: PARCOURS_XMLLINT, else xmllint on the PATH.
func xmllint(t testing.TB) string {
	t.Helper()
	for _, c := range []string{os.Getenv("PARCOURS_XMLLINT"), "xmllint"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "xmllint not found: install libxml2-utils (scripts/xmllint.sh) to validate the SEPA files against the ISO 20022 schema"
	if os.Getenv("PARCOURS_TEST_POSTGRES_REQUIRED") != "" || os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Validate fails the test unless file validates against the pain.001.001.03 schema.
func Validate(t testing.TB, file []byte) {
	t.Helper()
	bin := xmllint(t)
	path := filepath.Join(t.TempDir(), "pain001.xml")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--nonet", "--schema", Schema(), path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "validates") {
		t.Fatalf("the payment file does not validate against pain.001.001.03: %v\n%s\n%s", err, out, file)
	}
}
