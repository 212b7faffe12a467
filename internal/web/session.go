package web

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/fault"
	"parcours/internal/org"
)

// sessionInfo is the logged-in user as pages see it.
type sessionInfo struct {
	token string
	auth  account.Authenticated
	Actor access.Actor
	Orgs  []org.Membership
	// Org is the organisation the user currently acts for (nil when none).
	Org *currentOrg
}

type currentOrg struct {
	ID        string
	Name      string
	RoleLabel string
	Admin     bool
	Category  org.Category
}

// DisplayName is what the header shows.
func (si *sessionInfo) DisplayName() string { return si.auth.User.FullName() }

// User is the account.
func (si *sessionInfo) User() account.User { return si.auth.User }

// Staff tells whether staff pages are available.
func (si *sessionInfo) Staff() bool { return si.Actor.IsStaff() }

// Complete tells whether the session has passed every step (second factor, terms).
func (si *sessionInfo) Complete() bool { return si.auth.Next == account.StepDone && !si.needsTerms() }

func (si *sessionInfo) needsTerms() bool {
	return si.auth.User.Kind == access.Professional && si.auth.User.TermsVersion != account.CurrentTerms
}

// sessionCookieName is __Host- prefixed (bound to this exact host, path /, Secure) whenever the
// browser allows it: over HTTPS, and on localhost which browsers treat as secure. Plain HTTP to
// another host (a test machine on a LAN) cannot set Secure cookies and uses a plain name.
func (s *Server) sessionCookieName() string {
	if s.cookieSecure() {
		return "__Host-parcours_session"
	}
	return "parcours_session"
}

func (s *Server) cookieSecure() bool {
	if s.cfg.Secure() {
		return true
	}
	host := s.cfg.BaseURL.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: s.cookieSecure(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cookieSecure(), SameSite: http.SameSiteLaxMode})
}

// withSession loads the session behind the cookie, if any, and the actor it acts as.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(s.sessionCookieName())
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		auth, err := s.accounts.Authenticate(r.Context(), c.Value)
		if errors.Is(err, fault.Unauthenticated) {
			s.clearSessionCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		si := &sessionInfo{token: c.Value, auth: auth}
		si.Actor, si.Orgs, err = s.orgs.Actor(r.Context(), auth.User, auth.Session.CurrentOrgID, !auth.Session.MFAVerifiedAt.IsZero())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, m := range si.Orgs {
			if m.Org.ID == si.Actor.OrgID {
				si.Org = &currentOrg{ID: m.Org.ID.String(), Name: m.Org.Name, RoleLabel: m.RoleLabel(), Admin: m.Admin, Category: m.Org.Category}
			}
		}
		reqInfo(r.Context()).session = si
		next.ServeHTTP(w, r)
	})
}

// gated enforces a route's gate: login, then the second factor and the terms.
func (s *Server) gated(g gate, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g == gatePublic {
			h(w, r)
			return
		}
		si := reqInfo(r.Context()).session
		if si == nil {
			s.redirectToLogin(w, r)
			return
		}
		switch {
		case g == gateSession:
		case si.auth.Next == account.StepMFA:
			redirect(w, r, "/connexion/double-facteur")
			return
		case g == gateEnrol:
		case si.auth.Next == account.StepMFASetup:
			redirect(w, r, "/compte/double-facteur")
			return
		case g == gateTerms:
		case si.needsTerms():
			redirect(w, r, "/cgu/accepter")
			return
		}
		h(w, r)
	})
}

// actor returns the current actor (anonymous when logged out).
func actor(r *http.Request) access.Actor {
	if si := reqInfo(r.Context()).session; si != nil {
		return si.Actor
	}
	return access.Actor{}
}

func session(r *http.Request) *sessionInfo { return reqInfo(r.Context()).session }

func (s *Server) client(r *http.Request) account.Client {
	return account.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
}
