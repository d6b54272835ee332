#!/usr/bin/env python3
"""Check that files written by keras.cpp load in Python Keras 3 and behave like the originals.

For every fixture case (tests/data/keras/<case>/, written by a real Keras), this script
  1. loads the fixture's own model.keras and model.h5 in Python Keras (a check of the Python
     environment itself: if these fail, nothing below means anything);
  2. has keras.cpp convert the fixture's model.keras into a .keras archive, a legacy .h5 and a
     .weights.h5 + JSON config (`keras-cpp convert`; for cases the CLI cannot open, such as a
     custom layer or a Python Lambda, an optional --custom-writer program with the same
     `convert IN OUT` interface that registers them);
  3. loads each written file in Python Keras (load_model; model_from_json + load_weights; the
     written .weights.h5 also into the fixture's own Python-built model), predicts on x.npy,
     compares with y_pred.npy (|got - want| <= 1e-5 * max(1, |want|)) and compares
     model.summary() with summary.txt.

Keras is found through PYTHONPATH (a Keras 3 checkout or an installed keras); the backend
defaults to numpy. Example:

    KERAS_BACKEND=numpy PYTHONPATH=/path/to/keras:/path/to/deps \\
        python3 scripts/verify_with_python_keras.py --keras-cpp build/tools/keras-cpp

Exit status: 0 when every keras.cpp-written file passed, 1 otherwise.
"""
import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import traceback

os.environ.setdefault("KERAS_BACKEND", "numpy")
# The fixtures' summaries were printed on a wide terminal; rich and Keras both read COLUMNS.
os.environ["COLUMNS"] = "200"

import numpy as np  # noqa: E402

import keras  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@keras.saving.register_keras_serializable(package="oracle")
class MyLayer(keras.layers.Layer):
    """The fixtures' custom layer: out = prod(x * w_vec, axis=-1, keepdims=True)."""

    def __init__(self, w_init=None, trainable_w=True, **kwargs):
        super().__init__(**kwargs)
        self.w_init = w_init
        self.trainable_w = trainable_w

    def build(self, input_shape):
        if self.w_init is not None:
            init = keras.initializers.Constant(self.w_init)
        else:
            init = keras.initializers.RandomNormal(stddev=1.0, seed=7)
        self.w_vec = self.add_weight(
            name="w_vec",
            shape=(1, input_shape[-1]),
            initializer=init,
            trainable=self.trainable_w,
        )

    def call(self, x):
        return keras.ops.prod(x * self.w_vec, axis=-1, keepdims=True)

    def get_config(self):
        return {
            **super().get_config(),
            "w_init": self.w_init,
            "trainable_w": self.trainable_w,
        }


def scale_shift(t):
    """The lambda_model's Lambda body, as a named function."""
    return t * 2.0 + 1.0


CUSTOM_OBJECTS = {"scale_shift": scale_shift}


def last_line(exc, limit=240):
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def summary_text(model):
    parts = []
    model.summary(print_fn=lambda s, **_: parts.append(s))
    return "".join(parts)


def first_difference(got, want):
    g, w = got.splitlines(), want.splitlines()
    for i in range(max(len(g), len(w))):
        a = g[i] if i < len(g) else "<missing>"
        b = w[i] if i < len(w) else "<missing>"
        if a.rstrip() != b.rstrip():
            return f"line {i + 1}: got {a!r}, want {b!r}"
    return "trailing whitespace/newlines only"


def load_inputs(case_dir):
    if os.path.exists(os.path.join(case_dir, "x.npy")):
        return [np.load(os.path.join(case_dir, "x.npy"))]
    xs, i = [], 0
    while os.path.exists(os.path.join(case_dir, f"x{i}.npy")):
        xs.append(np.load(os.path.join(case_dir, f"x{i}.npy")))
        i += 1
    return xs


