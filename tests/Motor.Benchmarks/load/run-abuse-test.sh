#!/usr/bin/env bash
# Abusive anonymous clients beside a normal one (issue 12): a normal client (one connection, with an API key, GET
# recommendations) measured alone and then while 8 anonymous connections hammer POST /v1/recommendations/batch with the
# largest request the defaults allow (1,000 users x k 20). Reports the normal client's p99 (wrk --latency) and the
# process's resident memory (idle, and the peak of 0.2 s samples). Runs the service with its default limits, and once
# more with the anonymous rate limit lifted (Motor:RateLimit:AnonymousPermitLimit huge) to show what the limit buys.
#
# Usage: tests/Motor.Benchmarks/load/run-abuse-test.sh --bundle models/tiktok-bpr-motor [--seconds 20] [--out DIR]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUNDLE=""
SECONDS_PER_RUN=20
OUT=/tmp/motor-abuse-$(date +%Y%m%d-%H%M%S)
while [[ $# -gt 0 ]]; do
  case $1 in
    --bundle) BUNDLE=$(realpath "$2"); shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$BUNDLE" ]] || { echo "--bundle DIR is required" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)" >&2; exit 2; }
mkdir -p "$OUT"
PORT=18097
KEY=abuse-test-key
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

log "building Motor.Api (Release) into $OUT/api"
dotnet build "$REPO/src/Motor.Api" -c Release -o "$OUT/api" -v q -nologo > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }

# The normal client: a few known users in turn, with the key.
mapfile -t USERS < <(head -50 "$BUNDLE/user_ids.txt")
{
  echo 'local users = {'; for user in "${USERS[@]}"; do printf '"%s",' "$user"; done; echo '}'
  echo 'local n = 0'
  echo 'request = function() n = n + 1; return wrk.format("GET", "/v1/users/" .. users[(n % #users) + 1] .. "/recommendations?k=20") end'
} > "$OUT/normal.lua"
# The abuser: the largest batch the defaults allow (787 KB of answer on tiktok), anonymous.
body=$(python3 -c "import json; ids=[l.strip() for l in open('$BUNDLE/user_ids.txt')][:1000]; print(json.dumps({'userIds': ids, 'k': 20}))")
cat > "$OUT/abuse.lua" <<LUA
wrk.method = "POST"
wrk.path = "/v1/recommendations/batch"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

run_case() {
  local name=$1 anonymous_limit=$2
  [[ $anonymous_limit == default ]] && anonymous_limit=""
  (
    cd "$OUT/api"
    export ASPNETCORE_URLS="http://127.0.0.1:$PORT" ASPNETCORE_ENVIRONMENT=Production Motor__BundlePath="$BUNDLE" \
      Motor__Store__EmbeddedPath="$OUT/$name-store.log" Motor__ApiKeys__0="$KEY" Motor__RateLimit__PermitLimit=100000000 \
      ${anonymous_limit:+Motor__RateLimit__AnonymousPermitLimit=$anonymous_limit Motor__RateLimit__AnonymousBatchPermitLimit=$anonymous_limit}
    exec dotnet Motor.Api.dll
  ) > "$OUT/$name-api.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  wrk -t1 -c1 -d3s -H "X-Api-Key: $KEY" -s "$OUT/normal.lua" "http://127.0.0.1:$PORT" > /dev/null # warm-up
  local idle; idle=$(rss "$pid")
  wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency -H "X-Api-Key: $KEY" -s "$OUT/normal.lua" "http://127.0.0.1:$PORT" > "$OUT/$name-alone.txt"
  wrk -t2 -c8 -d"$((SECONDS_PER_RUN + 4))s" -s "$OUT/abuse.lua" "http://127.0.0.1:$PORT" > "$OUT/$name-abuse.txt" &
  local abuser=$!
  local peak=$idle
  ( while kill -0 "$abuser" 2>/dev/null; do r=$(rss "$pid"); echo "$r"; sleep 0.2; done ) > "$OUT/$name-rss.txt" &
  local sampler=$!
  sleep 2
  wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency -H "X-Api-Key: $KEY" -s "$OUT/normal.lua" "http://127.0.0.1:$PORT" > "$OUT/$name-loaded.txt"
  wait "$abuser" || true; wait "$sampler" || true
  peak=$(sort -n "$OUT/$name-rss.txt" | tail -1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local alone loaded
  alone=$(awk '/ 99% / {print $2}' "$OUT/$name-alone.txt"); loaded=$(awk '/ 99% / {print $2}' "$OUT/$name-loaded.txt")
  local abuse_requests; abuse_requests=$(awk '/requests in/ {print $1}' "$OUT/$name-abuse.txt")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/$name-abuse.txt"); non2xx=${non2xx:-0}
  printf '| %s | %s | %s | %s | %s | %s MB | %s MB | %s |\n' "$name" "$alone" "$loaded" \
    "$(python3 -c "import re,sys; f=lambda s: float(re.match(r'([\d.]+)',s).group(1))*{'us':0.001,'ms':1,'s':1000}[re.search(r'(us|ms|s)$',s).group(1)]; print(f'{f(\"$loaded\")/f(\"$alone\"):.2f}x')")" \
    "$abuse_requests ($non2xx refused)" "$((idle / 1024))" "$((peak / 1024))" "$(python3 -c "print(f'{$peak/$idle:.2f}x')")"
}

echo "| limits | normal p99 alone | normal p99 beside 8 abusers | ratio | abusive requests | RSS idle | RSS peak | ratio |"
echo "|---|---|---|---|---|---|---|---|"
run_case defaults default
run_case anonymous-limits-lifted 100000000
log "raw wrk output in $OUT"
