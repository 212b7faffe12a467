#!/usr/bin/env bash
# Prints the path of xmllint, which the tests use to validate the SEPA payment files against the
# ISO 20022 schema (internal/sepa/sepatest), installing Debian's libxml2-utils when possible.
# Exits 1 saying what is missing otherwise.
set -euo pipefail
for c in "${PARCOURS_XMLLINT:-}" xmllint; do
	[[ -n "$c" ]] && command -v "$c" >/dev/null && { command -v "$c"; exit 0; }
done
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
	echo "xmllint: installing Debian's libxml2-utils package" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q libxml2-utils >&2 \
		|| { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libxml2-utils >&2; }
	command -v xmllint && exit 0
fi
echo "xmllint: not found. Install it (sudo apt-get install libxml2-utils) or set PARCOURS_XMLLINT to an xmllint binary." >&2
exit 1
