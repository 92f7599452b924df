#!/usr/bin/env bash
# Move the pinned botocore (and moto) in one step, so the models, the Python lock and the
# differential test's floors never disagree:
#
#   scripts/update-pins.sh BOTOCORE_VERSION [MOTO_VERSION]
#
# 1. rebuilds models/ from that botocore (scripts/update-models.sh);
# 2. rewrites scripts/python/requirements.in and regenerates requirements.lock with hashes
#    (pip-compile, itself pinned with hashes in scripts/python/tools.lock), every dependency
#    resolved and pinned;
# 3. rebuilds .venv from the lock (scripts/venv.sh);
# 4. runs the differential test in record mode, which writes the agreement it measured to
#    tests/differential/floors.json.
# Then review `git diff` (the floors should not drop without a reason) and commit it all.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
botocore=${1:?usage: scripts/update-pins.sh BOTOCORE_VERSION [MOTO_VERSION]}
moto=${2:-$(sed -n 's/^moto\[server\]==\(.*\)$/\1/p' scripts/python/requirements.in)}

BOTOCORE_VERSION="$botocore" scripts/update-models.sh

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
# pip-compile itself, pinned with hashes like everything else (scripts/python/tools.lock).
PIP_FIND_LINKS= "$tools/bin/pip" install --quiet --no-deps --require-hashes \
  -r scripts/python/tools.lock
cat >scripts/python/requirements.in <<IN
moto[server]==$moto
botocore==$botocore
# The AWS CLI of the same botocore, for benchmarks and tests that compare with it.
awscli
IN
(
  cd scripts/python
  PIP_FIND_LINKS= "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --output-file=requirements.lock requirements.in
)

scripts/venv.sh >/dev/null
GAPFILL_DIFF_RECORD=1 cargo test --locked --quiet --test differential -- --nocapture
git status --short models scripts/python tests/differential
