#!/usr/bin/env bash
# Runs every benchmark comparison (build them first: `make bench` builds and runs run_bench.sh).
#   run_bench.sh   issue #7's five workloads: keras.cpp vs PyTorch vs libtorch (docs/performance.md)
#   run_seed.sh    the motivating model's compiled Plan step (Google Benchmark) vs PyTorch
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/run_bench.sh"
"$here/run_seed.sh"
