package application

import (
	"context"
	"database/sql"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/database"
)

// Hired is what the hire hook learns of an accepted application.
type Hired struct {
	Application uuid.UUID
	JobSeekerID uuid.UUID
	// Structure is the structure that hires.
	Structure uuid.UUID
	Start     database.Date
	// SenderKind and SenderAuthorized say who sent the application (an authorised prescriber
	// lifts the PASS IAE waiting period).
	SenderKind       SenderKind
	SenderAuthorized bool
	Actor            access.Actor
	// Today is the day of the decision.
	Today database.Date
	// Cancel: the hire is cancelled (the structure's "annuler l'embauche"), not made.
	Cancel bool
	// Moved, when set, is the former start of a hire whose start moved to Start before it
	// began (ChangeHire).
	Moved database.Date
}

// HireHook runs inside the transaction that accepts an application, moves its start or cancels
// its hire: an
// error refuses the move and nothing of it is written. The PASS IAE module issues or reuses the PASS through it.
type HireHook func(ctx context.Context, tx *sql.Tx, h Hired) error

// SetHireHook sets the hook called on every hire (wired once by package app).
func (s *Service) SetHireHook(h HireHook) { s.hireHook = h }

// WithClock returns the service reading the time from c: the demo dates hires in the past
// through it, so that they obey every rule.
func (s *Service) WithClock(c clock.Clock) *Service {
	cp := *s
	cp.clock = c
	return &cp
}
