#!/usr/bin/env bash
# Issue #7's comparison: five workloads in keras.cpp, PyTorch (Python) and libtorch, one after
# the other in this run, same data sizes and thread counts (1, then 2); prints one table and
# writes docs/performance.{json,csv,png} and the generated part of docs/performance.md.
#
#   make bench                          (installs, builds, then runs this)
#   BENCH_QUICK=1 make bench            a few minutes, for development; writes to $BUILD_DIR/bench-results
#   BUILD_DIR=build-x BENCH_WORKLOADS="seed mlp" BENCH_THREADS=1 bench/run_bench.sh
#
# Knobs (environment):
#   BUILD_DIR            keras.cpp's build (default build; needs the target keras_benchmarks)
#   BENCH_QUICK=1        few samples, 3 repeats, 1 thread; results not written to docs/
#   BENCH_REPEATS        timed runs per measurement, median reported (default 5, quick 3)
#   BENCH_MIN_TIME       seconds the timed runs of one measurement last at least, per repeat
#                        (default 0.5, quick 0.1): short epochs are repeated more often
#   BENCH_MAX_TIME       seconds of timed runs after which one measurement stops even before
#                        BENCH_REPEATS runs (default 40; marked † in the table)
#   BENCH_THREADS        thread counts (default "1 2", quick "1")
#   BENCH_WORKLOADS      rows or workloads to run, e.g. "seed mlp" or "seed_train_b32" (default all)
#   BENCH_SYSTEMS        default "keras.cpp PyTorch libtorch"
#   BENCH_TORCH_FORMATS  the peers' convolution memory formats to try, faster kept: "nchw
#                        channels_last" tries both (default auto: PyTorch channels_last, libtorch
#                        nchw, each one's faster on this machine)
#   BENCH_OUT            results directory (default docs/, quick: $BUILD_DIR/bench-results)
#   PYTHON               interpreter with Debian's python3-torch (default /usr/bin/python3)
#
# Debian's OpenBLAS 0.3.21 does not recognise this machine's Xeon (Sapphire Rapids) and falls
# back to its Prescott (SSE3) kernels; all three systems run with OPENBLAS_CORETYPE=SkylakeX
# (AVX-512) unless it is set already.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-build}"
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"
quick="${BENCH_QUICK:-0}"
[[ "$quick" == 0 ]] && quick=""
python="${PYTHON:-/usr/bin/python3}"
[[ -x "$python" ]] || python=python3
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"

scripts/setup.sh --bench
keras_bin="$build_dir/bench/keras_workloads"
if [[ ! -x "$keras_bin" ]]; then
  echo "run_bench.sh: $keras_bin not found; build it with 'make bench' (target keras_benchmarks)" >&2
  exit 1
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run_bench.sh: $python cannot import torch (Debian package python3-torch); set PYTHON=..." >&2
  exit 1
fi

# libtorch's program is its own CMake project: configured only where Torch's package is found.
libtorch_bin=""
lt_build="$build_dir/bench-libtorch"
if cmake -S bench/libtorch -B "$lt_build" -DCMAKE_BUILD_TYPE=Release --log-level=ERROR >"$lt_build.log" 2>&1 &&
   cmake --build "$lt_build" -j "${JOBS:-2}" >>"$lt_build.log" 2>&1; then
  libtorch_bin="$lt_build/libtorch_workloads"
else
  echo "run_bench.sh: libtorch benchmark not built (Debian: libtorch-dev); see $lt_build.log. Skipping libtorch." >&2
fi

if [[ -n "$quick" ]]; then
  out="${BENCH_OUT:-$build_dir/bench-results}"
  repeats="${BENCH_REPEATS:-3}"; min_time="${BENCH_MIN_TIME:-0.1}"; threads="${BENCH_THREADS:-1}"
  doc_args=()
else
  out="${BENCH_OUT:-$root/docs}"
  repeats="${BENCH_REPEATS:-5}"; min_time="${BENCH_MIN_TIME:-0.5}"; threads="${BENCH_THREADS:-1 2}"
  doc_args=(--doc "$out/performance.md")
fi
command="make bench"
for v in BENCH_QUICK BENCH_REPEATS BENCH_MIN_TIME BENCH_MAX_TIME BENCH_THREADS BENCH_WORKLOADS BENCH_SYSTEMS BENCH_TORCH_FORMATS; do
  [[ -n "${!v:-}" ]] && command="$v=\"${!v}\" $command"
done

exec "$python" bench/run_bench.py --keras "$keras_bin" --libtorch "$libtorch_bin" --python "$python" \
  --threads "$threads" --repeats "$repeats" --min-time "$min_time" --max-time "${BENCH_MAX_TIME:-40}" \
  ${quick:+--quick} \
  --workloads "${BENCH_WORKLOADS:-}" --systems "${BENCH_SYSTEMS:-keras.cpp PyTorch libtorch}" \
  --torch-formats "${BENCH_TORCH_FORMATS:-auto}" --out "$out" "${doc_args[@]}" --command "$command"
