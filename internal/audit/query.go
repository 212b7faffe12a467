package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	// ActorUser keeps the entries of one account (UUID).
	ActorUser string
	// ObjectRef keeps the entries about one object (UUID or pseudonym).
	ObjectRef string
	// Subject keeps the entries about one person: those naming their account's UUID and the
	// reads naming their pseudonym. It is the subject of the read for the access decision.
	Subject uuid.UUID
	// ActionPrefix keeps actions starting with it ("health." for every health-data action).
	ActionPrefix string
	// Since and Until keep entries with Since <= occurred_at < Until.
	Since, Until time.Time
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// refs are the object references f.Subject stands for.
func (f Filter) refs(j Journal) []string {
	if f.Subject == uuid.Nil {
		return nil
	}
	return []string{f.Subject.String(), j.SubjectRef(f.Subject)}
}

// list returns entries matching f (and naming one of refs, when given), newest first, and the
// cursor of the next page ("" on the last page). cursor is "" for the first page, then the
// value list returned.
func list(ctx context.Context, q database.Querier, f Filter, refs []string, limit int, cursor string) ([]Event, string, error) {
	limit = clampLimit(limit)
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ActorUser != "" {
		where = append(where, "actor_user = "+arg(f.ActorUser))
	}
	if f.ObjectRef != "" {
		where = append(where, "object_ref = "+arg(f.ObjectRef))
	}
	if len(refs) > 0 {
		in := make([]string, len(refs))
		for i, r := range refs {
			in[i] = arg(r)
		}
		where = append(where, "object_ref IN ("+strings.Join(in, ", ")+")")
	}
	if f.ActionPrefix != "" {
		// Actions are lower case (Record checks), so LIKE behaves alike on both engines
		// (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
		where = append(where, `action LIKE `+arg(escapeLike(strings.ToLower(f.ActionPrefix))+"%")+` ESCAPE '\'`)
	}
	if !f.Since.IsZero() {
		where = append(where, "occurred_at >= "+arg(f.Since.UTC()))
	}
	if !f.Until.IsZero() {
		where = append(where, "occurred_at < "+arg(f.Until.UTC()))
	}
	if cursor != "" {
		at, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		t, i := arg(at), arg(id)
		where = append(where, "(occurred_at < "+t+" OR (occurred_at = "+t+" AND id < "+i+"))")
	}
	query := `SELECT ` + eventColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	// One extra row tells whether there is a next page.
	query += ` ORDER BY occurred_at DESC, id DESC LIMIT ` + arg(limit+1)
	events, err := queryEvents(ctx, q, query, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		last := events[limit-1]
		next = encodeCursor(last.OccurredAt, last.ID)
	}
	return events, next, nil
}

// forObject returns the newest entries about one object: what a person's "who accessed my file"
// page shows, given the person's pseudonym.
func forObject(ctx context.Context, q database.Querier, objectRef string, limit int) ([]Event, error) {
	if objectRef == "" {
		return nil, fault.Field("object_ref", "référence obligatoire")
	}
	return queryEvents(ctx, q, `SELECT `+eventColumns+` FROM audit_events WHERE object_ref = $1
		ORDER BY occurred_at DESC, id DESC LIMIT $2`, objectRef, clampLimit(limit))
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

func queryEvents(ctx context.Context, q database.Querier, query string, args ...any) ([]Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("lecture du journal d'audit : %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanStored(rows)
		if err != nil {
			return nil, fmt.Errorf("lecture du journal d'audit : %w", err)
		}
		out = append(out, e.event())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture du journal d'audit : %w", err)
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// A cursor is the (occurred_at, id) of the last entry shown, opaque to clients.
func encodeCursor(at time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "~" + id.String()))
}

func decodeCursor(c string) (time.Time, uuid.UUID, error) {
	bad := fault.Field("cursor", "curseur de pagination invalide")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, uuid.Nil, bad
	}
	micros, idText, ok := strings.Cut(string(raw), "~")
	if !ok {
		return time.Time{}, uuid.Nil, bad
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return time.Time{}, uuid.Nil, bad
	}
	// uuid.Parse accepts several spellings; only the canonical one round-trips to the same cursor.
	id, err := uuid.Parse(idText)
	if err != nil || id.String() != idText {
		return time.Time{}, uuid.Nil, bad
	}
	return time.UnixMicro(us).UTC(), id, nil
}
