#!/usr/bin/env bash
# Run the suite on public OpenAPI documents that nobody on this project wrote, each mocked by
# Prism in its default (static) mode, and print per document how many of its operations whose
# security is HTTP bearer or none were tested.
#
#   bench/openapi/real-documents.sh            # every document below
#   bench/openapi/real-documents.sh NAME...    # only these (names from the table)
#
# Installs Prism and the document packages, pinned (npm/package.json and its lock), into
# $OPENAPI_BENCH_CACHE (default bench/openapi/.cache, git-ignored) with `npm ci`; builds the suite
# (cargo build --release) unless $PROVISIONR_CONFORMANCE names a binary; for each document starts
# `prism mock DOC` on a free 127.0.0.1 port, runs
#   provisionr-conformance run --openapi DOC --base-url http://127.0.0.1:PORT \
#     --junit OUT/junit.xml --summary OUT/summary.json --no-persist
# stops Prism, and prints one row (report.py). Reports go to $CACHE/reports/NAME/.
#
# Exit code: 0 when every document has at least 90% of its bearer-or-none operations tested and
# no error on a valid case that a load warning does not explain; 1 otherwise.
# Extra suite flags for every run: $SUITE_ARGS.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${OPENAPI_BENCH_CACHE:-$HERE/.cache}
PYTHON=${PYTHON:-python3}
NODE_MODULES=$CACHE/node_modules
EX=$NODE_MODULES/@readme/oas-examples

# The documents: NAME  PATH (in the cache)  SOURCE (package@version:path in the package)
# [EXTRA SUITE FLAGS...] (none today: a path parameter's value comes from the document's example).
# Every document is used unmodified, as the package ships it. @readme/oas-examples 8.2.2 carries
# copies of the OpenAPI Initiative's examples (petstore-expanded, uspto, link-example), the
# Swagger Petstore in 3.0 and 3.1, the Train Travel API (3.1) and the ReadMe API (3.1), among
# others.
DOCS=(
  "petstore-3.0           $EX/3.0/yaml/petstore.yaml            @readme/oas-examples@8.2.2:3.0/yaml/petstore.yaml"
  "petstore-expanded-3.0  $EX/3.0/yaml/petstore-expanded.yaml   @readme/oas-examples@8.2.2:3.0/yaml/petstore-expanded.yaml"
  "uspto-3.0              $EX/3.0/yaml/uspto.yaml               @readme/oas-examples@8.2.2:3.0/yaml/uspto.yaml"
  "link-example-3.0       $EX/3.0/yaml/link-example.yaml        @readme/oas-examples@8.2.2:3.0/yaml/link-example.yaml"
  "star-trek-3.0          $EX/3.0/yaml/star-trek.yaml           @readme/oas-examples@8.2.2:3.0/yaml/star-trek.yaml"
  "petstore-3.1           $EX/3.1/yaml/petstore.yaml            @readme/oas-examples@8.2.2:3.1/yaml/petstore.yaml"
  "train-travel-3.1       $EX/3.1/yaml/train-travel.yaml        @readme/oas-examples@8.2.2:3.1/yaml/train-travel.yaml"
  # Prism 5.16 dies on some generated multipart bodies of `POST /images` (a TypeError in
  # parse-multipart-data, uncaught: every later request of the run finds no server). A finding
  # about the mock; its generated bodies are skipped so the rest of the document is tested.
  "readme-api-3.1         $EX/3.1/yaml/readme.yaml              @readme/oas-examples@8.2.2:3.1/yaml/readme.yaml --skip uploadImage::property::"
  # Not in the default list: every operation of it documents no response, which Prism 5.16
  # answers with 500 NO_RESPONSE_RESPONSE_DEFINED before it stops answering. Run it by name
  # (`real-documents.sh parameters-style-3.1`) to see the suite's parameter styles on it.
  # "parameters-style-3.1 $EX/3.1/yaml/parameters-style.yaml    @readme/oas-examples@8.2.2:3.1/yaml/parameters-style.yaml"
  "security-3.1           $EX/3.1/yaml/security.yaml            @readme/oas-examples@8.2.2:3.1/yaml/security.yaml"
)

mkdir -p "$CACHE/reports"

