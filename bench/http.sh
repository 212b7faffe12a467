#!/usr/bin/env bash
# Throughput of the public pages over HTTP against /healthz's, side by side, in one run on one
# machine: the JSON search of the API, the HTML searches of employers and job offers, the
# structure pages; and the server's memory (RSS) after start and after the load.
#
#   bench/http.sh                      # SQLite file in a fresh data folder
#   bench/http.sh --postgres URL       # PostgreSQL: URL is an account allowed to create databases;
#                                      # a dedicated database is created, then dropped
#
# Options: --duration 30s --threads 2 --connections 32 --warmup 5s --structures 5000
# --job-descriptions 25000 --radius 25 --communes 200 (how many search centres the requests
# rotate over, drawn in proportion to population; 2000 or more shows that the result does not
# come from repeated queries) --targets "api recherche postes structures" (what to measure
# besides /healthz) --keep (keep the data folder, binaries and server log) --profile (serve
# through bench/profile, which builds the same handler, and profile the server during each
# target's measurement: CPU, blocking, lock contention; summaries in TARGET-*.txt).
# The target "candidatures" (--targets "api candidatures") is an employer's received
# applications page, logged in, for the structure that received the most of
# --applications 1000000 applications (seeded with them: minutes, not seconds); without it the
# seed makes no job seekers nor applications.
# Results go to bench/results/DATE-ENGINE/ (ignored by git); the summary is printed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

postgres_admin=""
duration=30s
warmup=5s
threads=2
connections=32
structures=5000
job_descriptions=25000
radius=25
communes=200
keep=false
profile=false
targets="api recherche postes structures"
applications=1000000
while [ $# -gt 0 ]; do
	case "$1" in
	--postgres) postgres_admin=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--connections) connections=$2; shift 2 ;;
	--structures) structures=$2; shift 2 ;;
	--job-descriptions) job_descriptions=$2; shift 2 ;;
	--radius) radius=$2; shift 2 ;;
	--communes) communes=$2; shift 2 ;;
	--targets) targets=$2; shift 2 ;;
	--applications) applications=$2; shift 2 ;;
	--keep) keep=true; shift ;;
	--profile) profile=true; shift ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "bench/http.sh : option inconnue $1 (voir --help)" >&2; exit 2 ;;
	esac
done

say() { printf '\n== %s\n' "$*"; }

# The load tool: wrk, from Debian's package.
if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing wrk (apt-get install wrk)"
		apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	else
		echo "bench/http.sh : wrk est introuvable. Installez-le : sudo apt-get install wrk (Debian, Ubuntu)," >&2
		echo "  ou compilez-le depuis https://github.com/wg/wrk, puis relancez." >&2
		exit 1
	fi
fi

engine=sqlite
[ -n "$postgres_admin" ] && engine=postgres
work="$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$engine"
mkdir -p "$work"
data="$work/data"

server_pid=""
bench_db=""
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -n "$bench_db" ]; then
		psql -q "$postgres_admin" -c "DROP DATABASE IF EXISTS $bench_db" >/dev/null 2>&1 || echo "base $bench_db non supprimée" >&2
	fi
	if [ "$keep" = false ]; then
		rm -rf "$data" "$work/server.log" "$work/parcours" "$work/seed"
	fi
}
trap cleanup EXIT

uptime_before=$(uptime | sed 's/.*load average/load average/')
say "building"
make -s assets
go build -o "$work/parcours" ./cmd/parcours
go build -o "$work/seed" ./bench/seed
server=("$work/parcours" serve)
if [ "$profile" = true ]; then
	go build -o "$work/parcours" ./bench/profile
	server=("$work/parcours" --out "$work/search")
fi

database_url=""
if [ -n "$postgres_admin" ]; then
	command -v psql >/dev/null || { echo "bench/http.sh : psql est nécessaire avec --postgres" >&2; exit 1; }
	bench_db="parcours_bench_$(date +%s)_$$"
	psql -q "$postgres_admin" -c "CREATE DATABASE $bench_db" >/dev/null
	# The same URL with the dedicated database in place of the admin one.
	database_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$postgres_admin" "$bench_db")
