#!/usr/bin/env bash
# Run the conformance suite against correct implementations of the endpoint on real stacks.
#
#   bench/real-stacks/run.sh [STACK...]     # default: every stack
#
# Stacks: fastapi fastapi-httptools express fastify drf prism-provisionr prism-petstore
#         fastapi-openapi (a "things" API; the suite runs on the document FastAPI generates)
# Installs what is missing (a venv per Python server under bench/real-stacks/.cache, npm
# packages in each Node server's node_modules), starts each server on 127.0.0.1 on a free port, runs the suite
# against it, stops it, and prints per stack the exit code, the cases failed and the failing
# checks grouped. Reports go to bench/real-stacks/.cache/reports/STACK/. Exits 1 when a
# credential of the run appears in the suite's console, JUnit report or summary.
#
# The suite binary: $PROVISIONR_CONFORMANCE, else target/release/provisionr-conformance of this
# repository (built with cargo build --release if missing). Extra suite flags: $SUITE_ARGS.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${REAL_STACKS_CACHE:-$HERE/.cache}
BIN=${PROVISIONR_CONFORMANCE:-$ROOT/target/release/provisionr-conformance}
ALL_STACKS=(fastapi fastapi-httptools express fastify drf prism-provisionr prism-petstore
  fastapi-openapi)
if [ $# -gt 0 ]; then STACKS=("$@"); else STACKS=("${ALL_STACKS[@]}"); fi
SERVICE=svc_x
PYTHON=${PYTHON:-python3}

mkdir -p "$CACHE/reports"

if [ ! -x "$BIN" ]; then
  echo "building the suite: cargo build --release" >&2
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=$ROOT/target/release/provisionr-conformance
fi

# install_venv DIR: a venv at $CACHE/venv-DIR with DIR/requirements.txt, reinstalled when the
# pins change.
install_venv() {
  local venv=$CACHE/venv-$1 req=$HERE/$1/requirements.txt
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements.txt"; then
    echo "installing $1/requirements.txt into $venv" >&2
    "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$venv/.requirements.txt"
  fi
}

install_node() {
  local dir=$HERE/$1
  if [ ! -d "$dir/node_modules" ]; then
    echo "installing npm packages in $1/" >&2
    if [ -f "$dir/package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
  fi
}

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {
  local port=$1 pid=$2
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# The bearer token of this run: random, handed to the server and to the suite.
PROVISIONR_TOKEN=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))')
export PROVISIONR_TOKEN

# The things API's credentials (fastapi-openapi): an API key and an administrator's basic
# credentials, random, handed to the server and to the suite (by --credential SCHEME=VAR).
THINGS_API_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))')
THINGS_BASIC="admin:$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(18))')"
export THINGS_API_KEY THINGS_BASIC

# The --credential flags for a document: one per scheme of components/securitySchemes the suite
# can send, its variable chosen by the scheme's kind (basic: THINGS_BASIC; an API key:
# THINGS_API_KEY; bearer, OAuth2, OpenID Connect: PROVISIONR_TOKEN).
document_credentials() {
  local sname kind _form
  CREDENTIALS=()
  while IFS=$'\t' read -r sname kind _form; do
    case $kind in
      http:basic) CREDENTIALS+=(--credential "$sname=THINGS_BASIC") ;;
      apiKey:*) CREDENTIALS+=(--credential "$sname=THINGS_API_KEY") ;;
      *) CREDENTIALS+=(--credential "$sname=PROVISIONR_TOKEN") ;;
    esac
  done < <("$PYTHON" "$HERE/../openapi/docstats.py" --credentials "$1")
  if ! "$BIN" run --help 2>/dev/null | grep -q -- '--credential'; then
    echo "warning: this suite has no --credential flag: the operations behind an API key or basic credentials are not tested" >&2
    CREDENTIALS=()
  fi
}

# leaks OUT: no credential of the run, in any form it is sent (the value; base64 for basic),
# may appear in the suite's console, JUnit report or summary. Names the file and the variable.
LEAKED=0
leaks() {
  local out=$1 var value form f
  for var in PROVISIONR_TOKEN THINGS_API_KEY THINGS_BASIC; do
    value=${!var}
    for form in "$value" "$(printf '%s' "$value" | base64 -w0)"; do
      for f in console.txt junit.xml summary.json; do
        if [ -f "$out/$f" ] && grep -qF -- "$form" "$out/$f"; then
          echo "== LEAK: the value of $var appears in $out/$f" | tee -a "$out/leaked.txt" >&2
          LEAKED=1
        fi
      done
    done
  done
}

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_server EXIT

