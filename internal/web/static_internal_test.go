package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestAcceptEncoding(t *testing.T) {
	for _, tc := range []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br, zstd", "br", true},
		{"gzip, deflate", "br", false},
		{"gzip;q=0.5, br;q=0", "br", false},
		{"gzip;q=0.5, br;q=0", "gzip", true},
		{"*", "gzip", true},
		{"*;q=0, gzip", "br", false},
		{"identity", "gzip", false},
		{"", "gzip", false},
		{" GZIP ;q=1.0", "gzip", true},
	} {
		if got := accepts(tc.header, tc.coding); got != tc.want {
			t.Errorf("accepts(%q, %q) = %v", tc.header, tc.coding, got)
		}
	}
}

// The built assets are served under their hashed names with a year of immutable cache,
// compressed as the browser accepts; the platform's plain files with an ETag.
func TestStaticFilesAreHashedAndCompressed(t *testing.T) {
	sf, err := newStaticFiles()
	if err != nil {
		t.Fatal(err)
	}
	if !sf.hasVendorAssets() {
		t.Fatal("internal/web/static/vendor/manifest.json is missing: run `make assets`")
	}
	css := sf.url("css/site.css")
	if !regexp.MustCompile(`^/static/vendor/css/site\.[0-9a-f]{10}\.css$`).MatchString(css) {
		t.Fatalf("stylesheet at %s", css)
	}
	get := func(path, acceptEncoding string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.SetPathValue("path", strings.TrimPrefix(path, "/static/"))
		if acceptEncoding != "" {
			r.Header.Set("Accept-Encoding", acceptEncoding)
		}
		w := httptest.NewRecorder()
		sf.ServeHTTP(w, r)
		return w
	}
	plain := get(css, "")
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" || !strings.HasPrefix(plain.Header().Get("Content-Type"), "text/css") ||
		plain.Header().Get("Cache-Control") != immutableCache || plain.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("plain: %d %v", plain.Code, plain.Header())
	}
	br := get(css, "gzip, deflate, br")
	if br.Header().Get("Content-Encoding") != "br" || br.Body.Len() >= plain.Body.Len()/4 || !strings.HasPrefix(br.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("brotli: %v, %d bytes for %d", br.Header(), br.Body.Len(), plain.Body.Len())
	}
	gz := get(css, "gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v", gz.Header())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, _ := io.ReadAll(zr); !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatal("the gzip copy is not the file")
	}
	// The stylesheet's fonts and icons are hashed files too.
	for _, m := range regexp.MustCompile(`url\(([^)]+)\)`).FindAllStringSubmatch(plain.Body.String(), -1) {
		u := strings.Trim(m[1], `"'`)
		if strings.HasPrefix(u, "data:") {
			continue
		}
		if !sf.hashed[strings.TrimPrefix(u, "/static/")] {
			t.Errorf("the stylesheet refers to %s, which is not a hashed file", m[1])
		}
	}
	own := get("/static/css/parcours.css", "br")
	if own.Code != 200 || own.Header().Get("ETag") == "" || own.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("plain file: %d %v", own.Code, own.Header())
	}
	if w := get("/static/vendor/manifest.json.gz", ""); w.Code != 404 {
		t.Errorf("a compressed copy served by name: %d", w.Code)
	}
}

// stylesheets returns the DSFR's whole stylesheet, from its npm package, and the one the
// platform embeds (make assets).
func stylesheets(t *testing.T) (dsfr, embedded []byte) {
	t.Helper()
	dsfr, err := os.ReadFile("../../node_modules/@gouvfr/dsfr/dist/dsfr.main.min.css")
	if err != nil {
		t.Fatalf("the DSFR package is missing: run `make assets` (%v)", err)
	}
	sf, err := newStaticFiles()
	if err != nil {
		t.Fatal(err)
	}
	embedded, err = staticFS.ReadFile("static/vendor/" + sf.manifest["css/site.css"])
	if err != nil {
		t.Fatal(err)
	}
	return dsfr, embedded
}

// The stylesheet holds every DSFR class the templates use: a template that starts using
// a component makes `make assets` build the stylesheet again, and this test fails when the
// embedded one was built before.
func TestStylesheetHasTheClassesTemplatesUse(t *testing.T) {
	whole, bundle := stylesheets(t)
	icons, err := os.ReadFile("../../node_modules/@gouvfr/dsfr/dist/utility/icons/icons.main.min.css")
	if err != nil {
		t.Fatal(err)
	}
	defined := func(css []byte, class string) bool {
		return regexp.MustCompile(`\.` + regexp.QuoteMeta(class) + `([^a-zA-Z0-9_-]|$)`).Match(css)
	}
	classes := map[string]bool{}
	files, _ := templateFS.ReadDir("templates/pages")
	names := []string{"templates/layout.html"}
	for _, f := range files {
		names = append(names, "templates/pages/"+f.Name())
	}
	partials, _ := templateFS.ReadDir("templates/partials")
	for _, f := range partials {
		names = append(names, "templates/partials/"+f.Name())
	}
	for _, name := range names {
		b, err := templateFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range regexp.MustCompile(`fr-[a-z0-9_-]+[a-z0-9]`).FindAllString(string(b), -1) {
			classes[c] = true
		}
	}
	// A class the DSFR styles only inside another class no template uses (.fr-search-bar
	// .fr-input--error) is purged from the bundle: required are the classes that start a
	// selector of the DSFR.
	starts := func(css []byte, class string) bool {
		return regexp.MustCompile(`(^|[{},])\.` + regexp.QuoteMeta(class) + `([^a-zA-Z0-9_-]|$)`).Match(css)
	}
	for c := range classes {
		inDSFR := starts(whole, c) || (strings.HasPrefix(c, "fr-icon-") && defined(icons, c))
		if inDSFR && !defined(bundle, c) {
			t.Errorf("class %s is used by a template but missing from the DSFR stylesheet: run `make assets`", c)
		}
	}
}

// The build drops the custom properties nothing reads (about 800 of the DSFR's thousand): every
// property the stylesheet reads and the DSFR or the platform defines must still be defined.
func TestStylesheetDefinesThePropertiesItReads(t *testing.T) {
	whole, bundle := stylesheets(t)
	own, err := staticFS.ReadFile("static/css/parcours.css")
	if err != nil {
		t.Fatal(err)
	}
	definitions := func(css []byte) map[string]bool {
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(`[{;](--[a-zA-Z0-9_-]+):`).FindAllSubmatch(css, -1) {
			out[string(m[1])] = true
		}
		return out
	}
	known := definitions(append(whole, own...))
	defined := definitions(bundle)
	reads := regexp.MustCompile(`var\((--[a-zA-Z0-9_-]+)`).FindAllSubmatch(bundle, -1)
	if len(reads) < 100 {
		t.Fatalf("the stylesheet reads %d custom properties: not the DSFR's", len(reads))
	}
	missing := map[string]bool{}
	for _, m := range reads {
		if name := string(m[1]); known[name] && !defined[name] {
			missing[name] = true
		}
	}
	if len(missing) > 0 {
		t.Errorf("the stylesheet reads custom properties it no longer defines: %v", slices.Sorted(maps.Keys(missing)))
	}
	if len(defined) > len(known)/2 {
		t.Errorf("the stylesheet defines %d of the %d custom properties of the DSFR: the unread ones are not dropped", len(defined), len(known))
	}
}
