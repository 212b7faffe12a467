package account

import (
	"context"

	"parcours/internal/access"
	"parcours/internal/database"
)

// Own is what a person sees of their own account.
type Own struct {
	User        User
	Sessions    []Session
	MFARequired bool
	// RecoveryCodes counts the unused recovery codes.
	RecoveryCodes int
}

// OwnAccount reads the actor's own account, sessions and second-factor state (decided through
// access.Read; one's own reads are not recorded).
func (s *Service) OwnAccount(ctx context.Context, actor access.Actor) (Own, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ManageOwnAccount, Purpose: access.PurposeAccounts, What: "account"},
		func(context.Context, database.Querier) (access.Resource, error) {
			return access.Resource{OwnerID: actor.UserID, Subject: actor.UserID, Relations: access.RelSelf}, nil
		},
		func(ctx context.Context, q database.Querier) (Own, error) {
			var o Own
			var err error
			if o.User, err = userByID(ctx, q, actor.UserID); err != nil {
				return o, err
			}
			if o.Sessions, err = listSessions(ctx, q, actor.UserID, s.clock.Now()); err != nil {
				return o, err
			}
			if o.MFARequired, err = s.mfaRequiredFor(ctx, q, o.User); err != nil {
				return o, err
			}
			o.RecoveryCodes, err = remainingRecoveryCodes(ctx, q, actor.UserID)
			return o, err
		})
}
