"""A small harness that runs domain-adaptation methods side by side.

Every method is a *factory* returning an unfitted estimator (usually a
pipeline), so that each task gets a fresh one. All methods of a run see the
same tasks (the same source/target splits), are fitted on the same stacked
data, and are scored on the same target rows:

- sktransfer methods get ``fit(X, y)`` with the target labels masked (``-1``),
  nothing else: the zero-configuration path of a user. They run with sklearn's
  metadata routing **off**, the default of a user who has not imported skada;
- skada methods get ``fit(X, y, sample_domain=...)`` (positive ids for source
  rows, negative for target rows, skada's convention) and run with routing
  **on**, which skada needs.

Importing skada switches sklearn's metadata routing on for the whole process
(``skada/__init__.py`` calls ``sklearn.set_config``). :func:`optional_skada`
imports it lazily and puts the setting back, and every fit runs inside
``sklearn.config_context`` with the setting its library expects, so the order
in which methods run cannot change a result.

The report is markdown: :func:`write_report` writes it to
``<results_dir>/<name>.md`` (atomically) and prints it.
"""

import os
import platform
import statistics
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import sklearn

SOURCE_ID, TARGET_ID, MASKED = 1, -1, -1

_UNSET = object()
_skada = _UNSET


def optional_skada():
    """Import skada if it is installed, leaving sklearn's configuration as it was.

    Returns
    -------
    module or None
        The ``skada`` module, or None when it is not installed.
    """
    global _skada
    if _skada is _UNSET:
        routing = sklearn.get_config()["enable_metadata_routing"]
        try:
            import skada
        except ImportError:
            skada = None
        finally:
            sklearn.set_config(enable_metadata_routing=routing)
        _skada = skada
    return _skada


def skada_version():
    skada = optional_skada()
    return getattr(skada, "__version__", "?") if skada is not None else "not installed"


@dataclass(frozen=True)
class Method:
    """A named method: ``factory()`` returns a fresh unfitted estimator.

    ``library`` decides the calling convention: ``"sktransfer"`` (fit on
    ``X, y`` with masked target labels, routing off) or ``"skada"`` (fit with
    ``sample_domain``, routing on).
    """

    name: str
    factory: Callable[[], Any]
    library: str = "sktransfer"

    def __post_init__(self):
        if self.library not in ("sktransfer", "skada"):
            raise ValueError(f"library must be 'sktransfer' or 'skada', got {self.library!r}")

    @property
    def routing(self):
        return self.library == "skada"


@dataclass(frozen=True)
class Task:
    """One transfer task: labelled source rows, target rows with held-out labels."""

    name: str
    Xs: np.ndarray
    ys: np.ndarray
    Xt: np.ndarray
    yt: np.ndarray


@dataclass
class Results:
    """Target accuracy and fit time of every (task, method) pair."""

    tasks: list
    methods: list
    accuracy: dict = field(default_factory=dict)  # (task, method) -> float or None
    fit_time: dict = field(default_factory=dict)  # (task, method) -> seconds
    errors: dict = field(default_factory=dict)  # (task, method) -> message

    def mean_accuracy(self, method):
        values = [self.accuracy.get((t, method)) for t in self.tasks]
        if any(v is None for v in values):
            return None
        return float(np.mean(values))

    def total_fit_time(self, method):
        return float(sum(self.fit_time.get((t, method), 0.0) for t in self.tasks))


def _stack(task):
    X = np.concatenate([task.Xs, task.Xt])
    y = np.concatenate([np.asarray(task.ys), np.full(len(task.Xt), MASKED, dtype=np.asarray(task.ys).dtype)])
    sample_domain = np.concatenate(
        [np.full(len(task.Xs), SOURCE_ID), np.full(len(task.Xt), TARGET_ID)]
    )
    return X, y, sample_domain


def fit_predict(method, task):
    """Fit ``method`` on ``task`` and predict its target rows.

    Returns
    -------
    y_pred : ndarray of shape (n_target,)
    fit_seconds : float
    """
    X, y, sample_domain = _stack(task)
    with sklearn.config_context(enable_metadata_routing=method.routing):
        estimator = method.factory()
        if method.library == "skada":
            start = time.perf_counter()
            estimator.fit(X, y, sample_domain=sample_domain)
            fit_seconds = time.perf_counter() - start
            y_pred = estimator.predict(task.Xt, sample_domain=np.full(len(task.Xt), TARGET_ID))
        else:
            start = time.perf_counter()
            estimator.fit(X, y)
            fit_seconds = time.perf_counter() - start
            y_pred = estimator.predict(task.Xt)
    return np.asarray(y_pred), fit_seconds


