#!/usr/bin/env bash
# Everything CI checks, on a fresh machine: formatting, lints, and every test (unit tests,
# botocore's protocol and endpoint vectors, end-to-end tests on the local AWS emulator).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --all-targets --locked --quiet -- -D warnings

echo "== python environment (scripts/python/requirements.lock)" >&2
venv=$(scripts/venv.sh)

echo "== the asynchronous emulator's timing rules (scripts/python/test_*.py)" >&2
"$venv/bin/python" -m unittest discover --quiet -s scripts/python -p 'test_*.py'

echo "== starting the local AWS emulator" >&2
# A failed command substitution inside eval would not stop the script: assign first.
exports=$(scripts/emulator.sh start)
eval "$exports"
: "${AWS_ENDPOINT_URL:?the emulator did not start; refusing to talk to real AWS}"
trap 'scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID"' EXIT

echo "== cargo test" >&2
cargo test --all-targets --locked --quiet
