package audit

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"
)

// leafFormat opens every leaf encoding, so that a later encoding can never collide with this one.
const leafFormat = "parcours.audit/leaf/v1"

// eventColumns is the column list every query that rebuilds leaves reads, in storedEvent order.
const eventColumns = `id, occurred_at, actor_user, actor_org, action, object_type, object_ref, purpose, outcome, request_id, ip_hash, details, seq`

// storedEvent is an entry exactly as stored: the leaf is computed from these bytes, not from a
// re-encoding, so that any change to a stored value changes the leaf.
type storedEvent struct {
	id                                                         uuid.UUID
	occurredAt                                                 time.Time
	actorUser, actorOrg                                        sql.NullString
	action, objectType, objectRef, purpose, outcome, requestID string
	ipHash, details                                            string
	seq                                                        sql.NullInt64
}

type scanner interface{ Scan(dest ...any) error }

func scanStored(s scanner) (storedEvent, error) {
	var e storedEvent
	err := s.Scan(&e.id, &e.occurredAt, &e.actorUser, &e.actorOrg, &e.action, &e.objectType, &e.objectRef,
		&e.purpose, &e.outcome, &e.requestID, &e.ipHash, &e.details, &e.seq)
	e.occurredAt = e.occurredAt.UTC()
	return e, err
}

// leaf returns the canonical encoding of the entry at position seq: a JSON array with a fixed
// order, UTC times with microseconds, JSON null for absent actors. seq is part of it, so moving
// an entry to another position changes its hash even where the neighbours are equal.
func (e storedEvent) leaf(seq int64) []byte {
	b, err := json.Marshal([]any{
		leafFormat, seq, e.id.String(), e.occurredAt.Format("2006-01-02T15:04:05.000000Z"),
		nullString(e.actorUser), nullString(e.actorOrg), e.action, e.objectType, e.objectRef,
		e.purpose, e.outcome, e.requestID, e.ipHash, e.details,
	})
	if err != nil {
		// Marshalling strings, numbers and nil cannot fail.
		panic(fmt.Sprintf("audit: leaf encoding: %v", err))
	}
	return b
}

func (e storedEvent) recordHash(seq int64) tlog.Hash { return tlog.RecordHash(e.leaf(seq)) }

func nullString(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}

// event converts the stored form for callers; details that do not decode are returned under
// the key "_raw" rather than dropped, so a screen shows what is there.
func (e storedEvent) event() Event {
	out := Event{
		ID: e.id, OccurredAt: e.occurredAt, ActorUser: e.actorUser.String, ActorOrg: e.actorOrg.String,
		Action: e.action, ObjectType: e.objectType, ObjectRef: e.objectRef, Purpose: e.purpose,
		Outcome: Outcome(e.outcome), RequestID: e.requestID, IPHash: e.ipHash,
		Seq: e.seq.Int64, Sequenced: e.seq.Valid,
	}
	if e.details != "{}" {
		if err := json.Unmarshal([]byte(e.details), &out.Details); err != nil {
			out.Details = map[string]string{"_raw": e.details}
		}
	}
	return out
}
