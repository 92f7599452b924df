#!/usr/bin/env bash
# `gapfill plan` and `gapfill drift` benchmark against the local emulator. Prints numbers; fails
# (exit 1) only when a gapfill command exits with a code other than the one its scenario expects.
#
#   scripts/bench_plan_drift.sh
#
# On a fresh emulator, with the release build, `--format json`, default --max-concurrency (4):
#   1. the example project (2 stacks, 9 steps), deployed first (untimed), then
#      plan  no changes                    expect exit 0
#      drift in sync                       expect exit 0 (the emulator has no drift APIs: both
#                                          stacks "not checked", the 8 checked steps in sync)
#      plan  a copy's template edited      expect exit 2 (catalog-data's ImportQueue
#                                          VisibilityTimeout 120 -> 60: one change set, created,
#                                          described and deleted)
#      drift one step's setting changed    expect exit 2 (the template restored; lambda
#                                          PutFunctionConcurrency 50 by hand, the step expects 5)
#   2. bench.sh's generated 20-stack project (scripts/bench20.sh) given one step per stack
#      (ssm:PutParameter of a String parameter /bench20/<stack>/queue-arn holding the stack's
#      QueueArn output, `check: auto`): 20 stacks + 20 steps = 40 nodes, deployed first
#      (untimed, --max-concurrency 8 as bench.sh), then the same four: plan no changes (exit 0),
#      drift in sync (0), plan with the shared template edited (every stack: 20 change sets; 2),
#      drift with one parameter overwritten by hand (2).
# For each: wall time of the command; "in run", its own time from run_started to run_finished
# (the JSON events' elapsed_ms: wall minus it is the process, loading and checking the project
# against the API models, and reading every stack's outputs up front, one DescribeStacks after
# another); HTTP requests moto served (counted from its log as bench.sh does, once the count stops
# moving), per stack and per node (stacks + steps); the exit code; the outcomes from the JSON
# events. After each plan, the change sets it reported (change_set_created) must be gone and no
# `gapfill-plan-*` change set may remain on any of the project's stacks (ListChangeSets per
# stack, boto3 from the venv): anything else is printed as UNEXPECTED, not failed on.
#
# moto is warm before anything is timed: each project's deploy has already sent every operation
# the timed commands send (CloudFormation reads, the steps' checks, ssm:GetParameter's first-call
# load of the public parameters), except the drift APIs, which answer 501 at once.
#
# Measured 2026-12-02, 2 runs, 2-core machine shared with other builds (load average 4.0-4.1),
# moto 5.2.5:
#   project   command scenario                      wall         in run       requests /stack /node exit
#   example   plan    no changes                    0.347-0.352s 0.132-0.134s  14      7.0    1.27  0
#   example   drift   in sync, stacks not checked   0.303-0.378s 0.080-0.108s  12      6.0    1.09  0
#   example   plan    template edited (1 stack)     0.379-0.397s 0.124-0.147s  17      8.5    1.55  2
#   example   drift   1 step changed by hand        0.372-0.557s 0.102-0.239s  12      6.0    1.09  2
#   generated plan    no changes                    0.406-0.480s 0.233-0.293s  80      4.0    2.00  0
#   generated drift   in sync, stacks not checked   0.262-0.307s 0.112-0.134s  44      2.2    1.10  0
#   generated plan    template edited (20 stacks)   0.823-0.889s 0.675-0.680s 140      7.0    3.50  2
#   generated drift   1 step changed by hand        0.272-0.290s 0.098-0.118s  44      2.2    1.10  2
#   Requests were the same in both runs, and every exit code the expected one; every plan's
#   change sets (1, and 20) were deleted, none left behind. Where the requests go (gapfill
#   --debug and moto's log, by hand): plan reads an unchanged stack 3 times (DescribeStacks twice:
#   once for every stack up front, once in its preview; GetTemplate), a changed one 3 more
#   (CreateChangeSet, DescribeChangeSet once: moto's change sets are ready at once,
#   DeleteChangeSet); each step with a check costs 1 read (8 of the example's 9 steps; its action
#   is "not run"/"not checkable"). drift reads each stack once up front (DescribeStacks: the steps'
#   inputs) and sends DetectStackDrift until the first 501 answer is remembered: once per stack
#   already started by then (2 of 2; 4 of 20, the concurrency), then the stacks are "not checked".
#   Wall minus "in run", ~0.15-0.3 s, is mostly the process loading the project and the models
#   (bench_steps.sh: `gapfill validate` alone ~0.17 s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

for tool in bc; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (Debian package bc)" >&2; exit 1; }
done

