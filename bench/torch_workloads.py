#!/usr/bin/env python3
"""PyTorch's side of `make bench`: the same five workloads as bench/keras_workloads.cpp.

    torch_workloads.py --workload seed|mlp|cnn|lstm|fashion_cnn [--mode train|predict]
                       [--batch N] [--samples N] [--repeats N] [--min-time S] [--threads N]
                       [--memory-format nchw|channels_last]

train: a plain loop over pre-sliced batches of random data (zero_grad(set_to_none=True),
forward, loss, backward, torch.optim.Adam.step); one timed run = one epoch. predict: under
torch.inference_mode(), batch 1 times single-sample calls (latency), larger batches one pass
over the samples (throughput). A warm-up (training: a few batches and the last one; prediction:
one run), then at least `repeats` timed runs totalling
repeats * min_time seconds. Prints one JSON line like keras_workloads, with the process's peak
resident memory (resource.getrusage ru_maxrss).

Each model is PyTorch's idiom for the Keras model: classifiers end in logits and use
CrossEntropyLoss on class indices (log-softmax fused into the loss: PyTorch's fastest way to
the same softmax + categorical cross-entropy), convolutions run NCHW or, with
--memory-format channels_last, NHWC in memory (torch.channels_last).
"""
import argparse
import json
import os
import resource
import statistics
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", required=True, choices=["seed", "mlp", "cnn", "lstm", "fashion_cnn"])
    p.add_argument("--mode", default="train", choices=["train", "predict"])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--samples", type=int, default=0, help="samples per run (default: the workload's epoch)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.2)
    p.add_argument("--max-time", type=float, default=0, help="stop after this many seconds of timed runs")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--memory-format", default="nchw", choices=["nchw", "channels_last"])
    return p.parse_args()


def build(torch, nn, workload):
    """(model, loss_fn, x_shape, y_kind, default_samples)"""
    if workload == "seed":
        class Seed(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(75, 75)
                self.fc2 = nn.Linear(75, 3)
                self.fc3 = nn.Linear(1, 1)
                self.register_buffer("w", torch.tensor([[0.0, 1.0, 2.0]]))  # constant, not trained

            def forward(self, x):
                h = torch.tanh(self.fc1(x))
                h = torch.tanh(self.fc2(h))
                return self.fc3(torch.prod(h * self.w, dim=-1, keepdim=True))
        return Seed(), nn.MSELoss(), (75,), "regression", 65536
    if workload == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        return model, nn.CrossEntropyLoss(), (784,), "classes", 60000
    if workload == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 10))
        return model, nn.CrossEntropyLoss(), (1, 28, 28), "classes", 60000
    if workload == "lstm":
        class Lstm(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(32, 128, batch_first=True)
                self.fc = nn.Linear(128, 1)

            def forward(self, x):
                _, (h, _) = self.lstm(x)
                return self.fc(h[-1])
        return Lstm(), nn.MSELoss(), (50, 32), "regression", 60000
    # fashion_cnn: the TensorFlow-tutorial CNN (conv 5x5 same 32, pool, conv 5x5 same 64, pool,
    # dense 1024 relu, dropout 0.4, dense 10).
    model = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Dropout(0.4), nn.Linear(1024, 10))
    return model, nn.CrossEntropyLoss(), (1, 28, 28), "classes", 60000


def time_runs(args, items, run, warm_up=None):
    (warm_up or run)()
    rates, total = [], 0.0
    while len(rates) < args.repeats or total < args.repeats * args.min_time:
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        total += elapsed
        rates.append(items / elapsed)
        if len(rates) >= 1000 or (args.max_time > 0 and total >= args.max_time):
            break
    return rates


def main():
    args = parse_args()
    # Before importing torch, so that its OpenMP pool starts with the right size.
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    model, loss_fn, x_shape, y_kind, default_samples = build(torch, nn, args.workload)
    n = args.samples or default_samples
    x = torch.rand(n, *x_shape)
    y = torch.randint(0, 10, (n,)) if y_kind == "classes" else torch.rand(n, 1)
    if args.memory_format == "channels_last" and x.dim() == 4:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    xs = [b.contiguous(memory_format=torch.channels_last) if args.memory_format == "channels_last" and x.dim() == 4
          else b.contiguous() for b in x.split(args.batch)]
    ys = [b.contiguous() for b in y.split(args.batch)]
    items = n
    warm_up = None

    if args.mode == "train":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

        def train(batches):
            for xb, yb in batches:
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()

        def run():
            train(zip(xs, ys))

        # Warm-up on part of the epoch, as keras_workloads: a few full batches and the last one.
        k = min(len(xs) - 1, max(4, len(xs) // 8))
        warm_up = lambda: train(list(zip(xs[:k], ys[:k])) + [(xs[-1], ys[-1])])
    elif args.batch == 1:
        model.eval()
        x1 = xs[0]

        def predict_one():
            with torch.inference_mode():
                model(x1)

        predict_one()
        calls = 1
        while True:  # size a run to last ~min_time
            start = time.perf_counter()
            for _ in range(calls):
                predict_one()
            if time.perf_counter() - start >= args.min_time / 4 or calls >= 1 << 24:
                break
            calls *= 4
        calls *= 4
        items = calls

        def run():
            for _ in range(calls):
                predict_one()
    else:
        model.eval()

        def run():
            with torch.inference_mode():
                for xb in xs:
                    model(xb)

    rates = time_runs(args, items, run, warm_up)
    rate = statistics.median(rates)
    print(json.dumps({"system": "PyTorch", "workload": args.workload, "mode": args.mode, "batch": args.batch,
                      "threads": torch.get_num_threads(), "samples": items, "samples_per_s": rate,
                      "step_us": 1e6 * args.batch / rate, "runs": rates,
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "memory_format": args.memory_format if len(x_shape) == 3 and args.workload != "lstm" else None,
                      "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
                      "version": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