def run_tasks(tasks, methods, *, verbose=True):
    """Run every method on every task.

    A method that fails on a task is recorded as an error (shown in the table)
    and the run goes on.

    Parameters
    ----------
    tasks : list of Task
    methods : list of Method

    Returns
    -------
    Results
    """
    results = Results(tasks=[t.name for t in tasks], methods=[m.name for m in methods])
    for task in tasks:
        for method in methods:
            key = (task.name, method.name)
            try:
                y_pred, seconds = fit_predict(method, task)
            except Exception as exc:  # keep the run going, report the failure
                results.accuracy[key] = None
                results.errors[key] = f"{type(exc).__name__}: {exc}"
                if verbose:
                    print(f"  {task.name:>8}  {method.name}: FAILED\n{traceback.format_exc()}", flush=True)
                continue
            results.accuracy[key] = float(np.mean(y_pred == np.asarray(task.yt)))
            results.fit_time[key] = seconds
            if verbose:
                print(
                    f"  {task.name:>8}  {method.name:<40} acc {100 * results.accuracy[key]:5.1f}%"
                    f"  fit {seconds:7.3f}s",
                    flush=True,
                )
    return results


def _pct(value, decimals=1):
    return "error" if value is None else f"{100 * value:.{decimals}f}"


def accuracy_table(results, *, best=True, decimals=1):
    """Markdown table: one row per task, one column per method, then the mean
    target accuracy (%) and the total fit time (s). The best mean is bold.

    Task cells get ``decimals`` decimals, the mean at least two."""
    header = "| task | " + " | ".join(results.methods) + " |"
    rule = "|---|" + "---:|" * len(results.methods)
    lines = [header, rule]
    for task in results.tasks:
        cells = [_pct(results.accuracy.get((task, m)), decimals) for m in results.methods]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    means = [results.mean_accuracy(m) for m in results.methods]
    top = max((v for v in means if v is not None), default=None)
    cells = []
    mean_decimals = max(decimals, 2)
    for value in means:
        # at least two decimals on the mean: ties at one decimal are common between close methods
        cell = "error" if value is None else f"{100 * value:.{mean_decimals}f}"
        if (best and value is not None and top is not None
                and round(100 * value, mean_decimals) == round(100 * top, mean_decimals)):
            cell = f"**{cell}**"
        cells.append(cell)
    lines.append("| **mean** | " + " | ".join(cells) + " |")
    lines.append(
        "| fit time (s, all tasks) | "
        + " | ".join(f"{results.total_fit_time(m):.2f}" for m in results.methods)
        + " |"
    )
    if results.errors:
        lines.append("")
        for (task, method), message in results.errors.items():
            lines.append(f"- {method} failed on {task}: `{message[:300]}`")
    return "\n".join(lines)


def run_with_blas_threads(run, args, limit):
    """``run(args)``, with the BLAS/OpenMP thread pools limited to ``limit``
    threads (threadpoolctl) when ``limit`` is a positive number; None or 0
    leaves the pools as they are."""
    if not limit:
        return run(args)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit):
        return run(args)


def time_callable(fn, *, repeats=5, warmup=1):
    """Wall-clock seconds of ``repeats`` calls of ``fn()`` (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def timing_table(rows):
    """Markdown table of timings: rows are ``(name, times)``; median, min and every run."""
    lines = ["| operation | median (s) | min (s) | runs (s) |", "|---|---:|---:|---|"]
    for name, times in rows:
        runs = ", ".join(f"{t:.3f}" for t in times)
        lines.append(f"| {name} | {statistics.median(times):.4f} | {min(times):.4f} | {runs} |")
    return "\n".join(lines)


def environment_summary():
    """Markdown bullet list: versions, CPU, BLAS (threadpoolctl) and thread settings."""
    import scipy

    lines = [
        f"- Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, skada {skada_version()}",
        f"- {platform.platform()}, {os.cpu_count()} CPU(s) visible"
        + (f", {len(os.sched_getaffinity(0))} usable" if hasattr(os, "sched_getaffinity") else ""),
    ]
    max_threads = 1
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                max_threads = max(max_threads, pool.get("num_threads", 1))
            lines.append(
                "- threadpool: {user_api}/{internal_api} {version}, {num_threads} thread(s), "
                "architecture {architecture}, threading layer {threading_layer}".format(
                    **{k: pool.get(k, "?") for k in (
                        "user_api", "internal_api", "version", "num_threads",
                        "architecture", "threading_layer")}
                )
            )
    except ImportError:
        lines.append("- threadpoolctl not installed: BLAS not recorded")
    env = [f"{k}={os.environ[k]}" for k in (
        "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"
    ) if k in os.environ]
    lines.append("- environment: " + (", ".join(env) if env else "no BLAS/OpenMP variables set"))
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
        lines.append(f"- load average when the report was made (1, 5, 15 min): {load}")
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if max_threads > 1 and cpus and os.getloadavg()[0] > cpus - 0.5:
            lines.append(
                f"- **warning**: the machine was busy (load {os.getloadavg()[0]:.1f} on {cpus} CPU(s)). "
                "Multi-threaded BLAS slows down erratically when its threads share cores with "
                "other processes; prefer timings taken with one BLAS thread (`--blas-threads 1`)."
            )
    return "\n".join(lines)


def write_report(name, text, results_dir):
    """Write ``text`` to ``<results_dir>/<name>.md`` atomically and print it.

    Returns
    -------
    path : pathlib.Path
    """
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.md"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    os.replace(tmp, path)
    print(text)
    print(f"\n[written to {path}]")
    return path
