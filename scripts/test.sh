#!/usr/bin/env bash
# Installs what the tests need (Python packages for python3, and the venvs
# under target/venvs that scripts/venvs.sh makes) and runs every test of the
# workspace, the CPython interop tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
bash scripts/venvs.sh
export PICKLE_RS_REQUIRE_VENVS=1
# pickle-persist's object-store feature is off by default (it adds an HTTP
# and TLS stack); its tests start a local S3 server from target/venvs/s3.
cargo test --workspace --all-targets --features pickle-persist/object-store
cargo test --workspace --doc --features pickle-persist/object-store
