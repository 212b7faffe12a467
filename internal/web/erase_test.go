package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// Erasing a person's file from its page: only the staff see the form and reach it; a reason is
// required; then the file, its applications and CV, its adapted support with its documents
// are gone, both data keys are destroyed, the journal says so, and the person's account stays
// without a file.
func TestEraseAPersonFromTheirPage(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		ctx := context.Background()
		person := w.person["js"]
		page := "/candidats/" + person.String()
		staffTok, capTok, jsTok := w.token(t, staff), w.token(t, capAdvisor), w.token(t, jobSeeker)
		if r := postFile(t, s, page+"/accompagnement/documents", capTok, "RIB.pdf", pdf("RIB-A-EFFACER"), "kind", "rib"); r.status != 303 {
			t.Fatalf("upload: %d", r.status)
		}
		var record uuid.UUID
		if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM support_records WHERE job_seeker_id = $1`, person).Scan(&record); err != nil {
			t.Fatal(err)
		}
		count := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := db.Reader().QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		personKey, recordKey := "jobseeker:"+person.String(), "support:"+record.String()
		if count(`SELECT COUNT(*) FROM files WHERE subject IN ($1, $2)`, personKey, recordKey) < 2 {
			t.Fatal("the world has no CV or document to erase: the test proves nothing")
		}
		if count(`SELECT COUNT(*) FROM applications WHERE job_seeker_id = $1`, person) == 0 {
			t.Fatal("the world has no application to erase: the test proves nothing")
		}

		if r := s.do(t, "GET", page, capTok, nil); r.status != 200 || strings.Contains(r.body, "Effacer ce dossier") {
			t.Fatalf("an advisor is offered the erasure: %d", r.status)
		}
		if r := s.do(t, "GET", page, staffTok, nil); r.status != 200 || !strings.Contains(r.body, "Effacer ce dossier") {
			t.Fatalf("the staff are not offered the erasure: %d", r.status)
		}
		if r := s.do(t, "POST", page+"/effacement", capTok, url.Values{"reason": {"duplicate"}}); r.status != 403 {
			t.Fatalf("an advisor erased: %d", r.status)
		}
		if r := s.do(t, "POST", page+"/effacement", staffTok, url.Values{"reason": {""}}); r.status != 422 ||
			!strings.Contains(r.body, "Choisissez le motif de l&#39;effacement.") || !strings.Contains(r.body, `aria-describedby="f-reason-error"`) {
			t.Fatalf("erasure without a reason: %d", r.status)
		}
		if n := count(`SELECT COUNT(*) FROM job_seekers WHERE id = $1`, person); n != 1 {
			t.Fatal("a refused erasure erased the file")
		}
		r := s.do(t, "POST", page+"/effacement", staffTok, url.Values{"reason": {"duplicate"}})
		if r.status != 303 || r.location != "/tableau-de-bord" {
			t.Fatalf("erasure: %d %s", r.status, r.location)
		}
		for what, n := range map[string]int{
			"file":            count(`SELECT COUNT(*) FROM job_seekers WHERE id = $1`, person),
			"applications":    count(`SELECT COUNT(*) FROM applications WHERE job_seeker_id = $1`, person),
			"support record":  count(`SELECT COUNT(*) FROM support_records WHERE job_seeker_id = $1`, person),
			"files":           count(`SELECT COUNT(*) FROM files WHERE subject IN ($1, $2)`, personKey, recordKey),
			"live keys":       count(`SELECT COUNT(*) FROM subject_keys WHERE subject IN ($1, $2) AND (wrapped_dek IS NOT NULL OR destroyed_at IS NULL)`, personKey, recordKey),
			"erasure entries": 2 - count(`SELECT COUNT(*) FROM audit_events WHERE action IN ('jobseeker.erased', 'support.erased')`),
		} {
			if n != 0 {
				t.Errorf("after the erasure, %s: %d left", what, n)
			}
		}
		if r := s.do(t, "GET", page, staffTok, nil); r.status != 404 {
			t.Fatalf("the erased file answers %d", r.status)
		}
		if r := s.do(t, "GET", "/mon-accompagnement", jsTok, nil); r.status != 200 || !strings.Contains(r.body, "Aucun accompagnement adapté n") {
			t.Fatalf("the person's account after the erasure: %d", r.status)
		}
	})
}
