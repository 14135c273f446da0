#!/usr/bin/env bash
# HTTP load test of Motor.Api (issue 5, "Performance"): recommendations with wrk (random known users, default 30 s,
# 64 connections) and batched cold-start ingestion (items/s and p99), once with the embedded store and once with a
# local redis-server. Loopback only; every step is bounded in time; whatever it started is stopped on exit.
#
# Usage: tests/Motor.Benchmarks/load/run-load-test.sh [options]
#   --bundle DIR        serve this bundle (default: a tiktok bundle found under models/ or runs/, else the demo bundle)
#   --data DIR          no bundle found: train a MOTOR-BPR bundle on this dataset folder with motor-trainer (e.g. ../shared/data/tiktok)
#   --duration S        seconds per measured wrk run (default 30)
#   --connections N     connections of the recommendation run (default 64)
#   --ingest-connections N  connections of the ingestion run (default 8)
#   --batch N           items per ingestion request (default 50)
#   --stores LIST       embedded,redis (default both)
#   --out DIR           where the results go (default /tmp/motor-load-<time>)
# Environment: ARTIFACTS (build output, default /tmp/art-loadtest), LOG_LEVEL (Serilog minimum level, default Information).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
LOAD_DIR="$REPO/tests/Motor.Benchmarks/load"
ARTIFACTS=${ARTIFACTS:-/tmp/art-loadtest}
LOG_LEVEL=${LOG_LEVEL:-Information}
BUNDLE=""
DATA=""
DURATION=30
CONNECTIONS=64
INGEST_CONNECTIONS=8
BATCH=50
STORES="embedded,redis"
OUT="/tmp/motor-load-$(date +%Y%m%d-%H%M%S)"
API_KEY="load-test-key-$RANDOM$RANDOM"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --bundle) BUNDLE=$(realpath "$2"); shift 2 ;;
    --data) DATA=$(realpath "$2"); shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --ingest-connections) INGEST_CONNECTIONS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --stores) STORES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run-load-test.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

mkdir -p "$OUT"
OUT=$(realpath "$OUT")
SUMMARY="$OUT/summary.md"
STARTED_PIDS=()

log() { echo "[load-test $(date +%H:%M:%S)] $*" >&2; }

cleanup() {
  for pid in "${STARTED_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  log "$1 is missing: apt-get install -y $2"
  apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null; }
}
need wrk wrk
need redis-server redis-server
need jq jq
need python3 python3

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Process CPU ticks (user + system) of a pid, and machine-wide busy/total ticks, to attribute CPU during a run.
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine_ticks() { awk '/^cpu /{busy=$2+$3+$4+$7+$8; total=busy+$5+$6; print busy, total}' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)

# --- bundle ---------------------------------------------------------------------------------------------------
if [[ -z "$BUNDLE" ]]; then
  while IFS= read -r manifest; do
    if jq -e '.dataset.name == "tiktok"' "$manifest" >/dev/null 2>&1; then BUNDLE=$(dirname "$manifest"); fi
  done < <(find "$REPO/models" "$REPO/runs" -name manifest.json 2>/dev/null | sort)
fi
if [[ -z "$BUNDLE" && -n "$DATA" ]]; then
  # The service never trains (the bundle is its only contract with the trainer): train one here, once.
  BUNDLE="$REPO/models/loadtest-$(basename "$DATA")-bpr-motor"
  log "no tiktok bundle under models/ or runs/: training $BUNDLE with motor-trainer on $DATA (minutes on CPU)"
  timeout 3600 dotnet run --project "$REPO/src/Motor.Trainer" -c Release -- train --data "$DATA" --backbone bpr --items motor \
    --epochs 40 --device cpu --out "$REPO/runs/loadtest-$(basename "$DATA")-bpr-motor" --export "$BUNDLE" > "$OUT/train.log" 2>&1 \
    || { tail -5 "$OUT/train.log" >&2; exit 1; }
