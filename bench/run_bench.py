#!/usr/bin/env python3
"""Runs issue #7's workloads in keras.cpp, PyTorch and libtorch and reports them side by side.

Called by bench/run_bench.sh (which `make bench` runs after building); the environment it
sets (OPENBLAS_CORETYPE=SkylakeX) reaches every child. Each (system, workload, thread count,
setting) runs in its own process — bench/keras_workloads, bench/torch_workloads.py,
libtorch_workloads — so that each one's peak resident memory is its own. The peers run at
their best setting: with 2 threads also with OpenBLAS at 1 thread (PyTorch's OpenMP pool and
OpenBLAS's can fight over 2 cores), the faster kept.

Writes performance.json, performance.csv, performance.png and, with --doc, the generated part of
docs/performance.md (between its bench:begin / bench:end markers).
"""
import argparse
import csv
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (key, workload, mode, batch, samples per timed run, quick-mode samples). Samples are the same
# for the three systems; where they are fewer than the workload's 60,000/65,536-sample epoch,
# the table says so: a full epoch of the slow rows takes one system a minute or more on 2 shared
# cores, and every measurement is 5+ epochs, per system, setting and thread count.
ROWS = [
    ("seed_train_b1", "seed", "train", 1, 4096, 1024),
    ("seed_train_b32", "seed", "train", 32, 65536, 8192),
    ("seed_train_b256", "seed", "train", 256, 65536, 16384),
    ("seed_train_b4096", "seed", "train", 4096, 65536, 16384),
    ("seed_predict_b1", "seed", "predict", 1, 0, 0),  # latency: calls sized by --min-time
    ("seed_predict_b4096", "seed", "predict", 4096, 65536, 16384),
    ("mlp_train_b128", "mlp", "train", 128, 60000, 6400),
    ("cnn_train_b64", "cnn", "train", 64, 8192, 1024),
    ("lstm_train_b64", "lstm", "train", 64, 4096, 512),
    ("fashion_cnn_train_b64", "fashion_cnn", "train", 64, 4096, 512),
]
EPOCH = {"seed": 65536, "mlp": 60000, "cnn": 60000, "lstm": 60000, "fashion_cnn": 60000}
LABELS = {
    "seed_train_b1": "seed train, batch 1", "seed_train_b32": "seed train, batch 32",
    "seed_train_b256": "seed train, batch 256", "seed_train_b4096": "seed train, batch 4096",
    "seed_predict_b1": "seed predict, batch 1", "seed_predict_b4096": "seed predict, batch 4096",
    "mlp_train_b128": "MLP train, batch 128", "cnn_train_b64": "CNN train, batch 64",
    "lstm_train_b64": "LSTM train, batch 64", "fashion_cnn_train_b64": "Fashion CNN train, batch 64",
}
SYSTEMS = ["keras.cpp", "PyTorch", "libtorch"]
CONV = {"cnn", "fashion_cnn"}
# Measured here with BENCH_TORCH_FORMATS="nchw channels_last" (docs/performance.md): Python's
# PyTorch trains these CNNs faster channels_last, libtorch's C++ frontend faster NCHW.
AUTO_FORMAT = {"PyTorch": "channels_last", "libtorch": "nchw"}
# issue #7's "done when": (row, minimum ratio to the best peer) and absolute limits.
RATIO_TARGETS = [("seed_train_b32", 10.0), ("seed_train_b4096", 2.5), ("mlp_train_b128", 1.5),
                 ("cnn_train_b64", 1.5), ("lstm_train_b64", 2.0)]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keras", required=True, help="path of keras_workloads")
    p.add_argument("--libtorch", default="", help="path of libtorch_workloads (empty: skip libtorch)")
    p.add_argument("--python", default=sys.executable, help="interpreter that imports torch")
    p.add_argument("--threads", default="1 2")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.5)
    p.add_argument("--max-time", type=float, default=40,
                   help="seconds of timed runs after which a measurement stops even with fewer than --repeats "
                        "runs (at least one); such entries are marked")
    p.add_argument("--quick", action="store_true", help="few samples, for development")
    p.add_argument("--workloads", default="", help="row keys or workload names to run (default all)")
    p.add_argument("--systems", default=" ".join(SYSTEMS))
    p.add_argument("--torch-formats", default="auto",
                   help="memory formats tried for the peers' convolutions, faster kept: nchw and/or channels_last; "
                        "auto: each peer's faster one on this machine (PyTorch channels_last, libtorch nchw)")
    p.add_argument("--out", required=True, help="directory for performance.json/.csv and performance.png")
    p.add_argument("--doc", default="", help="docs/performance.md to update (its generated part)")
    p.add_argument("--command", default="make bench", help="the command to quote in the doc")
    return p.parse_args()


