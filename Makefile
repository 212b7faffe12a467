# Parcours — the two commands: `make run` (demo on SQLite) and `make test` (every test).
SHELL := /bin/bash
GO ?= go

.PHONY: run test build assets vet bench clean

# Front-end packages are pinned in package-lock.json, installed without running their scripts,
# and built into the embedded static folder (scripts/assets.mjs). Nothing of it is committed.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# The DSFR stylesheet holds the components and icons the templates use: it is built again when
# a template changes.
internal/web/static/vendor/.copied: node_modules/.installed scripts/assets.sh scripts/assets.mjs \
		$(wildcard internal/web/templates/*.html internal/web/templates/*/*.html internal/web/static/css/* internal/web/static/js/*)
	scripts/assets.sh
	@touch $@

assets: internal/web/static/vendor/.copied

build: assets
	$(GO) build -o bin/parcours ./cmd/parcours

# Starts the platform on http://localhost:8080 with an SQLite file under ./var and demo data.
run: build
	./bin/parcours serve --demo

# Runs every test: unit, store tests on SQLite and PostgreSQL, HTTP and browser tests.
# scripts/test.sh finds, starts or installs PostgreSQL and chromium, or says what is missing.
test: assets
	scripts/test.sh

vet:
	$(GO) vet ./...

bench: assets
	scripts/test.sh -run '^$$' -bench . -benchtime 2s ./internal/refdata/ ./internal/access/ ./internal/account/ ./internal/crypto/ ./internal/files/ ./internal/offer/... ./internal/offer/registrycsv/ ./bench/applications/

clean:
	rm -rf bin internal/web/static/vendor node_modules
