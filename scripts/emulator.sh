#!/usr/bin/env bash
# The local AWS emulator (moto server) for trying gapfill, the demo, the tests and benchmarks.
#
#   eval "$(scripts/emulator.sh start)"   install the pinned moto if missing, start it on a free
#                                         loopback port, print the exports that point AWS at it
#   scripts/emulator.sh stop [PID]        stop it (PID defaults to $GAPFILL_EMULATOR_PID)
#
# Progress goes to stderr; stdout carries only the `export` lines.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
moto_version="5.2.5"
state="$root/.emulator"

ensure_moto() {
  if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
    return
  fi
  echo "emulator: installing moto[server]==$moto_version into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "moto[server]==$moto_version" >&2
}

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_until_up() {
  local url=$1 pid=$2
  for _ in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "emulator: moto exited during start-up; see $state/moto.log" >&2
      exit 1
    fi
    if curl -fsS -o /dev/null "$url/moto-api/data.json" 2>/dev/null; then
      return
    fi
    sleep 0.05
  done
  echo "emulator: moto did not answer within 10 s; see $state/moto.log" >&2
  exit 1
}

start() {
  ensure_moto
  mkdir -p "$state"
  local port pid url
  port=$(free_port)
  url="http://127.0.0.1:$port"
  "$venv/bin/python" "$root/scripts/moto_server.py" --port "$port" >"$state/moto-$port.log" 2>&1 &
  pid=$!
  wait_until_up "$url" "$pid"
  # No Docker engine here: Lambda functions are stored, not run.
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"lambda":{"use_docker":false}}' "$url/moto-api/config"
  echo "emulator: moto $moto_version listening on $url (pid $pid)" >&2
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
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [PID]" >&2; exit 1 ;;
esac
