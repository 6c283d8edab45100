#!/usr/bin/env bash
# Creates or updates the environment of schemathesis (property-based testing of the admin API
# against its served OpenAPI document) at <repo>/.venv-schemathesis, apart from the SDK's so
# their pins never meet; prints its python path.
#
#   bash scripts/schemathesis-venv.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$repo/scripts/pinned-venv.sh" "$repo/.venv-schemathesis" "schemathesis" "schemathesis==4.32.5"
