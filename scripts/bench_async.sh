#!/usr/bin/env bash
# What a deploy adds to CloudFormation's own time, on the emulator's asynchronous mode
# (scripts/moto_async.py), where stacks take known durations. Prints numbers; asserts nothing.
#
#   scripts/bench_async.sh      (also run by scripts/bench.sh)
#
# Two projects: the 3-stack shape (two stacks' outputs feed a third) and the generated
# 20-stack project (scripts/bench20.sh), every stack a queue (6 s) and a parameter that needs it
# (4 s). For each: the critical path (the longest chain of resource durations through the stack
# graph at --max-concurrency, scripts/bench_async.py), gapfill's wall time over it, its
# CloudFormation calls per stack and per stack per minute of waiting, the most Describe* calls
# one stack had in flight at once and in one polling tick; then the same for Sceptre
# (`sceptre launch`, its own venv from scripts/python/sceptre.lock) on the same emulator.
#
# Targets (issue #10): gapfill within 1.1 x the critical path, at most one describe call per
# stack in flight per polling tick, ahead of Sceptre by the whole of its polling slack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
concurrency=${BENCH_MAX_CONCURRENCY:-8}

command -v bc >/dev/null || { echo "bench: needs bc (Debian package bc)" >&2; exit 1; }

cargo build --release --locked --quiet
gapfill="${CARGO_TARGET_DIR:-$root/target}/release/gapfill"
venv=$(scripts/venv.sh)

# Sceptre, exactly as locked, in a venv of its own (its dependencies conflict with moto's).
sceptre_venv="$root/.venv-sceptre"
sceptre=""
if [ -x "$sceptre_venv/bin/sceptre" ] ||
  { rm -rf "$sceptre_venv" && python3 -m venv "$sceptre_venv" >&2 &&
    PIP_FIND_LINKS= "$sceptre_venv/bin/pip" install --quiet --no-deps --require-hashes \
      -r scripts/python/sceptre.lock >&2; }; then
  sceptre="$sceptre_venv/bin/sceptre"
else
  echo "bench: Sceptre could not be installed from scripts/python/sceptre.lock; its figures are left out" >&2
fi

work="$root/.emulator/bench-async"
rm -rf "$work"
mkdir -p "$work"
calls_log="$work/calls.log"
: >"$calls_log"

# Every stack: a queue, then a parameter that needs it (known durations, seconds).
timed_template() {
  cat <<'YAML'
Parameters:
  Upstream: {Type: String, Default: none}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Metadata: {Emulator: {Duration: 6}}
    Properties:
      Tags: [{Key: upstream, Value: !Ref Upstream}]
  Marker:
    Type: AWS::SSM::Parameter
    Metadata: {Emulator: {Duration: 4}}
    Properties:
      Name: !Sub "/bench/${AWS::StackName}"
      Type: String
      Value: !GetAtt Queue.Arn
Outputs:
  QueueArn: {Value: !GetAtt Queue.Arn}
YAML
}

generated="$work/bench20"
scripts/bench20.sh "$generated"
timed_template >"$generated/stacks/queue.yaml"
three="$work/bench3"
mkdir -p "$three"
timed_template >"$three/queue.yaml"
cat >"$three/gapfill.yaml" <<'YAML'
project: bench3
stacks:
  bench3-a: { template: queue.yaml }
  bench3-b: { template: queue.yaml }
  bench3-c:
    template: queue.yaml
    parameters: { Upstream: "${bench3-a.QueueArn},${bench3-b.QueueArn}" }
YAML

exports=$(GAPFILL_EMULATOR_TIME_SCALE=1 GAPFILL_EMULATOR_CALL_LOG="$calls_log" scripts/emulator.sh start --async)
eval "$exports"
: "${AWS_ENDPOINT_URL:?the emulator did not start; refusing to talk to real AWS}"
trap 'scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID"' EXIT

