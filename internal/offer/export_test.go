package offer

import (
	"context"

	"parcours/internal/refdata"
)

// SearchModelBuilds counts the read models the service built, for tests.
func (s *Service) SearchModelBuilds() int64 { return s.read.builds.Load() }

// SearchModel is a read model, for benchmarks.
type SearchModel = *readModel

// BuildSearchModel builds a read model from the database.
func (s *Service) BuildSearchModel(ctx context.Context) (SearchModel, error) {
	return s.buildModel(ctx)
}

// Sizes counts the model's structures and active job descriptions.
func (m *readModel) Sizes() (structures, jobs int) { return len(m.structures), len(m.jobs) }

// BoxCandidates returns the structures with a position inside the bounding box of a
// circle, found with the grid or by a scan of every structure.
func (m *readModel) BoxCandidates(lat, lng, km float64, linear bool, dst []int32) []int32 {
	b := refdata.BoundingBox(lat, lng, km)
	if !linear {
		return m.structureGrid.appendIn(dst, b)
	}
	for i := range m.structures {
		c := &m.structures[i].card
		if c.HasPosition && b.Contains(c.Lat, c.Lng) {
			dst = append(dst, int32(i))
		}
	}
	return dst
}
