#!/usr/bin/env bash
# Creates or updates the Python environment for the browser client tests (Tests/browser):
# the SDK test environment at <repo>/.venv (scripts/sdk-venv.sh) plus pinned selenium, then
# prints the environment's python path. Safe to run repeatedly. Chromium and its driver are
# Debian packages (chromium, chromium-driver); selenium uses them and downloads nothing.
#
#   bash scripts/browser-venv.sh
#   SWITCHBOARD_BIN=.build/debug/switchboard .venv/bin/python -m pytest -q Tests/browser
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$(bash "$repo/scripts/sdk-venv.sh")"

pins=(
  "selenium==4.27.1"
)

pins_satisfied() {
  "$python" - "${pins[@]}" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
import selenium.webdriver, pytest
PY
}

if ! pins_satisfied; then
  "$python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
  pins_satisfied || { echo "browser-venv: pinned packages did not install cleanly" >&2; exit 1; }
fi

echo "$python"
