package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// The organisation flows write to people (an invitation, a decision, a notice to admins).
// They read addresses only through the relation the flow stands on, in its own transaction:
// the actor's own account, a member of the organisation, the author of a request to it, or
// the platform's staff. No function here takes an arbitrary account.

// selfContact is the actor's own account.
func selfContact(ctx context.Context, q database.Querier, actor access.Actor) (Member, error) {
	if actor.Anonymous() {
		return Member{}, fmt.Errorf("compte : %w", fault.Unauthenticated)
	}
	return scanContact(q.QueryRowContext(ctx, `SELECT id, first_name, last_name, email FROM users WHERE id = $1`, actor.UserID))
}

// memberContact is a member (active or not) of the organisation.
func memberContact(ctx context.Context, q database.Querier, orgID, userID uuid.UUID) (Member, error) {
	return scanContact(q.QueryRowContext(ctx, `SELECT u.id, u.first_name, u.last_name, u.email
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2`, orgID, userID))
}

// requesterContact is the author of a request to join.
func requesterContact(ctx context.Context, q database.Querier, requestID uuid.UUID) (Member, error) {
	return scanContact(q.QueryRowContext(ctx, `SELECT u.id, u.first_name, u.last_name, u.email
		FROM join_requests j JOIN users u ON u.id = j.user_id WHERE j.id = $1`, requestID))
}

// memberByEmail tells whether the account of an address is an active member of the organisation.
func memberByEmail(ctx context.Context, q database.Querier, orgID uuid.UUID, email string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = $1 AND u.email = $2 AND m.is_active`, orgID, email).Scan(&n)
	return n > 0, err
}

// staffContacts are the active staff accounts, who answer requests no admin can.
func staffContacts(ctx context.Context, q database.Querier) ([]Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, first_name, last_name, email FROM users
		WHERE kind = 'staff' AND disabled_at IS NULL AND anonymised_at IS NULL ORDER BY email LIMIT 20`)
	if err != nil {
		return nil, fmt.Errorf("équipe de la plateforme : %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func scanContact(row interface{ Scan(...any) error }) (Member, error) {
	var m Member
	err := row.Scan(&m.UserID, &m.FirstName, &m.LastName, &m.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, fmt.Errorf("compte : %w", fault.NotFound)
	}
	return m, err
}
