#!/usr/bin/env bash
# Builds and runs the hub on the embedded defaults (local model, in-memory sessions,
# Personas/, web-static/) at 127.0.0.1:8080. Extra arguments go to `switchboard serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || { echo "swift is not on PATH (expected /opt/swift/usr/bin)"; exit 1; }
swift build -c release --product switchboard
exec .build/release/switchboard serve "$@"
