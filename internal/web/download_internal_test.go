package web

import (
	"bytes"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"

	"parcours/internal/files"
)

func TestWriteFile(t *testing.T) {
	content := []byte("%PDF-1.7\n%%EOF\n")
	f := files.File{Info: files.Info{Name: "CV Agnès.pdf", Format: files.PDF, MediaType: "application/pdf", Size: int64(len(content))},
		Content: content}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rec := httptest.NewRecorder()
		// A page's headers set earlier by the middleware are replaced, not added to.
		rec.Header().Set("Content-Security-Policy", "default-src 'self'")
		writeFile(rec, httptest.NewRequest(method, "/fichiers/x", nil), f)
		h := rec.Result().Header
		for k, want := range map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Length":          "15",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-store",
			"Content-Security-Policy": "default-src 'none'; sandbox",
		} {
			if got := h.Values(k); len(got) != 1 || got[0] != want {
				t.Errorf("%s %s: %q, want %q", method, k, got, want)
			}
		}
		disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != "CV Agnès.pdf" {
			t.Errorf("%s Content-Disposition %q: %s %v %v", method, h.Get("Content-Disposition"), disp, params, err)
		}
		wantBody := content
		if method == http.MethodHead {
			wantBody = nil
		}
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), wantBody) {
			t.Errorf("%s: %d, %d bytes", method, rec.Code, rec.Body.Len())
		}
	}
}
