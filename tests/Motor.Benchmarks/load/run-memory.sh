#!/usr/bin/env bash
# What the service holds per catalog item: resident memory of Motor.Api (Release) serving a synthetic ID bundle of
# --items random 64-d float32 vectors, against one of 1,000 items (the baseline), each measured after readiness, 20
# recommendation and 20 similar-item requests and 3 s of quiet. Reports MiB per 1M items and the ratio to the raw
# vector bytes (items x 64 x 4).
#
# Usage: tests/Motor.Benchmarks/load/run-memory.sh [--items 1000000] [--out DIR]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
ITEMS=1000000
OUT=/tmp/motor-memory-$(date +%Y%m%d-%H%M%S)
while [[ $# -gt 0 ]]; do
  case $1 in
    --items) ITEMS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
dotnet build "$REPO/src/Motor.Api" -c Release -o "$OUT/api" -v q -nologo > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
dotnet run -c Release --project "$REPO/tests/Motor.Benchmarks" -- synthetic-bundle --out "$OUT/bundle-base" --items 1000 > /dev/null
dotnet run -c Release --project "$REPO/tests/Motor.Benchmarks" -- synthetic-bundle --out "$OUT/bundle-large" --items "$ITEMS" > /dev/null

rss_of() {
  local bundle=$1 port=18140
  (cd "$OUT/api" && ASPNETCORE_URLS="http://127.0.0.1:$port" Motor__BundlePath="$bundle" \
    Motor__Store__EmbeddedPath="$OUT/store-$(basename "$bundle").log" exec dotnet Motor.Api.dll) > "$OUT/api-$(basename "$bundle").log" 2>&1 &
  local pid=$!
  for _ in $(seq 1200); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  for i in $(seq 20); do
    curl -fs "http://127.0.0.1:$port/v1/users/u$i/recommendations" > /dev/null
    curl -fs "http://127.0.0.1:$port/v1/items/i$i/similar" > /dev/null
  done
  sleep 3
  awk '/VmRSS/ {print $2}' "/proc/$pid/status"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
base=$(rss_of "$OUT/bundle-base")
large=$(rss_of "$OUT/bundle-large")
python3 - "$base" "$large" "$ITEMS" <<'PY'
import sys
base, large, items = int(sys.argv[1]) / 1024, int(sys.argv[2]) / 1024, int(sys.argv[3])
raw = items * 64 * 4 / 2**20
per_million = (large - base) * 1e6 / items
print(f"RSS with 1,000 items: {base:.0f} MiB; with {items:,} items: {large:.0f} MiB")
print(f"per 1M items: {per_million:.0f} MiB; raw vectors per 1M: {64 * 4 * 1e6 / 2**20:.0f} MiB; ratio {per_million / (64 * 4 * 1e6 / 2**20):.2f}x")
PY
