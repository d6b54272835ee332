#!/usr/bin/env python3
"""PyTorch peer of examples/fashion_mnist_cnn.cpp: the same two CNNs trained the same way.

--model conv ("2 Conv+pooling", TensorFlow's documentation CNN):
    Conv 32 5x5 same, ReLU, MaxPool 2 -> Conv 64 5x5 same, ReLU, MaxPool 2 -> Flatten
    -> Linear 1024, ReLU -> Dropout 0.4 -> Linear 10
--model conv_bn ("2 Conv+pooling+BN"):
    [Conv 3x3 same (no bias), BatchNorm, ReLU, MaxPool 2] x (32, 64 filters) -> Flatten
    -> Linear 128 (no bias), BatchNorm, ReLU -> Dropout 0.3 -> Linear 10

As Keras: Glorot-uniform weights and zero biases, BatchNorm eps 1e-3 and momentum 0.01
(Keras's 0.99), pixels / 255, cross-entropy on the logits (= softmax + sparse categorical
cross-entropy), Adam(eps=1e-7) with the learning rate cosine-decayed per step from lr to 0
over --schedule-epochs (default --epochs; Keras's CosineDecay), batch 64, the training set
reshuffled every epoch. Activations are channels_last in memory (torch.channels_last), as
Keras's NHWC, and Flatten takes them in (h, w, c) order as Keras's Flatten does (a free view
of a channels_last tensor).

One epoch = every batch's zero_grad + forward + loss + backward + Adam step, plus the running
loss and accuracy that Keras's progress line shows (accumulated on tensors, read once per
epoch). Reads Debian's dataset-fashion-mnist files. Prints per-epoch wall times and a final
JSON line: {"model", "epochs", "batch_size", "threads", "fit_seconds", "epoch_seconds",
"seconds_per_epoch", "test_accuracy"}.
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
    p.add_argument("--model", choices=("conv", "conv_bn"), default="conv")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--schedule-epochs", type=int, default=0, help="length of the cosine decay in epochs (default --epochs)")
    p.add_argument("--batch-size", type=int, default=64)
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
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).reshape(dims[0], 1, dims[1], dims[2]).float() / 255.0
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    return x, y


def build_model(name, torch, nn):
    class FlattenHWC(nn.Module):
        """Keras's Flatten of an NHWC tensor: (h, w, c) order."""

        def forward(self, x):
            return x.permute(0, 2, 3, 1).flatten(1)

    if name == "conv":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            FlattenHWC(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.4), nn.Linear(1024, 10),
        )
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32, eps=1e-3, momentum=0.01), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64, eps=1e-3, momentum=0.01), nn.ReLU(),
            nn.MaxPool2d(2),
            FlattenHWC(), nn.Linear(7 * 7 * 64, 128, bias=False), nn.BatchNorm1d(128, eps=1e-3, momentum=0.01),
            nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10),
        )
    for layer in model:
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(layer.weight)  # fans as Keras's: in/out channels * kernel area
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model.to(memory_format=torch.channels_last)


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
    x_train = x_train.contiguous(memory_format=torch.channels_last)
    x_test = x_test.contiguous(memory_format=torch.channels_last)

    model = build_model(args.model, torch, nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate, eps=1e-7)
    n = x_train.shape[0]
    schedule_epochs = args.schedule_epochs or args.epochs
    total_steps = schedule_epochs * ((n + args.batch_size - 1) // args.batch_size)
    # Keras's CosineDecay(lr, total_steps) evaluated at the step about to be taken.
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))
    )
    loss_fn = nn.CrossEntropyLoss()

    epoch_seconds = []
    start = time.perf_counter()
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        for begin in range(0, n, args.batch_size):
            idx = order[begin : begin + args.batch_size]
            xb, yb = x_train[idx].contiguous(memory_format=torch.channels_last), y_train[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                loss_sum += loss.detach() * yb.shape[0]
                correct += (logits.argmax(1) == yb).sum()
        epoch_seconds.append(time.perf_counter() - epoch_start)
        print(
            f"epoch {epoch + 1}/{args.epochs} - {epoch_seconds[-1]:.2f}s - "
            f"accuracy: {correct.item() / n:.4f} - loss: {loss_sum.item() / n:.4f}",
            flush=True,
        )
    fit_seconds = time.perf_counter() - start

    model.eval()
    correct = 0
    with torch.no_grad():
        for begin in range(0, x_test.shape[0], 256):
            correct += (model(x_test[begin : begin + 256]).argmax(1) == y_test[begin : begin + 256]).sum().item()
    test_accuracy = correct / x_test.shape[0]
    print(f"test accuracy: {test_accuracy:.4f} (after {args.epochs} of {schedule_epochs} scheduled epochs)")
    print(
        json.dumps(
            {
                "model": args.model,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "threads": args.threads,
                "fit_seconds": fit_seconds,
                "epoch_seconds": epoch_seconds,
                "seconds_per_epoch": fit_seconds / max(args.epochs, 1),
                "test_accuracy": test_accuracy,
            }
        )
    )


if __name__ == "__main__":
    main()
