package web

import (
	"net/http"
	"strconv"

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

// writeAttachment sends a document the server made (a PDF, a payment file) as a download that
// no cache keeps.
func writeAttachment(w http.ResponseWriter, r *http.Request, contentType, name string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
