package offer

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/jobs"
	"parcours/internal/notify"
)

// SpontaneousClosingJob closes, every morning, the spontaneous applications opened 90 days ago
// or more, and tells each structure's admins.
func (s *Service) SpontaneousClosingJob() jobs.Job {
	return jobs.Job{Name: "offer.spontaneous_closing", Daily: "06:00", Run: s.CloseExpiredSpontaneous}
}

// StaleJobDescriptionsJob warns, every morning, about the job descriptions not updated for 60
// days and deactivates those not updated for 90, mailing the structures' admins.
func (s *Service) StaleJobDescriptionsJob() jobs.Job {
	return jobs.Job{Name: "offer.stale_job_descriptions", Daily: "06:10", Run: s.ProcessStaleJobDescriptions}
}

// CloseExpiredSpontaneous is the run of SpontaneousClosingJob. It is idempotent: a closed
// structure is no longer selected, and a structure reopened meanwhile is left open.
func (s *Service) CloseExpiredSpontaneous(ctx context.Context) (jobs.Result, error) {
	now := s.clock.Now()
	today := database.ParisDate(now)
	bound := updatedNoLaterThan(today, SpontaneousOpenDays)
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT org_id, spontaneous_open_since FROM structures
		WHERE spontaneous_open_since < $1 ORDER BY org_id`, bound)
	if err != nil {
		return nil, fmt.Errorf("candidatures spontanées à fermer : %w", err)
	}
	type due struct {
		id    uuid.UUID
		since time.Time
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.since); err != nil {
			rows.Close()
			return nil, fmt.Errorf("candidatures spontanées à fermer : %w", err)
		}
		if !SpontaneousOpen(d.since, today) {
			list = append(list, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	res := jobs.Result{"closed": 0, "mails": 0}
	for _, d := range list {
		var closed bool
		var mails int
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			closed, mails = false, 0
			var err error
			closed, err = affected(tx.ExecContext(ctx, `UPDATE structures SET spontaneous_open_since = NULL, updated_at = $3
				WHERE org_id = $1 AND spontaneous_open_since < $2`, d.id, bound, now))
			if err != nil || !closed {
				return err
			}
			st, err := s.loadStructure(ctx, tx, d.id)
			if err != nil {
				return err
			}
			n, err := s.mailAdmins(ctx, tx, st.ID, now, notify.KindSpontaneousClosed, func(first string) any {
				return notify.SpontaneousClosed{FirstName: first, StructureName: st.DisplayName(), Link: s.link(StructurePath(st.ID)), OpenedOn: d.since}
			})
			if err != nil {
				return err
			}
			mails = n
			// The daily jobs act as the platform: no user, no organisation. Each entry is dated when
			// written: a long run must not date its last entries from its start (audit verify
			// reports entries older than those sealed before them).
			return s.record(ctx, tx, access.Actor{}, "offer.spontaneous_auto_closed", "structure", st.ID, s.clock.Now(), nil)
		})
		if err != nil {
			return res, fmt.Errorf("fermeture des candidatures spontanées : %w", err)
		}
		if closed {
			res["closed"]++
			res["mails"] += mails
		}
	}
	return res, nil
}

// ProcessStaleJobDescriptions is the run of StaleJobDescriptionsJob: one warning per job
// description (from day 60, remembered in inactivity_warned_at), deactivation on day 90, one
// e-mail per structure admin and kind of notice. It is idempotent, and a description updated
// meanwhile is left alone: every UPDATE re-checks its age.
func (s *Service) ProcessStaleJobDescriptions(ctx context.Context) (jobs.Result, error) {
	now := s.clock.Now()
	today := database.ParisDate(now)
	warnBound := updatedNoLaterThan(today, StaleWarningDays)
	deactivateBound := updatedNoLaterThan(today, StaleDeactivationDays)
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, structure_id, updated_at, inactivity_warned_at IS NOT NULL
		FROM job_descriptions WHERE active AND updated_at < $1 ORDER BY structure_id, rank, id`, warnBound)
	if err != nil {
		return nil, fmt.Errorf("fiches de poste sans mise à jour : %w", err)
	}
	type stale struct{ warn, deactivate []uuid.UUID }
	byStructure := map[uuid.UUID]*stale{}
	var order []uuid.UUID
	for rows.Next() {
		var id, structure uuid.UUID
		var updated time.Time
		var warned bool
		if err := rows.Scan(&id, &structure, &updated, &warned); err != nil {
			rows.Close()
			return nil, fmt.Errorf("fiches de poste sans mise à jour : %w", err)
		}
		st := byStructure[structure]
		if st == nil {
			st = &stale{}
			byStructure[structure] = st
			order = append(order, structure)
		}
		switch {
		case dueForDeactivation(updated, today):
			st.deactivate = append(st.deactivate, id)
		case dueForWarning(updated, warned, today):
			st.warn = append(st.warn, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	res := jobs.Result{"warned": 0, "deactivated": 0, "mails": 0}
	for _, structureID := range order {
		due := byStructure[structureID]
		if len(due.warn) == 0 && len(due.deactivate) == 0 {
			continue
		}
		var warned, deactivated []notify.JobDescriptionNotice
		var mails int
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			warned, deactivated, mails = nil, nil, 0
			for _, id := range due.deactivate {
				ok, err := affected(tx.ExecContext(ctx, `UPDATE job_descriptions SET active = FALSE, deactivated_at = $2,
					deactivation_reason = 'inactivity' WHERE id = $1 AND active AND updated_at < $3`, id, now, deactivateBound))
				if err != nil {
					return err
				}
				if ok {
					j, err := s.loadJD(ctx, tx, id)
					if err != nil {
						return err
					}
					deactivated = append(deactivated, notify.JobDescriptionNotice{Title: j.Title()})
					if err := s.record(ctx, tx, access.Actor{}, "offer.job_description_auto_deactivated", "job_description", id, s.clock.Now(),
						map[string]string{"structure": structureID.String()}); err != nil {
						return err
					}
				}
			}
			for _, id := range due.warn {
				ok, err := affected(tx.ExecContext(ctx, `UPDATE job_descriptions SET inactivity_warned_at = $2
					WHERE id = $1 AND active AND inactivity_warned_at IS NULL AND updated_at < $3 AND updated_at >= $4`,
					id, now, warnBound, deactivateBound))
				if err != nil {
					return err
				}
				if ok {
					j, err := s.loadJD(ctx, tx, id)
					if err != nil {
						return err
					}
					warned = append(warned, notify.JobDescriptionNotice{Title: j.Title(), DeactivatesOn: DeactivatesOn(j.UpdatedAt).Time()})
					if err := s.record(ctx, tx, access.Actor{}, "offer.job_description_stale_warned", "job_description", id, s.clock.Now(),
						map[string]string{"structure": structureID.String()}); err != nil {
						return err
					}
				}
			}
			if len(warned) == 0 && len(deactivated) == 0 {
				return nil
			}
			st, err := s.loadStructure(ctx, tx, structureID)
			if err != nil {
				return err
			}
			link := s.link(EmployerJobDescriptionsPath(st.ID))
			if len(deactivated) > 0 {
				n, err := s.mailAdmins(ctx, tx, st.ID, now, notify.KindJobDescriptionsDeactivated, func(first string) any {
					return notify.JobDescriptionsDeactivated{FirstName: first, StructureName: st.DisplayName(), Link: link, JobDescriptions: deactivated}
				})
				if err != nil {
					return err
				}
				mails += n
			}
			if len(warned) > 0 {
				n, err := s.mailAdmins(ctx, tx, st.ID, now, notify.KindJobDescriptionsStale, func(first string) any {
					return notify.JobDescriptionsStale{FirstName: first, StructureName: st.DisplayName(), Link: link, JobDescriptions: warned}
				})
				if err != nil {
					return err
				}
				mails += n
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("fiches de poste sans mise à jour : %w", err)
		}
		res["warned"] += len(warned)
		res["deactivated"] += len(deactivated)
		res["mails"] += mails
	}
	return res, nil
}