def run_one(cmd, env, label):
    start = time.time()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(f"  {label}: FAILED (exit {proc.returncode})\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if not lines:
        print(f"  {label}: no result line\n{proc.stdout[-1000:]}{proc.stderr[-1000:]}", file=sys.stderr)
        return None
    result = json.loads(lines[-1])
    result["wall_s"] = time.time() - start
    return result


def measure(args, row, threads):
    key, workload, mode, batch, samples, quick_samples = row
    n = quick_samples if args.quick else samples
    common = ["--workload", workload, "--mode", mode, "--batch", str(batch), "--repeats", str(args.repeats),
              "--min-time", str(args.min_time), "--max-time", str(args.max_time), "--threads", str(threads)]
    if n:
        common += ["--samples", str(n)]
    base = dict(os.environ, OMP_NUM_THREADS=str(threads), KERAS_NUM_THREADS=str(threads))
    systems = args.systems.split()
    best = {}
    variants = []
    for system in SYSTEMS:
        if system not in systems or (system == "libtorch" and not args.libtorch):
            continue
        if system == "keras.cpp":
            settings = [(str(threads), None)]
        else:
            blas = [str(threads)] + (["1"] if threads > 1 else [])
            formats = [None]
            if workload in CONV:
                formats = args.torch_formats.split()
                if formats == ["auto"]:
                    formats = [AUTO_FORMAT[system]]
            settings = [(b, f) for b in blas for f in formats]
        for blas_threads, fmt in settings:
            env = dict(base, OPENBLAS_NUM_THREADS=blas_threads)
            if system == "keras.cpp":
                cmd = [args.keras] + common
            elif system == "PyTorch":
                cmd = [args.python, os.path.join(ROOT, "bench", "torch_workloads.py")] + common
            else:
                cmd = [args.libtorch] + common
            if fmt:
                cmd += ["--memory-format", fmt]
            label = f"{LABELS[key]}, {threads} thread(s), {system}" + (
                f" (OpenBLAS {blas_threads} thread(s){', ' + fmt if fmt else ''})" if system != "keras.cpp" else "")
            r = run_one(cmd, env, label)
            if r is None:
                continue
            r.update(key=key, system=system, openblas_threads=int(blas_threads), memory_format=fmt)
            variants.append(r)
            print(f"  {label}: {r['samples_per_s']:,.0f} samples/s, {r['peak_rss_kib'] / 1024:.0f} MiB, "
                  f"{r['wall_s']:.0f} s", file=sys.stderr, flush=True)
            if system not in best or r["samples_per_s"] > best[system]["samples_per_s"]:
                best[system] = r
    return best, variants


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine_info(args):
    lscpu = sh("lscpu")
    field = lambda name: next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith(name + ":")), "?")
    # The core OpenBLAS picked under this environment's OPENBLAS_CORETYPE (e.g. "... SkylakeX ...").
    blas_config = sh(f"{args.python} -c \"import ctypes; f = ctypes.CDLL('libopenblas.so.0').openblas_get_config; "
                     "f.restype = ctypes.c_char_p; print(f().decode())\"")
    blas_default = sh(f"env -u OPENBLAS_CORETYPE {args.python} -c \"import ctypes; "
                      "f = ctypes.CDLL('libopenblas.so.0').openblas_get_config; f.restype = ctypes.c_char_p; "
                      "print(f().decode().split()[-2])\"")
    commit = sh("git rev-parse --short HEAD")
    if sh("git status --porcelain --untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {
        "cpu": field("Model name"), "cpus": field("CPU(s)"), "cores_per_socket": field("Core(s) per socket"),
        "threads_per_core": field("Thread(s) per core"), "hypervisor": field("Hypervisor vendor"),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"), "kernel": platform.release(),
        "gcc": sh("gcc --version | head -1"), "cmake": sh("cmake --version | head -1"),
        "openblas": (sh("dpkg-query -W -f='${Version}' libopenblas0-pthread") or "?") + (
            f" ({blas_config})" if blas_config else ""),
        "torch": sh(f"{args.python} -c 'import torch; print(torch.__version__)'"),
        "libtorch": sh("dpkg-query -W -f='${Version}' libtorch-dev"),
        "python": sh(f"{args.python} --version"),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "openblas_core_when_unset": blas_default or "?",
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit,
    }