cargo build --release --locked --quiet
gapfill="${CARGO_TARGET_DIR:-$root/target}/release/gapfill"
# The example's steps read this secret (any value of 8+ characters), unless the caller set one.
export CATALOG_API_TOKEN="${CATALOG_API_TOKEN:-bench-token-not-a-secret}"

# A failed command substitution inside eval would not stop the script: assign first.
exports=$(scripts/emulator.sh start)
eval "$exports"
: "${AWS_ENDPOINT_URL:?the emulator did not start; refusing to talk to real AWS}"
trap 'scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID"' EXIT
moto_log="$root/.emulator/moto-${AWS_ENDPOINT_URL##*:}.log"
python="$root/.venv/bin/python"
work="$root/.emulator/bench-plan-drift"
rm -rf "$work"
mkdir -p "$work"

requests() { grep -c '" [0-9][0-9][0-9] ' "$moto_log" || true; }
# moto writes a request's log line after its response: wait until the count stops moving.
settled_requests() {
  local count next
  count=$(requests)
  while sleep 0.05; next=$(requests); [ "$next" != "$count" ]; do count=$next; done
  echo "$count"
}
now() { date +%s.%N; }

deploy() {
  local name=$1 project=$2
  shift 2
  if ! "$gapfill" --project "$project" deploy --format plain "$@" >"$work/$name.log" 2>&1; then
    echo "bench: gapfill deploy of $project failed; see $work/$name.log" >&2
    exit 1
  fi
}

# What a run's JSON events say, three lines: "STACKS STEPS RUN_S" (RUN_S: run_finished's
# elapsed_ms, in seconds), the outcomes, and the change sets it created ("stack/name ...", or "-").
summarize() {
  "$python" - "$1" <<'PY'
import json, sys

events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
started = next(e["data"] for e in events if e["type"] == "run_started")
last = next((e for e in events if e["type"] == "run_finished"), {})
finished = last.get("data", {})

def counts(items):
    seen = {}
    for item in items:
        seen[item["outcome"]] = seen.get(item["outcome"], 0) + 1
    return ", ".join("%s %d" % kv for kv in seen.items()) or "-"

print(len(started["stacks"]), len(started["steps"]), "%.3f" % (last.get("elapsed_ms", 0) / 1000))
print("stacks: %s; steps: %s" % (counts(finished.get("stacks", [])), counts(finished.get("steps", []))))
created = ["%s/%s" % (e["data"]["stack"], e["data"]["change_set"]) for e in events if e["type"] == "change_set_created"]
print(" ".join(created) or "-")
PY
}

# The `gapfill-plan-*` change sets still on these stacks, one "stack/name" a line.
plan_change_sets() {
  "$python" - "$@" <<'PY'
import sys, boto3

cfn = boto3.client("cloudformation")
for stack in sys.argv[1:]:
    for page in cfn.get_paginator("list_change_sets").paginate(StackName=stack):
        for summary in page["Summaries"]:
            # moto lists every stack's change sets whatever StackName says.
            if summary["StackName"] == stack and summary["ChangeSetName"].startswith("gapfill-plan-"):
                print("%s/%s" % (stack, summary["ChangeSetName"]))
PY
}

rows=()
notes=()
unexpected=0

