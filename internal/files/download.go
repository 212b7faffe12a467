package files

import "strconv"

// Headers returns the response headers of a download of the file, for the web layer to set
// before writing the content (internal/web/download.go does both):
//
//   - Content-Type is the stored media type, decided by content at upload, never the browser's;
//   - Content-Disposition is "attachment" with the sanitised name (ContentDisposition), so the
//     browser saves the file instead of rendering what a person uploaded in the platform's
//     origin;
//   - X-Content-Type-Options: nosniff keeps the browser from second-guessing the type;
//   - Cache-Control: no-store keeps personal documents out of shared and browser caches;
//   - Content-Security-Policy: sandbox, without any source, in case a browser renders the
//     file anyway (a PDF viewer opened from the downloads bar): no script, no form, no plugin;
//   - Content-Length is the content's size.
//
// It is a map rather than an http.Header so that this package does not depend on net/http:
// domain packages stay free of the web layer.
func (i Info) Headers() map[string]string {
	return map[string]string{
		"Content-Type":            i.MediaType,
		"Content-Disposition":     ContentDisposition(i.Name),
		"Content-Length":          strconv.FormatInt(i.Size, 10),
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	}
}
