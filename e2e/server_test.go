package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is one `parcours serve --demo` process with its own data folder.
type server struct {
	// URL is the base address the browser uses. It is http://localhost:PORT, the same as
	// --base-url, so that e-mailed links point at it and the session cookie is the
	// __Host- Secure one browsers accept on localhost.
	URL    string
	addr   string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan struct{}
	// readyAt is when /readyz first answered 200: start-up work (the demo data) is done.
	readyAt time.Time

	mu sync.Mutex
	// private holds the personal data and secrets the tests typed or received (names,
	// addresses, passwords, TOTP keys, codes, e-mailed tokens): none may reach the logs.
	private []string
}

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer starts the binary in demo mode on a free port and waits until /readyz answers
// 200. Extra environment entries (PARCOURS_DATABASE_URL=…) are added to the process's. When
// the test ends, the server is stopped with SIGTERM and must exit 0 (graceful shutdown), and
// its logs must hold none of the personal data the test declared with keepPrivate.
// startDemoTest starts a browser test on a demo server of its own: in parallel with the other
// tests, with chromium required, and the demo password kept out of the logs.
func startDemoTest(t *testing.T) *server {
	t.Helper()
	t.Parallel()
	chromiumPath(t)
	srv := startServer(t)
	srv.keepPrivate(demoPassword)
	return srv
}

// waitPastStartupCode waits, if needed, for the 30-second step after the demo's start-up: the
// demo enrols its accounts with a second factor by confirming the code of that moment, and a
// code is accepted once, so the one /demo/courriels shows during the start-up's step would be
// refused as a replay (a user would be told to wait for the next code).
func (s *server) waitPastStartupCode() {
	next := time.Unix((s.readyAt.Unix()/30+1)*30, 0)
	if wait := time.Until(next); wait > 0 {
		time.Sleep(wait + 200*time.Millisecond)
	}
}

func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	bin := parcoursBinary(t)
	port := freePort(t)
	s := &server{
		URL:    fmt.Sprintf("http://localhost:%d", port),
		addr:   fmt.Sprintf("127.0.0.1:%d", port),
		stdout: &lockedBuffer{},
		stderr: &lockedBuffer{},
		exited: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "serve", "--demo", "--addr", s.addr, "--data-dir", t.TempDir(),
		"--base-url", s.URL, "--shutdown-timeout", "10s", "--log-format", "json")
	// The process gets a clean PARCOURS_* environment: only what this test sets.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARCOURS_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })
	s.waitReady(t)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitReady polls /readyz; the first start imports the reference data (a few seconds).
func (s *server) waitReady(t testing.TB) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			t.Fatalf("parcours serve exited during start-up (%s)\nstderr:\n%s", s.cmd.ProcessState, tail(s.stderr.String(), 4000))
		default:
		}
		resp, err := client.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.readyAt = time.Now()
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("parcours serve not ready after 90 s\nstderr:\n%s", tail(s.stderr.String(), 4000))
}

// stop sends SIGTERM and checks the graceful shutdown, then the logs.
func (s *server) stop(t testing.TB) {
	select {
	case <-s.exited:
		t.Errorf("parcours serve stopped before the end of the test (%s)\nstderr:\n%s", s.cmd.ProcessState, tail(s.stderr.String(), 4000))
		return
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("parcours serve did not stop within 30 s of SIGTERM")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("parcours serve exited with status %d after SIGTERM, want 0 (graceful shutdown)\nstderr:\n%s", code, tail(s.stderr.String(), 4000))
	}
	logs := s.stderr.String()
	if !strings.Contains(logs, `"shutting down"`) {
		t.Errorf("the logs do not record the shutdown")
	}
	// The check below means something only if requests were logged at all.
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Errorf("no request was logged: the personal-data check of the logs would be vacuous")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range s.private {
		for _, variant := range []string{secret, strings.ToLower(secret), jsonEscaped(secret)} {
			if strings.Contains(logs, variant) {
				t.Errorf("personal data or secret %q appears in the server logs:\n%s", secret, excerpt(logs, variant))
				break
			}
		}
	}
}

// engine is the database engine the server says it listens with ("sqlite" or "postgres").
func (s *server) engine(t testing.TB) string {
	t.Helper()
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(line, `"msg":"listening"`) {
			var entry struct {
				Engine string `json:"engine"`
			}
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			return entry.Engine
		}
	}
	t.Fatalf("no \"listening\" line in the logs:\n%s", tail(s.stderr.String(), 2000))
	return ""
}

// keepPrivate declares values that must never appear in the logs.
func (s *server) keepPrivate(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			s.private = append(s.private, v)
		}
	}
}

// jsonEscaped is how a JSON log would write a value with non-ASCII letters if it escaped them.
func jsonEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func excerpt(s, needle string) string {
	i := strings.Index(s, needle)
	if i < 0 {
		return ""
	}
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// person is a new account's identity, unique per test so that tests sharing a server do not
// collide and the log check has distinctive values to look for.
type person struct {
	FirstName, LastName, Email, Password string
}

func newPerson(first, last string) person {
	tag := randomHex(4)
	return person{
		FirstName: first,
		LastName:  last + "-" + strings.ToUpper(tag[:4]),
		Email:     fmt.Sprintf("%s.%s-%s@exemple.test", asciiLower(first), asciiLower(last), tag),
		Password:  "Tournesol-" + randomHex(5) + "-Quai!",
	}
}

// fillJobSeeker fills the new job seeker form, open in b, with what the file of someone born
// on birth (2006-01-02) in Lyon, without social security nor France Travail number, living in
// Villeurbanne, needs; the person's address lets them take over their account.
func (b *browser) fillJobSeeker(p person, birth string) {
	b.setValue("#f-civility", "MME")
	b.typeInto("#f-birth_name", p.LastName)
	b.typeInto("#f-first_names", p.FirstName)
	b.setValue("#f-birth_date", birth)
	b.typeInto("#f-birth_commune", "Lyon")
	b.setValue("#f-no_nir_reason", "no_nir")
	b.setValue("#f-no_ft_id_reason", "not_registered")
	b.typeInto("#f-email", p.Email)
	b.typeInto("#f-commune", "Villeurbanne")
}

func asciiLower(s string) string {
	r := strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ï", "i", "î", "i", "ç", "c", "à", "a", "ô", "o", "É", "e")
	return strings.ToLower(r.Replace(s))
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
