#!/usr/bin/env bash
# Deploy benchmarks against the local emulator. Prints numbers; asserts nothing.
#
#   scripts/bench.sh            the example project, a 3-stack and a generated 20-stack project,
#                               then `gapfill call` (scripts/bench_call.sh), then the example's
#                               post-deploy steps (scripts/bench_steps.sh), then `plan` and
#                               `drift` (scripts/bench_plan_drift.sh), then the deploy overhead
#                               on the asynchronous emulator, against Sceptre
#                               (scripts/bench_async.sh)
#
# For each: wall time of a fresh deploy and of a no-op re-deploy, AWS API calls per stack
# (HTTP requests the emulator served), and peak RSS of gapfill.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

for tool in bc /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (Debian packages bc and time)" >&2; exit 1; }
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

requests() { grep -c '" [0-9][0-9][0-9] ' "$moto_log" || true; }

# Runs one deploy; prints "wall_s calls peak_rss_mb".
measure() {
  local project=$1 before after start end rss
  before=$(requests)
  start=$(date +%s.%N)
  if ! /usr/bin/time -f '%M' -o "$root/.emulator/rss" "$gapfill" --project "$project" deploy --format plain --max-concurrency 8 >"$root/.emulator/bench-deploy.log"; then
    echo "bench: deploy of $project failed; see $root/.emulator/bench-deploy.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  after=$(requests)
  rss=$(tail -n 1 "$root/.emulator/rss")
  echo "$(echo "$end - $start" | bc) $((after - before)) $((rss / 1024))"
}

report() {
  local name=$1 stacks=$2 project=$3 fresh noop
  fresh=$(measure "$project")
  noop=$(measure "$project")
  read -r fw fc fr <<<"$fresh"
  read -r nw nc nr <<<"$noop"
  printf '%-22s %6s %9.2fs %8.1f %7sMB %9.2fs %8.1f %7sMB\n' "$name" "$stacks" "$fw" "$(echo "$fc / $stacks" | bc -l)" "$fr" "$nw" "$(echo "$nc / $stacks" | bc -l)" "$nr"
}

generated="$root/.emulator/bench20"
rm -rf "$generated"
scripts/bench20.sh "$generated"

# The issue's reference shape: two stacks whose outputs feed a third.
three="$root/.emulator/bench3"
rm -rf "$three"
mkdir -p "$three"
cp "$generated/stacks/queue.yaml" "$three/queue.yaml"
cat >"$three/gapfill.yaml" <<'YAML'
project: bench3
stacks:
  bench3-a: { template: queue.yaml }
  bench3-b: { template: queue.yaml }
  bench3-c:
    template: queue.yaml
    parameters: { Upstream: "${bench3-a.QueueArn},${bench3-b.QueueArn}" }
YAML

printf '%-22s %6s %10s %8s %9s %10s %8s %9s\n' project stacks fresh calls/st peak-rss no-op calls/st peak-rss
report "example (gapfill.yaml)" 2 "$root/gapfill.yaml"
report "3 stacks, 2 outputs->1" 3 "$three/gapfill.yaml"
report "generated 20 stacks" 20 "$generated/gapfill.yaml"
echo
echo "reference (issue #2, Sceptre launch, 3 stacks on moto): fresh 6.0 s / 10 calls, no-op 0.75 s, peak RSS 69 MB"

echo
echo "== gapfill call"
scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID" 2>/dev/null
trap - EXIT
scripts/bench_call.sh

echo
echo "== post-deploy steps"
scripts/bench_steps.sh

echo
echo "== plan and drift"
scripts/bench_plan_drift.sh

echo
scripts/bench_async.sh
