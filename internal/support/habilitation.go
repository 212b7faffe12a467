package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// habilitated tells whether the actor holds the habilitation in the organisation they act for,
// as an active member of it.
func habilitated(ctx context.Context, q database.Querier, actor access.Actor) (bool, error) {
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM support_habilitations h
			JOIN memberships m ON m.org_id = h.org_id AND m.user_id = h.user_id AND m.is_active
		WHERE h.org_id = $1 AND h.user_id = $2 AND h.withdrawn_at IS NULL)`, actor.OrgID, actor.UserID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("habilitation : %w", err)
	}
	return ok, nil
}

// Habilitated tells whether the actor may act as an adapted-support advisor in the
// organisation they act for (habilitation, kind of organisation, second factor), for pages
// deciding whether to show a link. The actions still decide.
func (s *Service) Habilitated(ctx context.Context, actor access.Actor) (bool, error) {
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return false, nil
	}
	ok, err := habilitated(ctx, s.db.Reader(), actor)
	if err != nil || !ok {
		return false, err
	}
	return access.Allowed(actor, access.BreakGlass, access.Resource{Habilitated: true}), nil
}

// Member is a member of the admin's organisation with their habilitation.
type Member struct {
	UserID      uuid.UUID
	Name        string
	Email       string
	Admin       bool
	Habilitated bool
	GrantedAt   time.Time
}

// adminResource describes the actor's organisation for AdministerSupport.
func adminResource(ctx context.Context, q database.Querier, actor access.Actor) (access.Resource, error) {
	res := access.Resource{OrgID: actor.OrgID}
	if actor.OrgID == uuid.Nil {
		return res, nil
	}
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2 AND is_active)`,
		actor.OrgID, actor.UserID).Scan(&res.Member)
	return res, err
}

// Members lists the active members of the admin's organisation with their habilitation.
func (s *Service) Members(ctx context.Context, actor access.Actor) ([]Member, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.AdministerSupport, Purpose: access.PurposeSecurity, What: "support.habilitations"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return adminResource(ctx, q, actor)
		},
		func(ctx context.Context, q database.Querier) ([]Member, error) {
			rows, err := q.QueryContext(ctx, `SELECT u.id, u.first_name, u.last_name, u.email, m.is_admin, h.granted_at
				FROM memberships m JOIN users u ON u.id = m.user_id
				LEFT JOIN support_habilitations h ON h.org_id = m.org_id AND h.user_id = m.user_id AND h.withdrawn_at IS NULL
				WHERE m.org_id = $1 AND m.is_active ORDER BY u.last_name, u.first_name, u.id`, actor.OrgID)
			if err != nil {
				return nil, fmt.Errorf("membres : %w", err)
			}
			defer rows.Close()
			var out []Member
			for rows.Next() {
				var m Member
				var first, last string
				var granted sql.NullTime
				if err := rows.Scan(&m.UserID, &first, &last, &m.Email, &m.Admin, &granted); err != nil {
					return nil, err
				}
				m.Name, m.Habilitated, m.GrantedAt = strings.TrimSpace(first+" "+last), granted.Valid, granted.Time
				out = append(out, m)
			}
			return out, rows.Err()
		})
}

// SetHabilitation grants or withdraws the "accompagnement adapté" habilitation of an active
// member of the admin's organisation, with an audit entry.
func (s *Service) SetHabilitation(ctx context.Context, actor access.Actor, user uuid.UUID, on bool) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := adminResource(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.AdministerSupport, res); err != nil {
			return err
		}
		var active bool
		err = tx.QueryRowContext(ctx, `SELECT is_active FROM memberships WHERE org_id = $1 AND user_id = $2`, actor.OrgID, user).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !active {
			return fmt.Errorf("membre : %w", fault.NotFound)
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		action := "support.habilitation_granted"
		if on {
			_, err = tx.ExecContext(ctx, `INSERT INTO support_habilitations (org_id, user_id, granted_at, granted_by) VALUES ($1, $2, $3, $4)
				ON CONFLICT (org_id, user_id) DO UPDATE SET granted_at = excluded.granted_at, granted_by = excluded.granted_by,
				withdrawn_at = NULL, withdrawn_by = NULL WHERE support_habilitations.withdrawn_at IS NOT NULL`, actor.OrgID, user, now, actor.UserID)
		} else {
			action = "support.habilitation_withdrawn"
			_, err = tx.ExecContext(ctx, `UPDATE support_habilitations SET withdrawn_at = $3, withdrawn_by = $4
				WHERE org_id = $1 AND user_id = $2 AND withdrawn_at IS NULL`, actor.OrgID, user, now, actor.UserID)
		}
		if err != nil {
			return fmt.Errorf("habilitation : %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{OccurredAt: now, ActorUser: actor.UserID.String(), ActorOrg: actor.OrgID.String(),
			Action: action, ObjectType: "account", ObjectRef: user.String(), Purpose: string(access.PurposeSecurity), Outcome: audit.OutcomeOK})
	})
}

// Referenced tells whether support records point at a user, who must then be kept.
func Referenced(ctx context.Context, q database.Querier, user uuid.UUID) (bool, error) {
	var ref bool
	err := q.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM support_habilitations WHERE user_id = $1 OR granted_by = $1 OR withdrawn_by = $1)
		OR EXISTS (SELECT 1 FROM support_records WHERE created_by = $1 OR updated_by = $1)
		OR EXISTS (SELECT 1 FROM support_caseload WHERE referent_user = $1)
		OR EXISTS (SELECT 1 FROM support_emergency_accesses WHERE user_id = $1 OR reviewed_by = $1)
		OR EXISTS (SELECT 1 FROM support_requests WHERE handled_by = $1)
		OR EXISTS (SELECT 1 FROM support_aids WHERE requested_by = $1 OR instructed_by = $1 OR decided_by = $1 OR cancelled_by = $1)
		OR EXISTS (SELECT 1 FROM support_aid_batches WHERE created_by = $1 OR paid_by = $1)
		OR EXISTS (SELECT 1 FROM support_plan_versions WHERE created_by = $1 OR ack_by = $1)`, user).Scan(&ref)
	return ref, err
}
