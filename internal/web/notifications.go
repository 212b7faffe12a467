package web

import (
	"net/http"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/notify"
	"parcours/internal/org"
)

// notificationsView lists, per organisation, the notices the member may switch off.
type notificationsView struct {
	Orgs []org.NoticeSettings
}

// notificationsPage shows the member's notice settings, one form per organisation.
func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.Professional {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	settings, err := s.orgs.Notifications(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "notifications", "Notifications", notificationsView{Orgs: settings}, nil)
}

// notificationsSave records the notices kept for one organisation: the boxes checked.
func (s *Server) notificationsSave(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	a := actor(r)
	if a.Kind != access.Professional {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	orgID, err := uuid.Parse(r.PostFormValue("org"))
	if err != nil {
		s.notFound(w, r)
		return
	}
	var on []notify.Kind
	for _, k := range r.PostForm["on"] {
		on = append(on, notify.Kind(k))
	}
	if err := s.orgs.SetNotifications(r.Context(), a, orgID, on); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "notifications_saved")
	redirect(w, r, "/compte/notifications")
}
