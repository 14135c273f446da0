#!/usr/bin/env bash
# The README's first command: serves Motor.Api on embedded defaults (no Redis, no GPU) with the demo bundle, which
# motor-trainer demo-bundle makes on the first run (a small MOTOR model on a generated synthetic dataset, a few seconds
# after the trainer's build) into src/Motor.Api/data-local/demo-bundle, the service's default Motor:DemoBundlePath under
# `dotnet run`. The service itself never trains: the bundle is its only contract with the trainer.
# Arguments go to the service, e.g. ./run-demo.sh --urls http://127.0.0.1:5090
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bundle=src/Motor.Api/data-local/demo-bundle
if [[ ! -f "$bundle/manifest.json" ]]; then
  echo "run-demo: no demo bundle yet; making it with motor-trainer demo-bundle --out $bundle"
  dotnet run --project src/Motor.Trainer -c Release -- demo-bundle --out "$bundle"
fi
exec dotnet run --project src/Motor.Api -- "$@"
