#!/usr/bin/env bash
# Prints a PostgreSQL URL that tests may use to create databases, starting or installing the
# server when it can. Exits 1 with the exact missing piece otherwise.
set -euo pipefail

say() { echo "postgres: $*" >&2; }
works() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

if [[ -n "${PARCOURS_TEST_POSTGRES_URL:-}" ]]; then
	if works "$PARCOURS_TEST_POSTGRES_URL"; then echo "$PARCOURS_TEST_POSTGRES_URL"; exit 0; fi
	say "PARCOURS_TEST_POSTGRES_URL is set but does not answer: $PARCOURS_TEST_POSTGRES_URL"; exit 1
fi

role_url="postgres://parcours_test:parcours_test@127.0.0.1:5432/postgres?sslmode=disable"
trust_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
for u in "$trust_url" "$role_url"; do
	if command -v psql >/dev/null && works "$u"; then echo "$u"; exit 0; fi
done

as_postgres() {
	if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		say "installing the PostgreSQL server (apt-get install postgresql)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-client >&2 \
			|| { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-client >&2; }
	else
		say "no PostgreSQL server here. Install it (sudo apt-get install postgresql) or set PARCOURS_TEST_POSTGRES_URL to a server where the user may create databases."
		exit 1
	fi
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
	say "starting the PostgreSQL cluster"
	if command -v pg_lsclusters >/dev/null && [[ -n "$(pg_lsclusters -h 2>/dev/null)" ]]; then
		read -r ver name _ < <(pg_lsclusters -h | head -n1)
		if [[ $(id -u) -eq 0 ]]; then pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2 || true
		else sudo -n pg_ctlcluster "$ver" "$name" start >&2 || true; fi
	fi
	for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	pg_isready -q -h 127.0.0.1 -p 5432 || { say "the server did not start (see pg_lsclusters)"; exit 1; }
fi

for u in "$trust_url" "$role_url"; do
	if works "$u"; then echo "$u"; exit 0; fi
done

# Create a dedicated role rather than touching the postgres account's password.
if as_postgres psql -q -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parcours_test') THEN CREATE ROLE parcours_test LOGIN CREATEDB PASSWORD 'parcours_test'; END IF; END\$\$;" >&2; then
	if works "$role_url"; then echo "$role_url"; exit 0; fi
fi
say "cannot log in to PostgreSQL on 127.0.0.1:5432. Set PARCOURS_TEST_POSTGRES_URL to an account allowed to create databases."
exit 1
