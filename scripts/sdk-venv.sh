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

exec bash "$repo/scripts/pinned-venv.sh" "$venv" \
  "openai.resources.realtime.realtime, openai.resources.beta.realtime.realtime, websockets, pytest" "${pins[@]}"
