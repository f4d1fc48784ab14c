"""`sktransfer diagnose` at portfolio scale: wall time and peak memory.

Generates Taiwan-like credit files (the 23 numeric columns of the UCI
"default of credit card clients" table, with a covariate shift in the target:
higher limits, younger clients, more graduate schooling, later payments) of
1, 1.7, 3 and 10 million source rows and 2 million target rows, in chunks
with numpy, under a scratch folder (not the repository); runs
``python -m sktransfer diagnose`` on each as a subprocess, with and without
``--html``; measures the wall time and the peak resident memory of the child
(``resource.getrusage(RUSAGE_CHILDREN)``, one child at a time); and a file of
10,000 columns and 2,000 rows. Writes ``benchmarks/results/diagnose_scale.md``
(``diagnose_scale_quick.md`` with ``--quick``: tiny files, well under a
minute) and deletes the generated files.

    python benchmarks/bench_diagnose_scale.py [--quick] [--sizes 1000000 1700000 ...]
"""

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
COLUMNS = (["LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE"]
           + ["PAY_0"] + [f"PAY_{i}" for i in range(2, 7)]
           + [f"BILL_AMT{i}" for i in range(1, 7)] + [f"PAY_AMT{i}" for i in range(1, 7)]
           + ["default"])
_CHUNK = 250_000


def _taiwan_chunk(rng, n, shift):
    """``n`` rows resembling Taiwan credit; ``shift`` in [0, 1] moves the
    target population (the outcome given the features does not change)."""
    limit = np.round(np.exp(rng.normal(11.7 + 0.35 * shift, 0.75, n)), -4).clip(10_000, 1_000_000)
    sex = rng.choice([1, 2], n, p=[0.4, 0.6])
    education = rng.choice([1, 2, 3, 4], n, p=[0.35 + 0.2 * shift, 0.47 - 0.12 * shift,
                                               0.16 - 0.07 * shift, 0.02 - 0.01 * shift])
    marriage = rng.choice([1, 2, 3], n, p=[0.45, 0.53, 0.02])
    age = np.round(rng.gamma(9.0, 3.9 - 0.5 * shift, n) + 1).clip(21, 79)
    late = rng.normal(-0.2 + 0.3 * shift, 1.0, n)
    pay = [np.round(late + rng.normal(0, 0.6, n)).clip(-2, 8) for _ in range(6)]
    bills = [np.round(limit * rng.beta(1.2, 2.5, n)) for _ in range(6)]
    pay_amt = [np.round(b * rng.beta(0.6, 6.0, n)) for b in bills]
    logit = -1.6 + 0.7 * pay[0] + 0.25 * pay[1] - 0.25 * (np.log(limit) - 11.7) - 0.1 * (education == 1)
    default = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    values = [limit, sex, education, marriage, age] + pay + bills + pay_amt + [default]
    return np.column_stack(values).astype(np.int64)


def write_taiwan(path, n_rows, shift, seed):
    """Write ``n_rows`` rows in chunks (pyarrow's CSV writer when installed)."""
    rng = np.random.default_rng(seed)
    try:
        import pyarrow as pa
        import pyarrow.csv as pc
    except ImportError:
        pa = None
    with open(path, "wb") as handle:
        writer = None
        for start in range(0, n_rows, _CHUNK):
            block = _taiwan_chunk(rng, min(_CHUNK, n_rows - start), shift)
            if pa is not None:
                table = pa.table({c: block[:, j] for j, c in enumerate(COLUMNS)})
                if writer is None:
                    writer = pc.CSVWriter(handle, table.schema,
                                          write_options=pc.WriteOptions(quoting_style="none"))
                writer.write_table(table)
            else:
                if start == 0:
                    handle.write((",".join(COLUMNS) + "\n").encode())
                np.savetxt(handle, block, fmt="%d", delimiter=",")
        if writer is not None:
            writer.close()
    return path


