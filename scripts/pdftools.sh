#!/usr/bin/env bash
# Checks that qpdf, pdfinfo and pdftotext are on the PATH: the tests of the tagged PDFs
# (internal/pdftag/pdftagtest) check the files with qpdf --check and read them with poppler.
# Installs Debian's qpdf and poppler-utils when possible; exits 1 saying what is missing otherwise.
set -euo pipefail
missing() {
	local m=()
	command -v qpdf >/dev/null || m+=(qpdf)
	{ command -v pdfinfo >/dev/null && command -v pdftotext >/dev/null; } || m+=(poppler-utils)
	echo "${m[@]}"
}
need=$(missing)
[[ -z "$need" ]] && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
	echo "pdftools: installing Debian's $need" >&2
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >&2 \
		|| { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >&2; }
	[[ -z "$(missing)" ]] && exit 0
fi
echo "pdftools: $need not found. Install them (sudo apt-get install qpdf poppler-utils)." >&2
exit 1
