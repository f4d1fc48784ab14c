"""drift_report at scale: time and peak memory, in memory vs streaming vs Dask.

Taiwan-like stacked data (the 23 features of the Taiwan credit-card file:
LIMIT_BAL, SEX, EDUCATION, MARRIAGE, AGE, PAY_0, PAY_2..PAY_6, BILL_AMT1..6,
PAY_AMT1..6; integer codes for the categorical-looking and repayment-status
columns, log-normal amounts), 80 % source and 20 % target rows, the target
shifted on a few features. For each size (1 and 5 million rows by default),
three ways of computing the same report, each in a fresh subprocess so that
its peak resident memory (``ru_maxrss``) is its own:

- ``in memory``: a pandas DataFrame, ``drift_report(..., streaming=False)``
  (one column at a time, exact quantiles and ``scipy.stats.ks_2samp``);
- ``streaming``: the same DataFrame, ``streaming=True`` (chunks of about 4
  million values; bin edges from 100,000-row samples, histograms);
- ``dask``: a Dask array whose blocks are generated when read (the rows are
  never all in memory), ``streaming="auto"``, Dask's synchronous scheduler.

The report gives the wall time of ``drift_report``, the peak of the numpy
allocations during it (tracemalloc), the resident memory before the call
(the data) and the peak resident memory of the process, and how far the
streamed PSI and KS statistics are from the in-memory ones (with the KS
error bound that the streaming report gives).

Usage::

    python benchmarks/bench_diagnostics_api_scale.py            # 1M and 5M rows
    python benchmarks/bench_diagnostics_api_scale.py --quick    # 40,000 and 80,000 rows, seconds
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

COLUMNS = (["LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE", "PAY_0"]
           + [f"PAY_{k}" for k in range(2, 7)] + [f"BILL_AMT{k}" for k in range(1, 7)]
           + [f"PAY_AMT{k}" for k in range(1, 7)])
BLOCK_ROWS = 250_000
TARGET_SHARE = 0.2
MODES = ("in memory", "streaming", "dask")


def block_domains(index, rows, seed=0):
    """Domain ids of one block of rows: 1 (source) or -1 (target)."""
    rng = np.random.default_rng([seed, index, 1])
    return np.where(rng.random(rows) < TARGET_SHARE, -1, 1)


def block_values(index, rows, seed=0):
    """The 23 Taiwan-like features of one block; target rows shifted."""
    rng = np.random.default_rng([seed, index, 0])
    target = block_domains(index, rows, seed) < 0
    X = np.empty((rows, len(COLUMNS)))
    X[:, 0] = np.round(np.exp(rng.normal(11.8, 0.8, rows) + 0.25 * target), -4)  # LIMIT_BAL
    X[:, 1] = rng.integers(1, 3, rows)  # SEX
    X[:, 2] = np.where(target, rng.choice([1, 2, 3, 4], rows, p=[0.5, 0.35, 0.1, 0.05]),
                       rng.choice([1, 2, 3, 4], rows, p=[0.35, 0.47, 0.16, 0.02]))  # EDUCATION
    X[:, 3] = rng.integers(1, 4, rows)  # MARRIAGE
    X[:, 4] = np.round(rng.gamma(9.0, 4.0, rows) + 18 - 3 * target)  # AGE
    status = np.clip(np.round(rng.normal(-0.3 + 0.4 * target[:, None], 1.1, (rows, 6))), -2, 8)
    X[:, 5:11] = status  # PAY_0, PAY_2..PAY_6
    bills = np.exp(rng.normal(10.0, 1.2, (rows, 1)) + rng.normal(0, 0.3, (rows, 6)))
    X[:, 11:17] = np.round(bills * (1 + 0.2 * target[:, None]))  # BILL_AMT1..6
    X[:, 17:23] = np.round(np.exp(rng.normal(7.5, 1.3, (rows, 6))))  # PAY_AMT1..6
    return X


def _blocks(n_rows):
    sizes = [BLOCK_ROWS] * (n_rows // BLOCK_ROWS)
    if n_rows % BLOCK_ROWS:
        sizes.append(n_rows % BLOCK_ROWS)
    return sizes


def in_memory_data(n_rows):
    import pandas as pd

    sizes = _blocks(n_rows)
    X = np.empty((n_rows, len(COLUMNS)))
    start = 0
    for i, rows in enumerate(sizes):
        X[start:start + rows] = block_values(i, rows)
        start += rows
    sd = np.concatenate([block_domains(i, rows) for i, rows in enumerate(sizes)])
    return pd.DataFrame(X, columns=COLUMNS, copy=False), sd


def dask_data(n_rows):
    import dask
    import dask.array as da

    sizes = _blocks(n_rows)
    blocks = [da.from_delayed(dask.delayed(block_values)(i, rows), shape=(rows, len(COLUMNS)),
                              dtype=np.float64) for i, rows in enumerate(sizes)]
    sd = np.concatenate([block_domains(i, rows) for i, rows in enumerate(sizes)])
    return da.concatenate(blocks, axis=0), sd


def _rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(n_rows, mode, out, sample_size):
    """One measurement: build the data, run drift_report once, write JSON."""
    from threadpoolctl import threadpool_limits

    from sktransfer.diagnostics import drift_report

    if mode == "dask":
        import dask

        dask.config.set(scheduler="synchronous")
        X, sd = dask_data(n_rows)
        kwargs = {"sample_size": sample_size, "feature_names": COLUMNS}
    else:
        X, sd = in_memory_data(n_rows)
        kwargs = {"streaming": mode == "streaming", "sample_size": sample_size}
    rss_before = _rss_mib()
    with threadpool_limits(limits=1):
        tracemalloc.start()
        start = time.perf_counter()
        report = drift_report(X, sample_domain=sd, **kwargs)
        seconds = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    report = report.reindex(COLUMNS)
    Path(out).write_text(json.dumps({
        "seconds": seconds,
        "traced_peak_mib": traced_peak / 2**20,
        "rss_before_mib": rss_before,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "psi": report["psi"].tolist(),
        "ks": report["ks_statistic"].tolist(),
        "ks_error_bound": [report.attrs["ks_error_bound"][c] for c in COLUMNS],
        "method": report.attrs["method"],
        "n_source": report.attrs["n_source"],
        "n_target": report.attrs["n_target"],
    }), encoding="utf-8")


def measure(n_rows, mode, tmp_dir, sample_size, in_process=False):
    out = Path(tmp_dir) / f"scale_{n_rows}_{mode.replace(' ', '_')}.json"
    if in_process:  # the quick run: no subprocess start-up, memory figures shared
        child(n_rows, mode, out, sample_size)
        result = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
        return result
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, __file__, "--child", str(n_rows), mode, str(out),
                           str(sample_size)],
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} on {n_rows} rows failed:\n{proc.stderr[-3000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return result


def report_text(results, sizes, quick, sample_size):
    from _harness import environment_summary

    lines = [
        "# drift_report at scale: in memory vs streaming vs Dask" + (" (quick run)" if quick else ""),
        "",
        "Generated by `python benchmarks/bench_diagnostics_api_scale.py"
        + (" --quick" if quick else "") + "`: Taiwan-like stacked data, 23 numeric columns, "
        + f"{int(TARGET_SHARE * 100)} % target rows, `sample_size={sample_size:,}`; "
        + ("all cells in one process (the memory figures of a quick run are not comparable), "
           if quick else "one subprocess per cell, ")
        + "one BLAS thread. "
        "*report MiB*: peak of the numpy allocations during `drift_report` (tracemalloc); "
        "*data MiB*: resident memory before the call (the data; the Dask data is not in memory); "
        "*peak RSS*: the process's peak resident memory.",
        "",
        ("| rows | mode | method | time (s) | report MiB | data MiB | peak RSS MiB | max abs PSI diff | "
         "max abs KS diff | max KS bound |"),
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n_rows in sizes:
        exact = results[(n_rows, "in memory")]
        for mode in MODES:
            r = results[(n_rows, mode)]
            psi_diff = np.max(np.abs(np.subtract(r["psi"], exact["psi"])))
            ks_diff = np.max(np.abs(np.subtract(r["ks"], exact["ks"])))
            lines.append(
                f"| {n_rows:,} | {mode} | {r['method']} | {r['seconds']:.1f} | {r['traced_peak_mib']:.0f} | "
                f"{r['rss_before_mib']:.0f} | {r['max_rss_mib']:.0f} | {psi_diff:.2e} | {ks_diff:.2e} | "
                f"{max(r['ks_error_bound']):.2e} |")
    small, large = sizes[0], sizes[-1]
    lines += ["", "## Reading", ""]
    for mode in MODES:
        a, b = results[(small, mode)], results[(large, mode)]
        lines.append(
            f"- {mode}: from {small:,} to {large:,} rows the report's own memory went from "
            f"{a['traced_peak_mib']:.0f} to {b['traced_peak_mib']:.0f} MiB, its time from "
            f"{a['seconds']:.1f} to {b['seconds']:.1f} s.")
    within = all(
        np.all(np.abs(np.subtract(results[(n, m)]["ks"], results[(n, "in memory")]["ks"]))
               <= np.asarray(results[(n, m)]["ks_error_bound"]) + 1e-12)
        for n in sizes for m in ("streaming", "dask"))
    lines.append(f"- every streamed KS statistic lies within its reported error bound of the exact one: "
                 f"{'yes' if within else 'NO'}.")
    lines += ["", "## Environment", "", environment_summary()]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="40,000 and 80,000 rows in this process (no subprocess): a smoke run")
    parser.add_argument("--rows", type=int, nargs="+", default=None, help="sizes (default 1M and 5M)")
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--blas-threads", type=int, default=1, help="accepted for the smoke-test harness")
    parser.add_argument("--sample-size", type=int, default=None,
                        help="drift_report's sample_size (default 100,000; 10,000 with --quick)")
    parser.add_argument("--child", nargs=4, metavar=("ROWS", "MODE", "OUT", "SAMPLE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(int(args.child[0]), args.child[1], args.child[2], int(args.child[3]))
        return 0
    from _harness import write_report

    sizes = args.rows or ([40_000, 80_000] if args.quick else [1_000_000, 5_000_000])
    sample_size = args.sample_size or (10_000 if args.quick else 100_000)
    results = {}
    tmp_dir = Path(args.results_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    for n_rows in sizes:
        for mode in MODES:
            results[(n_rows, mode)] = r = measure(n_rows, mode, tmp_dir, sample_size, in_process=args.quick)
            print(f"{n_rows:>10,} {mode:<10} {r['seconds']:7.1f} s  report {r['traced_peak_mib']:6.0f} MiB  "
                  f"peak RSS {r['max_rss_mib']:6.0f} MiB", flush=True)
    name = "diagnostics_api_scale_quick" if args.quick else "diagnostics_api_scale"
    write_report(name, report_text(results, sizes, args.quick, sample_size), args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
