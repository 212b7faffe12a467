package support

import (
	"github.com/google/uuid"

	"parcours/internal/crypto"
)

// PlanBindingForTest is the binding of a version's content, for tests that open a copy.
func PlanBindingForTest(record uuid.UUID, version int) crypto.Binding {
	return planBinding(record, version)
}
