package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/files"
)

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// pdfWith returns a small well-formed PDF whose body holds text.
func pdfWith(text string) []byte {
	return []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% " + text + "\n" +
		"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")
}

// pdfOfSize returns a PDF of exactly n bytes of random (incompressible) body, like a scan.
func pdfOfSize(n int) []byte {
	head, tail := []byte("%PDF-1.5\n"), []byte("\nstartxref\n0\n%%EOF\n")
	b := make([]byte, n)
	copy(b, head)
	_, _ = rand.Read(b[len(head) : n-len(tail)])
	copy(b[n-len(tail):], tail)
	return b
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := range 16 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 128, 255})
		}
	}
	return img
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// world is a database with a file service and a user to act as.
type world struct {
	db    *database.DB
	env   *crypto.Envelope
	svc   *files.Service
	clock *clock.Fake
	actor access.Actor
}

func newWorld(t testing.TB, db *database.DB, opts files.Options) *world {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keyring.json")
	if _, err := crypto.CreateKeyring(path); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	env, err := crypto.OpenEnvelope(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, env: env, clock: clk, svc: files.NewService(db, env, clk, opts)}
	w.actor = access.Actor{UserID: w.user(t), Kind: access.Professional, OrgID: uuid.Nil}
	return w
}

// user inserts an account to act as (files.created_by points at users).
func (w *world) user(t testing.TB) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	_, err := w.db.Writer().ExecContext(context.Background(), `INSERT INTO users (id, kind, email, first_name, last_name,
		created_at, updated_at, last_activity_at) VALUES ($1, 'professional', $2, 'Agnès', 'Testeuse', $3, $3, $3)`,
		id, id.String()+"@example.org", t0)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var cvRules = files.Rules{Field: "cv", Formats: []files.Format{files.PDF}, MaxSize: 5 << 20}

var docRules = files.Rules{Field: "document", Formats: []files.Format{files.PDF, files.JPEG, files.PNG}, MaxSize: 10 << 20}

// accept runs Accept and fails the test on error.
func (w *world) accept(t testing.TB, content []byte, name string, rules files.Rules) files.Upload {
	t.Helper()
	up, err := w.svc.Accept(context.Background(), w.actor, bytes.NewReader(content), name, rules)
	if err != nil {
		t.Fatalf("Accept(%s): %v", name, err)
	}
	return up
}

// put stores in its own transaction.
func (w *world) put(t testing.TB, in files.NewFile) files.Info {
	t.Helper()
	info, err := w.tryPut(in)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info
}

func (w *world) tryPut(in files.NewFile) (files.Info, error) {
	var info files.Info
	err := w.db.WithTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		info, err = w.svc.Put(context.Background(), tx, w.actor, in)
		return err
	})
	return info, err
}

// open reads a file in a read transaction, as an owner's access.Read would.
func (w *world) open(id uuid.UUID, subject string) (files.File, error) {
	var f files.File
	err := w.db.ReadTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		f, err = w.svc.Open(context.Background(), tx, id, subject)
		return err
	})
	return f, err
}

func (w *world) list(t testing.TB, subject string, f files.Filter) []files.Info {
	t.Helper()
	var out []files.Info
	err := w.db.ReadTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		out, err = w.svc.List(context.Background(), tx, subject, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *world) tx(t testing.TB, fn func(tx *sql.Tx) error) {
	t.Helper()
	if err := w.db.WithTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func subjectOf(id uuid.UUID) string { return "jobseeker:" + id.String() }

func newSubject() string { return subjectOf(uuid.Must(uuid.NewV7())) }
