#!/usr/bin/env python3
"""PyTorch peer of bench/seed_train_bench.cpp: the motivating model's training step.

    x (B,75) -> tanh(Linear 75) -> tanh(Linear 3) -> prod(h * w, -1, keepdim) -> Linear 1
    with the constant w = [[0, 1, 2]], MSE loss, Adam(lr=1e-3, eps=1e-7)

One step = zero_grad + forward + loss + backward + optimizer.step on one fixed batch,
the same work keras.cpp's compiled step does. For each batch size: warm up, then time
several runs of enough steps to last ~min_time seconds each and report the median.
Prints one JSON object per batch size: {"batch", "samples_per_s", "step_us", "threads"}.
"""
import argparse
import json
import os
import statistics
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 32, 4096])
    p.add_argument("--repeats", type=int, default=5, help="timed runs per batch size; the median is reported")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per timed run")
    return p.parse_args()


def main():
    args = parse_args()
    # Before importing torch, so that its OpenMP pool starts with the right size.
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)

    class SeedModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(75, 75)
            self.fc2 = nn.Linear(75, 3)
            self.fc3 = nn.Linear(1, 1)
            self.register_buffer("w", torch.tensor([[0.0, 1.0, 2.0]]))  # constant, not trained

        def forward(self, x):
            h = torch.tanh(self.fc1(x))
            h = torch.tanh(self.fc2(h))
            p = torch.prod(h * self.w, dim=-1, keepdim=True)
            return self.fc3(p)

    for batch in args.batches:
        model = SeedModel()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        loss_fn = nn.MSELoss()
        x = torch.rand(batch, 75) * 2 - 1
        y = torch.rand(batch, 1)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

        # Warm up, and size a timed run to last about min_time seconds.
        steps = 1
        while True:
            start = time.perf_counter()
            for _ in range(steps):
                step()
            elapsed = time.perf_counter() - start
            if elapsed >= args.min_time / 4:
                break
            steps *= 4
        steps = max(1, int(steps * args.min_time / elapsed))

        rates = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            elapsed = time.perf_counter() - start
            rates.append(steps * batch / elapsed)
        rate = statistics.median(rates)
        print(json.dumps({"batch": batch, "samples_per_s": rate, "step_us": 1e6 * batch / rate,
                          "threads": args.threads}), flush=True)


if __name__ == "__main__":
    main()