# moto's first change set and first resources of a kind take about a second (imports, model
# loading): pay that before measuring, with a stack whose resources take no time.
"$venv/bin/python" - <<'PY'
import boto3
template = """Resources:
  Queue: {Type: AWS::SQS::Queue, Metadata: {Emulator: {Duration: 0}}}
  Marker:
    Type: AWS::SSM::Parameter
    Metadata: {Emulator: {Duration: 0}}
    Properties: {Name: /bench/warm-up, Type: String, Value: !GetAtt Queue.Arn}
"""
cloudformation = boto3.client("cloudformation")
change_set = cloudformation.create_change_set(
    StackName="bench-warm-up", ChangeSetName="warm-up", TemplateBody=template, ChangeSetType="CREATE"
)
cloudformation.execute_change_set(ChangeSetName=change_set["Id"])
cloudformation.get_waiter("stack_create_complete").wait(StackName="bench-warm-up", WaiterConfig={"Delay": 1})
cloudformation.delete_stack(StackName="bench-warm-up")
PY

stack_names() { sed -n 's/^  \([A-Za-z0-9-]*\):.*$/\1/p' "$1"; }

# Runs a command; prints its wall seconds, or fails the benchmark with its log.
timed() {
  local log=$1 start end
  shift
  start=$(date +%s.%N)
  if ! "$@" >"$log" 2>&1; then
    echo "bench: $* failed; see $log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

row() {
  local tool=$1 wall=$2 critical=$3 first=$4
  shift 4
  read -r total per_stack per_minute in_flight per_tick <<<"$("$venv/bin/python" scripts/bench_async.py calls "$calls_log" "$first" "$@")"
  printf '  %-8s %8.1fs %7.2fx %8s %9s %11s %10s %9s\n' "$tool" "$wall" "$(echo "$wall / $critical" | bc -l)" \
    "$total" "$per_stack" "$per_minute" "$in_flight" "$per_tick"
}

bench() {
  local name=$1 project=$2 group=$3 critical first wall names sceptre_wall
  critical=$("$venv/bin/python" scripts/bench_async.py critical-path "$project" "$concurrency")
  echo "$name: critical path ${critical}s at --max-concurrency $concurrency"
  printf '  %-8s %9s %8s %8s %9s %11s %10s %9s\n' tool wall "/path" calls calls/st calls/st/min in-flight per-tick
  mapfile -t names < <(stack_names "$project")
  first=$(($(wc -l <"$calls_log") + 1))
  wall=$(timed "$work/$group-gapfill.log" "$gapfill" --project "$project" deploy --format plain --max-concurrency "$concurrency")
  row gapfill "$wall" "$critical" "$first" "${names[@]}"
  if [ -n "$sceptre" ]; then
    "$venv/bin/python" scripts/bench_async.py sceptre-project "$project" "$work/sceptre-$group" "$group"
    first=$(($(wc -l <"$calls_log") + 1))
    sceptre_wall=$(timed "$work/$group-sceptre.log" "$sceptre" --dir "$work/sceptre-$group" launch -y --max-concurrency "$concurrency" "$group")
    row sceptre "$sceptre_wall" "$critical" "$first" "${names[@]/#/sb-$group-}"
    printf '  gapfill ahead of Sceptre by %.1fs\n' "$(echo "$sceptre_wall - $wall" | bc -l)"
  else
    echo "  sceptre  not run: not installable here"
  fi
}

echo "== deploy overhead on the asynchronous emulator (known resource durations)"
bench "3 stacks, 2 outputs->1" "$three/gapfill.yaml" b3
bench "generated 20 stacks" "$generated/gapfill.yaml" b20
echo
echo "wall/path: wall time over the critical path (target <= 1.1); calls: CloudFormation calls naming"
echo "the project's stacks; calls/st/min: per stack per minute from its first call to its last;"
echo "in-flight / per-tick: the most Describe* calls of one stack at once / in one polling tick (target 1)."