REPEATS_WANTED = [5]  # set from --repeats in main(); fewer runs than this mark an entry as capped


def fmt_rate(r, capped=False):
    return (f"{r:,.0f}" + ("†" if capped else "")) if r else "-"


def fmt_mib(kib):
    return f"{kib / 1024:,.0f}" if kib else "-"


def table_rows(results):
    """One dict per (row, threads): rates, ratio, RSS, step times."""
    out = []
    for (key, threads), best in results:
        rate = {s: best[s]["samples_per_s"] for s in best}
        peers = [rate[s] for s in ("PyTorch", "libtorch") if s in rate]
        ratio = rate["keras.cpp"] / max(peers) if "keras.cpp" in rate and peers else None
        out.append({"key": key, "label": LABELS[key], "threads": threads, "rate": rate, "ratio": ratio,
                    "rss_kib": {s: best[s]["peak_rss_kib"] for s in best},
                    "step_us": {s: best[s]["step_us"] for s in best},
                    "samples": next(iter(best.values()))["samples"] if best else 0,
                    "capped": [s for s in best if len(best[s]["runs"]) < REPEATS_WANTED[0]],
                    "settings": {s: {k: best[s].get(k) for k in ("openblas_threads", "memory_format")} for s in best}})
    return out


def markdown_table(rows):
    lines = ["| workload | threads | keras.cpp samples/s | PyTorch samples/s | libtorch samples/s | "
             "keras.cpp / best peer | peak RSS MiB keras.cpp / PyTorch / libtorch |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ratio = f"**{r['ratio']:.2f}×**" if r["ratio"] else "-"
        rss = " / ".join(fmt_mib(r["rss_kib"].get(s)) for s in SYSTEMS)
        lines.append(f"| {r['label']} | {r['threads']} | " + " | ".join(fmt_rate(r["rate"].get(s), s in r["capped"]) for s in SYSTEMS) +
                     f" | {ratio} | {rss} |")
    return "\n".join(lines)


def text_table(rows):
    head = f"{'workload':<28} {'thr':>3} {'keras.cpp':>12} {'PyTorch':>12} {'libtorch':>12} {'ratio':>7}  " \
           f"{'RSS MiB k/P/l':>15}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r['ratio']:7.2f}" if r["ratio"] else "      -"
        rss = "/".join(fmt_mib(r["rss_kib"].get(s)) for s in SYSTEMS)
        lines.append(f"{r['label']:<28} {r['threads']:>3} " + " ".join(f"{fmt_rate(r['rate'].get(s), s in r['capped']):>12}" for s in SYSTEMS)
                     + f" {ratio}  {rss:>15}")
    return "\n".join(lines)


def step_table(rows, markdown):
    """Batch-1 rows as microseconds per step: the issue states those targets in µs."""
    picked = [r for r in rows if r["key"] in ("seed_train_b1", "seed_predict_b1")]
    if not picked:
        return ""
    fmt = lambda us: f"{us:,.2f}" if us else "-"
    if markdown:
        lines = ["| batch-1 step | threads | keras.cpp µs | PyTorch µs | libtorch µs |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {r['label']} | {r['threads']} | " + " | ".join(fmt(r["step_us"].get(s)) for s in SYSTEMS) + " |"
                  for r in picked]
    else:
        lines = [f"{'batch-1 step (µs)':<28} {'thr':>3} {'keras.cpp':>12} {'PyTorch':>12} {'libtorch':>12}"]
        lines += [f"{r['label']:<28} {r['threads']:>3} " + " ".join(f"{fmt(r['step_us'].get(s)):>12}" for s in SYSTEMS)
                  for r in picked]
    return "\n".join(lines)


def targets(rows):
    """issue #7's targets, checked per thread count: (text, met)."""
    checks = []
    by = {(r["key"], r["threads"]): r for r in rows}
    for threads in sorted({r["threads"] for r in rows}):
        for key, minimum in RATIO_TARGETS:
            r = by.get((key, threads))
            if r and r["ratio"]:
                checks.append((f"{LABELS[key]}, {threads} thr: {r['ratio']:.2f}× the best peer (target ≥ {minimum}×)",
                               r["ratio"] >= minimum))
        for key, limit in (("seed_train_b1", 2.0), ("seed_predict_b1", 0.5)):
            r = by.get((key, threads))
            if r and "keras.cpp" in r["step_us"]:
                us = r["step_us"]["keras.cpp"]
                checks.append((f"{LABELS[key]}, {threads} thr: {us:.2f} µs per step (target ≤ {limit} µs)", us <= limit))
        seed_rss = [r["rss_kib"]["keras.cpp"] for r in rows
                    if r["threads"] == threads and r["key"].startswith("seed_train") and "keras.cpp" in r["rss_kib"]]
        if seed_rss:
            mib = max(seed_rss) / 1024
            checks.append((f"seed training peak RSS, {threads} thr: {mib:.1f} MiB (target ≤ 40 MiB)", mib <= 40))
    return checks


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("run_bench.py: matplotlib missing (Debian: python3-matplotlib); no plot", file=sys.stderr)
        return False
    thread_counts = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(len(thread_counts), 1, figsize=(12, 4.2 * len(thread_counts)), squeeze=False)
    colors = {"keras.cpp": "#d62728", "PyTorch": "#1f77b4", "libtorch": "#2ca02c"}
    for ax, threads in zip(axes[:, 0], thread_counts):
        sub = [r for r in rows if r["threads"] == threads]
        width = 0.27
        for i, system in enumerate(SYSTEMS):
            xs = [j + (i - 1) * width for j in range(len(sub))]
            ys = [r["rate"].get(system, 0) for r in sub]
            ax.bar(xs, ys, width, label=system, color=colors[system])
        for j, r in enumerate(sub):
            if r["ratio"] and r["rate"].get("keras.cpp"):
                ax.annotate(f"{r['ratio']:.2f}×", (j - width, r["rate"]["keras.cpp"]), ha="center", va="bottom",
                            fontsize=7, xytext=(0, 2), textcoords="offset points")
        ax.set_yscale("log")
        ax.set_xticks(range(len(sub)))
        ax.set_xticklabels([r["label"].replace(", ", "\n") for r in sub], fontsize=8)
        ax.set_ylabel("samples/s (log)")
        ax.set_title(f"{threads} thread{'s' if threads > 1 else ''}: samples/s, higher is better "
                     "(label: keras.cpp / best peer)")
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def sample_note(rows, quick):
    notes = []
    for key, workload, mode, batch, samples, quick_samples in ROWS:
        n = quick_samples if quick else samples
        if any(r["key"] == key for r in rows) and n and n < EPOCH[workload]:
            notes.append(f"{LABELS[key]}: {n:,} samples per timed run (of a {EPOCH[workload]:,}-sample epoch)")
    return notes


def write_doc(path, rows, info, args, png_name, elapsed):
    text = open(path).read() if os.path.exists(path) else "<!-- bench:begin -->\n<!-- bench:end -->\n"
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        print(f"run_bench.py: {path} lacks the {begin} / {end} markers; not updated", file=sys.stderr)
        return
    checks = targets(rows)
    body = [begin, "<!-- Generated by bench/run_bench.py: edits here are overwritten by the next `make bench`. -->", "",
            f"Run: `{args.command}` on {info['date']}, commit {info['commit']}, {elapsed / 60:.0f} minutes in all. "
            f"Median of ≥ {args.repeats} timed runs (each ≥ {args.min_time} s or one epoch) after one warm-up run.", "",
            markdown_table(rows), "", step_table(rows, True), "",
            f"![samples/s per workload, log scale]({png_name})", "",
            "Samples per timed run, where fewer than an epoch (the same for the three systems):", ""]
    body += [f"- {n}" for n in sample_note(rows, args.quick)] or ["- none"]
    if any(r["capped"] for r in rows):
        body += ["", f"† fewer than {args.repeats} timed runs: the measurement reached the {args.max_time:g}-second cap "
                 "(`BENCH_MAX_TIME`) first; the median of the runs it made."]
    body += ["", "Peers' best settings (OpenBLAS threads, memory format) per row are in `performance.json`.", "",
             "Issue #7's targets in this run:", ""]
    body += [f"- {'met' if ok else '**missed**'}: {t}" for t, ok in checks]
    body += ["", "Machine and versions:", "",
             f"- CPU: {info['cpu']}, {info['cpus']} CPUs ({info['cores_per_socket']} cores × "
             f"{info['threads_per_core']} thread(s) per core), hypervisor {info['hypervisor']}; {info['os']}, "
             f"Linux {info['kernel']}",
             f"- {info['gcc']}; {info['cmake']}",
             f"- OpenBLAS {info['openblas']}, OPENBLAS_CORETYPE={info['openblas_coretype']} "
             f"(without it OpenBLAS picks its {info['openblas_core_when_unset']} kernels on this CPU)",
             f"- PyTorch {info['torch']} ({info['python']}); libtorch {info['libtorch']} (Debian packages)",
             f"- load average during the run: {info['load_average']} — other jobs shared the cores",
             end]
    start, stop = text.index(begin), text.index(end) + len(end)
    with open(path, "w") as f:
        f.write(text[:start] + "\n".join(body) + text[stop:])


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    wanted = set(args.workloads.split())
    rows = [r for r in ROWS if not wanted or r[0] in wanted or r[1] in wanted]
    REPEATS_WANTED[0] = args.repeats
    thread_counts = [int(t) for t in args.threads.split()]
    started, load_before = time.time(), os.getloadavg()[0]
    results, all_variants = [], []
    for row in rows:
        for threads in thread_counts:
            print(f"{LABELS[row[0]]}, {threads} thread(s):", file=sys.stderr, flush=True)
            best, variants = measure(args, row, threads)
            all_variants += variants
            if best:
                results.append(((row[0], threads), best))
    elapsed = time.time() - started
    rows_out = table_rows(results)
    info = machine_info(args)
    info["load_average"] = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-minute)"

    print()
    print(f"keras.cpp vs PyTorch vs libtorch: samples/s (median), higher is better; ratio = keras.cpp / best peer")
    print(f"{info['cpu']}, {info['cpus']} CPUs; OpenBLAS {info['openblas']}; PyTorch {info['torch']}; "
          f"OPENBLAS_CORETYPE={info['openblas_coretype']}; commit {info['commit']}; load {info['load_average']}")
    print(text_table(rows_out))
    print()
    print(step_table(rows_out, False))
    for n in sample_note(rows_out, args.quick):
        print(f"note: {n}")
    if any(r["capped"] for r in rows_out):
        print(f"† fewer than {args.repeats} timed runs: the {args.max_time:g} s cap (BENCH_MAX_TIME) was reached first")
    print("\nissue #7 targets:")
    for t, ok in targets(rows_out):
        print(f"  [{'met' if ok else 'MISSED'}] {t}")

    with open(os.path.join(args.out, "performance.json"), "w") as f:
        json.dump({"machine": info, "repeats": args.repeats, "min_time_s": args.min_time, "quick": args.quick,
                   "elapsed_s": elapsed, "rows": rows_out, "runs": all_variants}, f, indent=1)
    with open(os.path.join(args.out, "performance.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "threads", "samples_per_run"] + [f"{s} samples/s" for s in SYSTEMS] +
                   ["ratio keras.cpp / best peer"] + [f"{s} peak RSS KiB" for s in SYSTEMS] +
                   [f"{s} step us" for s in SYSTEMS])
        for r in rows_out:
            w.writerow([r["key"], r["threads"], r["samples"]] + [f"{r['rate'].get(s, 0):.1f}" for s in SYSTEMS] +
                       [f"{r['ratio']:.3f}" if r["ratio"] else ""] + [r["rss_kib"].get(s, "") for s in SYSTEMS] +
                       [f"{r['step_us'].get(s, 0):.3f}" for s in SYSTEMS])
    png = os.path.join(args.out, "performance.png")
    plot(rows_out, png)
    if args.doc:
        write_doc(args.doc, rows_out, info, args, os.path.relpath(png, os.path.dirname(args.doc)), elapsed)
    print(f"\nresults: {args.out}/performance.json, performance.csv, performance.png"
          + (f"; {args.doc} updated" if args.doc else "") + f" ({elapsed / 60:.1f} min)")


if __name__ == "__main__":
    main()
