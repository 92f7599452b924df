#!/usr/bin/env bash
# The main job, end to end, against a local AWS emulator: build gapfill, start moto, validate
# and deploy the example project (gapfill.yaml + stacks/), print its outputs, deploy again to
# show that an unchanged project is a fast no-op, then stop the emulator.
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

step "gapfill call: any AWS operation, fed by stack outputs"
eval "$("$gapfill" outputs --format env)"
"$gapfill" call lambda:PutFunctionConcurrency \
  --input "{\"FunctionName\": \"$CATALOG_INGEST_IMPORTER_NAME\", \"ReservedConcurrentExecutions\": 5}"
"$gapfill" call lambda:GetFunctionConcurrency --input "{\"FunctionName\": \"$CATALOG_INGEST_IMPORTER_NAME\"}"
"$gapfill" call sqs:SetQueueAttributes \
  --input "{\"QueueUrl\": \"$CATALOG_DATA_QUEUE_URL\", \"Attributes\": {\"RedrivePolicy\": \"{\\\"deadLetterTargetArn\\\":\\\"$CATALOG_DATA_DEAD_LETTER_QUEUE_ARN\\\",\\\"maxReceiveCount\\\":5}\"}}"
"$gapfill" call sqs:GetQueueAttributes --input "{\"QueueUrl\": \"$CATALOG_DATA_QUEUE_URL\", \"AttributeNames\": [\"RedrivePolicy\"]}" --query Attributes

step "gapfill call --dry-run: the signed request, secrets redacted, nothing sent"
"$gapfill" call logs:PutRetentionPolicy --input '{"logGroupName": "/aws/lambda/catalog-importer-demo", "retentionInDays": 30}' --dry-run

step "a typo is caught before anything is sent"
"$gapfill" call lambda:PutFunctionConcurrency --input '{"FunctionName": "x", "ReservedConcurrentExecution": 5}' || true
