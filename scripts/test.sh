#!/usr/bin/env bash
# Runs every test with PostgreSQL and chromium available, failing (not skipping) without them.
# Extra arguments go to `go test` (default: ./...).
set -euo pipefail
cd "$(dirname "$0")/.."

PARCOURS_TEST_POSTGRES_URL=$(scripts/postgres.sh)
PARCOURS_CHROMIUM=$(scripts/chromium.sh)
PARCOURS_XMLLINT=$(scripts/xmllint.sh)
# qpdf and poppler-utils, to check the tagged PDFs (internal/pdftag/pdftagtest).
scripts/pdftools.sh
export PARCOURS_TEST_POSTGRES_URL PARCOURS_CHROMIUM PARCOURS_XMLLINT
export PARCOURS_TEST_POSTGRES_REQUIRED=1 PARCOURS_E2E_REQUIRED=1
echo "test: PostgreSQL at ${PARCOURS_TEST_POSTGRES_URL%%\?*}, chromium at $PARCOURS_CHROMIUM" >&2

if [[ $# -eq 0 ]]; then
	go vet ./...
	set -- ./...
fi
exec go test -count=1 -timeout 20m "$@"
