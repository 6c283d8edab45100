#!/usr/bin/env bash
# Creates or updates a Python environment with exact pins and prints its python path:
#
#   bash scripts/pinned-venv.sh VENV_DIR "module, module" PIN...
#
# Safe to run repeatedly: when every pin is installed and the modules import, it only checks.
# An environment whose interpreter no longer runs (a moved or removed base python) is rebuilt.
# PYTHON picks the interpreter that creates it (default python3, >= 3.10).
set -euo pipefail

venv="$1"
imports="$2"
shift 2
pins=("$@")
python="${PYTHON:-python3}"

pins_satisfied() {
  "$venv/bin/python" - "$imports" "${pins[@]}" <<'PY' >/dev/null 2>&1
import importlib, sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[2:]:
    name, wanted = pin.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
for module in filter(None, (m.strip() for m in sys.argv[1].split(","))):
    importlib.import_module(module)
PY
}

if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "python >= 3.10 is needed")'
  "$python" -m venv "$venv"
fi

if ! pins_satisfied; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
  pins_satisfied || { echo "$(basename "$venv"): pinned packages did not install cleanly" >&2; exit 1; }
fi

echo "$venv/bin/python"
