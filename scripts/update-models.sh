#!/usr/bin/env bash
# Regenerate models/ (the embedded AWS service model bundle) from a pinned botocore wheel.
# Needs: pip, python3, unzip-capable python (zipfile), and the `zstd` CLI.
# The generated bundle is committed: building gapfill never needs this script.
set -euo pipefail

BOTOCORE_VERSION="${BOTOCORE_VERSION:-1.44.5}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v zstd >/dev/null || { echo "update-models: the zstd CLI is required (apt-get install zstd)" >&2; exit 1; }

pip download "botocore==${BOTOCORE_VERSION}" --no-deps -d "$work" >&2
python3 - "$work" <<'PY'
import glob, sys, zipfile
work = sys.argv[1]
wheel = glob.glob(f"{work}/botocore-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    members = [n for n in z.namelist() if n.startswith("botocore/data/") or ".dist-info/" in n]
    z.extractall(f"{work}/wheel", members)
PY
python3 "$repo_root/scripts/build_models.py" "$work/wheel" "$repo_root/models" "$BOTOCORE_VERSION"
