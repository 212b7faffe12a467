package api

import (
	"context"
	"net/http"
	"strings"

	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/ratelimit"
)

// PASSVerifier answers the public verification of a PASS IAE (approval.Service.Verify).
type PASSVerifier interface {
	Verify(ctx context.Context, number string, birth database.Date, client string) (approval.Verification, error)
}

// verificationStates are the API's codes of the states.
var verificationStates = map[approval.State]string{approval.Valid: "valide", approval.Future: "valide", approval.Suspended: "suspendu", approval.Expired: "expire"}

// passVerification answers GET /api/v1/pass-iae/verification?numero=…&date_naissance=…: the
// state and the last day, nothing else. A wrong birth date answers exactly like an unknown
// number (404). Attempts are limited per client address (10 a minute by default) and recorded
// by the verifier.
func (a *API) passVerification(w http.ResponseWriter, r *http.Request) {
	if ok, wait := a.verifyLimiter.Allow(a.clientIP(r)); !ok {
		w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
		writeProblem(w, Problem{Status: http.StatusTooManyRequests,
			Detail: "Trop de vérifications : réessayez dans " + ratelimit.RetryAfter(wait) + " seconde(s)."})
		return
	}
	q := r.URL.Query()
	number := strings.ReplaceAll(strings.TrimSpace(q.Get("numero")), " ", "")
	var errs []ParamError
	if len(number) != 12 {
		errs = append(errs, ParamError{Parameter: "numero", Message: "Le numéro du PASS IAE compte 12 chiffres."})
	}
	birth, err := database.ParseDate(strings.TrimSpace(q.Get("date_naissance")))
	if err != nil {
		errs = append(errs, ParamError{Parameter: "date_naissance", Message: "Date de naissance attendue au format AAAA-MM-JJ."})
	}
	if len(errs) > 0 {
		writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "Paramètres invalides.", Errors: errs})
		return
	}
	v, err := a.passes.Verify(r.Context(), number, birth, a.clientIP(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !v.Found {
		writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "Aucun PASS IAE ne correspond à ce numéro et à cette date de naissance."})
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Etat string        `json:"etat"`
		Fin  database.Date `json:"fin"`
	}{verificationStates[v.State], v.Until})
}
