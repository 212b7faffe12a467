// Package api serves the JSON API under /api/v1: public endpoints (structures) now, token
// endpoints later. Errors are RFC 9457 problem documents in French. The API never reads the
// web session cookie, so cross-site requests cannot act with a user's rights.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"sync/atomic"

	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/ratelimit"
	"parcours/internal/refdata"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists the invalid parameters, each with a French message.
	Errors []ParamError `json:"errors,omitempty"`
}

// ParamError names a query parameter and what is wrong with it.
type ParamError struct {
	Parameter string `json:"parameter"`
	Message   string `json:"message"`
}

var titles = map[int]string{
	http.StatusBadRequest:          "Requête invalide",
	http.StatusNotFound:            "Ressource introuvable",
	http.StatusMethodNotAllowed:    "Méthode non permise",
	http.StatusTooManyRequests:     "Trop de requêtes",
	http.StatusInternalServerError: "Erreur interne",
	http.StatusServiceUnavailable:  "Service momentanément indisponible",
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = titles[p.Status]
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// fail answers with the problem matching err's kind; details of unexpected errors go to the
// log, never to the client.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if fields := fault.FieldsOf(err); fields != nil {
		p := Problem{Status: http.StatusBadRequest, Detail: "Un ou plusieurs paramètres sont invalides."}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.Errors = append(p.Errors, ParamError{Parameter: k, Message: fields[k]})
		}
		writeProblem(w, p)
		return
	}
	switch {
	case errors.Is(err, fault.NotFound):
		writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "Aucune ressource ne correspond à cet identifiant."})
	case errors.Is(err, fault.Invalid):
		writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, fault.Unavailable), database.IsUnavailable(err):
		w.Header().Set("Retry-After", "30")
		writeProblem(w, Problem{Status: http.StatusServiceUnavailable, Detail: "Réessayez dans quelques instants."})
	default:
		a.log.Error("api internal error", "route", r.Pattern, "err", err)
		writeProblem(w, Problem{Status: http.StatusInternalServerError, Detail: "Une erreur inattendue est survenue ; elle a été signalée."})
	}
}

// API is the JSON API handler.
type API struct {
	log      *slog.Logger
	mux      *http.ServeMux
	limiter  *ratelimit.Limiter
	offer    *offer.Service
	places   *refdata.Data
	clientIP func(*http.Request) string
	// verifyLimiter bounds the PASS IAE verifications per client address; passes answers them.
	verifyLimiter *ratelimit.Limiter
	passes        PASSVerifier
	// cards is the JSON of the structures found by the searches of the current generation.
	cards atomic.Pointer[cardSet]
}
