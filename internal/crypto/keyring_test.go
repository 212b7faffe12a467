package crypto_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"parcours/internal/crypto"
)

func TestCreateAndLoadKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets", "keyring.json")
	kr, err := crypto.CreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("keyring file mode %04o, want 0600", perm)
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dir.Mode().Perm(); perm != 0o700 {
		t.Errorf("keyring folder mode %04o, want 0700", perm)
	}
	loaded, err := crypto.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Primary() != 1 || fmt.Sprint(loaded.Versions()) != "[1]" {
		t.Errorf("loaded %v", loaded)
	}
	if kr.Pseudonym("person", "42") != loaded.Pseudonym("person", "42") {
		t.Error("the loaded keyring does not hold the created pseudonym key")
	}
}

func TestCreateKeyringNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	if _, err := crypto.CreateKeyring(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	_, err := crypto.CreateKeyring(path)
	if !errors.Is(err, fs.ErrExist) || !errors.Is(err, crypto.ErrKeyring) {
		t.Fatalf("second CreateKeyring = %v, want ErrKeyring wrapping fs.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("CreateKeyring changed an existing keyring")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestLoadOrCreateKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	first, created, err := crypto.LoadOrCreateKeyring(path)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	second, created, err := crypto.LoadOrCreateKeyring(path)
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v", created, err)
	}
	if first.Pseudonym("k", "v") != second.Pseudonym("k", "v") {
		t.Fatal("the second call did not load the first call's keyring")
	}
}

func TestLoadKeyringErrorsAreClear(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	kr, err := crypto.CreateKeyring(good)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := kr.Marshal()
	write := func(name string, content []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, path, want string
		is               error
	}{
		{"missing", filepath.Join(dir, "absent.json"), "n'existe pas", fs.ErrNotExist},
		{"too open", write("open.json", data, 0o644), "chmod 600", crypto.ErrKeyring},
		{"corrupt", write("corrupt.json", []byte("{pas du json"), 0o600), "JSON illisible", crypto.ErrKeyring},
		{"truncated key", write("short.json", bytes.Replace(data, []byte(`"primary_kek": 1`), []byte(`"primary_kek": 2`), 1), 0o600),
			"principale 2 n'existe pas", crypto.ErrKeyring},
		{"unknown field", write("typo.json", bytes.Replace(data, []byte(`"keks"`), []byte(`"kek"`), 1), 0o600), "JSON illisible", crypto.ErrKeyring},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := crypto.LoadKeyring(c.path)
			if err == nil || !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadKeyring = %v; want an error matching %v and saying %q", err, c.is, c.want)
			}
		})
	}
}

// Operators inject the keyring from a vault through an environment variable.
func TestParseKeyringFromEnvironmentContent(t *testing.T) {
	kr, err := crypto.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := kr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PARCOURS_TEST_KEYRING", "\n  "+string(data)+"  \n")
	parsed, err := crypto.ParseKeyring([]byte(os.Getenv("PARCOURS_TEST_KEYRING")))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Pseudonym("person", "x") != kr.Pseudonym("person", "x") {
		t.Fatal("parsed keyring differs")
	}
	if _, err := crypto.ParseKeyring([]byte(string(data) + "{}")); err == nil {
		t.Fatal("trailing content accepted")
	}
}

func TestKeyringNeverPrintsSecrets(t *testing.T) {
	kr, err := crypto.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := kr.Marshal()
	var fileForm struct {
		KEKs []struct{ Key []byte } `json:"keks"`
	}
	if err := jsonUnmarshal(data, &fileForm); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "keyring", kr)
	printed := fmt.Sprintf("%v %+v %#v %s", kr, kr, kr, kr) + logged.String()
	for _, secret := range []string{b64(fileForm.KEKs[0].Key), fmt.Sprint(fileForm.KEKs[0].Key[:8])} {
		if strings.Contains(printed, secret) {
			t.Fatalf("printing the keyring shows key material: %s", printed)
		}
	}
}

func TestPseudonyms(t *testing.T) {
	kr1, _ := crypto.NewKeyring(time.Now())
	kr2, _ := crypto.NewKeyring(time.Now())
	p := kr1.Pseudonym("person", "1 85 05 78 006 084 36")
	if len(p) != 32 || strings.Trim(p, "0123456789abcdef") != "" {
		t.Fatalf("pseudonym %q is not 32 hex characters", p)
	}
	if p != kr1.Pseudonym("person", "1 85 05 78 006 084 36") {
		t.Error("pseudonym not stable")
	}
	for _, other := range []string{
		kr2.Pseudonym("person", "1 85 05 78 006 084 36"), // another key
		kr1.Pseudonym("user", "1 85 05 78 006 084 36"),   // another kind
		kr1.Pseudonym("perso", "n1 85 05 78 006 084 36"), // same concatenation
	} {
		if other == p {
			t.Errorf("pseudonym collision: %s", other)
		}
	}
}

