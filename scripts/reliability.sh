#!/usr/bin/env bash
# Reliability figures (issue #9), in one table: deploys under injected faults, deploys killed
# and rerun, bad inputs refused before any AWS call, and secret bytes found in everything
# gapfill writes.
#
#   scripts/reliability.sh            the long form: many fault seeds and kills (minutes)
#   scripts/reliability.sh --short    what CI runs in `cargo test` (small counts)
#
# Counts: GAPFILL_FAULT_SEEDS (fault seeds per project), GAPFILL_KILLS (seeded random kills),
# GAPFILL_FAULT_SEED / GAPFILL_KILL_SEED (the first seed), GAPFILL_FAULT_RATE (default 0.2).
# It starts nothing itself: each test starts the emulators it needs (tests/support/emulator.rs).
# The tests print `reliability: suite=... key=value...` lines on stderr; this script sums them.
# Exits 1 when a suite failed (the table still prints, with the suites that failed).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

short=false
case "${1:-}" in
  --short) short=true ;;
  "") ;;
  *) echo "usage: $0 [--short]" >&2; exit 2 ;;
esac
if $short; then
  export GAPFILL_FAULT_SEEDS=${GAPFILL_FAULT_SEEDS:-2} GAPFILL_KILLS=${GAPFILL_KILLS:-3}
else
  export GAPFILL_FAULT_SEEDS=${GAPFILL_FAULT_SEEDS:-10} GAPFILL_KILLS=${GAPFILL_KILLS:-20}
fi

# Every suite's output, kept for a failing run's details (the proxy's request log included).
log=${GAPFILL_RELIABILITY_LOG:-$(mktemp -t gapfill-reliability.XXXXXX)}
: >"$log"
failed=()

# run_suite NAME [cargo test args after --]
run_suite() {
  local name=$1
  shift
  echo "== $name" >&2
  if ! cargo test --locked --test "$name" -- --nocapture "$@" >>"$log" 2>&1; then
    failed+=("$name")
  fi
}

run_suite faults_moto
run_suite kills_moto
run_suite secrets_everywhere
have_bad_inputs=false
if [ -f tests/bad_inputs.rs ]; then
  have_bad_inputs=true
  run_suite bad_inputs
fi

# sum KEY SUITE_PATTERN: the sum of KEY=N over the `reliability:` lines of matching suites.
sum() {
  grep -E "^reliability: suite=$2 " "$log" |
    grep -oE "(^| )$1=[0-9]+" | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }'
}

requests=$(sum requests 'faults-[a-z-]+')
faults=$(sum faults 'faults-[a-z-]+')
runs=$(sum runs 'faults-[a-z-]+')
converged=$(sum converged 'faults-[a-z-]+')
kills=$(sum kills '(kills-[a-z-]+|sigint|sigterm)')
reruns=$(sum reruns '(kills-[a-z-]+|sigint|sigterm)')
reruns_converged=$(sum reruns_converged '(kills-[a-z-]+|sigint|sigterm)')
secret_runs=$(sum runs 'secrets')
secret_bytes=$(sum secret_bytes_found 'secrets')
if $have_bad_inputs; then
  bad_inputs=$(grep -oE '^bad inputs: [0-9]+ tried, [0-9]+ refused before any AWS call' "$log" | tail -1)
  bad_inputs=${bad_inputs#bad inputs: }
  bad_inputs=${bad_inputs:-"no figure printed (tests/bad_inputs.rs failed?)"}
else
  bad_inputs="not measured: tests/bad_inputs.rs is not there yet"
fi

form=$($short && echo short || echo long)
printf '\nReliability figures (%s form: %s fault seeds per project at rate %s, %s seeded kills)\n\n' \
  "$form" "$GAPFILL_FAULT_SEEDS" "${GAPFILL_FAULT_RATE:-0.2}" "$GAPFILL_KILLS"
printf '| %-56s | %s\n' "figure" "value"
printf '|%s|%s\n' "----------------------------------------------------------" "------------------"
row() { printf '| %-56s | %s\n' "$1" "$2"; }
row "requests sent under faults" "$requests"
row "faults injected" "$faults"
row "fault runs converged (exit 0, or exit 1 + clean rerun)" "$converged of $runs"
row "kills (SIGKILL, SIGINT, SIGTERM)" "$kills"
row "reruns after a kill converged" "$reruns_converged of $reruns"
row "bad inputs tried / refused before any AWS call" "$bad_inputs"
row "secret bytes found (sweep of $secret_runs runs)" "$secret_bytes"
if [ ${#failed[@]} -gt 0 ]; then
  row "suites failed" "${failed[*]}"
  echo >&2
  echo "reliability: failing tests (the whole output: $log):" >&2
  grep -E "^test .* FAILED$" "$log" >&2 || true
  exit 1
fi
row "suites failed" "none"
rm -f "$log"
