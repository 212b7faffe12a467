package web

import (
	"net/http"
	"strings"
	"time"

	"parcours/internal/ratelimit"
)

// limits hold the web's rate limiters; a nil limiter does not limit (tests that do not test
// limits leave them out; config.Load always sets them).
type limits struct {
	// forms counts posted forms: per account when logged in, so that an office whose agents
	// share one public address is not throttled as one client and an account cannot dodge
	// the limit by changing address; per client address otherwise.
	forms *ratelimit.Limiter
	// signups counts accounts created per client address.
	signups *ratelimit.Limiter
}

func newLimits(formsPerMinute, signupsPerHour int, now func() time.Time) limits {
	var l limits
	if formsPerMinute > 0 {
		l.forms = ratelimit.PerMinute(formsPerMinute, now)
	}
	if signupsPerHour > 0 {
		l.signups = ratelimit.New(signupsPerHour, time.Hour, now)
	}
	return l
}

// limitForms answers 429 to a client posting forms faster than the limit. The JSON API has
// its own limit and reads only.
func (s *Server) limitForms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.limits.forms == nil || r.Method != http.MethodPost || strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		key, from := "ip:"+s.clientIP(r), "depuis votre connexion internet"
		if si := session(r); si != nil {
			key, from = "user:"+si.auth.User.ID.String(), "depuis votre compte"
		}
		if ok, wait := s.limits.forms.Allow(key); !ok {
			s.log.Warn("form rate limit", "request_id", RequestID(r.Context()), "route", r.URL.Path)
			s.renderTooMany(w, r, wait, "Trop de formulaires ont été envoyés en peu de temps "+from+".")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowSignup takes a sign-up token for the client's address; when none is left it has
// answered 429.
func (s *Server) allowSignup(w http.ResponseWriter, r *http.Request) bool {
	if s.limits.signups == nil {
		return true
	}
	ok, wait := s.limits.signups.Allow(s.clientIP(r))
	if !ok {
		s.log.Warn("sign-up rate limit", "request_id", RequestID(r.Context()))
		s.renderTooMany(w, r, wait, "Trop de comptes ont été créés en peu de temps depuis votre connexion internet.")
	}
	return ok
}

// renderTooMany answers 429 with the French page, saying why and how long to wait, and the
// wait in Retry-After.
func (s *Server) renderTooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, why string) {
	w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
	s.renderErrorPage(w, r, http.StatusTooManyRequests, errorPage{Heading: "Trop de demandes",
		Text: why + " Réessayez dans " + frenchWait(wait) +
			". Ce que vous avez saisi n'a pas été enregistré : revenez à la page précédente pour le retrouver."})
}

// frenchWait writes a wait as a French reader expects it: "30 secondes", "1 minute", "4 minutes".
func frenchWait(d time.Duration) string {
	if d < time.Minute {
		n := max(1, int((d+time.Second-1)/time.Second))
		return plural(n, "seconde", "secondes")
	}
	n := int((d + time.Minute - 1) / time.Minute)
	return plural(n, "minute", "minutes")
}
