package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// healthz says the process is alive; it touches nothing else so that a slow database does
// not make an orchestrator kill healthy instances.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether this instance can serve: database reachable, schema current and the
// searches' read model built (so that a load balancer sends no search to an instance that
// would make it wait for the build).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{"database": "ok", "schema": "ok"}
	code := http.StatusOK
	if err := s.health.Ping(ctx); err != nil {
		status["database"] = "injoignable"
		status["schema"] = "inconnu"
		code = http.StatusServiceUnavailable
	} else if err := s.health.CheckSchema(ctx); err != nil {
		status["schema"] = err.Error()
		code = http.StatusServiceUnavailable
	}
	if s.searchReady != nil {
		status["recherche"] = "ok"
		if !s.searchReady() {
			status["recherche"] = "en préparation"
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(status)
}
