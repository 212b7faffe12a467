package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes caps request bodies. Forms are small; uploads (later) get their own limit.
const maxBodyBytes = 1 << 20

// applicationBodyLimit lets an application carry its CV (5 MB) with the form around it.
const applicationBodyLimit = 6 << 20

type ctxKey int

const requestKey ctxKey = iota

// request holds what the middleware learns about a request.
type request struct {
	id      string
	session *sessionInfo // nil when anonymous
}

func reqInfo(ctx context.Context) *request {
	if r, ok := ctx.Value(requestKey).(*request); ok {
		return r
	}
	return &request{}
}

// RequestID returns the request's identifier (also sent as X-Request-Id).
func RequestID(ctx context.Context) string { return reqInfo(ctx).id }

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter records the status and size of a response for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe assigns the request ID, recovers panics, logs one line per request and feeds
// the metrics. The log line names the route pattern, never the raw path, because paths carry
// tokens (password reset, invitations).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &request{id: newRequestID()}
		if s.cfg.TrustProxy {
			if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
				info.id = id
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), requestKey, info))
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", info.id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", info.id, "route", r.Pattern, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.renderError(sw, r, http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.observe(route, r.Method, sw.status, elapsed)
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", info.id), slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", sw.status), slog.Int("bytes", sw.bytes), slog.Duration("duration", elapsed))
		}()
		next.ServeHTTP(sw, r)
	})
}

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// secure sets the security headers on every response and caps request bodies.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// Nothing is cacheable unless a handler says so (static assets do): pages, redirects
		// and errors may all reveal something about a person.
		h.Set("Cache-Control", "no-store")
		if s.cfg.Secure() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		limit := int64(maxBodyBytes)
		if r.URL.Path == "/admin/structures/import" {
			limit = importBodyLimit
		}
		if strings.HasSuffix(r.URL.Path, "/postuler") || strings.HasSuffix(r.URL.Path, "/accompagnement/justificatif") {
			limit = applicationBodyLimit
		}
		if documentUpload(r.URL.Path) {
			limit = documentBodyLimit
		}
		if r.ContentLength > limit {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// The policy allows only the platform's own files: no inline script or style, no framing.
// data: images are needed by DSFR's CSS icons.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// clientIP returns the address used for throttling.
func (s *Server) clientIP(r *http.Request) string { return ClientIP(s.cfg.TrustProxy)(r) }

// ClientIP returns a function giving a request's client address: behind a trusted proxy, the
// last address the proxy appended to X-Forwarded-For; otherwise the connection's peer.
func ClientIP(trustProxy bool) func(*http.Request) string {
	return func(r *http.Request) string { return clientAddr(r, trustProxy) }
}

func clientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			for i := len(last) - 1; i >= 0; i-- {
				if last[i] == ',' {
					last = last[i+1:]
					break
				}
			}
			if ip := net.ParseIP(trimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func trimSpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// parseForm reads a posted form; a body over the limit answers 413.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return false
		}
		s.renderError(w, r, http.StatusBadRequest)
		return false
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
