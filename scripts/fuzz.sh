#!/usr/bin/env bash
# Fuzzes gapfill's readers of untrusted input with libFuzzer (cargo-fuzz layout in fuzz/):
# the project loader and planner (fuzz/fuzz_targets/project_loader.rs) and the response
# parser of each protocol: query (iam), ec2, json (dynamodb), rest-json (lambda), rest-xml (s3).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run each target (default: all) for SECONDS (60)
#
# Prints, per target, the runs made and whether it found a crash; a crash's input is kept in
# fuzz/artifacts/TARGET/ (replay: scripts/fuzz.sh 0 TARGET with the file as extra argument to
# `cargo fuzz run`). Not run by CI: the property tests (tests/properties.rs) are its short form.
#
# cargo-fuzz is installed at a pinned version into .tools/ (project-local, no global state).
# It needs nightly compiler flags (-Z sanitizer=address and the coverage instrumentation); the
# only toolchain here is stable, so RUSTC_BOOTSTRAP=1 lets stable accept them, for the fuzz
# build only (stable's rust-std ships the AddressSanitizer runtime). FUZZ_SANITIZER=none
# builds without it, faster, when only panics matter.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(project_loader response_query response_ec2 response_json response_rest_json response_rest_xml)
fi

tools="$root/.tools"
cargo_fuzz="$tools/bin/cargo-fuzz"
# Installed tools are not the project's files: the directory ignores itself.
mkdir -p "$tools"
[ -f "$tools/.gitignore" ] || echo '*' >"$tools/.gitignore"
if ! "$cargo_fuzz" --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION into .tools/" >&2
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$tools" --quiet
fi

# cargo-fuzz has no --locked: check first that fuzz/Cargo.lock needs no change.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null

export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-address}
target_dir="${CARGO_TARGET_DIR:-$root/target}/fuzz"
found=0
for target in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$target"
  mkdir -p "$corpus"
  # A first run starts from the committed seeds (valid files and responses), not from nothing.
  if [ -z "$(ls -A "$corpus")" ] && [ -d "$root/fuzz/seeds/$target" ]; then
    cp "$root/fuzz/seeds/$target"/* "$corpus/"
  fi
  log=$(mktemp)
  status=0
  "$cargo_fuzz" fuzz run --fuzz-dir "$root/fuzz" --target-dir "$target_dir" -s "$sanitizer" \
    "$target" "$corpus" -- -max_total_time="$seconds" -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $target: ${runs:-?} runs in ${seconds}s, no crash"
  else
    found=1
    echo "fuzz: $target: FAILED after ${runs:-?} runs (exit $status); last lines:"
    tail -30 "$log" | sed 's/^/  /'
  fi
  rm -f "$log"
done
exit "$found"
