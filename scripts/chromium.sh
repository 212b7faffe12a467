#!/usr/bin/env bash
# Prints the path of a chromium binary for the browser tests, installing Debian's package when
# possible. Exits 1 saying what is missing otherwise.
set -euo pipefail
for c in "${PARCOURS_CHROMIUM:-}" chromium chromium-browser google-chrome; do
	[[ -n "$c" ]] && command -v "$c" >/dev/null && { command -v "$c"; exit 0; }
done
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
	echo "chromium: installing Debian's chromium package" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2 \
		|| { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2; }
	command -v chromium && exit 0
fi
echo "chromium: not found. Install it (sudo apt-get install chromium) or set PARCOURS_CHROMIUM to a Chrome or Chromium binary." >&2
exit 1