fi
if [[ -z "$BUNDLE" ]]; then
  BUNDLE="$OUT/demo-bundle"
  log "no tiktok bundle under models/ or runs/ and no --data: making the demo bundle with motor-trainer demo-bundle"
  dotnet run --project "$REPO/src/Motor.Trainer" -c Release -- demo-bundle --out "$BUNDLE" > "$OUT/demo-bundle.log" 2>&1 \
    || { tail -5 "$OUT/demo-bundle.log" >&2; exit 1; }
fi
log "serving bundle $BUNDLE"

# --- build -----------------------------------------------------------------------------------------------------
log "building Motor.Api (Release) into $ARTIFACTS"
timeout 900 nice -n 5 dotnet build "$REPO/src/Motor.Api" -c Release --artifacts-path "$ARTIFACTS" -v q -nologo > "$OUT/build.log" 2>&1 \
  || { tail -20 "$OUT/build.log" >&2; exit 1; }
API_DIR="$ARTIFACTS/bin/Motor.Api/release"

# --- helpers ---------------------------------------------------------------------------------------------------
REDIS_PID=""
start_redis() {
  local port=$1
  mkdir -p "$OUT/redis"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --save "" --appendonly yes --appendfsync everysec \
    --dir "$OUT/redis" --daemonize no > "$OUT/redis/redis.log" 2>&1 &
  REDIS_PID=$!
  STARTED_PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "redis-server did not start (see $OUT/redis/redis.log)"; exit 1
}

API_PID=""
start_api() {
  local store=$1 port=$2 redis=$3 ready_timeout=120
  (
    cd "$API_DIR"
    export ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=0
    export Motor__BundlePath="$BUNDLE"
    export Motor__ApiKeys__0="$API_KEY" Motor__RateLimit__PermitLimit=1000000000 Motor__RateLimit__AnonymousPermitLimit=1000000000 Motor__RateLimit__AnonymousBatchPermitLimit=1000000000 Motor__RateLimit__WindowSeconds=1
    export Motor__Store__Redis="$redis" Motor__Store__EmbeddedPath="$OUT/$store-store.log" Motor__Store__RedisKeyPrefix="load-$$"
    export Serilog__MinimumLevel__Default="$LOG_LEVEL"
    exec dotnet Motor.Api.dll
  ) > "$OUT/api-$store.log" 2>&1 &
  API_PID=$!
  STARTED_PIDS+=("$API_PID")
  local deadline=$((SECONDS + ready_timeout))
  until curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$API_PID" 2>/dev/null; then log "the API exited (see $OUT/api-$store.log)"; tail -5 "$OUT/api-$store.log" >&2; exit 1; fi
    if (( SECONDS > deadline )); then log "the API was not ready within ${ready_timeout} s (see $OUT/api-$store.log)"; exit 1; fi
    sleep 1
  done
}

stop_api() {
  kill "$API_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$API_PID" 2>/dev/null || true
}

# Server-side view from /metrics (histogram deltas over a run): mean and the bucket holding p99 of the request duration
# inside the service and of the recommendation computation itself. Tells queueing/scheduling apart from work.
server_latency() {
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
def histograms(path):
    found = {}
    for line in open(path):
        m = re.match(r'(motor_http_request_duration_seconds|motor_recommendation_duration_seconds)_(bucket|sum|count)\{(.*)\} (\S+)$', line.strip())
        if not m:
            continue
        name, part, labels, value = m.groups()
        route = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        key = (name, route.get("route", route.get("kind", "")), route.get("method", ""))
        h = found.setdefault(key, {"buckets": {}, "sum": 0.0, "count": 0.0})
        if part == "bucket":
            h["buckets"][route["le"]] = float(value)
        else:
            h[part] = float(value)
    return found
before, after, pattern = histograms(sys.argv[1]), histograms(sys.argv[2]), sys.argv[3]
out = []
for key, h in sorted(after.items()):
    if not re.search(pattern, key[1]):
        continue
    b = before.get(key, {"buckets": {}, "sum": 0.0, "count": 0.0})
    count = h["count"] - b["count"]
    if count <= 0:
        continue
    mean_ms = (h["sum"] - b["sum"]) / count * 1000
    bounds = sorted(((float("inf") if le == "+Inf" else float(le)), h["buckets"][le] - b["buckets"].get(le, 0.0)) for le in h["buckets"])
    p99 = next((bound for bound, cumulative in bounds if cumulative >= 0.99 * count), float("inf"))
    label = "in-service" if key[0].startswith("motor_http") else "recommendation compute"
    out.append(f"{label}: mean {mean_ms:.3f} ms, p99 <= {p99 * 1000:g} ms")
print("; ".join(out) or "no matching histogram")
PY
}

