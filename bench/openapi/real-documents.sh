#!/usr/bin/env bash
# Run the suite on public OpenAPI documents that nobody on this project wrote, each mocked by
# Prism (in its default, static mode unless PRISM_FLAGS below says otherwise), and print per
# document how many of ALL its operations were tested, with a credential given for every security
# scheme the suite can send.
#
#   bench/openapi/real-documents.sh            # every document below
#   bench/openapi/real-documents.sh NAME...    # only these (names from the table)
#
# Installs Prism and the document packages, pinned (npm/package.json and its lock), into
# $OPENAPI_BENCH_CACHE (default bench/openapi/.cache, git-ignored) with `npm ci`; builds the suite
# (cargo build --release) unless $PROVISIONR_CONFORMANCE names a binary; for each document starts
# `prism mock DOC` on a free 127.0.0.1 port, runs
#   provisionr-conformance run --openapi DOC --base-url http://127.0.0.1:PORT \
#     --credential SCHEME=BENCH_CREDENTIAL_1 ... --junit OUT/junit.xml --summary OUT/summary.json \
#     --no-persist
# with one --credential per scheme of the document's components/securitySchemes that the suite
# can send (docstats.py --credentials: HTTP bearer and basic, API keys in a header, query or
# cookie, OAuth2, OpenID Connect), each variable holding a fresh random value of the scheme's
# form (`user:password` for basic; Prism checks that a credential is there, not its value),
# stops Prism, and prints one row (report.py). Reports go to $CACHE/reports/NAME/
# (credentials.tsv names the schemes and variables given, never a value).
#
# Exit code: 0 when every document has at least 90% of its operations tested and no error on a
# valid case that a load warning does not explain; 1 otherwise.
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
  # Prism 5.16 dies on some generated form bodies of the Petstore's `updatePetWithForm` (a
  # URIError, "URI malformed", in its form decoder, uncaught: every later request of the run
  # finds no server). A finding about the mock, met once the suite sends the OAuth2 credential;
  # that operation's generated bodies (any and invalid) are skipped so the rest is tested.
  "petstore-3.0           $EX/3.0/yaml/petstore.yaml            @readme/oas-examples@8.2.2:3.0/yaml/petstore.yaml --skip updatePetWithForm::property:: --skip uploadFile::property::"
  "petstore-expanded-3.0  $EX/3.0/yaml/petstore-expanded.yaml   @readme/oas-examples@8.2.2:3.0/yaml/petstore-expanded.yaml"
  "uspto-3.0              $EX/3.0/yaml/uspto.yaml               @readme/oas-examples@8.2.2:3.0/yaml/uspto.yaml"
  "link-example-3.0       $EX/3.0/yaml/link-example.yaml        @readme/oas-examples@8.2.2:3.0/yaml/link-example.yaml"
  "star-trek-3.0          $EX/3.0/yaml/star-trek.yaml           @readme/oas-examples@8.2.2:3.0/yaml/star-trek.yaml"
  "petstore-3.1           $EX/3.1/yaml/petstore.yaml            @readme/oas-examples@8.2.2:3.1/yaml/petstore.yaml --skip updatePetWithForm::property::"
  "train-travel-3.1       $EX/3.1/yaml/train-travel.yaml        @readme/oas-examples@8.2.2:3.1/yaml/train-travel.yaml"
  # Prism 5.16 stops answering on a multipart part whose name holds a `;` (parse-multipart-data
  # splits Content-Disposition on every `;`, then reads an `=` that is not there: an uncaught
  # TypeError; every later request of the run finds no server), which the generated bodies of the
  # four multipart operations (createAPI, updateAPI, validateAPI, uploadImage) draw. A finding
  # about the mock (`curl -F 'a;b=x'` reproduces it); those operations' generated bodies are
  # skipped, their other cases and the rest of the document are tested.
  "readme-api-3.1         $EX/3.1/yaml/readme.yaml              @readme/oas-examples@8.2.2:3.1/yaml/readme.yaml --skip uploadImage::property:: --skip createAPI::property:: --skip updateAPI::property:: --skip validateAPI::property::"
  "security-3.1           $EX/3.1/yaml/security.yaml            @readme/oas-examples@8.2.2:3.1/yaml/security.yaml"
)
# Prism flags per document (none: static mode, where Prism answers the document's examples, and
# for a schema without one a value it makes up: "string" for every string).
# The ReadMe document has no response example, and its response schemas set a `pattern` on most
# strings (`rdme_\w+`, `\/projects\/(me|...)`, `[a-f\d]{24}`): every static answer breaks
# them, which the suite rightly reports on every valid case (Prism's own `sl-violations` header
# says the same; Ajv, an ECMA-262 validator, agrees on all 3,681 errors of a static run; see
# bench/README.md). Dynamic mode draws answers from the schemas (json-schema-faker), seeded.
declare -A PRISM_FLAGS=(
  [readme-api-3.1]="--dynamic --seed 1"
)
# Not in the default list: every operation of it documents no response, which Prism 5.16
# answers with 500 NO_RESPONSE_RESPONSE_DEFINED before it stops answering. Run it by name
# (`real-documents.sh parameters-style-3.1`) to see the suite's parameter styles on it.
BY_NAME_ONLY=(
  "parameters-style-3.1   $EX/3.1/yaml/parameters-style.yaml    @readme/oas-examples@8.2.2:3.1/yaml/parameters-style.yaml"
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

random_secret() {
  "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))'
}

# The token the suite sends for a bearer-like scheme without a --credential of its own: random.
# Prism's default mode checks that a credential is there, not its value.
PROVISIONR_TOKEN=$(random_secret)
export PROVISIONR_TOKEN

# A suite without `run --credential SCHEME=VAR` (before issue 19) sends HTTP bearer only; the
# other schemes' operations are then listed as not tested, and counted so.
HAS_CREDENTIAL=1
if ! "$BIN" run --help 2>/dev/null | grep -q -- '--credential'; then
  HAS_CREDENTIAL=0
  echo "warning: this suite has no --credential flag: only HTTP bearer (PROVISIONR_TOKEN) is sent" >&2
fi

# credentials DOC OUT: sets CRED_FLAGS (--credential NAME=VAR ...) and CRED_ENV (VAR=value ...)
# for the schemes of DOC the suite can send, and writes OUT/credentials.tsv (NAME, KIND, VAR:
# no value) for report.py.
credentials() {
  local doc=$1 out=$2 i=0 sname kind form var value
  CRED_FLAGS=() CRED_ENV=()
  : >"$out/credentials.tsv"
  while IFS=$'\t' read -r sname kind form; do
    [ -n "$sname" ] || continue
    if [ "$HAS_CREDENTIAL" = 0 ]; then
      # The old suite's one credential: the bearer token, for every HTTP bearer scheme.
      [ "$kind" = http:bearer ] && printf '%s\t%s\t%s\n' "$sname" "$kind" PROVISIONR_TOKEN >>"$out/credentials.tsv"
      continue
    fi
    case $sname in *=*) echo "   scheme '$sname' has '=' in its name: no --credential for it" >&2; continue ;; esac
    i=$((i + 1))
    var=BENCH_CREDENTIAL_$i
    if [ "$form" = user:password ]; then value="bench-user:$(random_secret)"; else value=$(random_secret); fi
    CRED_FLAGS+=(--credential "$sname=$var")
    CRED_ENV+=("$var=$value")
    printf '%s\t%s\t%s\n' "$sname" "$kind" "$var" >>"$out/credentials.tsv"
  done < <("$PYTHON" "$HERE/docstats.py" --credentials "$doc")
}

