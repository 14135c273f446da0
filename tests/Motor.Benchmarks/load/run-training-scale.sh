#!/usr/bin/env bash
# MOTOR-BPR vs ID-BPR training steps at 100k, 1M and 10M synthetic catalog items with the interactions fixed
# (motor-trainer scale-bench: random batches, Adam, the default MOTOR encoder; one process per configuration, so that
# each peak memory is its own). Prints a markdown table.
#
# Usage: tests/Motor.Benchmarks/load/run-training-scale.sh [--sizes 100000,1000000,10000000] [--steps 20] [--threads 2]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SIZES=100000,1000000,10000000
STEPS=20
THREADS=2
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
OUT=$(mktemp -d)
dotnet build "$REPO/src/Motor.Trainer" -c Release -o "$OUT/trainer" -v q -nologo > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
echo "| items | catalog | median step (ms) | epoch of 200,000 pairs (s) | item-side bytes | peak RSS (MiB) |"
echo "|---|---|---|---|---|---|"
for size in ${SIZES//,/ }; do
  for items in id motor; do
    line=$(MOTOR_TORCH_THREADS=$THREADS dotnet "$OUT/trainer/Motor.Trainer.dll" scale-bench --items "$items" --catalog "$size" --steps "$STEPS" --device cpu | tail -1)
    python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"| {r['items']} | {r['catalogItems']:,} | {r['medianStepMilliseconds']:.1f} | {r['epochSeconds']:.2f} | {r['itemSideBytes']:,} | {r['peakResidentBytes']/2**20:.0f} |\")" "$line"
  done
done
