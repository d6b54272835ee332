#!/usr/bin/env python3
"""PyTorch peer of examples/fashion_mnist_mlp.cpp: the same MLP 256-128-100 trained the same way.

    784 -> Linear 256, ReLU -> Linear 128, ReLU -> Linear 100, ReLU -> Linear 10
    Glorot-uniform weights and zero biases (Keras's Dense defaults), pixels / 255,
    cross-entropy on the logits (= Keras's softmax + sparse categorical cross-entropy),
    Adam(eps=1e-7 as Keras) with the learning rate cosine-decayed per step from lr to 0 over
    the run (Keras's CosineDecay), batch 32, the training set reshuffled every epoch.

One epoch = every batch's zero_grad + forward + loss + backward + Adam step, plus the running
loss and accuracy that Keras's progress bar shows (accumulated on the tensors, read once per
epoch). Reads Debian's dataset-fashion-mnist files. Prints per-epoch lines and a final JSON
line: {"epochs", "batch_size", "threads", "fit_seconds", "seconds_per_epoch", "test_accuracy"}.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    return p.parse_args()


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    return data[4 + 4 * rank :], dims


def load(data_dir, prefix, torch):
    def find(name):
        for candidate in (name + ".gz", name):
            path = os.path.join(data_dir, candidate)
            if os.path.exists(path):
                return path
        raise FileNotFoundError(f"{name}[.gz] not found in {data_dir} (Debian package dataset-fashion-mnist)")

    images, dims = read_idx(find(f"{prefix}-images-idx3-ubyte"))
    labels, _ = read_idx(find(f"{prefix}-labels-idx1-ubyte"))
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).reshape(dims[0], dims[1] * dims[2]).float() / 255.0
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    return x, y


def main():
    args = parse_args()
    # Before importing torch, so that its OpenMP pool starts with the right size.
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.data, "train", torch)
    x_test, y_test = load(args.data, "t10k", torch)

    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 100), nn.ReLU(), nn.Linear(100, 10)
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate, eps=1e-7)
    n = x_train.shape[0]
    total_steps = args.epochs * ((n + args.batch_size - 1) // args.batch_size)
    # Keras's CosineDecay(lr, total_steps) evaluated at the step about to be taken.
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))
    )
    loss_fn = nn.CrossEntropyLoss()

    start = time.perf_counter()
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        for begin in range(0, n, args.batch_size):
            idx = order[begin : begin + args.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                loss_sum += loss.detach() * yb.shape[0]
                correct += (logits.argmax(1) == yb).sum()
        print(
            f"epoch {epoch + 1}/{args.epochs} - {time.perf_counter() - epoch_start:.2f}s - "
            f"accuracy: {correct.item() / n:.4f} - loss: {loss_sum.item() / n:.4f}",
            flush=True,
        )
    fit_seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        test_accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"test accuracy: {test_accuracy:.4f}")
    print(
        json.dumps(
            {
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "threads": args.threads,
                "fit_seconds": fit_seconds,
                "seconds_per_epoch": fit_seconds / max(args.epochs, 1),
                "test_accuracy": test_accuracy,
            }
        )
    )


if __name__ == "__main__":
    main()
