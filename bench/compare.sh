#!/usr/bin/env bash
# Speed and fault-detection comparison: provisionr-conformance vs Schemathesis, side by side,
# against the same embedded reference server on 127.0.0.1.
#
#   bench/compare.sh [--reps N] [--cases N] [--max-examples N] [--timeout SECS]
#                    [--faults [all|NAME,NAME,...]] [--variations] [--no-speed]
#
#   --reps N           timed repetitions of each tool; the median is reported (default 3)
#   --cases N          our generated bodies per property (default 256, the suite's default)
#   --max-examples N   Schemathesis's -n (default 3 x --cases: we run 3 properties on the one
#                      operation, so this gives both tools about the same number of requests)
#   --timeout SECS     upper bound on any single tool run (default 300)
#   --faults [LIST]    also plant each fault in the server and see which tool notices; LIST is
#                      comma-separated fault names or `all` (default: a representative 12)
#   --variations       also run both tools against each legitimate variation of the server
#                      (serve --list-variations): the false-alarm half; a correct tool passes all
#   --no-speed         skip the speed comparison (with --faults or --variations)
#
# Everything runs on loopback, every run is bounded by `timeout`, and every server or proxy this
# script starts is stopped by the EXIT trap.
set -euo pipefail

# Pinned so the published numbers can be reproduced; bump deliberately and re-measure.
ST_VERSION="4.32.5"
# A representative fault per family of the catalog (response shape, too lenient, too strict,
# crash, auth/path, semantics), including ones a schema alone cannot express.
DEFAULT_FAULTS="enum-wrong-value,counts-bytes,max-length-off-by-one,naive-date-time,crash-on-null,\
no-required-description,any-token,unknown-service-accepted,ignores-expiry,mins-in-seconds,\
json-concat,crash-on-astral"
SERVICE="svc_bench"

reps=3
cases=256
max_examples=""
run_timeout=300
faults=""
variations=0
speed=1

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --max-examples) max_examples="$2"; shift 2 ;;
    --timeout) run_timeout="$2"; shift 2 ;;
    --faults)
      # The list is optional: take the next word only if it is not another flag.
      if [[ $# -ge 2 && "$2" != -* ]]; then faults="$2"; shift 2; else faults="$DEFAULT_FAULTS"; shift; fi ;;
    --variations) variations=1; shift ;;
    --no-speed) speed=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "compare.sh: unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done
