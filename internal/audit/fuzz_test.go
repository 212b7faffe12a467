package audit_test

import (
	"bytes"
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

// FuzzPublishedLog: the published log is read back from outside the program (a write-once
// store, an auditor's copy): any bytes give records or reasons, never a panic or a record
// accepted without the log's signature.
func FuzzPublishedLog(f *testing.F) {
	signer, verifier := newKeys(f, audit.Origin)
	genuine, err := note.Sign(&note.Note{Text: audit.Origin + "\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, signer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append(genuine, '\n'))
	f.Add(append(append(genuine, '\n'), genuine...))
	f.Add([]byte("\n\n\n\n— x\n\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, log []byte) {
		recs, err := audit.ReadPublished(bytes.NewReader(log), verifier)
		if err != nil {
			t.Fatal(err)
		}
		line := 0
		for _, r := range recs {
			if r.Line <= line || (r.Err == nil && r.Checkpoint.Origin != audit.Origin) {
				t.Fatalf("record %+v after line %d", r, line)
			}
			line = r.Line
		}
	})
}
