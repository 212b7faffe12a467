package org

import (
	"context"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/database"
)

// Actor builds the access actor of a logged-in user: the organisation chosen in the session if
// the user still actively belongs to it, else their first organisation. Memberships are read at
// every request, so a deactivation takes effect on the very next one. It reads only the user's
// own memberships: it is how a session becomes an actor, before any decision can be asked.
func (s *Service) Actor(ctx context.Context, u account.User, currentOrg uuid.UUID, mfa bool) (access.Actor, []Membership, error) {
	return actorOf(ctx, s.db.Reader(), u, currentOrg, mfa)
}

func actorOf(ctx context.Context, q database.Querier, u account.User, currentOrg uuid.UUID, mfa bool) (access.Actor, []Membership, error) {
	a := access.Actor{UserID: u.ID, Kind: u.Kind, MFA: mfa}
	if u.Kind != access.Professional {
		return a, nil, nil
	}
	ms, err := activeMemberships(ctx, q, u.ID)
	if err != nil {
		return access.Actor{}, nil, err
	}
	if len(ms) == 0 {
		return a, ms, nil
	}
	chosen := ms[0]
	for _, m := range ms {
		if m.Org.ID == currentOrg {
			chosen = m
			break
		}
	}
	o := chosen.Org
	a.OrgID, a.OrgKind, a.OrgDepartement, a.Role, a.OrgAdmin = o.ID, o.Kind, o.Departement, o.Role(), chosen.Admin
	if o.Category == Institution {
		a.InstitutionScope = o.Kind
	}
	return a, ms, nil
}

// Page is what an organisation's page shows; admin-only parts are empty for other members.
type Page struct {
	Org          Organisation
	Members      []Member
	Invitations  []Invitation
	JoinRequests []JoinRequest
	CanManage    bool
	CanDecide    bool
}

// LoadPage loads an organisation's page for an actor allowed to view it: its members, and for
// those who manage it the pending invitations and join requests. The read of these people is
// recorded (access.Read).
func (s *Service) LoadPage(ctx context.Context, actor access.Actor, orgID uuid.UUID) (Page, error) {
	var p Page
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewOrganisation, Purpose: access.PurposeAccounts, What: "organisation.members"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			o, res, err := describe(ctx, q, actor, orgID)
			p.Org = o
			if res.Member {
				res.Relations = access.RelColleague
			}
			return res, err
		},
		func(ctx context.Context, q database.Querier) (Page, error) {
			res := p.Org.Resource(true)
			p.CanManage = access.Allowed(actor, access.ManageMembers, res)
			p.CanDecide = access.Allowed(actor, access.DecideHabilitation, p.Org.Resource(false))
			var err error
			if p.Members, err = members(ctx, q, p.Org.ID); err != nil {
				return p, err
			}
			if p.CanManage {
				if p.Invitations, err = pendingInvitations(ctx, q, p.Org.ID, s.clock.Now()); err != nil {
					return p, err
				}
				if p.JoinRequests, err = joinRequests(ctx, q, `j.org_id = $1`, p.Org.ID); err != nil {
					return p, err
				}
			}
			return p, nil
		})
}

// StaffMemberships lists the organisations a user actively belongs to, for the staff screens.
// The read is recorded (access.Read).
func (s *Service) StaffMemberships(ctx context.Context, actor access.Actor, userID uuid.UUID) ([]Membership, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.StaffManageUsers, Purpose: access.PurposeAccounts, What: "account.memberships"},
		func(context.Context, database.Querier) (access.Resource, error) {
			return access.Resource{OwnerID: userID, Subject: userID}, nil
		},
		func(ctx context.Context, q database.Querier) ([]Membership, error) {
			return activeMemberships(ctx, q, userID)
		})
}

// Switch changes the organisation a session acts for, if the user is an active member.
func (s *Service) Switch(ctx context.Context, actor access.Actor, sessionID, orgID uuid.UUID) error {
	o, err := authorize(ctx, s.db.Reader(), actor, access.SwitchOrganisation, orgID)
	if err != nil {
		return err
	}
	return s.accounts.SetCurrentOrganisation(ctx, actor, sessionID, o.ID)
}
