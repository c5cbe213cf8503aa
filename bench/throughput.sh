#!/usr/bin/env bash
# bench/throughput.sh: how close the suite comes to a bare load generator on the same server, and
# how much memory it needs for a big budget.
#
# Side by side, on a fresh `serve` (release build) for every measurement:
#   (a) the bare load generator (wrk, or oha) sending one valid POST at concurrency 64;
#   (b) `run property::valid_body` at concurrency 64, every response validated and checked;
# then the suite's peak RSS at 10,000 and at 100,000 cases (`/usr/bin/time -v`).
# The last line is machine-readable: ratio=<(b)/(a)> rss10k_mb=<n> rss100k_mb=<n>.
#
# Usage: bench/throughput.sh [--reps N] [--seconds S] [--cases N] [--concurrency C]
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=3          # alternating repetitions of (a) and (b); medians are reported
SECONDS_A=8     # how long the load generator runs
CASES=100000    # bodies in each run of (b)
CONC=64
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS="$2"; shift 2 ;;
        --seconds) SECONDS_A="$2"; shift 2 ;;
        --cases) CASES="$2"; shift 2 ;;
        --concurrency) CONC="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

TMP=$(mktemp -d)
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap 'stop_server; rm -rf "$TMP"' EXIT

# --- tools: installed here, so the script runs from a fresh clone -------------------------------
apt_install() {
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; } ||
            true
    fi
}
LOADGEN=""
if command -v wrk >/dev/null 2>&1 || { apt_install wrk; command -v wrk >/dev/null 2>&1; }; then
    LOADGEN=wrk
else
    OHA=bench/.tools/bin/oha
    [ -x "$OHA" ] || cargo install --quiet --locked oha --root bench/.tools
    LOADGEN=oha
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || apt_install time
[ -x "$TIME" ] || { echo "error: /usr/bin/time is needed for peak RSS (Debian package: time)" >&2; exit 1; }

echo "== building the release binary"
cargo build --release --quiet
BIN=target/release/provisionr-conformance
SERVICE=svc_bench
TOKEN="bench_$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
BODY='{"name":"Helpdesk Ticket Automation","description":"Production environment token managed by HashiCorp Vault.","expires_at":"2099-11-07T05:31:56Z"}'

# A fresh server on 127.0.0.1, port 0, so no measurement inherits another's token store.
start_server() {
    stop_server
    PROVISIONR_TOKEN="$TOKEN" "$BIN" serve --addr 127.0.0.1:0 --service "$SERVICE" >"$TMP/serve.out" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        BASE=$(grep -o 'http://[^ ]*' "$TMP/serve.out" 2>/dev/null | head -1 || true)
        [ -n "$BASE" ] && return 0
        sleep 0.05
    done
    echo "error: the server did not start: $(cat "$TMP/serve.out")" >&2
    exit 1
}

# (a): the bare load generator; prints requests per second.
bare_rate() {
    start_server
    local url="$BASE/workspace/services/$SERVICE/tokens/access"
    if [ "$LOADGEN" = wrk ]; then
        cat >"$TMP/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
EOF
        wrk -t2 -c"$CONC" -d"${SECONDS_A}s" -s "$TMP/post.lua" "$url" | awk '/^Requests\/sec:/ {print $2}'
    else
        "$OHA" -z "${SECONDS_A}s" -c "$CONC" -m POST -T application/json \
            -H "Authorization: Bearer $TOKEN" -d "$BODY" --no-tui "$url" |
            awk '/Requests\/sec:/ {print $2}'
    fi
    stop_server
}

# (b): the suite; prints "requests_per_second peak_rss_kb".
suite_run() {
    local cases=$1
    start_server
    local t0 t1
    t0=$(date +%s.%N)
    PROVISIONR_TOKEN="$TOKEN" "$TIME" -v -o "$TMP/time.txt" "$BIN" run property::valid_body \
        --base-url "$BASE" --service "$SERVICE" --cases "$cases" --concurrency "$CONC" \
        --seed 1 --no-persist --junit "$TMP/junit.xml" >"$TMP/run.out" 2>&1 || {
        echo "error: the suite failed against the clean server:" >&2
        tail -20 "$TMP/run.out" >&2
        exit 1
    }
    t1=$(date +%s.%N)
    stop_server
    local requests rss
    requests=$(grep -o '[0-9]* requests in' "$TMP/run.out" | awk '{print $1}')
    rss=$(awk '/Maximum resident set size/ {print $6}' "$TMP/time.txt")
    awk -v n="$requests" -v a="$t0" -v b="$t1" -v r="$rss" 'BEGIN {printf "%.0f %d\n", n / (b - a), r}'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "== $REPS alternating repetitions: (a) $LOADGEN -c $CONC for ${SECONDS_A}s, (b) run property::valid_body --cases $CASES --concurrency $CONC"
: >"$TMP/a.txt"
: >"$TMP/b.txt"
for rep in $(seq "$REPS"); do
    a=$(bare_rate)
    read -r b _ < <(suite_run "$CASES")
    echo "$a" >>"$TMP/a.txt"
    echo "$b" >>"$TMP/b.txt"
    printf '   rep %d: (a) %8.0f req/s   (b) %8.0f checked req/s   (b)/(a) %.3f\n' "$rep" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')"
done
A=$(median <"$TMP/a.txt")
B=$(median <"$TMP/b.txt")
RATIO=$(awk -v a="$A" -v b="$B" 'BEGIN {printf "%.3f", b / a}')

echo "== peak RSS of the suite"
read -r _ rss10k < <(suite_run 10000)
read -r _ rss100k < <(suite_run 100000)
RSS10K=$(awk -v k="$rss10k" 'BEGIN {printf "%.0f", k / 1024}')
RSS100K=$(awk -v k="$rss100k" 'BEGIN {printf "%.0f", k / 1024}')

echo
printf '(a) bare load generator (%s, one valid POST, -c %s): %10.0f requests/s (median of %s)\n' "$LOADGEN" "$CONC" "$A" "$REPS"
printf '(b) run property::valid_body (--concurrency %s):   %10.0f checked requests/s (median of %s)\n' "$CONC" "$B" "$REPS"
printf 'ratio (b)/(a): %s\n' "$RATIO"
printf 'peak RSS: %s MB at 10,000 cases, %s MB at 100,000 cases (%s x)\n' "$RSS10K" "$RSS100K" "$(awk -v a="$rss10k" -v b="$rss100k" 'BEGIN {printf "%.2f", b / a}')"
echo "ratio=$RATIO rss10k_mb=$RSS10K rss100k_mb=$RSS100K"
