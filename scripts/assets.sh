#!/bin/sh
# Copies the front-end packages installed by npm into the folder the binary embeds.
# Only what the pages use is copied; nothing under internal/web/static/vendor is committed.
set -eu
cd "$(dirname "$0")/.."
src=node_modules/@gouvfr/dsfr/dist
dst=internal/web/static/vendor
if [ ! -f "$src/dsfr.min.css" ] || [ ! -f node_modules/htmx.org/dist/htmx.min.js ]; then
	echo "assets: node_modules is missing; run: npm ci --ignore-scripts" >&2
	exit 1
fi
rm -rf "$dst"
mkdir -p "$dst/dsfr/utility/icons" "$dst/htmx"
cp "$src/dsfr.min.css" "$src/dsfr.module.min.js" "$src/dsfr.nomodule.min.js" "$dst/dsfr/"
cp -R "$src/fonts" "$src/favicon" "$src/icons" "$src/artwork" "$dst/dsfr/"
cp "$src/utility/icons/icons.min.css" "$dst/dsfr/utility/icons/"
cp node_modules/htmx.org/dist/htmx.min.js "$dst/htmx/"
echo "assets: DSFR $(node -p "require('./node_modules/@gouvfr/dsfr/package.json').version") and htmx $(node -p "require('./node_modules/htmx.org/package.json').version") copied to $dst"
