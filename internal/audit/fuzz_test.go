package audit_test

import (
	"testing"

	"golang.org/x/mod/sumdb/note"

	"parcours/internal/audit"
)

// FuzzDecodeCursor: cursors come from URLs.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add("MTc3NTAzMDQwMDAwMDAwMH4wMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0xMjM0NTY3ODkwMTI")
	f.Add("fn4")
	f.Fuzz(func(t *testing.T, c string) {
		_, _, _ = audit.DecodeCursor(c)
	})
}

// FuzzOpenCheckpoint: checkpoints come back from outside (published copies, auditors' files).
func FuzzOpenCheckpoint(f *testing.F) {
	signer, verifier := newKeys(f, audit.Origin)
	genuine, err := note.Sign(&note.Note{Text: audit.Origin + "\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, signer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add([]byte("parcours.audit/v1\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— parcours.audit/v1 AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := audit.OpenCheckpoint(msg, verifier)
		if err == nil && (c.Origin != audit.Origin || c.Size < 0) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
