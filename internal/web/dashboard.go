package web

import (
	"net/http"

	"parcours/internal/access"
)

type dashboardView struct {
	Actor   access.Actor
	NoOrg   bool
	Pending int // pending habilitations visible to this actor
	IsDDETS bool
}

// dashboard shows each role where to start. Later modules add their sections.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	v := dashboardView{Actor: a, NoOrg: a.Kind == access.Professional && a.OrgID.String() == "00000000-0000-0000-0000-000000000000"}
	if access.Allowed(a, access.ListHabilitations, access.Resource{}) {
		pending, err := s.orgs.PendingHabilitations(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Pending, v.IsDDETS = len(pending), !a.IsStaff()
	}
	s.render(w, r, http.StatusOK, "dashboard", "Tableau de bord", v, nil)
}
