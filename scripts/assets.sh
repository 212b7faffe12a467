#!/bin/sh
# Builds the front-end assets the binary embeds from the packages npm installed and the
# platform's own files (scripts/assets.mjs): a DSFR stylesheet of the components and icons the
# templates use, every file named by its content, gzip and brotli copies, a manifest.
# Nothing under internal/web/static/vendor is committed.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f node_modules/@gouvfr/dsfr/dist/dsfr.main.min.css ]; then
	echo "assets: node_modules is missing; run: npm ci --ignore-scripts" >&2
	exit 1
fi
node scripts/assets.mjs
