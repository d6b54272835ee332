#!/usr/bin/env bash
# keras.cpp vs PyTorch on Fashion-MNIST, the benchmark table's "2 Conv+pooling" and
# "2 Conv+pooling+BN" rows (examples/fashion_mnist_cnn.cpp and bench/fashion_mnist_cnn_torch.py):
# for each model, keras.cpp trains the full run and reports its test accuracy, then PyTorch
# trains the same model with the same optimizer, schedule and batch size for TORCH_EPOCHS
# epochs to measure its wall time per epoch; all in this invocation, with the same thread
# count. Prints a table.
#
#   bench/run_fashion_cnn.sh                                (after building the example)
#   BUILD_DIR=build-x THREADS=1 MODELS="conv" bench/run_fashion_cnn.sh
#
# Knobs (environment): BUILD_DIR (default build), MODELS ("conv conv_bn"), EPOCHS_CONV (3),
# EPOCHS_CONV_BN (10), BATCH_SIZE (64), THREADS (1), TORCH_EPOCHS (2: PyTorch's s/epoch is
# its last epoch's, so that one-time start-up costs stay out), PYTHON (/usr/bin/python3, where
# Debian's python3-torch is installed), DATA (/usr/share/datasets/fashion-mnist, Debian's
# dataset-fashion-mnist).
#
# OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its Prescott (SSE3)
# kernels when OPENBLAS_CORETYPE is unset; both sides run with OPENBLAS_CORETYPE=SkylakeX
# unless it is set already.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="${BUILD_DIR:-build}"
bin="$build_dir/examples/fashion_mnist_cnn"
models="${MODELS:-conv conv_bn}"
epochs_conv="${EPOCHS_CONV:-3}"
epochs_conv_bn="${EPOCHS_CONV_BN:-10}"
batch="${BATCH_SIZE:-64}"
threads="${THREADS:-1}"
torch_epochs="${TORCH_EPOCHS:-2}"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
python="${PYTHON:-/usr/bin/python3}"
[[ -x "$python" ]] || python=python3
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"

if [[ ! -x "$bin" ]]; then
  echo "run_fashion_cnn.sh: $bin not found; build it with 'make examples' (or cmake --build $build_dir --target fashion_mnist_cnn)" >&2
  exit 1
fi
if [[ ! -d "$data" ]]; then
  echo "run_fashion_cnn.sh: $data not found; install Debian's dataset-fashion-mnist" >&2
  exit 1
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run_fashion_cnn.sh: $python cannot import torch (Debian package python3-torch); set PYTHON=..." >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/kerascpp-fashion-cnn.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

for model in $models; do
  case "$model" in
    conv) epochs="$epochs_conv" ;;
    conv_bn) epochs="$epochs_conv_bn" ;;
    *) echo "run_fashion_cnn.sh: unknown model $model (conv or conv_bn)" >&2; exit 1 ;;
  esac
  echo "keras.cpp $model: $epochs epochs, batch $batch, $threads thread(s) ..." >&2
  # The example exits 1 when the accuracy misses the published row; the table still shows it.
  KERAS_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
    "$bin" --model "$model" --epochs "$epochs" --batch-size "$batch" --verbose 2 --data "$data" \
    | tee "$tmp/keras_$model.txt" >&2 || true
  echo "PyTorch $model: $torch_epochs of $epochs scheduled epochs, batch $batch, $threads thread(s) ..." >&2
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
    "$python" bench/fashion_mnist_cnn_torch.py --model "$model" --epochs "$torch_epochs" --schedule-epochs "$epochs" \
    --batch-size "$batch" --threads "$threads" --data "$data" | tee "$tmp/torch_$model.txt" >&2
done

"$python" - "$tmp" "$models" <<'PY'
import json, os, platform, re, sys
tmp, models = sys.argv[1], sys.argv[2].split()
published = {"conv": ("2 Conv+pooling", 0.916), "conv_bn": ("2 Conv+pooling+BN", 0.934)}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
import torch
rows = []
for model in models:
    keras = open(os.path.join(tmp, f"keras_{model}.txt")).read()
    result = re.search(r"^result: (.*)$", keras, re.M)
    if not result:
        print(f"{model}: keras.cpp printed no result line", file=sys.stderr)
        continue
    k = dict(kv.split("=", 1) for kv in result.group(1).split())
    k_epoch_s = [float(s) for s in re.findall(r"^epoch \d+/\d+ wall time: ([0-9.]+) s", keras, re.M)]
    t = json.loads(open(os.path.join(tmp, f"torch_{model}.txt")).read().strip().splitlines()[-1])
    rows.append((model, k, k_epoch_s, t))
    batch, threads = k["batch_size"], k["threads"]
print(f"\nFashion-MNIST CNNs, Adam(1e-3, cosine decay to 0 over the run), batch {batch}, {threads} thread(s); "
      f"CPU: {cpu}; PyTorch {torch.__version__}")
print(f"{'model':8}  {'row (published)':26}  {'epochs':>6}  {'test acc':>8}  {'in +-0.005':>10}  {'fit wall':>9}  "
      f"{'keras.cpp s/ep':>14}  {'PyTorch s/ep':>12}  {'keras/torch':>11}")
for model, k, k_epoch_s, t in rows:
    row, pub = published[model]
    acc = float(k["test_accuracy"])
    torch_s = t["epoch_seconds"][-1]
    keras_s = float(k["seconds_per_epoch"])
    print(f"{model:8}  {row + ' (' + format(pub, '.3f') + ')':26}  {k['epochs']:>6}  {acc:>8.4f}  "
          f"{'yes' if abs(acc - pub) <= 0.005 else 'NO':>10}  {float(k['fit_seconds']):>7.1f} s  {keras_s:>14.2f}  "
          f"{torch_s:>12.2f}  {keras_s / torch_s:>11.2f}")
for model, k, k_epoch_s, t in rows:
    print(f"{model}: keras.cpp epoch times {', '.join(f'{s:.1f}' for s in k_epoch_s)} s; PyTorch epoch times "
          f"{', '.join(f'{s:.1f}' for s in t['epoch_seconds'])} s ({t['epochs']} of {k['epochs']} scheduled epochs, "
          f"PyTorch s/ep = its last)")
print("Wall times on a shared machine vary from run to run: compare the rows of one run.")
PY
