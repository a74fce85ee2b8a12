#!/usr/bin/env bash
# Installs what the tests need (Python packages for python3, and the venvs
# under target/venvs that scripts/venvs.sh makes) and runs every test of the
# workspace, the CPython interop tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
bash scripts/venvs.sh
export PICKLE_RS_REQUIRE_VENVS=1
cargo test --workspace --all-targets
cargo test --workspace --doc
