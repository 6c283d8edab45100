#!/usr/bin/env bash
# Installs the Debian packages the hub needs to build and run, when they are missing.
# Sourced by run.sh and test.sh; `bash scripts/deps.sh test` also installs what tests need.
set -euo pipefail

switchboard_install_deps() {
  local purpose="${1:-run}"
  local need=()
  command -v swift >/dev/null || { echo "swift is not on PATH (expected /opt/swift/usr/bin)"; return 1; }
  command -v pkg-config >/dev/null || need+=(pkg-config)
  pkg-config --exists sqlite3 2>/dev/null || need+=(libsqlite3-dev)
  pkg-config --exists hiredis 2>/dev/null || need+=(libhiredis-dev)
  pkg-config --exists speexdsp 2>/dev/null || need+=(libspeexdsp-dev)
  pkg-config --exists pocketsphinx 2>/dev/null || need+=(libpocketsphinx-dev)
  [ -d /usr/share/pocketsphinx/model/en-us ] || need+=(pocketsphinx-en-us)
  [ -f /usr/include/flite/flite.h ] || need+=(flite1-dev)
  pkg-config --exists espeak-ng 2>/dev/null || need+=(libespeak-ng-dev)
  if [ "$purpose" = test ]; then
    command -v curl >/dev/null || need+=(curl)
    command -v git >/dev/null || need+=(git)
    command -v openssl >/dev/null || need+=(openssl)
    python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
    command -v redis-server >/dev/null || need+=(redis-server)
    command -v espeak-ng >/dev/null || need+=(espeak-ng)
    command -v flite >/dev/null || need+=(flite)
    [ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
    command -v haproxy >/dev/null || need+=(haproxy)
    command -v redis-cli >/dev/null || need+=(redis-tools)
    command -v sox >/dev/null || need+=(sox)
    command -v chromium >/dev/null || need+=(chromium)
    command -v chromedriver >/dev/null || need+=(chromium-driver)
    command -v node >/dev/null || need+=(nodejs)
    command -v sipp >/dev/null || need+=(sip-tester)
    command -v baresip >/dev/null || need+=(baresip)
  fi
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
  else
    echo "missing packages: ${need[*]} (run as root to install them)"; return 1
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  switchboard_install_deps "${1:-run}"
fi