# Runs wrk against the API, records its output and the CPU the API used; echoes the RESULT fields.
run_wrk() {
  local name=$1 duration=$2 connections=$3 script=$4; shift 4
  local api_before machine_before started
  curl -fsS "$BASE_URL/metrics" > "$OUT/metrics-before-$name.txt" || true
  api_before=$(proc_ticks "$API_PID"); machine_before=$(machine_ticks); started=$(date +%s.%N)
  timeout $((duration + 60)) wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s --latency -s "$script" "$BASE_URL" -- "$@" \
    > "$OUT/wrk-$name.txt" 2>&1 || { log "wrk failed (see $OUT/wrk-$name.txt)"; cat "$OUT/wrk-$name.txt" >&2; exit 1; }
  local elapsed api_after machine_after
  elapsed=$(python3 -c "import time; print(time.time() - $started)")
  api_after=$(proc_ticks "$API_PID"); machine_after=$(machine_ticks)
  python3 - "$api_before" "$api_after" "$machine_before" "$machine_after" "$elapsed" "$CLK_TCK" > "$OUT/cpu-$name.txt" <<'PY'
import sys
a0, a1 = int(sys.argv[1]), int(sys.argv[2])
b0, t0, b1, t1 = map(int, sys.argv[3].split() + sys.argv[4].split())
elapsed, tck = float(sys.argv[5]), int(sys.argv[6])
api = (a1 - a0) / tck / elapsed
machine = (b1 - b0) / max(1, t1 - t0)
print(f"api_cores={api:.2f} machine_busy={machine * 100:.0f}%")
PY
  curl -fsS "$BASE_URL/metrics" > "$OUT/metrics-after-$name.txt" || true
  local pattern='recommendations|^user$'
  [[ "$name" == ingestion* ]] && pattern='/v1/items/batch'
  server_latency "$OUT/metrics-before-$name.txt" "$OUT/metrics-after-$name.txt" "$pattern" > "$OUT/server-$name.txt" || echo "n/a" > "$OUT/server-$name.txt"
  grep '^RESULT' "$OUT/wrk-$name.txt" | sed 's/^RESULT //'
}


