#!/usr/bin/env bash
# The local AWS emulator (moto server) for trying gapfill, the demo, the tests and benchmarks.
#
#   eval "$(scripts/emulator.sh start)"   install the pinned moto (scripts/venv.sh), start it on a free
#                                         loopback port, print the exports that point AWS at it
#   eval "$(scripts/emulator.sh start --async)"
#                                         the same, with CloudFormation taking time as in AWS
#                                         (scripts/moto_async.py; GAPFILL_EMULATOR_ASYNC=1 too;
#                                         GAPFILL_EMULATOR_TIME_SCALE=0.1 makes it 10 x faster)
#   scripts/emulator.sh stop [PID]        stop it (PID defaults to $GAPFILL_EMULATOR_PID)
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.emulator"
venv=""

# moto, pinned with everything it needs in scripts/python/requirements.lock.
ensure_moto() {
  venv=$("$root/scripts/venv.sh")
}

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A tiny HTTP client with the venv's Python, so a fresh machine needs no curl.
http() {
  "$venv/bin/python" - "$@" <<'PY' 2>/dev/null
import sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=2).read()
PY
}

wait_until_up() {
  local url=$1 pid=$2
  # One Python process polls every 20 ms for up to 30 s (a loaded 2-core machine starting
  # several emulators at once needs more than 10), and gives up if moto exits.
  if ! "$venv/bin/python" - "$url" "$pid" <<'PY'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("emulator: moto exited during start-up")
    try:
        urllib.request.urlopen(url + "/moto-api/data.json", timeout=1).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit("emulator: moto did not answer within 30 s")
PY
  then
    echo "emulator: see $state/moto-${url##*:}.log" >&2
    kill "$pid" 2>/dev/null || true # never leave a server nobody will stop
    exit 1
  fi
}

start() {
  local flags=()
  case "${1:-}" in
    "") ;;
    --async) flags=(--async-cloudformation) ;;
    *) echo "usage: $0 start [--async]" >&2; exit 1 ;;
  esac
  ensure_moto
  mkdir -p "$state"
  local port pid url
  port=$(free_port)
  url="http://127.0.0.1:$port"
  "$venv/bin/python" "$root/scripts/moto_server.py" --port "$port" ${flags[@]+"${flags[@]}"} >"$state/moto-$port.log" 2>&1 &
  pid=$!
  wait_until_up "$url" "$pid"
  # No Docker engine here: Lambda functions are stored, not run.
  http POST "$url/moto-api/config" '{"lambda":{"use_docker":false}}' || {
    echo "emulator: could not configure moto" >&2
    exit 1
  }
  local moto_version
  moto_version=$("$venv/bin/python" -c 'import moto; print(moto.__version__)')
  echo "emulator: moto $moto_version listening on $url (pid $pid)${flags[*]+ with ${flags[*]}}" >&2
  cat <<EXPORTS
export AWS_ENDPOINT_URL=$url
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export GAPFILL_EMULATOR_PID=$pid
EXPORTS
}

stop() {
  local pid=${1:-${GAPFILL_EMULATOR_PID:-}}
  if [ -z "$pid" ]; then
    echo "emulator: no PID given and GAPFILL_EMULATOR_PID is not set" >&2
    exit 1
  fi
  kill "$pid" 2>/dev/null || true
  echo "emulator: stopped pid $pid" >&2
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start [--async] | stop [PID]" >&2; exit 1 ;;
esac
