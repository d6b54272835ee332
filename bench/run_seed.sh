#!/usr/bin/env bash
# keras.cpp vs PyTorch on the motivating model's training step (Adam, MSE), in the same run,
# with the same thread count: 1 thread, then 2. Prints a table of samples/s per batch size.
#
#   bench/run_seed.sh                     (after `make bench`, or just run `make bench`)
#   BUILD_DIR=build-x BENCH_THREADS="1" BENCH_REPEATS=9 bench/run_seed.sh
#
# PyTorch gets its best setting at each thread count: with 2 threads it is run both with
# OpenBLAS at 2 threads and at 1 (its OpenMP and OpenBLAS pools can fight over 2 cores),
# and the faster of the two is reported.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-build}"
bin="$build_dir/bench/seed_train_bench"
threads_list="${BENCH_THREADS:-1 2}"
repeats="${BENCH_REPEATS:-5}"
min_time="${BENCH_MIN_TIME:-0.2}"
# Debian's python3-torch lives in /usr/bin/python3's dist-packages; a python3 earlier on
# PATH (pyenv, venv) would not see it.
python="${PYTHON:-/usr/bin/python3}"
[[ -x "$python" ]] || python=python3

scripts/setup.sh --bench
if [[ ! -x "$bin" ]]; then
  echo "run_seed.sh: $bin not found; build it with 'make bench'" >&2
  exit 1
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run_seed.sh: $python cannot import torch (Debian package python3-torch); set PYTHON=..." >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/kerascpp-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

for t in $threads_list; do
  echo "running with $t thread(s): keras.cpp ..." >&2
  KERAS_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
    "$bin" --benchmark_format=json --benchmark_repetitions="$repeats" \
    --benchmark_report_aggregates_only=true --benchmark_min_time="$min_time" >"$tmp/keras_$t.json"
  echo "running with $t thread(s): PyTorch ..." >&2
  OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
    "$python" bench/pytorch_seed.py --threads "$t" --repeats "$repeats" --min-time "$min_time" >"$tmp/torch_$t.a.jsonl"
  if ((t > 1)); then
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$t \
      "$python" bench/pytorch_seed.py --threads "$t" --repeats "$repeats" --min-time "$min_time" >"$tmp/torch_$t.b.jsonl"
  fi
done

"$python" - "$tmp" "$repeats" $threads_list <<'PY'
import glob, json, os, platform, sys
tmp, repeats, threads = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3:]]

def keras_rates(t):
    rates = {}
    for b in json.load(open(os.path.join(tmp, f"keras_{t}.json")))["benchmarks"]:
        # "BM_SeedTrainStep/32" with aggregate "median" (one run only: no aggregate rows)
        if b.get("aggregate_name", "median") != "median" or "items_per_second" not in b:
            continue
        rates[int(b["run_name"].split("/")[1])] = b["items_per_second"]
    return rates

def torch_rates(t):
    rates = {}
    for path in glob.glob(os.path.join(tmp, f"torch_{t}.*.jsonl")):
        for line in open(path):
            r = json.loads(line)
            rates[r["batch"]] = max(rates.get(r["batch"], 0.0), r["samples_per_s"])
    return rates

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
import torch
print(f"\nMotivating model, one training step (Adam, MSE): samples/s, median of {repeats} runs, higher is better")
print(f"CPU: {cpu}, {os.cpu_count()} cores; PyTorch {torch.__version__}")
print(f"{'threads':>7}  {'batch':>5}  {'keras.cpp':>12}  {'PyTorch':>12}  {'ratio':>6}")
for t in threads:
    k, p = keras_rates(t), torch_rates(t)
    for batch in sorted(set(k) | set(p)):
        kr, pr = k.get(batch), p.get(batch)
        ratio = f"{kr / pr:6.2f}" if kr and pr else "     -"
        fmt = lambda r: f"{r:12,.0f}" if r else f"{'-':>12}"
        print(f"{t:>7}  {batch:>5}  {fmt(kr)}  {fmt(pr)}  {ratio}")
print("ratio = keras.cpp / PyTorch. On a shared machine judge 2-thread rows by their ratio.")
PY
