#!/usr/bin/env bash
# Runs every test of the hub on a fresh Debian machine (as root): installs what is missing,
# builds, runs the Swift tests, then the official OpenAI Python SDK against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

source scripts/deps.sh
switchboard_install_deps test

echo "== swift build"
swift build --build-tests 2>&1 | grep -E "error|warning: unre|Compiling switchboard|Build" || true
swift build --build-tests >/dev/null

echo "== swift test"
# The limit tests time sessions out on purpose (seconds of silence, of RTP, of a whole session):
# they run on their own afterwards, so the rest of the suite's CPU-heavy speech tests cannot
# starve the clients that are meant to stay alive.
# The PostgreSQL suites start servers of their own and run hundreds of transactions: they run on
# their own too, so the machine's two cores are not shared with every other suite at once.
timeout 900 swift test --skip LimitsTests --skip TravelPackTests --skip PackDatabaseConformanceTests --skip ClinicPackEngineTests 2>&1 | tee /tmp/switchboard-swift-test.log | grep -E "✘|Test run|passed after|failed|error:" | grep -v "^✔ Test \"" || true
grep -q "Test run with .* passed" /tmp/switchboard-swift-test.log || { echo "swift tests failed"; tail -80 /tmp/switchboard-swift-test.log; exit 1; }
timeout 600 swift test --skip-build --filter 'TravelPackTests|PackDatabaseConformanceTests|ClinicPackEngineTests' 2>&1 | tee /tmp/switchboard-swift-packs.log | grep -E "✘|Test run" || true
grep -q "Test run with .* passed" /tmp/switchboard-swift-packs.log || { echo "pack database tests failed"; tail -80 /tmp/switchboard-swift-packs.log; exit 1; }
timeout 300 swift test --skip-build --filter LimitsTests 2>&1 | tee /tmp/switchboard-swift-limits.log | grep -E "✘|Test run" || true
grep -q "Test run with .* passed" /tmp/switchboard-swift-limits.log || { echo "limit tests failed"; tail -80 /tmp/switchboard-swift-limits.log; exit 1; }

echo "== answering machine detection on the synthesized set (held-out half; Benchmarks/amd)"
python3 Benchmarks/amd/make_set.py --out /tmp/switchboard-amd-set >/dev/null
python3 Benchmarks/amd/evaluate.py --set-dir /tmp/switchboard-amd-set --split heldout --require 95

echo "== OpenAI Python SDK against the hub"
bash scripts/sdk-venv.sh >/dev/null
mkdir -p test-artifacts
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
SWITCHBOARD_PACKS="$root/Personas" SWITCHBOARD_WEB="$root/web-static" \
  "$root/.venv/bin/python" -m pytest -q Tests/sdk

echo "== browser client in headless Chromium"
bash scripts/browser-venv.sh >/dev/null
node --test Tests/browser/
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
SWITCHBOARD_PACKS="$root/Personas" SWITCHBOARD_WEB="$root/web-static" \
  "$root/.venv/bin/python" -m pytest -q Tests/browser

echo "== the speech chain over Wyoming: Whisper hears what the grammar does not, Piper speaks"
bash scripts/whisper-venv.sh >/dev/null
bash scripts/piper-venv.sh >/dev/null
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/speech

echo "== phone calls: Twilio Media Streams, SIP with sipp and baresip"
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/phone

echo "== call records and webhooks: /v1/calls, a real webhook receiver, a hub killed mid-way"
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/calls

echo "== the platform: tenants, numbers, keys, tool settings and sealed secrets over /admin/v1 (and schemathesis on its OpenAPI)"
bash scripts/schemathesis-venv.sh >/dev/null
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/platform

echo "== hostile input: garbage URLs, extreme numbers, broken JSON, mutated events, Twilio, SIP and RTP"
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/hostile

echo "== secrets stay out of logs: a hub with every kind of secret configured, failures included"
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/hardening

echo "== replicas behind haproxy: Redis sessions, kill -9, takeover, PostgreSQL data"
SWITCHBOARD_BIN="$root/.build/debug/switchboard" \
  "$root/.venv/bin/python" -m pytest -q Tests/replicas
