#!/usr/bin/env bash
# The cold-start hybrid view through the HTTP API (issue 9, item 4): export a run trained with --cold-items without its
# cold-test items, serve that bundle (embedded store), ingest the cold-test items with one POST /v1/items/batch, ask
# every user with a cold-test interaction for 20 recommendations, and compare the hybrid Recall@20 of those answers with
# the trainer's offline figure (exit 0 when equal to 3 decimals). Loopback only; stops what it started.
#
# Usage: tests/Motor.Benchmarks/load/run-hybrid-e2e.sh --run runs/coldstart/lightgcn-motor-seed1 --data ../shared/data/tiktok [--out DIR]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
ARTIFACTS=${ARTIFACTS:-/tmp/art-hybrid-e2e}
RUN="" DATA="" OUT="/tmp/motor-hybrid-e2e-$(date +%Y%m%d-%H%M%S)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --run) RUN=$(realpath "$2"); shift 2 ;;
    --data) DATA=$(realpath "$2"); shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
[[ -d "$RUN" && -d "$DATA" ]] || { echo "--run and --data: existing folders required" >&2; exit 64; }
mkdir -p "$OUT"
API_KEY="hybrid-e2e-$RANDOM$RANDOM"
API_PID=""
cleanup() { [[ -n "$API_PID" ]] && { kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; }; }
trap cleanup EXIT

echo "building trainer, API and benchmarks (Release) into $ARTIFACTS"
for project in src/Motor.Trainer src/Motor.Api tests/Motor.Benchmarks; do
  timeout 900 dotnet build "$REPO/$project" -c Release --artifacts-path "$ARTIFACTS" -v q -nologo >> "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; exit 1; }
done

echo "exporting $RUN without its cold-test items"
dotnet "$ARTIFACTS/bin/Motor.Trainer/release/Motor.Trainer.dll" export --run "$RUN" --data "$DATA" --out "$OUT/bundle" --without-cold-test --overwrite > "$OUT/export.log" 2>&1 \
  || { tail -5 "$OUT/export.log" >&2; exit 1; }

port=$(( 20000 + RANDOM % 20000 ))
(
  cd "$ARTIFACTS/bin/Motor.Api/release"
  export ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production Motor__BundlePath="$OUT/bundle"
  export Motor__ApiKeys__0="$API_KEY" Motor__Store__EmbeddedPath="$OUT/store.log" Serilog__MinimumLevel__Default=Warning
  export Motor__RateLimit__PermitLimit=1000000000 Motor__RateLimit__AnonymousPermitLimit=1000000000 Motor__RateLimit__AnonymousBatchPermitLimit=1000000000 Motor__RateLimit__WindowSeconds=1
  exec dotnet Motor.Api.dll
) > "$OUT/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1200); do
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$API_PID" 2>/dev/null || { tail -5 "$OUT/api.log" >&2; exit 1; }
  sleep 0.1
done

dotnet "$ARTIFACTS/bin/Motor.Benchmarks/release/Motor.Benchmarks.dll" hybrid-e2e --data "$DATA" --run "$RUN" --url "http://127.0.0.1:$port" --api-key "$API_KEY" | tee "$OUT/result.txt"
