package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// binary is the parcours executable, built once per `go test` run into a temporary folder
// that TestMain removes. It is built lazily so that a run skipping every test builds nothing.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// repoRoot is the module root, found from this file's location.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller: cannot locate the repository")
	}
	root := filepath.Dir(filepath.Dir(file))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the presumed repository root %s: %v", root, err)
	}
	return root
}

// parcoursBinary builds ./cmd/parcours once and returns its path.
func parcoursBinary(t testing.TB) string {
	t.Helper()
	root := repoRoot(t)
	binary.once.Do(func() {
		// The front-end assets are embedded at build time: without them pages have no DSFR
		// and these tests would check nothing meaningful.
		for _, f := range []string{"internal/web/static/vendor/manifest.json"} {
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				binary.err = fmt.Errorf("%s is missing: run `make assets` before the browser tests", f)
				return
			}
		}
		dir, err := os.MkdirTemp("", "parcours-e2e-")
		if err != nil {
			binary.err = err
			return
		}
		binary.dir = dir
		out := filepath.Join(dir, "parcours")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/parcours")
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Run(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/parcours: %v\n%s", err, stderr.String())
			return
		}
		binary.path = out
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// required tells whether a missing prerequisite must fail the test rather than skip it.
func required(envVar string) bool {
	return os.Getenv("CI") == "true" || os.Getenv(envVar) == "1"
}

// chromiumPath finds the browser: PARCOURS_CHROMIUM, else Debian's chromium, else the usual
// names on PATH. Missing, the test is skipped, or fails where browser tests are required.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PARCOURS_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			chromiumMissing(t, fmt.Sprintf("PARCOURS_CHROMIUM names no browser (%v)", err))
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	chromiumMissing(t, "chromium not found: install Debian's chromium package or set PARCOURS_CHROMIUM")
	return ""
}

func chromiumMissing(t testing.TB, msg string) {
	t.Helper()
	if required("PARCOURS_E2E_REQUIRED") {
		t.Fatal(msg + " (browser tests are required here: CI=true or PARCOURS_E2E_REQUIRED=1)")
	}
	t.Skip(msg + "; browser test skipped")
}
