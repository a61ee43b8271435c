#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis): a real
# `switchboard serve` on loopback with the reference workflows, an admin token, a fixed seed.
# Two phases: fuzzing (each operation alone, up to 50 examples) and stateful (up to 50 sequences that follow
# the document's links: create a workflow, then save, publish, export it; start a test chat,
# then talk in it and end it). Fails on any 5xx or on a response that breaks the document,
# and fails when schemathesis is missing: a fuzzer that cannot run must not pass. Business-rule 4xx answers to
# schema-valid requests (an invalid workflow text, an unknown agent) are expected and not checked.
# Revoking tokens is left out: a generated id could revoke the token the fuzzer runs with (the
# router tests cover it).
# Usage: .ci/fuzz_api.sh path/to/switchboard
set -euo pipefail
binary="$1"
# pip may put `st` outside PATH; the module works wherever it is importable.
if ! python3 -c "import schemathesis" 2>/dev/null; then
  echo "FAILED: API fuzzing needs schemathesis (python3 -m pip install schemathesis; .ci/run installs it)" >&2
  exit 1
fi
dir="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
token="fuzz-admin-token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SWITCHBOARD_ADMIN_TOKEN="$token" "$binary" serve --db "$dir/fuzz.db" --listen "127.0.0.1:$port" \
  --workflows workflows >"$dir/out" 2>"$dir/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done
python3 -m schemathesis.cli run "http://127.0.0.1:$port/api/openapi.json" -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 50 --seed 20261121 --phases fuzzing,stateful --no-color \
  --exclude-path '/api/tokens/{id}' | tee "$dir/fuzz.out" || {
  echo "server log (last 40 lines):" >&2
  tail -40 "$dir/server.log" >&2
  exit 1
}
# A stateful phase that found no links to follow would pass without testing anything.
grep -q "✅ Stateful" "$dir/fuzz.out" || { echo "FAILED: the stateful phase did not run" >&2; exit 1; }