def write_wide(path, n_rows, n_columns, shift, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_columns)).round(3)
    X[:, :10] += shift
    y = (X[:, 10] + rng.normal(size=n_rows) > 0).astype(int)
    with open(path, "w") as handle:
        handle.write(",".join([f"f{j}" for j in range(n_columns)] + ["default"]) + "\n")
        handle.writelines(",".join(f"{v:.3f}" for v in row) + f",{label}\n" for row, label in zip(X, y))
    return path


def run_diagnose(source, target, extra=(), timeout=1800):
    """Wall time, peak RSS (MiB) of the child, exit status, and its output.

    The peak is that of this child alone when ``/usr/bin/time`` is there
    (GNU time's "Maximum resident set size"), else the largest child so far
    (``getrusage(RUSAGE_CHILDREN)``)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, "-m", "sktransfer", "diagnose", str(source), str(target), "--target", "default",
               "--progress", *extra]
    gnu_time = Path("/usr/bin/time").exists()
    if gnu_time:
        command = ["/usr/bin/time", "-v", *command]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    wall = time.perf_counter() - start
    peak, own = None, False
    for line in proc.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak, own = int(line.split(":")[-1]) / 1024, True
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall": wall, "peak_mib": peak, "peak_own": own, "status": proc.returncode,
            "stdout": proc.stdout, "stderr": proc.stderr}


def _load():
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def _html_available():
    from sktransfer import diagnostics

    return hasattr(diagnostics, "render_html_report")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny files, for the smoke test")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="source rows of each case")
    parser.add_argument("--target-rows", type=int, default=None)
    parser.add_argument("--wide", action=argparse.BooleanOptionalAction, default=True,
                        help="also the 10,000-column file")
    parser.add_argument("--only-wide", action="store_true",
                        help="only the 10,000-column file (report: diagnose_scale_wide.md)")
    parser.add_argument("--html", action=argparse.BooleanOptionalAction, default=True,
                        help="also each case with --html")
    parser.add_argument("--scratch", default=None, help="folder of the generated files (default: a temp dir)")
    parser.add_argument("--results-dir", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if args.quick:
        sizes, n_target, wide = args.sizes or [3_000, 6_000], args.target_rows or 2_000, (300, 400)
        sample = ["--sample", "2000"]  # smaller than the files: the streaming path runs
    else:
        sizes = args.sizes or [1_000_000, 1_700_000, 3_000_000, 10_000_000]
        n_target, wide, sample = args.target_rows or 2_000_000, (2_000, 10_000), []
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="sktransfer_diagnose_scale_"))
    scratch.mkdir(parents=True, exist_ok=True)
    html = args.html and _html_available()
    rows, failures = [], []
    try:
        target = None if args.only_wide else write_taiwan(scratch / "target.csv", n_target, 1.0, seed=1)
        if args.only_wide:
            sizes = []
        # the largest first: where only ru_maxrss of the children is known, each later peak is a bound
        cases = sorted(sizes, reverse=True)
        for n in cases:
            t0 = time.perf_counter()
            source = write_taiwan(scratch / f"source_{n}.csv", n, 0.0, seed=0)
            gen = time.perf_counter() - t0
            size_mb = source.stat().st_size / 2**20
            for with_html in ([False, True] if html else [False]):
                extra = list(sample) + (["--html", str(scratch / "report.html")] if with_html else [])
                load = _load()
                result = run_diagnose(source, target, extra)
                rows.append((f"{n:,} x 23", f"{n_target:,}", f"{size_mb:.0f} MB", "yes" if with_html else "no",
                             result, load, gen))
                if result["status"] != 0:
                    failures.append((n, with_html, result["stderr"][-2000:]))
            source.unlink()
        if args.wide or args.only_wide:
            n_rows, n_columns = wide
            s = write_wide(scratch / "wide_source.csv", n_rows, n_columns, 0.0, seed=2)
            t = write_wide(scratch / "wide_target.csv", n_rows, n_columns, 0.5, seed=3)
            load = _load()
            result = run_diagnose(s, t, ["--sample", "2000"] if args.quick else [])
            rows.append((f"{n_rows:,} x {n_columns:,}", f"{n_rows:,}", f"{s.stat().st_size / 2**20:.0f} MB", "no",
                         result, load, 0.0))
            if result["status"] != 0:
                failures.append(("wide", False, result["stderr"][-2000:]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = _report(rows, failures, args.quick, args.only_wide)
    out = Path(args.results_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = "diagnose_scale_quick.md" if args.quick else (
        "diagnose_scale_wide.md" if args.only_wide else "diagnose_scale.md")
    (out / name).write_text(report, encoding="utf-8")
    print(report)
    return 1 if failures else 0


def _report(rows, failures, quick, wide_only=False):
    lines = [
        "# `sktransfer diagnose` at scale" + (" (quick smoke run)" if quick else ""),
        "",
        "Generated by `python benchmarks/bench_diagnose_scale.py" + (" --quick" if quick else "")
        + (" --only-wide" if wide_only else "") + "`.",
        f"Machine: {os.cpu_count()} cores, shared with other sessions (load average 1/5/15 min in the table,",
        "read just before each run). One child at a time; BLAS/OpenMP threads 1. pyarrow: "
        + ("installed" if _has_pyarrow() else "not installed (pandas chunks)") + ".",
        "Peak memory: the child's maximum resident set size (GNU `/usr/bin/time -v`; '<=' where only",
        "`getrusage(RUSAGE_CHILDREN)`, the largest child so far, was available). Stages: seconds spent in",
        "each stage of the `--progress` lines (import and startup are the rest of the wall time).",
        "",
        "| source rows x columns | target rows | source file | --html | wall time | peak memory | load avg | stages (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for shape, n_target, size, html, result, load, _ in rows:
        peak = f"{result['peak_mib']:.0f} MiB" if result["peak_own"] else f"<= {result['peak_mib']:.0f} MiB"
        stages = _stages(result["stderr"])
        status = "" if result["status"] == 0 else f" (exit {result['status']})"
        lines.append(f"| {shape} | {n_target} | {size} | {html} | {result['wall']:.1f} s{status} | {peak} | "
                     f"{load} | {stages} |")
    shown = next((r for r in rows if r[4]["status"] == 0 and r[3] == "no"), None)
    if shown is not None:
        lines += ["", f"## What the user sees ({shown[0]} source rows)", "", "```",
                  shown[4]["stdout"].rstrip(), "```"]
    if failures:
        lines += ["", "## Errors", ""]
        for n, html, err in failures:
            lines += [f"### {n} rows, html={html}", "", "```", err, "```", ""]
    lines.append("")
    return "\n".join(lines)


_STAGE_NAMES = (("reading the source", "read source"), ("reading the target", "read target"),
                ("drift", "drift"), ("domain classifier", "domain clf"),
                ("importance weighting", "weighting"), ("estimating", "estimates"),
                ("writing the HTML", "html"))


def _stages(stderr):
    """Seconds spent in each stage, from the ``[  12.3 s] stage`` progress lines."""
    marks = []
    for line in stderr.splitlines():
        line = line.split("\r")[-1].strip()
        if not (line.startswith("[") and "s]" in line):
            continue
        stamp, text = line[1:].split("s]", 1)
        text = text.strip()
        name = next((short for prefix, short in _STAGE_NAMES if text.startswith(prefix)), text)
        marks.append((name, float(stamp)))
    spent = {}
    for (name, at), (_, after) in itertools.pairwise(marks):
        spent[name] = spent.get(name, 0.0) + after - at
    return ", ".join(f"{name} {seconds:.0f}" for name, seconds in spent.items())


def _has_pyarrow():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