func TestBlindIndexes(t *testing.T) {
	kr1, _ := crypto.NewKeyring(time.Now())
	kr2, _ := crypto.NewKeyring(time.Now())
	const nir = "185057800608436"
	b := kr1.BlindIndex("nir", nir)
	if len(b) != crypto.BlindIndexSize || crypto.BlindIndexSize != 32 {
		t.Fatalf("blind index of %d bytes, want 32", len(b))
	}
	if !bytes.Equal(b, kr1.BlindIndex("nir", nir)) {
		t.Error("blind index not deterministic")
	}
	for name, other := range map[string][]byte{
		"another key":          kr2.BlindIndex("nir", nir),
		"another kind":         kr1.BlindIndex("ft_id", nir),
		"same concatenation":   kr1.BlindIndex("ni", "r"+nir),
		"another value":        kr1.BlindIndex("nir", "285057800608436"),
		"unnormalised value":   kr1.BlindIndex("nir", "1 85 05 78 006 084 36"),
		"pseudonym of the key": []byte(kr1.Pseudonym("nir", nir)),
	} {
		if bytes.Equal(other, b) {
			t.Errorf("%s: same blind index", name)
		}
	}
	// The pseudonym is the hex of 16 bytes of another HMAC: neither form may match.
	if fmt.Sprintf("%x", b[:16]) == kr1.Pseudonym("nir", nir) || fmt.Sprintf("%x", b[:16]) == kr1.Pseudonym("person", nir) {
		t.Error("blind index equals the pseudonym of the same input: the keys or domains are not separate")
	}
	data, _ := kr1.Marshal()
	parsed, err := crypto.ParseKeyring(data)
	if err != nil || !bytes.Equal(parsed.BlindIndex("nir", nir), b) {
		t.Fatalf("the blind-index key does not survive Marshal/ParseKeyring (%v)", err)
	}
}

// Keyrings written before blind indexes existed have no blind-index key: every instance
// derives the same one, the file variant pins it, and the environment variant agrees.
func TestOlderKeyringGetsAStableBlindIndexKey(t *testing.T) {
	kr, _ := crypto.NewKeyring(time.Now())
	data, _ := kr.Marshal()
	var fields map[string]any
	if err := jsonUnmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	delete(fields, "blind_index_key")
	old, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fromEnv, err := crypto.ParseKeyring(old)
	if err != nil {
		t.Fatal(err)
	}
	derived := fromEnv.BlindIndex("nir", "185057800608436")
	if bytes.Equal(derived, kr.BlindIndex("nir", "185057800608436")) {
		t.Fatal("test setup: the derived key equals the removed random key")
	}
	again, _ := crypto.ParseKeyring(old)
	if !bytes.Equal(again.BlindIndex("nir", "185057800608436"), derived) {
		t.Fatal("the derived blind-index key differs between two loads")
	}

	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	upgraded, err := crypto.UpgradeKeyringFile(path)
	if err != nil || !upgraded {
		t.Fatalf("UpgradeKeyringFile = %v, %v; want the file upgraded", upgraded, err)
	}
	written, _ := os.ReadFile(path)
	if !bytes.Contains(written, []byte(`"blind_index_key"`)) {
		t.Fatalf("the upgraded file lacks the blind-index key:\n%s", written)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("upgraded file mode: %v, %v", info.Mode(), err)
	}
	loaded, err := crypto.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(loaded.BlindIndex("nir", "185057800608436"), derived) ||
		loaded.Pseudonym("person", "x") != kr.Pseudonym("person", "x") || fmt.Sprint(loaded.Versions()) != "[1]" {
		t.Fatal("the upgrade changed a key")
	}
	if upgraded, err := crypto.UpgradeKeyringFile(path); err != nil || upgraded {
		t.Fatalf("second UpgradeKeyringFile = %v, %v; want nothing to do", upgraded, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("files left beside the keyring: %v", entries)
	}
	bad := bytes.Replace(data, []byte(`"blind_index_key": "`), []byte(`"blind_index_key": "QUJD`), 1)
	if _, err := crypto.ParseKeyring(bad); !errors.Is(err, crypto.ErrKeyring) {
		t.Fatalf("a blind-index key of the wrong size = %v", err)
	}
}

func TestAuditSignerAndVerifierMatch(t *testing.T) {
	kr, _ := crypto.NewKeyring(time.Now())
	signer, err := kr.AuditSigner("parcours.audit/v1")
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := kr.AuditVerifier("parcours.audit/v1")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: "parcours.audit/v1\n1\nAAAA\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(verifier)); err != nil {
		t.Fatalf("checkpoint signed by the keyring does not verify: %v", err)
	}
	other, _ := crypto.NewKeyring(time.Now())
	otherVerifier, _ := other.AuditVerifier("parcours.audit/v1")
	if _, err := note.Open(msg, note.VerifierList(otherVerifier)); err == nil {
		t.Fatal("another keyring's verifier accepted the signature")
	}
	if _, err := kr.AuditSigner("bad name+plus"); err == nil {
		t.Fatal("invalid origin accepted")
	}
}
