#!/usr/bin/env bash
# Makes the Python venvs the interop tests run in: target/venvs/NAME for
# each tests/python/venvs/NAME.txt (a pip requirements file), with python3.
# A venv is kept while its requirements file is unchanged, so CI pays for
# the downloads once per cache of target/.
set -euo pipefail
cd "$(dirname "$0")/.."
for req in tests/python/venvs/*.txt; do
    name=$(basename "$req" .txt)
    dir=target/venvs/$name
    stamp=$(sha256sum "$req" | cut -c1-16)
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
        continue
    fi
    echo "venvs.sh: making $dir from $req"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$stamp" > "$dir/.stamp"
done
