#!/usr/bin/env bash
# Creates or updates the Python environment for the browser client tests (Tests/browser):
# the SDK test environment at <repo>/.venv (scripts/sdk-venv.sh) plus pinned selenium, then
# prints the environment's python path. Safe to run repeatedly. Chromium and its driver are
# Debian packages (chromium, chromium-driver); selenium uses them and downloads nothing.
#
#   bash scripts/browser-venv.sh
#   SWITCHBOARD_BIN=.build/debug/switchboard .venv/bin/python -m pytest -q Tests/browser
set -euo pipefail

exec bash "$(dirname "${BASH_SOURCE[0]}")/sdk-venv.sh" "selenium==4.27.1"
