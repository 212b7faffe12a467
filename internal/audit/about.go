package audit

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// About returns the newest entries about a person (their keyed pseudonym) whose action starts
// with one of prefixes: what the person's "who accessed my file" page shows. q is the reader's
// transaction, inside the access.Read that decided the reader may see it; About decides and
// records nothing.
func (j Journal) About(ctx context.Context, q database.Querier, subject uuid.UUID, prefixes []string, limit int) ([]Event, error) {
	if subject == uuid.Nil || len(prefixes) == 0 {
		return nil, fault.Field("object_ref", "personne et actions obligatoires")
	}
	args := []any{j.SubjectRef(subject)}
	var like []string
	for _, p := range prefixes {
		args = append(args, escapeLike(strings.ToLower(p))+"%")
		like = append(like, `action LIKE $`+strconv.Itoa(len(args))+` ESCAPE '\'`)
	}
	args = append(args, clampLimit(limit))
	return queryEvents(ctx, q, `SELECT `+eventColumns+` FROM audit_events WHERE object_ref = $1 AND (`+strings.Join(like, " OR ")+`)
		ORDER BY occurred_at DESC, id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
}
