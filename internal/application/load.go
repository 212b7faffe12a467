package application

import (
	"parcours/internal/crypto"
	"parcours/internal/database"
)

// LoadColumns are the columns of applications that LoadRow fills, in order.
var LoadColumns = []string{"id", "job_seeker_id", "to_org", "sender_kind", "sender_user", "sender_org", "sender_authorized", "self_hire",
	"state", "message", "refusal_reason", "answer", "reason_shared", "hiring_start", "hiring_end", "contract_type", "hours_per_week",
	"salary_cents", "created_at", "updated_at", "processed_at", "archived_at"}

// LoadRow is an application's row for a bulk load that bypasses Send (the national load-test
// seed, bench/seed): its message and answer sealed under the person's key, made or reused by b
// (the person's row and the key come from the same Bulk), exactly where Send and Refuse seal
// them. The caller writes application_jobs and application_transitions itself.
func LoadRow(b *crypto.Bulk, a Application) ([]any, error) {
	var message, answer []byte
	var err error
	if a.Message != "" {
		if message, err = b.Seal(personSubject(a.JobSeekerID), bind(a.ID, "message"), []byte(a.Message)); err != nil {
			return nil, err
		}
	}
	if a.Answer != "" {
		if answer, err = b.Seal(personSubject(a.JobSeekerID), bind(a.ID, "answer"), []byte(a.Answer)); err != nil {
			return nil, err
		}
	}
	var hours, salary any
	if a.Hire.HoursPerWeek > 0 {
		hours, salary = a.Hire.HoursPerWeek, a.Hire.SalaryCents
	}
	return []any{a.ID, a.JobSeekerID, a.ToOrg, string(a.SenderKind), database.NullUUID(a.SenderUser), database.NullUUID(a.SenderOrg),
		a.SenderAuthorized, a.SelfHire, string(a.State), message, string(a.RefusalReason), answer, a.ReasonShared, a.Hire.Start,
		a.Hire.End, string(a.Hire.ContractType), hours, salary, a.CreatedAt, a.UpdatedAt, database.NullTime(a.ProcessedAt),
		database.NullTime(a.ArchivedAt)}, nil
}