# measure LABEL COMMAND SCENARIO PROJECT_FILE EXPECTED_EXIT [EXPECTED_CHANGE_SETS]
measure() {
  local label=$1 command=$2 scenario=$3 project=$4 expected=$5 change_sets=${6:-0}
  local name before start end after code=0 summary stacks steps own outcomes created left count wall
  name="$label-$command-${#rows[@]}"
  before=$(settled_requests)
  start=$(now)
  "$gapfill" --project "$project" "$command" --format json >"$work/$name.jsonl" 2>"$work/$name.err" || code=$?
  end=$(now)
  after=$(settled_requests)
  if [ "$code" != "$expected" ]; then
    echo "bench: \`gapfill $command\` ($label, $scenario) exited $code, expected $expected; see $work/$name.jsonl and $work/$name.err" >&2
    exit 1
  fi
  summary=$(summarize "$work/$name.jsonl")
  { read -r stacks steps own; read -r outcomes; read -r created; } <<<"$summary"
  wall=$(echo "$end - $start" | bc)
  rows+=("$(printf '%-9s %-6s %-30s %6.3fs %6.3fs %8d %8.2f %8.2f %5s  %s' "$label" "$command" "$scenario" "$wall" "$own" \
    "$((after - before))" "$(echo "($after - $before) / $stacks" | bc -l)" \
    "$(echo "($after - $before) / ($stacks + $steps)" | bc -l)" "$code" "$outcomes")")
  if [ "$command" = plan ]; then
    count=0
    [ "$created" = - ] || count=$(wc -w <<<"$created")
    # shellcheck disable=SC2046  # the stacks, one word each
    left=$(plan_change_sets $("$python" -c 'import json, sys
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event["type"] == "run_started":
        print(" ".join(event["data"]["stacks"]))' "$work/$name.jsonl") | tr '\n' ' ')
    notes+=("$label plan, $scenario: $count change set(s) created, ${left:+left behind: }${left:-none left behind}")
    if [ "$count" != "$change_sets" ] || [ -n "$left" ]; then
      notes+=("  UNEXPECTED: expected $change_sets change set(s) created and none left behind")
      unexpected=$((unexpected + 1))
    fi
  fi
}

# 1. The example project, from a copy whose template can be edited.
example="$work/example"
mkdir -p "$example"
cp -r gapfill.yaml stacks post-deploy "$example/"
deploy example-deploy "$example/gapfill.yaml"
measure example plan "no changes" "$example/gapfill.yaml" 0
measure example drift "in sync, stacks not checked" "$example/gapfill.yaml" 0
sed -i 's/VisibilityTimeout: 120/VisibilityTimeout: 60/' "$example/stacks/data.yaml"
measure example plan "template edited (1 stack)" "$example/gapfill.yaml" 2 1
cp stacks/data.yaml "$example/stacks/data.yaml"
importer=$("$gapfill" --project "$example/gapfill.yaml" outputs --format json | "$python" -c 'import json, sys; print(json.load(sys.stdin)["catalog-ingest"]["ImporterName"])')
"$gapfill" call lambda:PutFunctionConcurrency \
  --input "{\"FunctionName\": \"$importer\", \"ReservedConcurrentExecutions\": 50}" >/dev/null
measure example drift "1 step changed by hand" "$example/gapfill.yaml" 2

# 2. The generated 20-stack project, one step per stack.
generated="$work/bench20"
scripts/bench20.sh "$generated"
echo "post-deploy: [post-deploy/*.yaml]" >>"$generated/gapfill.yaml"
mkdir -p "$generated/post-deploy"
{
  echo "steps:"
  for stack in $(sed -n 's/^  \(bench-[a-z0-9-]*\):$/\1/p' "$generated/gapfill.yaml"); do
    echo "  - id: $stack-queue-arn"
    echo "    call: ssm:PutParameter"
    echo "    input: { Name: /bench20/$stack/queue-arn, Type: String, Value: \"\${$stack.QueueArn}\", Overwrite: true }"
    echo "    check: auto          # ssm:GetParameter {Name}, expecting Name, Type and Value"
  done
} >"$generated/post-deploy/queue-arns.yaml"
deploy bench20-deploy "$generated/gapfill.yaml" --max-concurrency 8
measure generated plan "no changes" "$generated/gapfill.yaml" 0
measure generated drift "in sync, stacks not checked" "$generated/gapfill.yaml" 0
cp "$generated/stacks/queue.yaml" "$work/queue.yaml"
sed -i 's/^      Tags:/      VisibilityTimeout: 60\n      Tags:/' "$generated/stacks/queue.yaml"
measure generated plan "template edited (20 stacks)" "$generated/gapfill.yaml" 2 20
cp "$work/queue.yaml" "$generated/stacks/queue.yaml"
"$gapfill" call ssm:PutParameter \
  --input '{"Name": "/bench20/bench-solo1/queue-arn", "Type": "String", "Value": "changed-by-hand", "Overwrite": true}' >/dev/null
measure generated drift "1 step changed by hand" "$generated/gapfill.yaml" 2

echo "== plan and drift: example (2 stacks + 9 steps) and generated (20 stacks + 20 steps), moto $("$python" -c 'import moto; print(moto.__version__)'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %-6s %-30s %7s %7s %8s %8s %8s %5s  %s\n' project cmd scenario wall "in run" requests req/stack req/node exit outcomes
printf '%s\n' "${rows[@]}"
echo
printf '%s\n' "${notes[@]}"
echo
echo "reference (issue): Sceptre's \`drift detect\` waits with a fixed 300 s ceiling per stack and exits 0 even"
echo "  when drift is found; gapfill's drift detection polls DescribeStackDriftDetectionStatus with backoff"
echo "  (1 s, growing by half, up to 10 s) bounded by --timeout (default 5m) per stack, and exits 2 on drift."
echo "  (Sceptre not run here: the emulator has no drift APIs, so its stack drift would not be checked either.)"
if [ "$unexpected" -gt 0 ]; then
  echo
  echo "bench: $unexpected plan(s) left change sets behind or created an unexpected number (see UNEXPECTED above)" >&2
fi
