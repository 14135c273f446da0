#!/usr/bin/env bash
# Raw-content ingestion speed: Motor.Api (Release) serving a MOTOR bundle whose manifest names featurizers (e.g. one
# exported from a run trained on a `motor-trainer featurize` folder), timed by `Motor.Benchmarks content-ingestion`:
# single POST /v1/items with text + a 300x450 JPEG (median, p99) and POST /v1/items/batch of 50 (items/s).
#
# Usage: tests/Motor.Benchmarks/load/run-content-ingestion.sh --bundle DIR [--requests 200] [--out DIR]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUNDLE=""
REQUESTS=200
OUT=/tmp/motor-content-$(date +%Y%m%d-%H%M%S)
while [[ $# -gt 0 ]]; do
  case $1 in
    --bundle) BUNDLE=$(cd "$2" && pwd); shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$BUNDLE" ]] || { echo "--bundle: required (a bundle whose manifest names featurizers)" >&2; exit 2; }
mkdir -p "$OUT"
dotnet build "$REPO/src/Motor.Api" -c Release -o "$OUT/api" -v q -nologo > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
dotnet build "$REPO/tests/Motor.Benchmarks" -c Release -o "$OUT/bench" -v q -nologo > "$OUT/build-bench.log" 2>&1 || { tail -20 "$OUT/build-bench.log"; exit 1; }
PORT=18150
KEY=content-bench-key
(cd "$OUT/api" && ASPNETCORE_URLS="http://127.0.0.1:$PORT" Motor__BundlePath="$BUNDLE" Motor__ApiKeys__0="$KEY" \
  Motor__RateLimit__PermitLimit=100000 Motor__Store__EmbeddedPath="$OUT/store.log" exec dotnet Motor.Api.dll) > "$OUT/api.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1200); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
echo "cpu: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}') x $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU time of the service (user + system, clock ticks): on a shared machine wall times include waiting for a core,
# CPU seconds per item do not (much).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
before=$(cpu_ticks)
dotnet "$OUT/bench/Motor.Benchmarks.dll" content-ingestion --url "http://127.0.0.1:$PORT" --api-key "$KEY" --requests "$REQUESTS"
after=$(cpu_ticks)
items=$((10 + REQUESTS + 250))
echo "service CPU: $(( (after - before) * 1000 / $(getconf CLK_TCK) )) ms for $items items, $(( (after - before) * 1000 / $(getconf CLK_TCK) / items )) ms per item"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
