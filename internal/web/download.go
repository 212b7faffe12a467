package web

import (
	"net/http"

	"parcours/internal/files"
)

// writeFile sends a file as a download. f comes from a domain service whose access.Read
// decided and recorded the read (package files decides nothing); the headers are those
// files.Info.Headers computes (type decided by content at upload, attachment with the
// sanitised name, nosniff, no-store, a sandboxing CSP that replaces the pages' one, length).
// The header logic lives in package files, which does not import net/http; this is the
// HTTP glue.
func writeFile(w http.ResponseWriter, r *http.Request, f files.File) {
	h := w.Header()
	for k, v := range f.Headers() {
		h.Set(k, v)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.Content)
}
