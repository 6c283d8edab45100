#!/usr/bin/env bash
# Builds and runs the hub on the embedded defaults (local model, in-memory sessions,
# SQLite demo data in data/, Personas/, web-static/) at 127.0.0.1:8080. Extra arguments go to `switchboard serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
switchboard_install_deps run
swift build -c release --product switchboard
exec .build/release/switchboard serve "$@"