for n in "$reps" "$cases" "$run_timeout"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: expected a positive number, got '$n'" >&2; exit 2; }
done
max_examples="${max_examples:-$((3 * cases))}"
[[ "$max_examples" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: bad --max-examples" >&2; exit 2; }
if [[ "$speed" == 0 && -z "$faults" && "$variations" == 0 ]]; then
  echo "compare.sh: --no-speed without --faults or --variations leaves nothing to do" >&2; exit 2
fi

# Run from the repo root whatever the caller's directory, so relative paths below hold.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BENCH="$ROOT/bench"
BIN="$ROOT/target/release/provisionr-conformance"
VENV="$BENCH/.venv"
ST="$VENV/bin/schemathesis"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/provisionr-bench.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A throwaway token, new each run; it never leaves this machine.
TOKEN="bench-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
export PROVISIONR_TOKEN="$TOKEN"

log() { printf '==> %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# Set-up: our release binary, Schemathesis in a private virtualenv.

log "cargo build --release"
cargo build --release --quiet
OURS_VERSION="$("$BIN" --version | awk '{print $NF}')"

if [[ ! -x "$ST" ]] || ! "$ST" --version 2>/dev/null | grep -qF "version $ST_VERSION"; then
  log "installing schemathesis==$ST_VERSION into bench/.venv"
  [[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet "schemathesis==$ST_VERSION"
fi
ST_VERSION_SEEN="$("$ST" --version | awk '{print $NF}')"
log "provisionr-conformance $OURS_VERSION; schemathesis $ST_VERSION_SEEN ($("$VENV/bin/python" --version))"

# ---------------------------------------------------------------------------------------------
# Processes: the reference server and the counting proxy both bind port 0 (the kernel picks a
# free port) and print the URL they got on their first stdout line, which we wait for.

# wait_for_line FILE PATTERN: print the first line of FILE matching PATTERN, waiting up to 10 s.
wait_for_line() {
  local file="$1" pattern="$2" i line
  for ((i = 0; i < 100; i++)); do
    line="$(grep -m1 -o "$pattern" "$file" 2>/dev/null || true)"
    if [[ -n "$line" ]]; then printf '%s\n' "$line"; return 0; fi
    sleep 0.1
  done
  echo "compare.sh: no '$pattern' in $file after 10 s:" >&2
  cat "$file" >&2
  return 1
}

# start_server NAME [--fault F]: start the reference server; sets SERVER_PID and SERVER_PORT.
start_server() {
  local name="$1"; shift
  "$BIN" serve --addr 127.0.0.1:0 --service "$SERVICE" "$@" >"$WORK/$name.server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_PORT="$(wait_for_line "$WORK/$name.server.log" 'http://127\.0\.0\.1:[0-9]*' | sed 's/.*://')"
}

# start_proxy NAME UPSTREAM_PORT: start the counting proxy; sets PROXY_PID and PROXY_PORT.
start_proxy() {
  python3 "$BENCH/count_proxy.py" --upstream "127.0.0.1:$2" --stats "$WORK/$1.stats.json" \
    >"$WORK/$1.proxy.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  PROXY_PORT="$(wait_for_line "$WORK/$1.proxy.log" 'http://127\.0\.0\.1:[0-9]*' | sed 's/.*://')"
}

# stop PID: stop one process we started and wait for it, so its port and files are settled.
# It also leaves the cleanup list, so the EXIT trap never signals a recycled process id.
stop() {
  local pid keep=()
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do [[ "$pid" == "$1" ]] || keep+=("$pid"); done
  PIDS=("${keep[@]:-}")
}

# ---------------------------------------------------------------------------------------------
# The two tools. Each takes the API root and a name for its output files, returns the tool's
# exit code, and writes a JUnit report to $WORK/NAME.xml. Exit 124 means `timeout` stopped it.

# run_ours BASE NAME [EXTRA FLAGS...]
run_ours() {
  local base="$1" name="$2"; shift 2
  timeout "$run_timeout" "$BIN" run --base-url "$base" --service "$SERVICE" --no-persist --quiet \
    --junit "$WORK/$name.xml" --seed 1 --cases "$cases" "$@" >"$WORK/$name.out" 2>&1
}

# Our suite runs cases on every CPU and keeps 8 requests of a property in flight; Schemathesis
# sends one request at a time (its workers split operations, and there is one). The speed table
# also times ours with both switched off, to show how much of the gap is concurrency.
SEQUENTIAL=(--concurrency 1 --test-threads 1)

OPENAPI="$WORK/openapi.json"
# Schemathesis keeps state in its working directory (.hypothesis caches, and a crash cache that
# the config file switches off so no run replays an earlier run's failures). Give it a directory
# of its own so nothing lands in the repo. The Hypothesis charmap cache there is kept across
# runs, as it would be on a developer's machine; the warm-up run below fills it.
ST_HOME="$WORK/schemathesis-home"
mkdir -p "$ST_HOME"

run_st() {
  local base="$1" name="$2"
  # --generation-database none: no example database, so every run starts from scratch like
  #   ours (which runs with --no-persist and a fixed seed);
  # --checks all: every check Schemathesis has, for the fault hunt;
  # no --seed: its default random seed is part of how it is meant to run;
  # --workers is left at 1: workers split *operations*, and there is only one.
  # Schemathesis 4 has no telemetry or report upload (checked in its source), so there is
  # nothing to switch off beyond the crash cache.
  (cd "$ST_HOME" && timeout "$run_timeout" "$ST" --config-file "$BENCH/schemathesis.toml" run "$OPENAPI" \
    --url "$base" -H "Authorization: Bearer $TOKEN" --checks all --max-examples "$max_examples" \
    --generation-database none --no-color \
    --report junit --report-junit-path "$WORK/$name.xml" >"$WORK/$name.out" 2>&1)
}

# time_run COMMAND...: run a tool once, print "SECONDS EXITCODE".
time_run() {
  local start end rc=0
  start=$EPOCHREALTIME
  "$@" || rc=$?
  end=$EPOCHREALTIME
  printf '%s %s\n' "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b - a}')" "$rc"
}

median() { tr ' ' '\n' | sort -g | awk '{v[NR]=$1} END{print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

outcome() {
  case "$1" in
    0) echo pass ;; 1) echo fail ;; 124) echo TIMEOUT ;; *) echo "exit$1" ;;
  esac
}

# summarize_outcomes RC...: "pass" when every rep agreed on pass, else each rep's outcome.
summarize_outcomes() {
  local rc out=()
  for rc in "$@"; do out+=("$(outcome "$rc")"); done
  if [[ "$(printf '%s\n' "${out[@]}" | sort -u | wc -l)" == 1 ]]; then echo "${out[0]}"; else (IFS=/; echo "${out[*]}"); fi
}

# speed_row TOOL VERSION BUDGET MEDIAN REQUESTS ALL_TIMES RESULT: one row of the speed table.
speed_row() {
  awk -v t="$1" -v v="$2" -v b="$3" -v m="$4" -v n="$5" -v all="$6" -v res="$7" \
    'BEGIN{printf "| %-35s | %-7s | %-19s | %8.3f | %8d | %7.0f | %-6s | %s |\n", t, v, b, m, n, n / m, res, all}'
}

# The OpenAPI document is the suite's own contract, printed by its `openapi` command, so it
# always says what the suite reads. The service is pinned with `enum`: a run targets one known
# service, and without the pin the tool would spend most of its "valid" examples on random ids
# that are (correctly) answered 404. Negative generation still mutates it.
"$BIN" openapi --format json --schemas "$ROOT/schemas" --path-param "service=$SERVICE" >"$OPENAPI"

# ---------------------------------------------------------------------------------------------
# Speed: same clean server, same request budget, wall time of the whole tool run (start-up,
# generation, requests, checks, report) as a user or CI would see it.

if [[ "$speed" == 1 ]]; then
  start_server speed
  BASE="http://127.0.0.1:$SERVER_PORT/api/v1"
  log "speed: server at $BASE; ours: seed 1, $cases bodies/property; schemathesis: -n $max_examples; $reps reps"

  # Requests are counted at the wire, in one extra run of each variant through the counting
  # proxy. Ours is seeded, so its count is the same in every run; Schemathesis is not, so its
  # count is one sample (it varies by a few requests between runs).
  # count_requests NAME COMMAND...: run once through a fresh proxy, print the request count.
  count_requests() {
    local name="$1" rc=0; shift
    start_proxy "$name" "$SERVER_PORT"
    "$@" "http://127.0.0.1:$PROXY_PORT/api/v1" "$name" || rc=$?
    stop "$PROXY_PID"
    log "$name: exit $rc, $(cat "$WORK/$name.stats.json")"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$WORK/$name.stats.json"
  }
  # Variants: our default (concurrent) run, ours sequential, Schemathesis. A function per variant
  # so each takes (BASE, NAME) like the others.
  ours_seq() { run_ours "$1" "$2" "${SEQUENTIAL[@]}"; }
  variants=(run_ours ours_seq run_st)
  declare -A requests times rcs
  for v in "${variants[@]}"; do
    requests[$v]="$(count_requests "count-$v" "$v")"
  done
  st_cases="$(grep -Eo '[0-9]+ generated' "$WORK/count-run_st.out" | head -1 | awk '{print $1}')"

  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  # The counting runs above also served as warm-up (page cache, .pyc files, Hypothesis caches),
  # so the timed runs measure steady state. Reps alternate tools so drift hits all alike.
  for ((r = 1; r <= reps; r++)); do
    for v in "${variants[@]}"; do
      read -r t rc < <(time_run "$v" "$BASE" "$v-$r")
      times[$v]="${times[$v]:-}${times[$v]:+ }$t"; rcs[$v]="${rcs[$v]:-}${rcs[$v]:+ }$rc"
      log "rep $r/$reps: $v $t s (exit $rc)"
    done
  done
  stop "$SERVER_PID"

  declare -A med
  for v in "${variants[@]}"; do med[$v]="$(echo "${times[$v]}" | median)"; done
  # shellcheck disable=SC2086 # the exit codes are a space-separated list on purpose
  {
  echo
  echo "## Speed: clean reference server, $(date -u +%Y-%m-%d), $(nproc) cores, $reps reps (median wall time)"
  # Other work on the machine skews wall times; print the load so a reader can judge.
  echo "load average before the timed runs: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  printf '| %-35s | %-7s | %-19s | %8s | %8s | %7s | %-6s | %s |\n' \
    tool version budget "median s" requests "req/s" result "all runs (s)"
  echo "|-------------------------------------|---------|---------------------|----------|----------|---------|--------|--------------|"
  speed_row provisionr-conformance "$OURS_VERSION" "3 x $cases + derived" "${med[run_ours]}" \
    "${requests[run_ours]}" "${times[run_ours]}" "$(summarize_outcomes ${rcs[run_ours]})"
  speed_row "provisionr-conformance (sequential)" "$OURS_VERSION" "3 x $cases + derived" "${med[ours_seq]}" \
    "${requests[ours_seq]}" "${times[ours_seq]}" "$(summarize_outcomes ${rcs[ours_seq]})"
  speed_row schemathesis "$ST_VERSION_SEEN" "-n $max_examples" "${med[run_st]}" \
    "${requests[run_st]}" "${times[run_st]}" "$(summarize_outcomes ${rcs[run_st]})"
  }
  ours_med="${med[run_ours]}"; st_med="${med[run_st]}"
  ours_requests="${requests[run_ours]}"; st_requests="${requests[run_st]}"
  echo
  awk -v so="$st_med" -v o="$ours_med" -v q="${med[ours_seq]}" -v sn="$st_requests" \
      -v on="$ours_requests" -v qn="${requests[ours_seq]}" 'BEGIN{
    printf "wall time   schemathesis / ours             = %5.1fx   (sequential: %5.1fx)\n", so / o, so / q
    printf "throughput  ours req/s / schemathesis req/s = %5.1fx   (sequential: %5.1fx)\n", (on / o) / (sn / so), (qn / q) / (sn / so) }'
  echo
  echo "requests: counted at a counting reverse proxy (bench/count_proxy.py) in one extra, untimed run"
  echo "of each tool; timed runs go straight to the server. req/s = requests / median wall time."
  echo "schemathesis reported ${st_cases:-?} generated test cases in its counted run."
  # A clean server should pass every tool; say so loudly if one raised a false alarm.
  for v in "${variants[@]}"; do
    if [[ " ${rcs[$v]} " =~ [^0\ ] ]]; then
      echo "NOTE: $v did not pass against the clean server (exit codes: ${rcs[$v]}); first lines:"
      grep -h -m3 -E 'failed at|^- ST' "$WORK/$v"-*.out 2>/dev/null || true
    fi
  done
fi

# ---------------------------------------------------------------------------------------------
# Faults: a fresh server per planted bug; a tool "detects" it when it reports at least one
# failure in its JUnit report (an exit code alone could be a set-up error, which is shown apart).

if [[ -n "$faults" ]]; then
  catalog="$("$BIN" serve --list-faults)"
  if [[ "$faults" == all ]]; then
    faults="$(awk '{print $1}' <<<"$catalog" | paste -sd, -)"
  fi
  IFS=, read -r -a fault_list <<<"$faults"
  for f in "${fault_list[@]}"; do
    grep -q "^$f " <<<"$catalog" || { echo "compare.sh: unknown fault '$f' (see serve --list-faults)" >&2; exit 2; }
  done
  log "faults: ${#fault_list[@]} (${faults//,/, })"

  # verdict NAME RC: "detected"/"missed"/"error"/"timeout" from the report and the exit code,
  # then the checks that failed (or only warned).
  verdict() {
    local failures _errors what
    read -r failures _errors what < <(python3 "$BENCH/junit_verdict.py" "$WORK/$1.xml")
    if [[ "$2" == 124 ]]; then echo "timeout -"
    elif [[ "$failures" -gt 0 ]]; then echo "detected $what"
    elif [[ "$2" == 0 ]]; then echo "missed $what"
    else echo "error(exit $2) $what"
    fi
  }

  rows=(); ours_hits=0; st_hits=0; ours_fault_time=0; st_fault_time=0
  i=0
  for f in "${fault_list[@]}"; do
    i=$((i + 1))
    family="$(awk -v f="$f" '$1 == f {print $2}' <<<"$catalog")"
    start_server "fault-$f" --fault "$f"
    BASE="http://127.0.0.1:$SERVER_PORT/api/v1"
    read -r ot orc < <(time_run run_ours "$BASE" "ours-fault-$f")
    read -r stt strc < <(time_run run_st "$BASE" "st-fault-$f")
    stop "$SERVER_PID"
    read -r ov owhat < <(verdict "ours-fault-$f" "$orc")
    read -r sv swhat < <(verdict "st-fault-$f" "$strc")
    [[ "$ov" == detected ]] && ours_hits=$((ours_hits + 1))
    [[ "$sv" == detected ]] && st_hits=$((st_hits + 1))
    ours_fault_time="$(awk -v a="$ours_fault_time" -v b="$ot" 'BEGIN{print a + b}')"
    st_fault_time="$(awk -v a="$st_fault_time" -v b="$stt" 'BEGIN{print a + b}')"
    log "fault $i/${#fault_list[@]} $f: ours $ov ($ot s), schemathesis $sv ($stt s)"
    rows+=("$(printf '| %-28s | %-14s | %-8s | %6.2f | %-12s | %6.2f | %-20s | %s |' \
      "$f" "$family" "$ov" "$ot" "$sv" "$stt" "$owhat" "$swhat")")
  done

  echo
  echo "## Faults: one planted bug per run, $(date -u +%Y-%m-%d); ours: seed 1, $cases bodies/property; schemathesis: -n $max_examples, --checks all"
  echo
  printf '| %-28s | %-14s | %-8s | %-6s | %-12s | %-6s | %-20s | %s |\n' \
    fault family ours "s" schemathesis "s" "ours: failed checks" "schemathesis: failed checks"
  echo "|------------------------------|----------------|----------|--------|--------------|--------|----------------------|-----------------------------|"
  printf '%s\n' "${rows[@]}"
  echo
  printf 'detected: provisionr-conformance %d/%d (%.1f s in all), schemathesis %d/%d (%.1f s in all)\n' \
    "$ours_hits" "${#fault_list[@]}" "$ours_fault_time" "$st_hits" "${#fault_list[@]}" "$st_fault_time"
  echo "(a fault counts as detected when the tool's JUnit report has at least one failure; \"warned:\""
  echo " means the run passed but printed a warning from that check, which --strict makes a failure)"
fi

# ---------------------------------------------------------------------------------------------
# Variations: a fresh server per legitimate variation (a way a correct server may differ from
# the reference one); a tool raises a false alarm when its JUnit report holds a failure.

if [[ "$variations" == 1 ]]; then
  vcatalog="$("$BIN" serve --list-variations)"
  mapfile -t variation_list < <(awk '/^[a-z]/ {print $1}' <<<"$vcatalog")
  log "variations: ${#variation_list[@]}"
  vrows=(); ours_clean=0; st_clean=0
  for v in "${variation_list[@]}"; do
    start_server "variation-$v" --variation "$v"
    BASE="http://127.0.0.1:$SERVER_PORT/api/v1"
    read -r _ orc < <(time_run run_ours "$BASE" "ours-variation-$v")
    read -r _ strc < <(time_run run_st "$BASE" "st-variation-$v")
    stop "$SERVER_PID"
    read -r of _ owhat < <(python3 "$BENCH/junit_verdict.py" "$WORK/ours-variation-$v.xml")
    read -r sf _ swhat < <(python3 "$BENCH/junit_verdict.py" "$WORK/st-variation-$v.xml")
    ov="passed"; sv="passed"
    [[ "$of" -gt 0 || "$orc" != 0 ]] && ov="FALSE ALARM" || ours_clean=$((ours_clean + 1))
    [[ "$sf" -gt 0 || "$strc" != 0 ]] && sv="FALSE ALARM" || st_clean=$((st_clean + 1))
    log "variation $v: ours $ov, schemathesis $sv"
    vrows+=("$(printf '| %-28s | %-11s | %-24s | %-11s | %s |' "$v" "$ov" "$owhat" "$sv" "$swhat")")
  done
  echo
  echo "## Variations: a correct server that differs from the reference one, $(date -u +%Y-%m-%d); ours: seed 1, $cases bodies/property; schemathesis: -n $max_examples, --checks all"
  echo
  printf '| %-28s | %-11s | %-24s | %-11s | %s |\n' variation ours "ours: checks" schemathesis "schemathesis: checks"
  echo "|------------------------------|-------------|--------------------------|-------------|----------------------|"
  printf '%s\n' "${vrows[@]}"
  echo
  printf 'passed with no false alarm: provisionr-conformance %d/%d, schemathesis %d/%d\n' \
    "$ours_clean" "${#variation_list[@]}" "$st_clean" "${#variation_list[@]}"
  echo "(ours: checks lists the checks that failed, or only warned: warnings are allowed)"
fi
