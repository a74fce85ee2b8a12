#!/usr/bin/env bash
# Installs what the tests need (Python packages) and runs every test of the
# workspace, the CPython interop tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
cargo test --workspace --all-targets
cargo test --workspace --doc
