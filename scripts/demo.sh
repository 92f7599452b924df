#!/usr/bin/env bash
# The main job, end to end, against a local AWS emulator: build gapfill, start moto, validate
# and deploy the example project (gapfill.yaml + stacks/), print its outputs, deploy again to
# show that an unchanged project is a fast no-op, then stop the emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== building gapfill (release)" >&2
cargo build --release --quiet
gapfill="$PWD/target/release/gapfill"

eval "$(scripts/emulator.sh start)"
trap 'scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "gapfill validate: every check, no AWS call"
"$gapfill" validate

step "gapfill deploy: two stacks, the second fed by the first's outputs"
"$gapfill" deploy --format plain --outputs-file "$PWD/.emulator/outputs.json"

step "gapfill outputs"
"$gapfill" outputs

step "gapfill deploy again: nothing changed, nothing to do"
"$gapfill" deploy --format plain

step "outputs for the next CI job (--format dotenv)"
"$gapfill" outputs --format dotenv
