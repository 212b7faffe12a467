package web

import (
	"net/http"

	"parcours/internal/access"
	"parcours/internal/application"
)

type dashboardView struct {
	Actor   access.Actor
	NoOrg   bool
	Pending int // pending habilitations visible to this actor
	IsDDETS bool
	// Applications counts the applications the actor follows (received for an employer, sent
	// for a prescriber, their own for a job seeker); HasFile tells whether a job seeker has
	// filled in their file.
	Applications application.Counts
	HasFile      bool
	// Support tells a habilitated advisor where the adapted support is.
	Support bool
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
	if s.support != nil {
		supportOK, err := s.support.Habilitated(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Support = supportOK
	}
	var view application.View
	switch {
	case a.Kind == access.JobSeeker:
		view = application.ViewMine
		_, has, err := s.jobseekers.Mine(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.HasFile = has
	case a.Role == access.Employer:
		view = application.ViewReceived
	case a.Role == access.Prescriber || a.Role == access.AuthorizedPrescriber:
		view = application.ViewSent
	}
	if view != "" {
		counts, err := s.applications.Count(r.Context(), a, view)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Applications = counts
	}
	s.render(w, r, http.StatusOK, "dashboard", "Tableau de bord", v, nil)
}
