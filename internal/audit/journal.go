package audit

import (
	"context"
	"strconv"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
)

// Journal records the personal-data reads decided by access.Read (it implements
// access.Journal): who read, about whom (a keyed pseudonym, never the identifier), for which
// purpose, what, and whether it was refused.
type Journal struct {
	pseudonym func(kind, id string) string
}

// NewJournal returns the journal; pseudonym is the keyring's (crypto.Keyring.Pseudonym).
func NewJournal(pseudonym func(kind, id string) string) Journal { return Journal{pseudonym: pseudonym} }

// SubjectKind is the pseudonym kind of the people reads are about.
const SubjectKind = "person"

// SubjectRef is the reference entries about a person carry: their keyed pseudonym.
func (j Journal) SubjectRef(id uuid.UUID) string { return j.pseudonym(SubjectKind, id.String()) }

// RecordRead writes e in q, the read's transaction.
func (j Journal) RecordRead(ctx context.Context, q database.Querier, e access.ReadEntry) error {
	ev := Event{OccurredAt: e.At, Action: "read." + e.What, ObjectType: "list", Purpose: string(e.Purpose), Outcome: OutcomeOK,
		Details: map[string]string{"access": string(e.Action), "count": strconv.Itoa(e.Count)}}
	if e.Denied {
		ev.Outcome = OutcomeDenied
	}
	if rel := e.Relations.String(); rel != "" {
		ev.Details["relation"] = rel
	}
	if e.Subject != uuid.Nil {
		ev.ObjectType, ev.ObjectRef = SubjectKind, j.SubjectRef(e.Subject)
	}
	if !e.Actor.Anonymous() {
		ev.ActorUser = e.Actor.UserID.String()
	}
	if e.Actor.OrgID != uuid.Nil {
		ev.ActorOrg = e.Actor.OrgID.String()
	}
	return Record(ctx, q, ev)
}
