package database

import (
	"time"

	"github.com/google/uuid"
)

// NullTime is t as a query argument, NULL for the zero time.
func NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// NullUUID is id as a query argument, NULL for uuid.Nil.
func NullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}
