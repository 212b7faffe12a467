package access

import (
	"strings"

	"github.com/google/uuid"
)

// Adapted support, part 2: the documents of a record (D5312-50 4°) and the statistics
// (D5312-50 5°). Documents are read like the record: the habilitated advisors of the caseload,
// an emergency access, the person. Statistics never read a record: they are built from a
// pseudonymised extract (a keyed hash of the person, no name, no NIR, an age band) and shown
// as indicators with small cells suppressed.
const (
	// ViewSupportDocuments: list and download a record's documents and their versions.
	// Resource: the person (Subject, Relations) and Habilitated.
	ViewSupportDocuments Action = "support.documents.view"
	// ManageSupportDocuments: upload a document or a new version, delete a document with a
	// reason. Resource: as ViewSupportDocuments.
	ManageSupportDocuments Action = "support.documents.manage"
	// SendOwnSupportDocument: the person sends a document to their own record (a signed plan,
	// bank details…). Resource: the person (Subject, Relations).
	SendOwnSupportDocument Action = "support.documents.send"
	// ViewSupportIndicators: the indicators of the adapted support, small cells suppressed.
	// Resource: the actor's organisation (OrgID) and Habilitated. A habilitated advisor sees
	// their organisation's; a State service (DDETS, DREETS, DGEFP) its territory's.
	ViewSupportIndicators Action = "support.statistics.indicators"
	// ExtractSupportStatistics: download the pseudonymised extract (one row per record), which
	// stays personal data: a second factor is required of everyone. Resource: as
	// ViewSupportIndicators.
	ExtractSupportStatistics Action = "support.statistics.extract"
)

// stateService tells whether the actor acts for a State service (DDETS, DREETS, DGEFP).
func stateService(a Actor) bool {
	if a.Kind != Professional || a.Role != InstitutionAgent || a.OrgID == uuid.Nil {
		return false
	}
	for _, p := range []string{"DDETS_", "DREETS_", "DGEFP_"} {
		if strings.HasPrefix(a.InstitutionScope, p) {
			return true
		}
	}
	return false
}

// statisticsReader: a habilitated advisor acting for their organisation, or a State service.
func statisticsReader(a Actor, r Resource) bool {
	return supportAdvisor(a, r) && r.OrgID == a.OrgID || stateService(a)
}

var supportDocumentPolicies = map[Action]policy{
	ViewSupportDocuments: {
		allow: func(a Actor, r Resource) bool {
			if a.Kind == JobSeeker {
				return r.Relations.Has(RelSelf)
			}
			return supportAdvisor(a, r) && r.Relations.Any(RelCaseload|RelEmergency)
		},
		purposes: []Purpose{PurposeSupportDocuments},
	},
	ManageSupportDocuments: {
		allow: func(a Actor, r Resource) bool {
			return supportAdvisor(a, r) && r.Relations.Has(RelCaseload)
		},
		purposes: []Purpose{PurposeSupportDocuments},
	},
	SendOwnSupportDocument: {
		allow: func(a Actor, r Resource) bool { return a.Kind == JobSeeker && r.Relations.Has(RelSelf) },
	},
	ViewSupportIndicators: {
		allow:    statisticsReader,
		purposes: []Purpose{PurposeSupportStatistics},
	},
	ExtractSupportStatistics: {
		allow:    func(a Actor, r Resource) bool { return a.MFA && statisticsReader(a, r) },
		purposes: []Purpose{PurposeSupportStatistics},
	},
}
