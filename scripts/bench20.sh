#!/usr/bin/env bash
# Writes bench.sh's generated 20-stack project into DIR (gapfill.yaml and stacks/queue.yaml):
# four chains of three stacks (each link's parameter reads the previous link's output) and eight
# independent stacks, all of one SQS queue template. Used by scripts/bench.sh and
# scripts/bench_plan_drift.sh.
#
#   scripts/bench20.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/bench20.sh DIR}

mkdir -p "$dir/stacks"
cat >"$dir/stacks/queue.yaml" <<'YAML'
Parameters:
  Upstream: {Type: String, Default: none}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      Tags: [{Key: upstream, Value: !Ref Upstream}]
Outputs:
  QueueArn: {Value: !GetAtt Queue.Arn}
YAML
{
  echo "project: bench20"
  echo "stacks:"
  # Four chains of three stacks, and eight independent stacks.
  for chain in 1 2 3 4; do
    for link in 1 2 3; do
      echo "  bench-chain$chain-$link:"
      echo "    template: stacks/queue.yaml"
      if [ "$link" -gt 1 ]; then
        echo "    parameters: { Upstream: \"\${bench-chain$chain-$((link - 1)).QueueArn}\" }"
      fi
    done
  done
  for solo in $(seq 1 8); do
    echo "  bench-solo$solo:"
    echo "    template: stacks/queue.yaml"
  done
} >"$dir/gapfill.yaml"
