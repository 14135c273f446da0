#!/usr/bin/env bash
# Runs the compose walkthrough of docs/DEPLOY.md with the built images but without a container engine, for hosts whose
# sandbox forbids one (this project's build machine: crun and runc both fail on setrlimit). Each "container" is the
# image's own root file system (podman image mount: read-only), entered with chroot as the image's user 1654, in a
# private mount namespace with its volumes bound in (/models, /tmp, /data), on the host network. Redis is the host's
# redis-server with the same settings as the compose service (AOF, password).
#
# Steps: train the demo bundle with the trainer image (writes /models/demo-v1, links /models/current); start two API
# replicas from the api image on one Redis; HEALTHCHECK command; an item ingested on one replica served by the other;
# roll out demo-v2 by switching the link; stop Redis (readiness stays 200 Degraded, writes 503) and restart it.
#
# Usage: deploy/offline/run-images.sh [--tag dev] [--out DIR]     (root; images built with the Dockerfile first)
set -euo pipefail

TAG=dev
OUT=/tmp/motor-images-$(date +%Y%m%d-%H%M%S)
while [[ $# -gt 0 ]]; do
  case $1 in
    --tag) TAG=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
API_IMAGE=motor-service/api:$TAG
TRAINER_IMAGE=motor-service/trainer:$TAG
REDIS_PORT=16479
PORTS=(18081 18082)
API_KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
REDIS_PASSWORD=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$OUT"/{models,redis}
chown 1654:1654 "$OUT/models"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  podman image umount "$API_IMAGE" "$TRAINER_IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

for port in "${PORTS[@]}" "$REDIS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use (an earlier run still going?)" >&2; exit 1; fi
done
API_ROOT=$(podman image mount "$API_IMAGE")
TRAINER_ROOT=$(podman image mount "$TRAINER_IMAGE")

# run_in ROOT NAME VOLUMES ENV... -- COMMAND...: a "container": private mounts, read-only root, user 1654. It execs:
# call it in a subshell, ( run_in ... ) or run_in ... &.
run_in() {
  local root=$1 name=$2 volumes=$3; shift 3
  local environment=()
  while [[ $1 != -- ]]; do environment+=("$1"); shift; done
  shift
  mkdir -p "$OUT/$name/tmp"; chown 1654:1654 "$OUT/$name" "$OUT/$name/tmp"
  local binds="mount --bind /proc $root/proc && mount --bind /dev $root/dev && mount --bind $OUT/$name/tmp $root/tmp"
  for volume in $volumes; do binds+=" && mount --bind ${volume%%:*} $root/${volume#*:}"; done
  local variables=""
  [[ ${#environment[@]} -gt 0 ]] && variables=$(printf '%q ' "${environment[@]}")
  # exec: a background "container" keeps the PID that cleanup kills (unshare, sh, env and chroot all exec).
  exec unshare --mount --propagation private /bin/sh -c "$binds && exec env -i PATH=/usr/bin:/bin HOME=/tmp DOTNET_RUNNING_IN_CONTAINER=true $variables /usr/sbin/chroot --userspec=1654:1654 $root $(printf '%q ' "$@")"
}

log "redis-server on $REDIS_PORT (AOF fsync always, password), as the compose redis service"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync always --requirepass "$REDIS_PASSWORD" \
  --dir "$OUT/redis" --save "" > "$OUT/redis.log" 2>&1 &
REDIS_PID=$!; PIDS+=("$REDIS_PID")
for _ in $(seq 50); do REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

log "trainer image: demo-bundle --out /models/demo-v1 --current /models/current"
start=$(date +%s.%N)
(run_in "$TRAINER_ROOT" trainer "$OUT/models:models" MOTOR_TORCH_THREADS=0 -- dotnet /app/Motor.Trainer.dll demo-bundle \
  --out /models/demo-v1 --current /models/current --work /tmp/demo) > "$OUT/trainer-v1.log" 2>&1
log "  done in $(echo "$(date +%s.%N) - $start" | bc) s; /models/current -> $(readlink "$OUT/models/current")"

for index in 0 1; do
  port=${PORTS[$index]}
  mkdir -p "$OUT/api-$index/data"; chown 1654:1654 "$OUT/api-$index" "$OUT/api-$index/data"
  run_in "$API_ROOT" "api-$index" "$OUT/models:models $OUT/api-$index/data:data" \
    ASPNETCORE_HTTP_PORTS="$port" ASPNETCORE_ENVIRONMENT=Production Motor__Store__EmbeddedPath=/data/motor-store.log \
    Motor__BundlePath=/models/current Motor__WatchBundle=true \
    "Motor__Store__Redis=127.0.0.1:$REDIS_PORT,password=$REDIS_PASSWORD,abortConnect=false" Motor__ApiKeys__0="$API_KEY" \
    -- dotnet /app/Motor.Api.dll > "$OUT/api-$index.log" 2>&1 &
  PIDS+=("$!")
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  log "api on $port: $(curl -sS "http://127.0.0.1:$port/health/ready")"
done

for port in "${PORTS[@]}"; do
  code=0; (run_in "$API_ROOT" probe "" -- dotnet /app/Motor.Api.dll healthcheck "http://127.0.0.1:$port/health/live") || code=$?
  log "HEALTHCHECK command against $port: exit $code"
done
code=0; (run_in "$API_ROOT" probe "" -- dotnet /app/Motor.Api.dll healthcheck "http://127.0.0.1:1/health/live") 2>/dev/null || code=$?
log "HEALTHCHECK command against a closed port: exit $code"

log "ingest an item through replica 1, read it from replica 2"
features=$(python3 -c 'import json,random; random.seed(7); print(json.dumps({"audio":[random.uniform(-1,1) for _ in range(32)],"image":[random.uniform(-1,1) for _ in range(64)]}))')
curl -sS -o /dev/null -w "  POST /v1/items on ${PORTS[0]}: %{http_code}\n" -X POST "http://127.0.0.1:${PORTS[0]}/v1/items" \
  -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' -d "{\"itemId\":\"walkthrough-1\",\"features\":$features}"
start=$(date +%s.%N)
until curl -fsS "http://127.0.0.1:${PORTS[1]}/v1/items/walkthrough-1" >/dev/null 2>&1; do sleep 0.05; done
log "  served by ${PORTS[1]} after $(echo "$(date +%s.%N) - $start" | bc) s"

log "rollout: trainer writes demo-v2 and switches /models/current"
(run_in "$TRAINER_ROOT" trainer "$OUT/models:models" MOTOR_TORCH_THREADS=0 -- dotnet /app/Motor.Trainer.dll demo-bundle \
  --out /models/demo-v2 --current /models/current --work /tmp/demo) > "$OUT/trainer-v2.log" 2>&1
start=$(date +%s.%N)
for port in "${PORTS[@]}"; do
  until curl -fsS "http://127.0.0.1:$port/v1/model" | grep -q '"version":"demo-v2"'; do sleep 0.1; done
done
log "  both replicas serve demo-v2 $(echo "$(date +%s.%N) - $start" | bc) s after the switch (watch interval 2 s)"
curl -fsS "http://127.0.0.1:${PORTS[0]}/v1/items/walkthrough-1" >/dev/null && log "  the ingested item is still served after the rollout"

log "Redis stopped"
kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
sleep 1
for port in "${PORTS[@]}"; do
  log "  $port ready: $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready") $(curl -sS "http://127.0.0.1:$port/health/ready" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b["status"], "/ store", b["checks"]["store"]["status"])')"
done
curl -sS -o /dev/null -w "  GET recommendations: %{http_code}\n" "http://127.0.0.1:${PORTS[0]}/v1/users/$(head -1 "$OUT/models/current/user_ids.txt")/recommendations?k=5"
curl -sS -D - -o /dev/null -X POST "http://127.0.0.1:${PORTS[0]}/v1/items" -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"itemId\":\"walkthrough-2\",\"features\":$features}" | grep -iE '^HTTP|^retry-after' | sed 's/^/  write: /'
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync always --requirepass "$REDIS_PASSWORD" \
  --dir "$OUT/redis" --save "" >> "$OUT/redis.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 50); do REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
start=$(date +%s.%N)
until [[ $(curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${PORTS[0]}/v1/items" -H "X-Api-Key: $API_KEY" \
  -H 'Content-Type: application/json' -d "{\"itemId\":\"walkthrough-2\",\"features\":$features}") == 201 ]]; do sleep 0.1; done
log "Redis back: writes accepted $(echo "$(date +%s.%N) - $start" | bc) s after it answered"
for port in "${PORTS[@]}"; do
  until curl -sS "http://127.0.0.1:$port/health/ready" | grep -q '^{"status":"Healthy"'; do sleep 0.1; done
done
log "  both replicas Healthy again $(echo "$(date +%s.%N) - $start" | bc) s after Redis answered"
log "logs in $OUT"
