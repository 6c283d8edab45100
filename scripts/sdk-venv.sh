#!/usr/bin/env bash
# Creates or updates the Python environment for the SDK compatibility tests
# (Tests/sdk) at <repo>/.venv with the pinned official OpenAI SDK, then prints
# the environment's python path. Safe to run repeatedly: when every pin is
# already installed it does nothing but check.
#
#   bash scripts/sdk-venv.sh
#   SWITCHBOARD_BIN=.build/debug/switchboard .venv/bin/python -m pytest -q Tests/sdk
#
# PYTHON picks the interpreter used to create the environment (default python3, >= 3.10).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
python="${PYTHON:-python3}"

# openai 3.54.0 still ships the beta realtime client next to the GA one;
# both are exercised. websockets is the SDK's realtime transport
# (openai[realtime] asks for websockets>=13,<16). pydantic is pinned because
# the tests validate events with the SDK's pydantic models.
pins=(
  "openai==3.54.0"
  "websockets==15.0.1"
  "pydantic==2.14.3"
  "pytest==9.2.0"
)
# Extra pins given as arguments (the browser tests add selenium) join the same environment.
pins+=("$@")

pins_satisfied() {
  "$venv/bin/python" - "${pins[@]}" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
import openai.resources.realtime.realtime, openai.resources.beta.realtime.realtime, websockets, pytest
PY
}

# An environment whose interpreter no longer runs (moved or removed base python) is rebuilt.
if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "python >= 3.10 is needed for the openai SDK")'
  "$python" -m venv "$venv"
fi

if ! pins_satisfied; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
  pins_satisfied || { echo "sdk-venv: pinned packages did not install cleanly" >&2; exit 1; }
fi

echo "$venv/bin/python"
