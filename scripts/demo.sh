#!/usr/bin/env bash
# The main job, end to end, against a local AWS emulator: build gapfill, start moto, validate
# the example project (gapfill.yaml + stacks/ + post-deploy/), deploy it (stacks, then every
# setting CloudFormation cannot express, checked and applied), deploy again to show that an
# unchanged project is a fast no-op with every step in sync, change a setting by hand and
# watch the next deploy restore exactly that one, find drift on both sides, plan a template
# edit and deploy exactly the reviewed change set, then stop the emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== building gapfill (release)" >&2
cargo build --release --locked --quiet
gapfill="$PWD/target/release/gapfill"

# A failed command substitution inside eval would not stop the script: assign first.
exports=$(scripts/emulator.sh start)
eval "$exports"
: "${AWS_ENDPOINT_URL:?the emulator did not start; refusing to talk to real AWS}"
trap 'scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The importer's API token: in CI a secret of the job; never printed by gapfill.
export CATALOG_API_TOKEN="demo-token-$RANDOM-not-for-production"

step "gapfill validate --explain: every check, no AWS call; what each step's check derives from the API models"
"$gapfill" validate --explain

step "gapfill deploy: two stacks (the second fed by the first's outputs), then 9 post-deploy steps"
"$gapfill" deploy --format plain --outputs-file "$PWD/.emulator/outputs.json"

step "gapfill deploy again: nothing changed, no change set, every step in sync, not one write"
"$gapfill" deploy --format plain

step "someone changes a setting by hand (the importer's concurrency, 5 -> 50)"
importer=$("$gapfill" outputs --format json | "$PWD/.venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["catalog-ingest"]["ImporterName"])')
"$gapfill" call lambda:PutFunctionConcurrency \
  --input "{\"FunctionName\": \"$importer\", \"ReservedConcurrentExecutions\": 50}"

step "gapfill deploy: exactly that step is applied again"
"$gapfill" deploy --format plain

step "gapfill drift: both sides checked (the emulator has no CloudFormation drift detection: said plainly)"
"$gapfill" call lambda:PutFunctionConcurrency \
  --input "{\"FunctionName\": \"$importer\", \"ReservedConcurrentExecutions\": 20}" >/dev/null
"$gapfill" drift --format plain || echo "(exit $?: drift found)"

step "gapfill plan after a template edit: the change set's changes, nothing executed (exit 2: changes pending)"
planned="$PWD/.emulator/demo-plan"
rm -rf "$planned" && mkdir -p "$planned"
cp -r gapfill.yaml stacks post-deploy "$planned/"
sed -i 's/VisibilityTimeout: 120/VisibilityTimeout: 300/' "$planned/stacks/data.yaml"
"$gapfill" --project "$planned/gapfill.yaml" plan --format plain --save "$planned/reviewed.json" || echo "(exit $?: changes pending)"

step "gapfill deploy --plan: exactly the reviewed change set, and the drifted setting restored"
"$gapfill" --project "$planned/gapfill.yaml" deploy --format plain --plan "$planned/reviewed.json"

step "gapfill outputs --format dotenv: for the next CI job"
"$gapfill" outputs --format dotenv

step "gapfill call --dry-run: the signed request, secrets redacted, nothing sent"
"$gapfill" call logs:PutRetentionPolicy --input '{"logGroupName": "/aws/lambda/catalog-importer-demo", "retentionInDays": 30}' --dry-run

step "a typo is caught before anything is sent"
"$gapfill" call lambda:PutFunctionConcurrency --input '{"FunctionName": "x", "ReservedConcurrentExecution": 5}' || true
