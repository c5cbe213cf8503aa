#!/usr/bin/env bash
# What a request schema's shape costs to load and derive: wide (many properties), deep (nested
# objects) and recursive (`$ref` cycles) schemas, each listed with
#   provisionr-conformance run --list --openapi DOC --base-url http://127.0.0.1:9
# under /usr/bin/time (nothing is sent: --list loads the document, derives the cases and builds
# the generators). With $PROVISIONR_REFERENCE set to another build of the suite (an older
# release), each shape runs on both, side by side, with the ratios reference / this.
#
#   bench/schemas/cost.sh                       # wide 500 1000 2000, deep 30, recursive 20
#   PROVISIONR_REFERENCE=old/provisionr-conformance bench/schemas/cost.sh
#
# The suite binary: $PROVISIONR_CONFORMANCE, else target/release/provisionr-conformance (built).
# The goal, which a test holds by counting work: 2,000 properties in well under a second.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${SCHEMA_BENCH_CACHE:-$HERE/.cache}
PYTHON=${PYTHON:-python3}
mkdir -p "$CACHE"

[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 2; }
if [ -n "${PROVISIONR_CONFORMANCE:-}" ]; then
  BIN=$PROVISIONR_CONFORMANCE
else
  echo "building the suite: cargo build --release" >&2
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=$ROOT/target/release/provisionr-conformance
fi
REF=${PROVISIONR_REFERENCE:-}
# Each run is in a directory of its own: a relative binary path is made absolute first.
absolute() { case $1 in /*) echo "$1" ;; */*) echo "$PWD/$1" ;; *) command -v "$1" ;; esac; }
BIN=$(absolute "$BIN")
[ -z "$REF" ] || REF=$(absolute "$REF")

# measure BIN DOC: "wall_s rss_mb exit listed"
measure() {
  local bin=$1 doc=$2 out rc=0
  out=$(mktemp -d)
  (cd "$out" && /usr/bin/time -f '%e %M' -o "$out/time" timeout 600 "$bin" run --list --openapi "$doc" \
    --base-url http://127.0.0.1:9 >"$out/list" 2>"$out/err") || rc=$?
  read -r wall kb < <(tail -n 1 "$out/time") || true
  echo "${wall:-?} $(( ${kb:-0} / 1024 )) $rc $(grep -c . "$out/list" || true)"
  rm -rf "$out"
}

echo "suite: $("$BIN" --version 2>/dev/null || echo "$BIN"); $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores"
if [ -n "$REF" ]; then
  echo "reference: $("$REF" --version 2>/dev/null || echo "$REF")"
  printf '%-10s %6s %9s %8s %6s %7s %9s %8s %6s %7s %8s %8s\n' shape size wall_s rss_mb exit listed \
    ref_wall ref_rss ref_ex ref_lst t_ratio m_ratio
else
  printf '%-10s %6s %9s %8s %6s %7s\n' shape size wall_s rss_mb exit listed
fi
for spec in ${SCHEMA_BENCH_SHAPES:-wide:500 wide:1000 wide:2000 deep:30 recursive:20}; do
  shape=${spec%%:*} n=${spec##*:}
  doc=$CACHE/$shape-$n.json
  "$PYTHON" "$HERE/gen_schema_doc.py" "$shape" "$n" "$doc"
  read -r wall mb rc listed <<<"$(measure "$BIN" "$doc")"
  if [ -n "$REF" ]; then
    read -r rwall rmb rrc rlisted <<<"$(measure "$REF" "$doc")"
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "?") printf "%.1f", a / b; else print "-" }'; }
    printf '%-10s %6s %9s %8s %6s %7s %9s %8s %6s %7s %8s %8s\n' "$shape" "$n" "$wall" "$mb" "$rc" "$listed" \
      "$rwall" "$rmb" "$rrc" "$rlisted" "$(ratio "$rwall" "$wall")" "$(ratio "$rmb" "$mb")"
  else
    printf '%-10s %6s %9s %8s %6s %7s\n' "$shape" "$n" "$wall" "$mb" "$rc" "$listed"
  fi
done
