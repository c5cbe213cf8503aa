#!/usr/bin/env bash
# bench/known_failures.sh: what a large --known-failures file costs: the peak RSS and wall time
# of `run --list` (which reads, checks and compiles the file) for N entries of three shapes:
#   plain   case = "valid::c_<i>"          (a literal id)
#   prefix  case = "valid::c_<i>_*"        (a glob ending in *)
#   inner   case = "valid::*_<i>_x"        (a glob with * inside: the costly kind)
# and, with --run, a whole default run against the embedded server with the largest file.
#
# Usage: bench/known_failures.sh [--entries N] [--run]   (N defaults to 20000, the cap)
#        BIN=target/debug/provisionr-conformance bench/known_failures.sh   (no release build)
set -euo pipefail
cd "$(dirname "$0")/.."

N=20000
RUN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --entries) N="$2"; shift 2 ;;
        --run) RUN=1; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/provisionr-conformance
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

write() { # shape file
    python3 - "$1" "$N" > "$2" <<'PY'
import sys
shape, n = sys.argv[1], int(sys.argv[2])
case = {"plain": "valid::c_{}", "prefix": "valid::c_{}_*", "inner": "valid::*_{}_x"}[shape]
for i in range(n):
    print('[[known]]\ncase = "%s"\ncheck = "status"\nreason = "r"\nexpires = 2099-01-01\n'
          % case.format(i))
PY
}

printf '%-8s %8s %9s %8s %8s %5s\n' shape entries file_kb wall_s rss_mb exit
for shape in plain prefix inner; do
    f="$TMP/$shape.toml"
    write "$shape" "$f"
    set +e
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" run --list --known-failures "$f" \
        > /dev/null 2> "$TMP/err"
    rc=$?
    set -e
    read -r wall rss < "$TMP/time"
    printf '%-8s %8s %9s %8s %8s %5s\n' "$shape" "$N" "$(( $(stat -c %s "$f") / 1024 ))" \
        "$wall" "$(( rss / 1024 ))" "$rc"
    [ "$rc" = 0 ] || head -3 "$TMP/err"
done
if [ "$RUN" = 1 ]; then
    PROVISIONR_TOKEN=bench-token /usr/bin/time -f 'whole run, inner globs: %e s, %M KB' \
        "$BIN" run -q --no-persist --known-failures "$TMP/inner.toml" \
        --junit "$TMP/j.xml" --summary "$TMP/s.json" | tail -1
fi