class Check:
    """One loaded file: load / predict / summary outcome."""

    def __init__(self, case, label, writer="python"):
        self.case, self.label, self.writer = case, label, writer
        self.load = self.predict = self.summary = "-"
        self.notes = []

    @property
    def ok(self):
        return (
            self.load == "ok"
            and self.predict.startswith("ok")
            and self.summary in ("ok", "n/a")
        )


def evaluate(check, load_fn, case_dir, compare_summary=True):
    try:
        model = load_fn()
        check.load = "ok"
    except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
        check.load = "FAIL"
        check.notes.append(last_line(e))
        check.traceback = traceback.format_exc()
        return None
    try:
        xs = load_inputs(case_dir)
        want = np.load(os.path.join(case_dir, "y_pred.npy"))
        got = np.asarray(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
        if got.shape != want.shape:
            check.predict = f"FAIL shape {got.shape} vs {want.shape}"
        else:
            err = np.abs(got.astype(np.float64) - want)
            tol = 1e-5 * np.maximum(1.0, np.abs(want))
            rel = float(np.max(err / np.maximum(1.0, np.abs(want))))
            check.predict = (
                f"ok ({rel:.1e})" if np.all(err <= tol) else f"FAIL ({rel:.1e})"
            )
    except Exception as e:  # noqa: BLE001
        check.predict = "FAIL"
        check.notes.append("predict: " + last_line(e))
        check.traceback = traceback.format_exc()
    if compare_summary:
        want_summary = open(os.path.join(case_dir, "summary.txt")).read()
        got_summary = summary_text(model)
        if got_summary == want_summary:
            check.summary = "ok"
        else:
            check.summary = "FAIL"
            check.notes.append("summary " + first_difference(got_summary, want_summary))
    else:
        check.summary = "n/a"
    return model


def load_model(path, safe_mode=True):
    return keras.saving.load_model(
        path, custom_objects=CUSTOM_OBJECTS, compile=False, safe_mode=safe_mode
    )


def load_json_and_weights(json_path, weights_path):
    with open(json_path) as f:
        model = keras.models.model_from_json(f.read(), custom_objects=CUSTOM_OBJECTS)
    model.load_weights(weights_path)
    return model


def run_writer(tools, src, dst):
    """Runs each writer in turn; returns (writer name, None) or (None, error text)."""
    errors = []
    for name, exe in tools:
        if not exe:
            continue
        try:
            r = subprocess.run(
                [exe, "convert", src, dst] if name == "keras-cpp" else [exe, src, dst],
                capture_output=True,
                text=True,
            )
        except OSError as e:
            errors.append(f"{name}: {e}")
            continue
        if r.returncode == 0 and os.path.exists(dst):
            return name, None
        errors.append(f"{name}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1:] or ''}")
    return None, "; ".join(errors)


def verify_case(case, case_dir, work, tools, lambda_unsafe):
    checks = []
    src = os.path.join(case_dir, "model.keras")
    is_lambda = case == "lambda_model"

    # 1. The Python-written originals: does this Keras reproduce the fixture at all?
    for fname in ("model.keras", "model.h5"):
        c = Check(case, f"fixture {fname}")
        path = os.path.join(case_dir, fname)
        evaluate(c, lambda p=path: load_model(p), case_dir)
        if is_lambda and c.load == "FAIL" and lambda_unsafe:
            c.notes.append("safe_mode=True refused; retried with safe_mode=False")
            c.load = "-"
            evaluate(c, lambda p=path: load_model(p, safe_mode=False), case_dir)
        checks.append(c)

    # 2. keras.cpp writes the three formats.
    out_dir = os.path.join(work, case)
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for fname in ("cpp.keras", "cpp.h5", "cpp.weights.h5"):
        dst = os.path.join(out_dir, fname)
        stale = [dst] + ([os.path.join(out_dir, "cpp.json")] if fname == "cpp.weights.h5" else [])
        for p in stale:
            if os.path.exists(p):
                os.remove(p)
        writer, err = run_writer(tools, src, dst)
        if writer is None:
            c = Check(case, f"keras.cpp {fname}", "none")
            c.load = "NOT WRITTEN"
            c.notes.append(err)
            checks.append(c)
        else:
            written[fname] = (dst, writer)

    # 3. Python Keras loads what keras.cpp wrote.
    for fname in ("cpp.keras", "cpp.h5"):
        if fname in written:
            path, writer = written[fname]
            c = Check(case, f"keras.cpp {fname}", writer)
            evaluate(c, lambda p=path: load_model(p), case_dir)
            checks.append(c)
    if "cpp.weights.h5" in written:
        path, writer = written["cpp.weights.h5"]
        json_path = os.path.join(out_dir, "cpp.json")
        c = Check(case, "keras.cpp cpp.weights.h5 + cpp.json", writer)
        evaluate(c, lambda: load_json_and_weights(json_path, path), case_dir)
        checks.append(c)

        def into_fixture_model(p=path):
            model = load_model(src, safe_mode=not (is_lambda and lambda_unsafe))
            model.load_weights(p)
            return model

        c = Check(case, "keras.cpp cpp.weights.h5 -> fixture model", writer)
        if is_lambda and not lambda_unsafe:
            # The fixture's own model holds Python bytecode: Keras refuses it in safe mode.
            c.load = c.predict = c.summary = "skipped"
            c.notes.append("fixture model needs safe_mode=False; see --lambda-unsafe")
        else:
            evaluate(c, into_fixture_model, case_dir, compare_summary=False)
        checks.append(c)
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fixtures", default=os.path.join(REPO, "tests", "data", "keras")
    )
    parser.add_argument(
        "--keras-cpp", default=os.path.join(REPO, "build", "tools", "keras-cpp")
    )
    parser.add_argument(
        "--custom-writer",
        help="program run as `PROG IN OUT` when keras-cpp convert fails "
        "(registers the fixtures' custom layer and Lambda function)",
    )
    parser.add_argument("--work", help="folder for the written files (default: a temp dir)")
    parser.add_argument("--cases", nargs="*", help="only these cases")
    parser.add_argument(
        "--lambda-unsafe",
        action="store_true",
        help="retry the Python-written lambda fixture with safe_mode=False "
        "(executes the fixture's Python bytecode)",
    )
    parser.add_argument("--tracebacks", action="store_true")
    args = parser.parse_args()

    if not os.path.isdir(args.fixtures):
        sys.exit(f"fixtures folder missing: {args.fixtures}")
    tools = [("keras-cpp", args.keras_cpp), ("custom-writer", args.custom_writer)]
    work = args.work or tempfile.mkdtemp(prefix="keras_interop_")
    cases = args.cases or sorted(
        d for d in os.listdir(args.fixtures)
        if os.path.exists(os.path.join(args.fixtures, d, "model.keras"))
    )
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"numpy {np.__version__}; files in {work}\n")

    all_checks = []
    for case in cases:
        with contextlib.redirect_stderr(io.StringIO()):
            all_checks += verify_case(
                case, os.path.join(args.fixtures, case), work, tools, args.lambda_unsafe
            )

    print("| case | file | written by | load | predict (max rel err) | summary | notes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for c in all_checks:
        notes = "; ".join(n.replace("|", "\\|") for n in c.notes)
        print(f"| {c.case} | {c.label} | {c.writer} | {c.load} | {c.predict} "
              f"| {c.summary} | {notes} |")
    if args.tracebacks:
        for c in all_checks:
            if getattr(c, "traceback", None):
                print(f"\n### {c.case} / {c.label}\n```\n{c.traceback}```")

    ours = [
        c for c in all_checks
        if c.label.startswith("keras.cpp") and c.load != "skipped"
    ]
    failed = [c for c in ours if not c.ok]
    print(f"\nkeras.cpp-written files: {len(ours) - len(failed)}/{len(ours)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