run_stack() {
  local stack=$1 port out
  port=$(free_port)
  out=$CACHE/reports/$stack
  rm -rf "$out"
  mkdir -p "$out"
  local base=http://127.0.0.1:$port/api/v1
  local contract=() params=(--service "$SERVICE") skip=() fetch_document=
  CREDENTIALS=()
  case $stack in
    fastapi|fastapi-httptools)
      # fastapi: uvicorn's pure-Python HTTP layer (h11), what `pip install uvicorn` gives;
      # fastapi-httptools: httptools and uvloop, what `uvicorn[standard]` (and so
      # `fastapi[standard]`, the install FastAPI's tutorial gives) picks by default.
      install_venv fastapi
      local http=h11 loop=asyncio
      if [ "$stack" = fastapi-httptools ]; then http=httptools loop=uvloop; fi
      (cd "$HERE/fastapi" && TOKEN=$PROVISIONR_TOKEN SERVICE=$SERVICE \
        exec "$CACHE/venv-fastapi/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" --no-access-log \
        --http "$http" --loop "$loop") \
        >"$out/server.log" 2>&1 &
      ;;
    fastapi-openapi)
      # A things API on FastAPI; the suite runs on the document it generates (/openapi.json,
      # fetched once the server answers), at the root, with its API key and basic credentials.
      install_venv fastapi-openapi
      base=http://127.0.0.1:$port
      params=()
      fetch_document=$base/openapi.json
      contract=(--openapi "$out/openapi.json")
      (cd "$HERE/fastapi-openapi" && API_KEY=$THINGS_API_KEY BASIC_CREDENTIALS=$THINGS_BASIC \
        exec "$CACHE/venv-fastapi-openapi/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" \
        --no-access-log) >"$out/server.log" 2>&1 &
      ;;
    drf)
      # Django REST framework under gunicorn (its default sync worker, one process).
      install_venv drf
      (cd "$HERE/drf" && TOKEN=$PROVISIONR_TOKEN SERVICE=$SERVICE \
        exec "$CACHE/venv-drf/bin/gunicorn" app:application --bind "127.0.0.1:$port") \
        >"$out/server.log" 2>&1 &
      ;;
    express|fastify)
      install_node "$stack"
      (cd "$HERE/$stack" && TOKEN=$PROVISIONR_TOKEN SERVICE=$SERVICE PORT=$port exec node server.js) \
        >"$out/server.log" 2>&1 &
      ;;
    prism-provisionr|prism-petstore)
      install_node prism
      local doc
      # Prism serves the document's paths at its root: it does not prefix the servers' path.
      base=http://127.0.0.1:$port
      if [ "$stack" = prism-provisionr ]; then
        doc=$ROOT/schemas/provisionr-workspace.openapi.yaml
        # A mock answers the document's example, not the request: it cannot keep the
        # requested expiry, count minutes, mint unique ids or echo the description. The
        # semantic checks are off (the Petstore document declares none).
        skip=(--skip-check same_instant --skip-check minutes_between --skip-check unique
          --skip-check echo --skip-check equals)
      else
        doc=$HERE/prism/petstore.openapi.yaml
        contract=(--openapi "$doc")
        params=()  # its paths have no parameter
      fi
      (cd "$HERE/prism" && exec node node_modules/@stoplight/prism-cli/dist/index.js mock \
        --host 127.0.0.1 --port "$port" "$doc") >"$out/server.log" 2>&1 &
      ;;
    *) echo "unknown stack: $stack (one of: ${ALL_STACKS[*]})" >&2; return 2 ;;
  esac
  SERVER_PID=$!
  if ! wait_for_port "$port" "$SERVER_PID"; then
    echo "== $stack: the server did not start; see $out/server.log" >&2
    tail -20 "$out/server.log" >&2
    stop_server
    return 0
  fi
  if [ -n "$fetch_document" ]; then
    if ! "$PYTHON" -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=10).read())' \
      "$fetch_document" >"$out/openapi.json"; then
      echo "== $stack: could not fetch $fetch_document" >&2
      stop_server
      return 0
    fi
    document_credentials "$out/openapi.json"
  fi
  local rc=0
  # shellcheck disable=SC2086
  (cd "$out" && "$BIN" run --base-url "$base" "${params[@]}" "${contract[@]}" "${skip[@]}" "${CREDENTIALS[@]}" \
    --no-persist --junit "$out/junit.xml" --summary "$out/summary.json" ${SUITE_ARGS:-}) \
    >"$out/console.txt" 2>&1 || rc=$?
  stop_server
  echo "$rc" >"$out/exit_code"
  leaks "$out"
  "$PYTHON" "$HERE/summarize.py" "$stack" "$rc" "$out/summary.json"
  if [ "$stack" = fastapi-openapi ]; then
    "$PYTHON" "$HERE/fastapi-openapi/verdict.py" "$out/summary.json" | tee "$out/verdict.txt" || true
  fi
  echo
}

echo "suite: $("$BIN" --version 2>/dev/null || echo "$BIN"); $(date -u +%Y-%m-%dT%H:%MZ)"
for stack in "${STACKS[@]}"; do
  run_stack "$stack"
done
"$PYTHON" "$HERE/summarize.py" --table "$CACHE/reports" "${STACKS[@]}"
if [ "$LEAKED" = 1 ]; then
  echo "a credential appears in the suite's output: see == LEAK above" >&2
  exit 1
fi
