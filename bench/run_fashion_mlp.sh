#!/usr/bin/env bash
# keras.cpp vs PyTorch on Fashion-MNIST, MLP 256-128-100 (examples/fashion_mnist_mlp.cpp and
# bench/fashion_mnist_mlp_torch.py): the same model, optimizer, batch size and epochs, run one
# after the other in this invocation with the same thread count. Prints each side's test
# accuracy, epochs and training wall time.
#
#   bench/run_fashion_mlp.sh                               (after building the example)
#   BUILD_DIR=build-x EPOCHS=12 THREADS=2 bench/run_fashion_mlp.sh
#
# Knobs (environment): BUILD_DIR (default build), EPOCHS (12), BATCH_SIZE (32), THREADS (1),
# PYTHON (/usr/bin/python3, where Debian's python3-torch is installed), DATA
# (/usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
#
# OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its Prescott (SSE3)
# kernels when OPENBLAS_CORETYPE is unset; both sides run with OPENBLAS_CORETYPE=SkylakeX
# unless it is set already.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-build}"
bin="$build_dir/examples/fashion_mnist_mlp"
epochs="${EPOCHS:-12}"
batch="${BATCH_SIZE:-32}"
threads="${THREADS:-1}"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
python="${PYTHON:-/usr/bin/python3}"
[[ -x "$python" ]] || python=python3
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"

if [[ ! -x "$bin" ]]; then
  echo "run_fashion_mlp.sh: $bin not found; build it with 'make examples' (or cmake --build $build_dir --target fashion_mnist_mlp)" >&2
  exit 1
fi
if [[ ! -d "$data" ]]; then
  echo "run_fashion_mlp.sh: $data not found; install Debian's dataset-fashion-mnist" >&2
  exit 1
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run_fashion_mlp.sh: $python cannot import torch (Debian package python3-torch); set PYTHON=..." >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/kerascpp-fashion.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "keras.cpp: $epochs epochs, batch $batch, $threads thread(s) ..." >&2
KERAS_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
  "$bin" --epochs "$epochs" --batch-size "$batch" --verbose 2 --data "$data" | tee "$tmp/keras.txt" >&2 || true
echo "PyTorch: $epochs epochs, batch $batch, $threads thread(s) ..." >&2
OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
  "$python" bench/fashion_mnist_mlp_torch.py --epochs "$epochs" --batch-size "$batch" --threads "$threads" \
  --data "$data" | tee "$tmp/torch.txt" >&2

"$python" - "$tmp" <<'PY'
import json, os, platform, re, sys
tmp = sys.argv[1]
keras = open(os.path.join(tmp, "keras.txt")).read()
torch_result = json.loads(open(os.path.join(tmp, "torch.txt")).read().strip().splitlines()[-1])
k_acc = float(re.search(r"test accuracy: ([0-9.]+)", keras).group(1))
k_epochs = int(re.search(r"epochs: ([0-9]+)", keras).group(1))
k_time = float(re.search(r"training wall time: ([0-9.]+) s", keras).group(1))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
import torch
print(f"\nFashion-MNIST, MLP 256-128-100, Adam(1e-3, cosine decay), batch {torch_result['batch_size']}, "
      f"{torch_result['threads']} thread(s); CPU: {cpu}; PyTorch {torch.__version__}")
print(f"{'':10}  {'epochs':>6}  {'test accuracy':>13}  {'fit wall time':>13}  {'s/epoch':>8}")
print(f"{'keras.cpp':10}  {k_epochs:>6}  {k_acc:>13.4f}  {k_time:>11.1f} s  {k_time / k_epochs:>8.2f}")
print(f"{'PyTorch':10}  {torch_result['epochs']:>6}  {torch_result['test_accuracy']:>13.4f}  "
      f"{torch_result['fit_seconds']:>11.1f} s  {torch_result['seconds_per_epoch']:>8.2f}")
print("Published (zalandoresearch/fashion-mnist benchmark, MLPClassifier 256-128-100): 0.8833")
print("Wall times on a shared machine vary from run to run: compare the two rows of one run.")
PY
