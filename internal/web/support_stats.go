package web

import (
	"net/http"

	"parcours/internal/clock"
	"parcours/internal/export"
	"parcours/internal/support"
)

// The statistics of the adapted support (D5312-50 5°): the indicators, small cells hidden, and
// the pseudonymised extract as CSV, for the habilitated advisors (their organisation) and the
// State services (their territory). The service decides and records each read with the purpose
// "statistics".
func (s *Server) registerSupportStatsRoutes() {
	s.handle("GET /accompagnement/statistiques", gateUser, s.supportStats)
	s.handle("GET /accompagnement/statistiques/extrait", gateUser, s.supportStatsExtract)
}

type supportStatsView struct {
	Stats   support.Statistics
	MinCell int
	// Extract tells whether the extract link is shown (a second factor is needed).
	Extract bool
}

func (s *Server) supportStats(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	st, err := s.support.Indicators(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "support_stats", "Statistiques de l'accompagnement adapté",
		supportStatsView{Stats: st, MinCell: support.MinCell, Extract: a.MFA}, nil)
}

func (s *Server) supportStatsExtract(w http.ResponseWriter, r *http.Request) {
	rows, err := s.support.Extract(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "accompagnement-adapte-extrait-" + s.clock.Now().In(clock.Paris).Format("2006-01-02")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if err := export.CSV(w, support.ExtractTable(rows)); err != nil {
		s.log.Error("extract", "request_id", RequestID(r.Context()), "err", err)
	}
}
