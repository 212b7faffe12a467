package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := Flags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return l.Load()
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./var" || c.DatabaseURL != "" || c.Demo {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.BaseURL.String() != "http://localhost:8080" {
		t.Fatalf("base URL = %s", c.BaseURL)
	}
	if c.KeyFile != filepath.Join("var", "keys", "keyring.json") {
		t.Fatalf("key file = %s", c.KeyFile)
	}
	if c.Secure() {
		t.Fatal("plain http must not be treated as secure")
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	c, err := load(t, map[string]string{"PARCOURS_ADDR": "0.0.0.0:9000", "PARCOURS_DEMO": "false"}, "--addr", "127.0.0.1:9001", "--demo")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" || !c.Demo {
		t.Fatalf("flags ignored: %+v", c)
	}
}

func TestEveryProblemIsReportedInFrench(t *testing.T) {
	_, err := load(t, map[string]string{
		"PARCOURS_ADDR":         "nope",
		"PARCOURS_BASE_URL":     "ftp://x",
		"PARCOURS_DATABASE_URL": "mysql://x",
		"PARCOURS_SMTP_PORT":    "99999",
		"PARCOURS_DEMO":         "peut-être",
		"PARCOURS_LOG_FORMAT":   "xml",
	})
	if err == nil {
		t.Fatal("invalid settings accepted")
	}
	for _, want := range []string{"PARCOURS_ADDR", "PARCOURS_BASE_URL", "PARCOURS_DATABASE_URL", "PARCOURS_SMTP_PORT", "PARCOURS_DEMO", "PARCOURS_LOG_FORMAT", "attendu"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, map[string]string{"PARCOURS_SMTP_PASSWORD_FILE": path})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Password != "s3cret" {
		t.Fatalf("password = %q", c.SMTP.Password)
	}
}

func TestHTTPSBaseURLIsSecure(t *testing.T) {
	c, err := load(t, map[string]string{"PARCOURS_BASE_URL": "https://parcours.example.gouv.fr/"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.BaseURL.String() != "https://parcours.example.gouv.fr" {
		t.Fatalf("base URL %s secure=%v", c.BaseURL, c.Secure())
	}
}

func TestPlaintextSMTPPasswordRefused(t *testing.T) {
	if _, err := load(t, map[string]string{"PARCOURS_SMTP_PASSWORD": "x", "PARCOURS_SMTP_TLS": "none"}); err == nil {
		t.Fatal("a password over plaintext SMTP was accepted")
	}
}

func TestAuditCheckpointDirAndWitness(t *testing.T) {
	c, err := load(t, map[string]string{"PARCOURS_DATA_DIR": "/srv/parcours"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Audit.CheckpointDir != filepath.Join("/srv/parcours", "audit") || !c.Audit.CheckpointDirDefault || c.Audit.WitnessURL != "" {
		t.Fatalf("default audit settings: %+v", c.Audit)
	}
	c, err = load(t, map[string]string{"PARCOURS_AUDIT_WITNESS_URL": "https://temoin.example.gouv.fr/add"},
		"--audit-checkpoint-dir", "/mnt/worm/parcours")
	if err != nil {
		t.Fatal(err)
	}
	if c.Audit.CheckpointDir != "/mnt/worm/parcours" || c.Audit.CheckpointDirDefault || c.Audit.WitnessURL != "https://temoin.example.gouv.fr/add" {
		t.Fatalf("configured audit settings: %+v", c.Audit)
	}
	for _, bad := range []string{"ftp://temoin.example/x", "temoin.example.gouv.fr", "https://"} {
		_, err := load(t, map[string]string{"PARCOURS_AUDIT_WITNESS_URL": bad + "?token=SECRET"})
		if err == nil || !strings.Contains(err.Error(), "PARCOURS_AUDIT_WITNESS_URL : adresse http(s)") {
			t.Errorf("witness %q: %v", bad, err)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("witness %q: the message repeats the address: %v", bad, err)
		}
	}
}

func TestClamdAddr(t *testing.T) {
	for _, addr := range []string{"", "unix:/run/clamav/clamd.ctl", "/run/clamav/clamd.ctl", "tcp://clamav:3310", "127.0.0.1:3310"} {
		c, err := load(t, map[string]string{"PARCOURS_CLAMD_ADDR": addr})
		if err != nil || c.ClamdAddr != addr {
			t.Errorf("PARCOURS_CLAMD_ADDR=%q: %q, %v", addr, c.ClamdAddr, err)
		}
	}
	for _, addr := range []string{"clamav", "unix:clamd.ctl", "tcp://:3310", "clamav:99999"} {
		if _, err := load(t, map[string]string{"PARCOURS_CLAMD_ADDR": addr}); err == nil || !strings.Contains(err.Error(), "PARCOURS_CLAMD_ADDR") {
			t.Errorf("PARCOURS_CLAMD_ADDR=%q accepted: %v", addr, err)
		}
	}
	c, err := load(t, nil, "--clamd-addr", "unix:/run/clamav/clamd.ctl")
	if err != nil || c.ClamdAddr != "unix:/run/clamav/clamd.ctl" {
		t.Fatalf("--clamd-addr: %q, %v", c.ClamdAddr, err)
	}
}