# Prism and the documents, pinned by npm/package-lock.json; reinstalled when the pins change.
if [ ! -d "$NODE_MODULES" ] || ! cmp -s "$HERE/npm/package-lock.json" "$CACHE/package-lock.json"; then
  command -v npm >/dev/null || {
    echo "npm is missing: install Node 20 or later (Debian: apt-get install nodejs npm)" >&2
    exit 2
  }
  echo "installing Prism and the document packages into $CACHE (npm ci)" >&2
  cp "$HERE/npm/package.json" "$HERE/npm/package-lock.json" "$CACHE/"
  (cd "$CACHE" && npm ci --no-audit --no-fund --loglevel=error)
fi
PRISM=$NODE_MODULES/@stoplight/prism-cli/dist/index.js
command -v node >/dev/null || { echo "node is missing: install Node 20.19 or later" >&2; exit 2; }
# Prism 5.16 declares Node >= 24.18 but runs on 20 (tested on 20.20); its faker needs ^20.19.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "warning: node $(node --version) is older than Prism's dependencies want (20.19 or later)" >&2
fi

# PyYAML for report.py's own count of the operations; a pinned copy when it is missing.
if ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
  if [ ! -d "$CACHE/pylib/yaml" ]; then
    echo "installing PyYAML 6.0.2 into $CACHE/pylib" >&2
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$CACHE/pylib" PyYAML==6.0.2
  fi
  export PYTHONPATH=$CACHE/pylib${PYTHONPATH:+:$PYTHONPATH}
fi

if [ -n "${PROVISIONR_CONFORMANCE:-}" ]; then
  BIN=$PROVISIONR_CONFORMANCE
else
  echo "building the suite: cargo build --release" >&2
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=$ROOT/target/release/provisionr-conformance
fi

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {
  local port=$1 pid=$2
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# The token the suite sends: random. Prism's default mode checks that a bearer token is there,
# not its value.
PROVISIONR_TOKEN=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))')
export PROVISIONR_TOKEN

PRISM_PID=
stop_prism() {
  if [ -n "$PRISM_PID" ] && kill -0 "$PRISM_PID" 2>/dev/null; then
    kill "$PRISM_PID" 2>/dev/null || true
    wait "$PRISM_PID" 2>/dev/null || true
  fi
  PRISM_PID=
}
trap stop_prism EXIT

selected() {
  [ ${#WANT[@]} -eq 0 ] && return 0
  local w
  for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}
WANT=("$@")
[ ${#WANT[@]} -gt 0 ] && DOCS+=("${BY_NAME_ONLY[@]}")

ROWS=()
echo "suite: $("$BIN" --version 2>/dev/null || echo "$BIN"); prism $(node "$PRISM" --version 2>/dev/null || echo '?'); $(date -u +%Y-%m-%dT%H:%MZ)"
for line in "${DOCS[@]}"; do
  read -r name doc source extra <<<"$line"
  selected "$name" || continue
  out=$CACHE/reports/$name
  rm -rf "$out"
  mkdir -p "$out"
  if [ ! -f "$doc" ]; then
    echo "== $name: $doc is missing (from $source)" >&2
    ROWS+=("$name|$doc|$out|-1")
    continue
  fi
  port=$(free_port)
  node "$PRISM" mock --host 127.0.0.1 --port "$port" "$doc" >"$out/prism.log" 2>&1 &
  PRISM_PID=$!
  if ! wait_for_port "$port" "$PRISM_PID"; then
    echo "== $name: Prism did not start; see $out/prism.log" >&2
    tail -5 "$out/prism.log" >&2
    stop_prism
    ROWS+=("$name|$doc|$out|-1")
    continue
  fi
  rc=0
  # shellcheck disable=SC2086
  (cd "$out" && "$BIN" run --openapi "$doc" --base-url "http://127.0.0.1:$port" \
    --junit "$out/junit.xml" --summary "$out/summary.json" --no-persist \
    --known-failures "$HERE/prism-known-failures.toml" ${extra:-} ${SUITE_ARGS:-}) \
    >"$out/console.txt" 2>&1 || rc=$?
  stop_prism
  echo "$rc" >"$out/exit_code"
  echo "== $name ($source): exit $rc; $out/console.txt" >&2
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then tail -3 "$out/console.txt" | sed 's/^/   /' >&2; fi
  ROWS+=("$name|$doc|$out|$rc")
done

"$PYTHON" "$HERE/report.py" "${ROWS[@]}"