{
  echo "# Motor.Api load test $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "wrk and the API share the machine (loopback). Recommendations: ${DURATION} s, ${CONNECTIONS} connections, k=20, excludeSeen=true, random known users."
  echo "Ingestion: ${DURATION} s, ${INGEST_CONNECTIONS} connections, POST /v1/items/batch with ${BATCH} new items per request. Serilog level: ${LOG_LEVEL}."
  echo
  echo "| Store | Run | Requests/s | Items/s | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | non-2xx | socket errors | API CPU (cores) | machine busy | server side (/metrics) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} > "$SUMMARY"

row() {
  local store=$1 run=$2 result=$3 items_per_request=$4 cpu
  cpu=$(cat "$OUT/cpu-$run-$store.txt")
  python3 - "$store" "$run" "$result" "$items_per_request" "$cpu" "$(cat "$OUT/server-$run-$store.txt")" >> "$SUMMARY" <<'PY'
import sys
store, run, result, per, cpu, server = sys.argv[1:7]
f = dict(kv.split("=") for kv in result.split())
c = dict(kv.split("=") for kv in cpu.split())
seconds = int(f["duration_us"]) / 1e6
rps = int(f["requests"]) / seconds
ms = lambda key: f"{int(f[key]) / 1000:.2f}"
items = f"{rps * int(per):,.0f}" if int(per) > 1 else "-"
print(f"| {store} | {run} | {rps:,.0f} | {items} | {ms('p50_us')} | {ms('p90_us')} | {ms('p99_us')} | {ms('p999_us')} | {f['non2xx']} | {f['socket_errors']} | {c['api_cores']} | {c['machine_busy']} | {server} |")
PY
}

# --- runs --------------------------------------------------------------------------------------------------------
IFS=',' read -r -a STORE_LIST <<< "$STORES"
for store in "${STORE_LIST[@]}"; do
  redis_connection=""
  if [[ "$store" == "redis" ]]; then
    redis_port=$(free_port)
    start_redis "$redis_port"
    redis_connection="127.0.0.1:$redis_port"
  elif [[ "$store" != "embedded" ]]; then
    echo "run-load-test.sh: unknown store $store (embedded, redis)" >&2; exit 2
  fi

  port=$(free_port)
  BASE_URL="http://127.0.0.1:$port"
  log "[$store] starting the API on $BASE_URL"
  start_api "$store" "$port" "$redis_connection"
  model=$(curl -fsS "$BASE_URL/v1/model")
  bundle_dir=$(jq -r '.bundlePath' <<< "$model")
  modalities=$(jq -r '[.manifest.modalities[] | "\(.name):\(.dimension)"] | join(",")' <<< "$model")
  can_ingest=$(jq -r '.canIngest' <<< "$model")
  echo "$model" | jq '{version, bundlePath, users, trainedItems, vectorSize, dataset: .manifest.dataset, modalities: .manifest.modalities}' > "$OUT/model-$store.json"
  grep -v '^\s*$' "$bundle_dir/user_ids.txt" > "$OUT/user-ids.txt"
  log "[$store] bundle $(jq -r '.manifest.dataset.name' <<< "$model"): $(jq -r '.users' <<< "$model") users, $(jq -r '.trainedItems' <<< "$model") items, vectors $(jq -r '.vectorSize' <<< "$model"); modalities $modalities"

  log "[$store] warm-up (5 s)"
  run_wrk "warmup-$store" 5 "$CONNECTIONS" "$LOAD_DIR/recommend.lua" "$OUT/user-ids.txt" 20 > /dev/null
  log "[$store] recommendations (${DURATION} s, ${CONNECTIONS} connections)"
  result=$(run_wrk "recommendations-$store" "$DURATION" "$CONNECTIONS" "$LOAD_DIR/recommend.lua" "$OUT/user-ids.txt" 20)
  row "$store" recommendations "$result" 1
  log "[$store] $result $(cat "$OUT/cpu-recommendations-$store.txt"); server side: $(cat "$OUT/server-recommendations-$store.txt")"

  if [[ "$can_ingest" == "true" ]]; then
    log "[$store] ingestion (${DURATION} s, ${INGEST_CONNECTIONS} connections, ${BATCH} items per request)"
    result=$(run_wrk "ingestion-$store" "$DURATION" "$INGEST_CONNECTIONS" "$LOAD_DIR/ingest.lua" "load$$-$store" "$modalities" "$BATCH" "$API_KEY")
    row "$store" ingestion "$result" "$BATCH"
    log "[$store] $result $(cat "$OUT/cpu-ingestion-$store.txt"); server side: $(cat "$OUT/server-ingestion-$store.txt")"
    log "[$store] catalog after ingestion: $(curl -fsS "$BASE_URL/v1/model" | jq -r '"\(.trainedItems) trained + \(.ingestedItems) ingested items"')"
  else
    log "[$store] the bundle has no item encoder: ingestion skipped"
  fi

  stop_api
  if [[ -n "$REDIS_PID" ]]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=""; fi
done

echo >> "$SUMMARY"
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). Raw wrk output, API logs and CPU samples: $OUT" >> "$SUMMARY"
cat "$SUMMARY"
