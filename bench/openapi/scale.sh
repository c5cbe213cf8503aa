#!/usr/bin/env bash
# How loading an OpenAPI document grows with its size: generated OpenAPI 3.1 documents of 500,
# 1,000, 2,500 and 5,000 operations (gen_doc.py), each listed with
#   provisionr-conformance run --list --openapi DOC --base-url http://127.0.0.1:9 --path-param id=item_01
# under /usr/bin/time -v (nothing is sent: --list only loads the document and derives the cases).
#
#   bench/openapi/scale.sh                  # 500 1000 2500 5000
#   bench/openapi/scale.sh 100 5000         # other sizes
#   SCALE_SHAPE=per-resource bench/openapi/scale.sh   # each resource with schemas of its own
#
# Prints per size: operations, wall time, CPU time (user + system), peak RSS, RSS per operation,
# the growth per operation since the previous size (its slope: about constant when it is
# linear), the exit code, the number of lines --list printed, and loading alone (the whole
# document read, converted and compiled, one operation's cases derived: `--operation` its first
# operationId) with its peak RSS and time. The goal is of loading: linear, under about 300 MB at
# 5,000 operations. The table is printed whatever the result; the exit code is 1 when loading
# 5,000 operations or more took 300 MB or more.
# The suite binary: $PROVISIONR_CONFORMANCE, else target/release/provisionr-conformance (built).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${OPENAPI_BENCH_CACHE:-$HERE/.cache}
PYTHON=${PYTHON:-python3}
GOAL_MB=300
# SCALE_SHAPE=shared (default: a few schemas shared by all resources) or per-resource (each
# resource with schemas of its own: more distinct schemas to compile).
SHAPE=${SCALE_SHAPE:-shared}
case $SHAPE in
  shared) GEN_FLAGS=() ;;
  per-resource) GEN_FLAGS=(--per-resource) ;;
  *) echo "SCALE_SHAPE is shared or per-resource, not $SHAPE" >&2; exit 2 ;;
esac
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(500 1000 2500 5000); fi

mkdir -p "$CACHE/scale"
# The documents' one path parameter, with the value of its example: the suite of 2026-12 wants it
# as a flag with --base-url; set SCALE_PATH_PARAM= (empty) to leave it to the document's example.
PATH_PARAM=()
if [ -n "${SCALE_PATH_PARAM-id=item_01}" ]; then PATH_PARAM=(--path-param "${SCALE_PATH_PARAM-id=item_01}"); fi

if [ ! -x /usr/bin/time ]; then
  echo "installing Debian's time (/usr/bin/time)" >&2
  if command -v apt-get >/dev/null; then
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
  fi
  [ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 2; }
fi

if [ -n "${PROVISIONR_CONFORMANCE:-}" ]; then
  BIN=$PROVISIONR_CONFORMANCE
else
  echo "building the suite: cargo build --release" >&2
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=$ROOT/target/release/provisionr-conformance
fi

echo "suite: $("$BIN" --version 2>/dev/null || echo "$BIN"); $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; schemas: $SHAPE"
printf '%10s %10s %8s %12s %14s %16s %6s %10s %12s %10s\n' operations wall_s cpu_s peak_rss_mb rss_kb_per_op slope_kb_per_op exit listed load_rss_mb load_s
over=0 prev_n=0 prev_kb=0
for n in "${SIZES[@]}"; do
  doc=$CACHE/scale/generated-$SHAPE-$n.yaml
  out=$CACHE/scale/run-$SHAPE-$n
  mkdir -p "$out"
  [ -f "$doc" ] && [ "$doc" -nt "$HERE/gen_doc.py" ] || "$PYTHON" "$HERE/gen_doc.py" "${GEN_FLAGS[@]}" "$n" "$doc"
  rc=0
  # No token is needed to list; set one anyway in case the binary asks for it.
  (cd "$out" && PROVISIONR_TOKEN=${PROVISIONR_TOKEN:-scale-bench-token} /usr/bin/time -v -o "$out/time.txt" \
    "$BIN" run --list --openapi "$doc" --base-url http://127.0.0.1:9 "${PATH_PARAM[@]}" >"$out/list.txt" 2>"$out/stderr.txt") || rc=$?
  # Loading alone: the whole document read, converted and compiled, the cases of one operation
  # derived (--operation names the document's first operationId).
  first=$(grep -m1 -o 'operationId: *[A-Za-z0-9_]*' "$doc" | awk '{print $2}')
  (cd "$out" && PROVISIONR_TOKEN=${PROVISIONR_TOKEN:-scale-bench-token} /usr/bin/time -v -o "$out/time-load.txt" \
    "$BIN" run --list --openapi "$doc" --base-url http://127.0.0.1:9 --operation "$first" "${PATH_PARAM[@]}" >/dev/null 2>"$out/stderr-load.txt") || true
  load_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time-load.txt")
  load_mb=$(( ${load_kb:-0} / 1024 ))
  load_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time-load.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ {t += $2} END {printf "%.2f", t}' "$out/time.txt")
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
  # The time tool reports a non-zero exit of the command itself as "Command exited with ...".
  secs=$("$PYTHON" -c 'import sys
p = sys.argv[1].split(":")
print(f"{sum(float(x) * 60 ** i for i, x in enumerate(reversed(p))):.2f}")' "${wall:-0}")
  rss_mb=$(( ${rss_kb:-0} / 1024 ))
  per_op=$(( ${rss_kb:-0} / n ))
  listed=$(wc -l <"$out/list.txt")
  slope=-
  if [ "$prev_n" -gt 0 ] && [ "$n" -gt "$prev_n" ]; then
    slope=$(( (${rss_kb:-0} - prev_kb) / (n - prev_n) ))
  fi
  prev_n=$n prev_kb=${rss_kb:-0}
  printf '%10s %10s %8s %12s %14s %16s %6s %10s %12s %10s\n' "$n" "$secs" "$cpu" "$rss_mb" "$per_op" "$slope" "$rc" "$listed" "$load_mb" "$load_s"
  if [ "$rc" -ne 0 ]; then
    echo "           exit $rc: $( (grep -m1 '^error' "$out/stderr.txt" || tail -1 "$out/stderr.txt") | cut -c1-160)"
  fi
  if [ "$n" -ge 5000 ] && [ "$load_mb" -ge "$GOAL_MB" ]; then over=1; fi
done
echo "goal: loading linear in the operations, under about $GOAL_MB MB at 5,000 (load_rss_mb); peak_rss_mb is --list of every case of every operation, beside it"
echo "documents and outputs: $CACHE/scale/"
if [ "$over" -ne 0 ]; then
  echo "FAIL: loading 5,000 operations or more took $GOAL_MB MB or more" >&2
  exit 1
fi