fi

people=(--job-seekers 0 --applications 0)
password="Bench-Candidatures-2026"
case " $targets " in
*" candidatures "*) people=(--job-seekers $((applications * 3 / 10)) --applications "$applications" --login-password "$password") ;;
esac
say "seeding $structures structures and $job_descriptions job descriptions ($engine) ${people[*]:0:4}"
PARCOURS_DATABASE_URL="$database_url" "$work/seed" --data-dir "$data" --structures "$structures" \
	--job-descriptions "$job_descriptions" --communes "$communes" --wrk-script "$work/search.lua" "${people[@]}" | tee "$work/seed.txt"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
say "starting parcours serve on $base"
PARCOURS_DATABASE_URL="$database_url" PARCOURS_DATA_DIR="$data" PARCOURS_ADDR="127.0.0.1:$port" \
	PARCOURS_API_RATE_LIMIT=100000000 PARCOURS_JOBS=false \
	"${server[@]}" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 600); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] && break
	kill -0 "$server_pid" 2>/dev/null || { echo "le serveur s'est arrêté :" >&2; tail -20 "$work/server.log" >&2; exit 1; }
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] || { echo "/readyz ne répond pas 200" >&2; exit 1; }
# Memory: the resident set of the server process (VmRSS), and its peak (VmHWM).
rss() { awk -v k="$1:" '$1 == k {printf "%.0f MB", $2 / 1024}' "/proc/$server_pid/status"; }
rss_ready="$(rss VmRSS)"
echo "ready: RSS $rss_ready (peak $(rss VmHWM))"
sample="$base/api/v1/structures?code_insee=69123&distance_max_km=$radius"
status=$(curl -s -o "$work/sample.json" -w '%{http_code}' "$sample")
[ "$status" = 200 ] || { echo "recherche : statut $status" >&2; cat "$work/sample.json" >&2; exit 1; }
echo "sample search around Lyon: $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["total"], "structures,", len(d["items"]), "on the first page,", len(open(sys.argv[1], "rb").read()), "bytes")' "$work/sample.json")"
for page in "/recherche?commune=69123&rayon=$radius" "/recherche/postes?commune=69123&rayon=$radius"; do
	status=$(curl -s -o "$work/sample.html" -w '%{http_code} %{size_download}' "$base$page")
	[ "${status%% *}" = 200 ] || { echo "$page : statut $status" >&2; exit 1; }
	echo "sample $page: ${status#* } bytes"
done

# The received applications page needs an employer's session: log in, keep the cookie.
export BENCH_COOKIE=""
case " $targets " in
*" candidatures "*)
	employer=$(sed -n 's/^connexion employeur : //p' "$work/seed.txt")
	curl -s -o /dev/null -c "$work/cookies" --data-urlencode "email=$employer" --data-urlencode "password=$password" "$base/connexion"
	BENCH_COOKIE=$(awk '{sub(/^#HttpOnly_/, "")} !/^#/ && NF >= 7 {print $6 "=" $7}' "$work/cookies" | head -1)
	status=$(curl -s -o "$work/sample.html" -w '%{http_code} %{size_download}' -H "Cookie: $BENCH_COOKIE" "$base/candidatures")
	[ "${status%% *}" = 200 ] || { echo "/candidatures (connecté comme $employer) : statut $status" >&2; exit 1; }
	echo "sample /candidatures as $employer: ${status#* } bytes"
	;;
esac

