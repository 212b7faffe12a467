package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// staticFiles serves the embedded assets. `make assets` (scripts/assets.mjs) names every file
// of static/vendor by a hash of its content and writes a gzip and a brotli copy of the text
// files, with a manifest from the names pages ask for to the hashed ones (asset): a hashed
// file never changes, so it is sent with a year of cache marked immutable, compressed as the
// browser accepts. Other files (the platform's own under static/css and static/js, by their
// plain names) get a content hash as ETag and an hour of cache, so browsers revalidate
// cheaply after an upgrade.
type staticFiles struct {
	fsys fs.FS
	// manifest maps a logical name ("css/site.css") to its hashed file under vendor/.
	manifest map[string]string
	// hashed holds the hashed files' paths (vendor/…), immutable.
	hashed map[string]bool
	// etags are the plain files' ETags.
	etags map[string]string
}

const immutableCache = "public, max-age=31536000, immutable"

func newStaticFiles() (*staticFiles, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	sf := &staticFiles{fsys: sub, manifest: map[string]string{}, hashed: map[string]bool{}, etags: map[string]string{}}
	if b, err := fs.ReadFile(sub, "vendor/manifest.json"); err == nil {
		if err := json.Unmarshal(b, &sf.manifest); err != nil {
			return nil, err
		}
		for _, name := range sf.manifest {
			sf.hashed["vendor/"+name] = true
		}
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "vendor/") {
			return err
		}
		f, err := sub.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		sf.etags[p] = `"` + hex.EncodeToString(h.Sum(nil)[:8]) + `"`
		return nil
	})
	return sf, err
}

// url is the address of an asset by its logical name: its hashed file when `make assets`
// built it, else the plain file.
func (sf *staticFiles) url(name string) string {
	if h, ok := sf.manifest[name]; ok {
		return "/static/vendor/" + h
	}
	return "/static/" + name
}

func (sf *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.PathValue("path")), "/")
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	if sf.hashed[name] {
		h.Set("Cache-Control", immutableCache)
		h.Set("Vary", "Accept-Encoding")
		file := name
		for _, enc := range []struct{ token, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if accepts(r.Header.Get("Accept-Encoding"), enc.token) {
				if _, err := fs.Stat(sf.fsys, name+enc.suffix); err == nil {
					file = name + enc.suffix
					h.Set("Content-Encoding", enc.token)
					break
				}
			}
		}
		sf.serve(w, r, file)
		return
	}
	etag, ok := sf.etags[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=3600")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	sf.serve(w, r, name)
}

// serve writes an embedded file without copying it (embedded files are seekable).
func (sf *staticFiles) serve(w http.ResponseWriter, r *http.Request, name string) {
	f, err := sf.fsys.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, rs)
}

// accepts tells whether an Accept-Encoding header accepts a coding (a q-value of 0 refuses
// it; "*" accepts any).
func accepts(header, coding string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		token, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		token = strings.ToLower(strings.TrimSpace(token))
		if token != coding && token != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if token == coding {
			return q > 0
		}
		star = q > 0
	}
	return star
}

// hasVendorAssets tells whether `make assets` ran before the build.
func (sf *staticFiles) hasVendorAssets() bool {
	_, ok := sf.manifest["css/site.css"]
	return ok
}
