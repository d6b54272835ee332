#!/usr/bin/env bash
# Runs every benchmark comparison (build them first: `make bench` does both).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/run_seed.sh"
