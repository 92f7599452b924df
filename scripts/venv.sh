#!/usr/bin/env bash
# The repository's Python environment (.venv): the local AWS emulator (moto) and the botocore
# the differential test compares against, exactly as pinned, with hashes, in
# scripts/python/requirements.lock.
#
#   scripts/venv.sh     make .venv match the lock: reused when every installed version equals
#                       its pin, otherwise rebuilt from scratch (a stale or hand-upgraded venv
#                       is never trusted). Prints the venv's path.
#
# The lock's botocore must be the version the embedded models were built from (models/VERSION):
# scripts/update-pins.sh moves both together.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
lock="$root/scripts/python/requirements.lock"
check="$root/scripts/python/check_venv.py"

models_botocore=$(sed -n 's/^botocore \([0-9.]*\)$/\1/p' "$root/models/VERSION")
lock_botocore=$(sed -n 's/^botocore==\([0-9.]*\) .*/\1/p' "$lock")
if [ "$models_botocore" != "$lock_botocore" ]; then
  echo "venv: the lock pins botocore $lock_botocore but the models are botocore $models_botocore;" \
    "run scripts/update-pins.sh $models_botocore" >&2
  exit 1
fi

matches_lock() {
  [ -x "$venv/bin/python" ] && "$venv/bin/python" "$check" "$lock" 2>/dev/null
}

if ! matches_lock; then
  if [ -d "$venv" ]; then
    "$venv/bin/python" "$check" "$lock" || true
    echo "venv: $venv differs from the lock: rebuilding it" >&2
    rm -rf "$venv"
  fi
  echo "venv: installing scripts/python/requirements.lock into $venv" >&2
  python3 -m venv "$venv" >&2
  # --no-deps: the lock is complete; anything it does not name must not be installed.
  # PIP_FIND_LINKS: a machine-wide wheel directory must not stand in for the registry's files.
  PIP_FIND_LINKS= "$venv/bin/pip" install --quiet --no-deps --require-hashes -r "$lock" >&2
  if ! "$venv/bin/python" "$check" "$lock"; then
    echo "venv: $venv still differs from the lock after installing it" >&2
    exit 1
  fi
fi
echo "$venv"
