// Package e2e holds the browser end-to-end tests of Parcours: the real binary, started with
// `serve --demo` on SQLite or PostgreSQL, driven by a headless chromium through chromedp.
//
// The tests are skipped when chromium is missing, unless CI=true or PARCOURS_E2E_REQUIRED=1
// (set by `make test`), where they fail. PARCOURS_CHROMIUM names the browser to use.
package e2e