# One wrk invocation, the same settings for every target.
load() { # name duration path [target]
	local name=$1 d=$2 path=$3 target=${4:-}
	local args=(-t"$threads" -c"$connections" -d"$d" --latency)
	[ -n "$target" ] && args+=(-s "$work/search.lua")
	BENCH_RADIUS_KM=$radius BENCH_TARGET=$target wrk "${args[@]}" "$base$path" >"$work/$name.txt"
}
say "warming up ($warmup each)"
load warmup-healthz "$warmup" /healthz
for t in $targets; do load "warmup-$t" "$warmup" / "$t"; done
say "measuring /healthz ($duration, $threads threads, $connections connections)"
load healthz "$duration" /healthz
cat "$work/healthz.txt"
for t in $targets; do
	say "measuring $t ($duration, $threads threads, $connections connections, $communes communes weighted by population, $radius km)"
	[ "$profile" = true ] && kill -USR1 "$server_pid"
	load "$t" "$duration" / "$t"
	cat "$work/$t.txt"
	if [ "$profile" = true ]; then
		rm -f "$work/search.mutex"
		kill -USR2 "$server_pid"
		for _ in $(seq 1 50); do [ -s "$work/search.mutex" ] && break; sleep 0.1; done
		sleep 0.2
		for kind in cpu block mutex; do
			go tool pprof -top -cum -nodecount=60 "$work/parcours" "$work/search.$kind" >"$work/$t-$kind.txt" 2>/dev/null
		done
		go tool pprof -sample_index=inuse_space -top -nodecount=40 "$work/parcours" "$work/search.heap" >"$work/$t-heap.txt" 2>/dev/null
		say "profile of $t (where the CPU goes, cumulative, application frames)"
		grep -E 'Duration|parcours/|html/template|encoding/json|gcBgMarkWorker|syscall.write' "$work/$t-cpu.txt" | head -25
	fi
done
rss_loaded="$(rss VmRSS)"
rss_peak="$(rss VmHWM)"
# The Go heap after the load (the Prometheus endpoint answers loopback clients).
heap=$(curl -s "$base/metrics" | awk '
	$1 == "go_memstats_heap_inuse_bytes" {inuse = $2} $1 == "go_memstats_next_gc_bytes" {next_gc = $2}
	$1 == "go_memstats_heap_released_bytes" {released = $2} $1 == "go_memstats_heap_sys_bytes" {sys = $2}
	END {printf "heap in use %.0f MB, next GC at %.0f MB, %.0f MB of heap not returned to the system", inuse / 1048576, next_gc / 1048576, (sys - inuse - released) / 1048576}')

rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {print $5}' "$1"; }
errors() { grep -E '^ *Socket errors:' "$1" || true; }
h=$(rps "$work/healthz.txt")
bad=0
for f in healthz $targets; do
	n=$(non2xx "$work/$f.txt")
	if [ -n "$n" ] && [ "$n" != 0 ]; then
		echo "ÉCHEC : $n réponses non 2xx sur $f" >&2
		bad=1
	fi
	e=$(errors "$work/$f.txt")
	[ -z "$e" ] || echo "$f : $e" >&2
done

goal() {
	case $1 in
	api) echo "goal 30 %" ;;
	recherche | postes) echo "goal 25 %" ;;
	*) echo "" ;;
	esac
}
{
	echo "engine:      $engine"
	echo "machine:     $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)"
	echo "load:        wrk -t$threads -c$connections -d$duration --latency (after a $warmup warm-up of each); uptime before: $uptime_before; after: $(uptime | sed 's/.*load average/load average/')"
	echo "dataset:     $(cat "$work/seed.txt")"
	echo "searches:    $communes communes drawn in proportion to population, $radius km, first page ($(grep -oE '"[0-9][0-9AB][0-9]{3}"' "$work/search.lua" | sort -u | wc -l) distinct)"
	printf '%-12s %10s req/s   p50 %-9s p99 %s\n' "/healthz" "$h" "$(pct "$work/healthz.txt" 50%)" "$(pct "$work/healthz.txt" 99%)"
	for t in $targets; do
		r=$(rps "$work/$t.txt")
		printf '%-12s %10s req/s   p50 %-9s p99 %-9s %5.1f %% of /healthz %s\n' "$t" "$r" "$(pct "$work/$t.txt" 50%)" "$(pct "$work/$t.txt" 99%)" \
			"$(awk -v s="$r" -v h="$h" 'BEGIN {print 100 * s / h}')" "$(goal "$t")"
	done
	echo "memory:      RSS $rss_ready when ready, $rss_loaded after the load (peak $rss_peak); $heap"
} | tee "$work/summary.txt"
echo "results in ${work#"$root"/}"
exit $bad