# leaks OUT: the suite's own output (console, JUnit, summary) must hold no credential in any form
# it is sent (the value; base64 of `user:password` for basic). Writes OUT/leaked.txt naming the
# files and variables, never a value; report.py fails the document when it is not empty.
leaks() {
  local out=$1 kv var value form f
  : >"$out/leaked.txt"
  for kv in "${CRED_ENV[@]}" "PROVISIONR_TOKEN=$PROVISIONR_TOKEN"; do
    var=${kv%%=*} value=${kv#*=}
    for form in "$value" "$(printf '%s' "$value" | base64 -w0)"; do
      for f in console.txt junit.xml summary.json; do
        if [ -f "$out/$f" ] && grep -qF -- "$form" "$out/$f"; then
          echo "$f: the value of $var" >>"$out/leaked.txt"
          echo "   a credential ($var) appears in $out/$f" >&2
        fi
      done
    done
  done
}

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
  credentials "$doc" "$out"
  port=$(free_port)
  # shellcheck disable=SC2086
  node "$PRISM" mock ${PRISM_FLAGS[$name]:-} --host 127.0.0.1 --port "$port" "$doc" >"$out/prism.log" 2>&1 &
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
  (cd "$out" && for kv in "${CRED_ENV[@]}"; do export "${kv?}"; done &&
    exec "$BIN" run --openapi "$doc" --base-url "http://127.0.0.1:$port" "${CRED_FLAGS[@]}" \
    --junit "$out/junit.xml" --summary "$out/summary.json" --no-persist \
    --known-failures "$HERE/prism-known-failures.toml" ${extra:-} ${SUITE_ARGS:-}) \
    >"$out/console.txt" 2>&1 || rc=$?
  stop_prism
  leaks "$out"
  echo "$rc" >"$out/exit_code"
  echo "== $name ($source): exit $rc; $out/console.txt" >&2
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then tail -3 "$out/console.txt" | sed 's/^/   /' >&2; fi
  ROWS+=("$name|$doc|$out|$rc")
done

"$PYTHON" "$HERE/report.py" "${ROWS[@]}"
