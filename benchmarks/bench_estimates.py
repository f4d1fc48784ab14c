"""Target-performance estimates on the credit splits: label-free estimates of
the target AUC with their intervals, and prediction-powered intervals with a
few labelled target rows.

On the seven splits of ``_credit_splits.load_splits(data_home, extra=True)``
(four population shifts, three concept shifts), logistic regression and
HistGradientBoosting, 5 seeds (the seed draws the 70/30 split of the source
rows: the model is fitted on 70%, the 30% are the held-out labelled rows of
every estimate):

(a) mean absolute error against the true target AUC (its AUC on the target
    test half, which no method sees) of the naive estimate (the AUC of the
    held-out source rows), ``estimate_target_score`` with
    ``method="importance_weighted"``, ``"confidence"`` (Platt calibration, the
    default, and isotonic, as CBPE), ``"combined"`` (the default), and
    NannyML's CBPE when a Python with ``nannyml`` is given;
(b) coverage of the 90% intervals and their mean width;
(c) the trust flag;
(d) ``prediction_powered_interval`` against the labelled-rows-only interval at
    n = 50, 100, 300 labelled target rows (default rate, accuracy, AUC).

Run: ``python benchmarks/bench_estimates.py [--quick] [--nannyml-python PATH]``;
writes ``benchmarks/results/estimates.md`` (``estimates_quick.md`` with
``--quick``). NannyML runs in its own environment (``python -m venv
/tmp/nannyml_venv; /tmp/nannyml_venv/bin/pip install nannyml statsmodels``):
the package never imports it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from sktransfer.diagnostics import estimate_target_score, prediction_powered_interval  # noqa: E402
from sktransfer.diagnostics._performance import trust  # noqa: E402
from sktransfer.reweighting import DomainClassifierWeighting  # noqa: E402

import _harness as harness  # noqa: E402
from _credit_splits import load_splits  # noqa: E402
from bench_credit import prepare  # noqa: E402

METHODS = {
    "importance weighted": dict(method="importance_weighted"),
    "confidence (Platt)": dict(method="confidence"),
    "confidence (isotonic)": dict(method="confidence", calibration="isotonic"),
    "combined": dict(method="combined"),
}
NANNYML = "NannyML CBPE"
PPI_NS = (50, 100, 300)
PPI_QUANTITIES = ("default_rate", "accuracy", "roc_auc")
CONFIDENCE = 0.9
Z90 = 1.6448536269514722


def default_data_home():
    return os.environ.get("SKTRANSFER_DATA_HOME") or str(REPO.parent / "shared" / "data")


def default_nannyml_python():
    path = os.environ.get("NANNYML_PYTHON") or "/tmp/nannyml_venv/bin/python"
    return path if Path(path).exists() else None


class FixedWeights(BaseEstimator):
    """The importance weights fitted once per split and seed, given to every method."""

    def __init__(self, weights=None):
        self.weights = weights

    def fit_weights(self, X, y=None, sample_domain=None):
        return self.weights


def classifiers(quick, seed):
    return {
        "LogReg": lambda: LogisticRegression(C=1.0, max_iter=1000),
        "HGB": lambda: HistGradientBoostingClassifier(max_iter=20 if quick else 100, random_state=seed),
    }


def auc(model, X, y):
    return roc_auc_score(y, model.predict_proba(X)[:, 1])


def run_task(d, seed, cfg, records, nanny, ppi, errors):
    Xa, Xb, ya, yb = train_test_split(d["Xs"], d["ys"], test_size=0.3, stratify=d["ys"], random_state=seed)
    X = np.concatenate([Xb, d["Xpool"]])
    y = np.concatenate([yb, np.full(len(d["Xpool"]), -1)])
    sd = np.concatenate([np.ones(len(Xb), int), -np.ones(len(d["Xpool"]), int)])
    weights = DomainClassifierWeighting(random_state=seed).fit_weights(X, y, sd)
    _, _, domain_auc, raw_ess = trust(weights[: len(Xb)], len(Xb))
    X_all_t = np.concatenate([d["Xpool"], d["Xtest"]])
    y_all_t = np.concatenate([d["ypool"], d["ytest"]])
    for clf_name, make in classifiers(cfg["quick"], seed).items():
        model = make().fit(Xa, ya)
        rec = dict(split=d["name"], clf=clf_name, seed=seed, truth=auc(model, d["Xtest"], d["ytest"]),
                   naive=auc(model, Xb, yb), domain_auc=domain_auc, raw_ess=raw_ess / len(Xb))
        for name, kw in METHODS.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = estimate_target_score(model, X, y, sd, weighting=FixedWeights(weights),
                                              n_bootstrap=cfg["n_bootstrap"], confidence=CONFIDENCE,
                                              random_state=seed, **kw)
                rec[name] = (r.score, r.ci_low, r.ci_high)
                rec["trustworthy"] = r.trustworthy
            except Exception as exc:
                errors.append(f"{name} + {clf_name} on {d['name']} seed {seed}: {type(exc).__name__}: {exc}")
        records.append(rec)
        key = str(len(records) - 1)
        nanny[f"ref_p_{key}"] = model.predict_proba(Xb)[:, 1]
        nanny[f"ref_yhat_{key}"] = model.predict(Xb)
        nanny[f"ref_y_{key}"] = yb
        nanny[f"ana_p_{key}"] = model.predict_proba(d["Xpool"])[:, 1]
        nanny[f"ana_yhat_{key}"] = model.predict(d["Xpool"])
        # PPI: n labelled rows drawn at random from the pool, the rest of the pool
        # unlabelled; truth: the value over every target row (pool and test)
        truths = {"default_rate": float(np.mean(y_all_t == 1)),
                  "accuracy": accuracy_score(y_all_t, model.predict(X_all_t)),
                  "roc_auc": auc(model, X_all_t, y_all_t)}
        rng = np.random.default_rng(1000 + seed)
        for n in cfg["ppi_ns"]:
            if n > len(d["Xpool"]) // 2:
                continue
            for draw in range(cfg["ppi_draws"]):
                labelled = rng.choice(len(d["Xpool"]), n, replace=False)
                masked = np.full(len(d["Xpool"]), -1)
                masked[labelled] = d["ypool"][labelled]
                domains = -np.ones(len(d["Xpool"]), int)
                for quantity in PPI_QUANTITIES:
                    try:
                        r = prediction_powered_interval(model, d["Xpool"], masked, domains, quantity=quantity,
                                                        confidence=CONFIDENCE, n_bootstrap=cfg["ppi_bootstrap"],
                                                        random_state=draw)
                    except Exception as exc:
                        errors.append(f"PPI {quantity} n={n} + {clf_name} on {d['name']}: "
                                      f"{type(exc).__name__}: {exc}")
                        continue
                    t = truths[quantity]
                    ppi.append(dict(split=d["name"], clf=clf_name, n=n, quantity=quantity, lam=r.lam,
                                    ppi_cover=r.ci_low <= t <= r.ci_high, ppi_width=r.ci_high - r.ci_low,
                                    cl_cover=r.classical_ci_low <= t <= r.classical_ci_high,
                                    cl_width=r.classical_ci_high - r.classical_ci_low,
                                    ppi_err=abs(r.estimate - t), cl_err=abs(r.classical_estimate - t)))


def run_nannyml(python, nanny, records, errors):
    with tempfile.TemporaryDirectory() as tmp:
        tasks, result = Path(tmp) / "tasks.npz", Path(tmp) / "result.json"
        np.savez(tasks, **nanny)
        proc = subprocess.run([python, str(HERE / "_nannyml_cbpe.py"), str(tasks), str(result)],
                              capture_output=True, text=True, timeout=1200)
        if proc.returncode != 0:
            errors.append(f"NannyML run failed: {proc.stderr[-800:]}")
            return None
        out = json.loads(result.read_text())
    for i, rec in enumerate(records):
        value = out.get(str(i))
        if isinstance(value, list):
            rec[NANNYML] = (value[0], value[0] - Z90 * value[1], value[0] + Z90 * value[1])
        else:
            errors.append(f"NannyML on {rec['split']} {rec['clf']} seed {rec['seed']}: {value}")
    return out.get("version")


# ----------------------------------------------------------------- report

def f4(v):
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.4f}"


def _err(rec, name):
    return abs(rec[name][0] - rec["truth"]) if isinstance(rec.get(name), tuple) else None


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def report(cfg, data, records, ppi, errors, names, nanny_version, elapsed):
    quick = cfg["quick"]
    lines = [f"# Target-performance estimates on the credit splits{' (quick run)' if quick else ''}", "",
             "## Environment", "", harness.environment_summary(),
             f"- BLAS/OpenMP threads limited to 1 (threadpoolctl); total run time {elapsed:.0f} s",
             f"- NannyML: {nanny_version or 'not run'}"
             + (" (in its own environment, called as a subprocess)" if nanny_version else ""), ""]
    lines += ["## Protocol", "",
              f"Splits: {', '.join(d['name'] for d in data)} (`benchmarks/_credit_splits.py`, "
              "standardised with the source statistics; the target rows halved into a pool and a test "
              f"half, stratified, seed 0). Seeds {cfg['seeds']}: each draws a 70/30 split of the source "
              "rows (stratified); the classifier (LogReg: `LogisticRegression(max_iter=1000)`; HGB: "
              f"`HistGradientBoostingClassifier(max_iter={20 if quick else 100})`) is fitted on the 70%. "
              "Truth: its AUC on the target test half. Naive estimate: its AUC on the 30% held-out "
              "source rows. The estimates: `estimate_target_score(model, X, y, sample_domain, "
              f"method=..., n_bootstrap={cfg['n_bootstrap']}, confidence=0.9, random_state=seed)` with X "
              "the held-out source rows stacked with the unlabelled pool rows and the default "
              "weighting (`DomainClassifierWeighting(random_state=seed)`, fitted once per split and "
              "seed and given to every method). NannyML CBPE: fitted on the held-out source rows "
              "(its default isotonic calibration), estimated on the pool rows as one chunk; its "
              "interval here is value ± 1.645 × its sampling error (NannyML draws ± 3). No target "
              "label is used by any label-free estimate; no default was chosen on these numbers.", ""]
    lines += ["## (a) Mean absolute error of the target-AUC estimates", "",
              "Mean over the seeds of |estimate - true target AUC|; the last rows: over every split, "
              "classifier and seed (and the mean signed error, estimate - truth).", "",
              "| split | classifier | true AUC | naive | " + " | ".join(names) + " |",
              "|---|---|---:|---:|" + "---:|" * len(names)]
    groups = sorted({(r["split"], r["clf"]) for r in records}, key=lambda k: (
        [d["name"] for d in data].index(k[0]), k[1] != "LogReg"))
    for split, clf in groups:
        rs = [r for r in records if r["split"] == split and r["clf"] == clf]
        cells = [f4(_mean([abs(r['naive'] - r['truth']) for r in rs]))]
        cells += [f4(_mean([_err(r, name) for r in rs])) for name in names]
        lines.append(f"| {split} | {clf} | {f4(_mean([r['truth'] for r in rs]))} | " + " | ".join(cells) + " |")
    for label, subset in (("**all, LogReg**", [r for r in records if r["clf"] == "LogReg"]),
                          ("**all, HGB**", [r for r in records if r["clf"] == "HGB"]),
                          ("**all**", records),
                          ("**trusted tasks**", [r for r in records if r.get("trustworthy")]),
                          ("**flagged tasks**", [r for r in records if r.get("trustworthy") is False])):
        cells = [f4(_mean([abs(r['naive'] - r['truth']) for r in subset]))]
        cells += [f4(_mean([_err(r, n) for r in subset])) for n in names]
        lines.append(f"| {label} | | {len(subset)} tasks | " + " | ".join(f"**{c}**" for c in cells) + " |")
    bias = [f4(_mean([r['naive'] - r['truth'] for r in records]))]
    bias += [f4(_mean([r[n][0] - r["truth"] if isinstance(r.get(n), tuple) else None for r in records]))
             for n in names]
    lines.append("| mean signed error | | | " + " | ".join(bias) + " |")
    wins = {n: sum(1 for r in records if _err(r, n) is not None and _err(r, n) < abs(r["naive"] - r["truth"]))
            for n in names}
    lines += ["", "Tasks (split × classifier × seed) where the estimate is closer to the truth than the "
              f"naive one, of {len(records)}: " + ", ".join(f"{n} {wins[n]}" for n in names) + "."]
    lines += ["", "## (b) The 90% intervals: coverage of the true target AUC and mean width", "",
              "| estimate | coverage, all tasks | mean width | coverage, trusted tasks | coverage, untrusted |",
              "|---|---:|---:|---:|---:|"]
    for n in names:
        rs = [r for r in records if isinstance(r.get(n), tuple) and np.isfinite(r[n][1])]
        cover = [r[n][1] <= r["truth"] <= r[n][2] for r in rs]
        trusted = [c for c, r in zip(cover, rs) if r.get("trustworthy")]
        untrusted = [c for c, r in zip(cover, rs) if not r.get("trustworthy")]
        lines.append(f"| {n} | {f4(_mean(cover))} ({len(cover)}) | {f4(_mean([r[n][2] - r[n][1] for r in rs]))} "
                     f"| {f4(_mean(trusted))} ({len(trusted)}) | {f4(_mean(untrusted))} ({len(untrusted)}) |")
    lines += ["", "The truth itself is measured on the test half and has a sampling error of its own "
              "(largest on the German splits, 315 and 144 test rows), which no interval of the estimate "
              "holds; an interval also holds none of the bias of a method whose assumption fails.", ""]
    lines += ["## (c) The trust flag", "",
              "Domain AUC implied by the density ratio and effective sample size of the weights (before "
              "flattening, fraction of the held-out source rows), mean over seeds; flagged: tasks where "
              "`trustworthy` is False.", "",
              "| split | domain AUC | ESS fraction | flagged (of tasks) | MAE naive | MAE combined |",
              "|---|---:|---:|---:|---:|---:|"]
    for d in data:
        rs = [r for r in records if r["split"] == d["name"]]
        if not rs:
            continue
        flagged = sum(1 for r in rs if r.get("trustworthy") is False)
        lines.append(f"| {d['name']} | {f4(_mean([r['domain_auc'] for r in rs]))} | "
                     f"{f4(_mean([r['raw_ess'] for r in rs]))} | {flagged} of {len(rs)} | "
                     f"{f4(_mean([abs(r['naive'] - r['truth']) for r in rs]))} | "
                     f"{f4(_mean([_err(r, 'combined') for r in rs]))} |")
    lines += ["", "## (d) Prediction-powered intervals with n labelled target rows", "",
              "n rows drawn at random from the pool are labelled, the rest of the pool is unlabelled; "
              f"{cfg['ppi_draws']} draw(s) per split, classifier and seed (n only where the pool has 2n "
              "rows). `prediction_powered_interval(model, X_pool, y_masked, sample_domain, quantity=..., "
              f"confidence=0.9, n_bootstrap={cfg['ppi_bootstrap']})`; classical: the labelled rows alone "
              "(Wald for the means, bootstrap percentiles for the AUC). Truth: the value over every target "
              "row (pool and test). Default rate: the rate of label 1 (default for Taiwan; 'good' for "
              "German).", "",
              "| quantity | n | intervals | PPI coverage | classical coverage | PPI width | classical width "
              "| width ratio | mean lam | PPI MAE | classical MAE |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for quantity in PPI_QUANTITIES:
        for n in cfg["ppi_ns"]:
            rs = [r for r in ppi if r["quantity"] == quantity and r["n"] == n]
            if not rs:
                continue
            pw, cw = _mean([r["ppi_width"] for r in rs]), _mean([r["cl_width"] for r in rs])
            lines.append(f"| {quantity} | {n} | {len(rs)} | {f4(_mean([r['ppi_cover'] for r in rs]))} | "
                         f"{f4(_mean([r['cl_cover'] for r in rs]))} | {f4(pw)} | {f4(cw)} | {f4(pw / cw)} | "
                         f"{f4(_mean([r['lam'] for r in rs]))} | {f4(_mean([r['ppi_err'] for r in rs]))} | "
                         f"{f4(_mean([r['cl_err'] for r in rs]))} |")
    if errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 splits subsampled, 1 seed, fewer replicates, no NannyML (a smoke run)")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--nannyml-python", default=None,
                        help="a Python with nannyml (default: $NANNYML_PYTHON, else /tmp/nannyml_venv/bin/python "
                             "if present; never with --quick)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), sklearn.config_context(enable_metadata_routing=False):
        return _run(args)


def _run(args):
    start = time.perf_counter()
    quick = args.quick
    cfg = dict(quick=quick, seeds=list(range(1 if quick else 5)), n_bootstrap=40 if quick else 200,
               ppi_ns=(50, 100) if quick else PPI_NS, ppi_draws=1 if quick else 3,
               ppi_bootstrap=40 if quick else 200)
    splits = load_splits(args.data_home, extra=True)
    if quick:
        splits = [splits[0], splits[3], splits[5]]
    data = [prepare(s, quick=quick) for s in splits]
    records, nanny, ppi, errors = [], {}, [], []
    for d in data:
        print(f"-- {d['name']}: {d['n_source']} source rows, {d['n_target']} target rows", flush=True)
        for seed in cfg["seeds"]:
            run_task(d, seed, cfg, records, nanny, ppi, errors)
            print(f"   seed {seed} done ({time.perf_counter() - start:.0f} s)", flush=True)
    names = list(METHODS)
    python = None if quick else (args.nannyml_python or default_nannyml_python())
    version = run_nannyml(python, nanny, records, errors) if python else None
    if version:
        names.append(NANNYML)
    text = report(cfg, data, records, ppi, errors, names, version, time.perf_counter() - start)
    harness.write_report("estimates_quick" if quick else "estimates", text, args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
