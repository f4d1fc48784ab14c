"""Label shift on the credit splits: the target default rate without target labels.

For each of the seven credit splits of ``_credit_splits.load_splits(extra=True)``,
with logistic regression and HistGradientBoosting, and five seeds (the seed
draws the target pool/test halves, the cross-fitting folds and the induced
subsamples):

- ``LabelShiftAdjustedClassifier(clf, method="em", calibration="bcts")`` is
  fitted on the labelled source rows and the unlabelled target *pool*; the
  test half of the target is seen by no method;
- the estimated target default rate: EM with BCTS (``target_prior_``), BBSE
  on the same calibrated model (``set_params(method="bbse").refit_prior``),
  classify-and-count (the share of pool rows the raw source model predicts
  as defaults) and the naive source rate, against the pool's true rate;
- on the test half: log loss, Brier score and expected calibration error
  (15 equal-width bins) of the raw source model, of its BCTS-calibrated
  probabilities, and of the probabilities adjusted to the EM and the BBSE
  prior.

(a) on the splits as they are; (b) with an induced prior shift: the pool and
the test half are subsampled (without replacement, as many rows as the rarer
side allows) to target default rates 0.05, 0.1, 0.2, 0.3, 0.5; the fitted
models are reused (the classifier and the calibration see source rows only),
only the prior is re-estimated on the subsampled pool.

Run: ``python benchmarks/bench_label_shift.py [--quick]``; writes
``benchmarks/results/label_shift.md`` (``label_shift_quick.md`` with ``--quick``).
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from _credit_splits import load_splits  # noqa: E402

from sktransfer.label_shift import LabelShiftAdjustedClassifier, adjust_proba  # noqa: E402

PRIORS = (0.05, 0.1, 0.2, 0.3, 0.5)
SEEDS = (0, 1, 2, 3, 4)
DEFAULT = "default (EM + test)"
ESTIMATES = ("naive (source rate)", "classify and count", "mean BCTS probability", "EM + BCTS", "BBSE", DEFAULT)
PROBAS = ("raw source model", "BCTS only", "adjusted, EM", "adjusted, BBSE", DEFAULT)
METRICS = ("log loss", "Brier", "ECE")
N_BOOTSTRAP = 50
EPS = 1e-15


def default_data_home():
    return os.environ.get("SKTRANSFER_DATA_HOME") or str(REPO.parent / "shared" / "data")


def make_classifiers(quick):
    return {
        "LogReg": lambda: LogisticRegression(max_iter=1000),
        "HGB": lambda: HistGradientBoostingClassifier(max_iter=20 if quick else 100, random_state=0),
    }


# ---------------------------------------------------------------- metrics

def log_loss(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier(y, p):
    return float(np.mean((p - y) ** 2))


def ece(y, p, n_bins=15):
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        rows = bins == b
        total += rows.sum() * abs(y[rows].mean() - p[rows].mean())
    return float(total / len(y))


def scores(y, p):
    return {"log loss": log_loss(y, p), "Brier": brier(y, p), "ECE": ece(y, p)}


# ------------------------------------------------------------------ data

def prepare(split, seed, quick):
    name, what, Xs, ys, Xt, yt, _ = split
    rng = np.random.default_rng(seed)
    if quick:
        if len(Xs) > 1500:
            keep = rng.choice(len(Xs), 1500, replace=False)
            Xs, ys = Xs[keep], ys[keep]
        if len(Xt) > 3000:
            keep = rng.choice(len(Xt), 3000, replace=False)
            Xt, yt = Xt[keep], yt[keep]
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    Xs, Xt = (Xs - mean) / std, (Xt - mean) / std
    Xpool, Xtest, ypool, ytest = train_test_split(Xt, yt, test_size=0.5, stratify=yt, random_state=seed)
    return dict(name=name, Xs=Xs, ys=ys.astype(int), Xpool=Xpool, ypool=ypool.astype(int),
                Xtest=Xtest, ytest=ytest.astype(int))


def subsample(X, y, prior, rng):
    """Rows of (X, y) without replacement with a share ``prior`` of positives, as many as possible."""
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n = int(min(len(pos) / prior, len(neg) / (1 - prior)))
    n_pos = int(round(n * prior))
    rows = np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n - n_pos, replace=False)])
    return X[rows], y[rows]


# ------------------------------------------------------------------- run

def evaluate(clf, Xpool, ypool, Xtest, ytest, out, key, n_bootstrap):
    """Prior estimates on the pool and probability scores on the test rows."""
    truth = ypool.mean()
    q_pool = clf.predict_proba(Xpool, sample_domain=np.ones(len(Xpool), int))
    q_test = clf.predict_proba(Xtest, sample_domain=np.ones(len(Xtest), int))
    est = {"naive (source rate)": clf.source_prior_[1],
           "classify and count": float(np.mean(clf.estimator_.predict(Xpool) == 1)),
           "mean BCTS probability": float(q_pool[:, 1].mean())}
    probas = {"raw source model": clf.estimator_.predict_proba(Xtest)[:, 1], "BCTS only": q_test[:, 1]}
    clf.set_params(method="em", n_bootstrap=n_bootstrap).refit_prior(Xpool)
    est["EM + BCTS"] = clf.label_shift_prior_[1]
    probas["adjusted, EM"] = adjust_proba(q_test, clf.reference_prior_, clf.label_shift_prior_)[:, 1]
    est[DEFAULT] = clf.target_prior_[1]
    probas[DEFAULT] = clf.predict_proba(Xtest)[:, 1]
    out.setdefault(key + ("fallback",), []).append(bool(clf.fallback_))
    if clf.target_prior_interval_ is not None:
        low, high = clf.target_prior_interval_[:, 1]
        out.setdefault(key + ("covered",), []).append(bool(low <= truth <= high))
    clf.set_params(method="bbse", n_bootstrap=0).refit_prior(Xpool)
    est["BBSE"] = clf.label_shift_prior_[1]
    probas["adjusted, BBSE"] = adjust_proba(q_test, clf.reference_prior_, clf.label_shift_prior_)[:, 1]
    out.setdefault(key + ("clipped",), []).append(bool(clf.prior_clipped_))
    for label, value in est.items():
        out.setdefault(key + ("error", label), []).append(abs(value - truth))
    out.setdefault(key + ("truth",), []).append(truth)
    for label, p in probas.items():
        for metric, value in scores(ytest, p).items():
            out.setdefault(key + (metric, label), []).append(value)


def run(splits, seeds, priors, quick, log=print):  # noqa: C901
    out = {}
    for split in splits:
        for seed in seeds:
            d = prepare(split, seed, quick)
            X = np.concatenate([d["Xs"], d["Xpool"]])
            y = np.concatenate([d["ys"], np.full(len(d["Xpool"]), -1)])
            for clf_name, make in make_classifiers(quick).items():
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # BBSE clipping is counted, not printed
                    clf = LabelShiftAdjustedClassifier(make(), method="em", n_bootstrap=0,
                                                       random_state=seed).fit(X, y)
                    evaluate(clf, d["Xpool"], d["ypool"], d["Xtest"], d["ytest"], out,
                             ("real", d["name"], clf_name), N_BOOTSTRAP)
                    rng = np.random.default_rng(1000 + seed)
                    for prior in priors:
                        Xp, yp = subsample(d["Xpool"], d["ypool"], prior, rng)
                        Xq, yq = subsample(d["Xtest"], d["ytest"], prior, rng)
                        evaluate(clf, Xp, yp, Xq, yq, out, ("induced", prior, d["name"], clf_name), 0)
                key = ("real", d["name"], clf_name)
                log(f"  {d['name']:<30} seed {seed} {clf_name:<6} {time.perf_counter() - start:5.1f}s "
                    f"true {d['ypool'].mean():.3f} EM error {out[key + ('error', 'EM + BCTS')][-1]:.3f} "
                    f"default error {out[key + ('error', DEFAULT)][-1]:.3f} fallback {out[key + ('fallback',)][-1]}",
                    flush=True)
    return out


# ---------------------------------------------------------------- report

def mean(values):
    return float(np.mean(values))


def fmt(values, digits=3):
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def report(out, splits, classifiers, priors, seeds, elapsed, command):
    names = [s[0] for s in splits]
    lines = [
        "# Label shift: estimating the target default rate on the credit splits",
        "",
        f"Command: `{command}`; {len(seeds)} seed(s); {elapsed / 60:.1f} min; sklearn {sklearn.__version__}.",
        "",
        "Protocol (see the module docstring): standardise with the source statistics; target halved "
        "(stratified) into a pool (unlabelled, for the prior estimate) and a test half seen by no "
        "method. `LabelShiftAdjustedClassifier(clf, calibration='bcts')` with 5-fold cross-fitting "
        "on the source rows. Errors are absolute errors of the estimated target default rate against "
        "the pool's true rate, mean ± sd over seeds. Scores are on the test half. ECE: 15 equal-width "
        "bins of the predicted default probability. 'raw source model': the classifier fitted on the "
        "source rows as it is; 'BCTS only': its calibrated probabilities (no prior adjustment); "
        "'adjusted, EM' / 'adjusted, BBSE': adjusted to that prior whatever the label-shift test says "
        "(`alpha=None`); 'default (EM + test)': the estimator's default, which falls back to 'BCTS only' "
        "when the label-shift test rejects (`fallbacks` counts those fits). The 'rate' is that of class 1: "
        "default for the Taiwan splits; for the German splits class 1 of the file is *good* credit (70% "
        "overall), so there it is the rate of good credit.",
        "",
        "## (a) The real splits",
        "",
        "### Error of the estimated target default rate",
        "",
        "| split | clf | true rate | " + " | ".join(ESTIMATES) + " | default's 95% interval covers | fallbacks |",
        "|---|---|---|" + "---|" * len(ESTIMATES) + "---|---|",
    ]
    for name in names:
        for clf in classifiers:
            key = ("real", name, clf)
            row = [name, clf, f"{mean(out[key + ('truth',)]):.3f}"]
            row += [fmt(out[key + ("error", e)]) for e in ESTIMATES]
            covered, fallback = out.get(key + ("covered",), []), out[key + ("fallback",)]
            row += [f"{sum(covered)}/{len(covered)}", f"{sum(fallback)}/{len(fallback)}"]
            lines.append("| " + " | ".join(row) + " |")
    for clf in classifiers:
        row = ["**mean over splits**", clf, ""]
        row += [f"**{mean([mean(out[('real', n, clf, 'error', e)]) for n in names]):.3f}**" for e in ESTIMATES]
        covered = sum((out.get(("real", n, clf, "covered"), []) for n in names), [])
        fallback = sum((out[("real", n, clf, "fallback")] for n in names), [])
        row += [f"{sum(covered)}/{len(covered)}", f"{sum(fallback)}/{len(fallback)}"]
        lines.append("| " + " | ".join(row) + " |")

    lines += ["", "### Test scores (lower is better)", ""]
    for metric in METRICS:
        lines += [f"#### {metric}", "", "| split | clf | " + " | ".join(PROBAS) + " |",
                  "|---|---|" + "---|" * len(PROBAS)]
        for name in names:
            for clf in classifiers:
                key = ("real", name, clf, metric)
                lines.append("| " + " | ".join([name, clf] + [f"{mean(out[key + (p,)]):.4f}" for p in PROBAS]) + " |")
        lines.append("")
    for label in (DEFAULT, "adjusted, EM"):
        worse = _worse_counts(out, [("real", n) for n in names], classifiers, label)
        lines += ["", f"Split × classifier cells (mean over seeds) where **{label}** scores "
                  "**worse** than the raw source model (by more than 0.0005):", ""]
        lines += [f"- {metric}: {worse[metric][0]} of {worse[metric][1]}"
                  + (f" ({', '.join(worse[metric][2])})" if worse[metric][2] else "") for metric in METRICS]

    lines += ["", "## (b) Induced prior shift (pool and test half subsampled to a target default rate)", "",
              "### Error of the estimated target default rate (mean over splits and seeds)", "",
              "| target rate | clf | " + " | ".join(ESTIMATES) + " | fallbacks | BBSE clipped |",
              "|---|---|" + "---|" * len(ESTIMATES) + "---|---|"]
    for prior in priors:
        for clf in classifiers:
            errs = {e: [v for n in names for v in out[("induced", prior, n, clf, "error", e)]] for e in ESTIMATES}
            covered = sum((out[("induced", prior, n, clf, "fallback")] for n in names), [])  # fallbacks
            clipped = sum((out.get(("induced", prior, n, clf, "clipped"), []) for n in names), [])
            counts = [f"{sum(covered)}/{len(covered)}", f"{sum(clipped)}/{len(clipped)}"]
            lines.append("| " + " | ".join([f"{prior}", clf] + [fmt(errs[e]) for e in ESTIMATES] + counts) + " |")
    lines += ["", "### Test scores under the induced shift (mean over splits and seeds)", ""]
    for metric in METRICS:
        lines += [f"#### {metric}", "", "| target rate | clf | " + " | ".join(PROBAS) + " |",
                  "|---|---|" + "---|" * len(PROBAS)]
        for prior in priors:
            for clf in classifiers:
                vals = [mean([mean(out[("induced", prior, n, clf, metric, p)]) for n in names]) for p in PROBAS]
                lines.append("| " + " | ".join([f"{prior}", clf] + [f"{v:.4f}" for v in vals]) + " |")
        lines.append("")
    for label in (DEFAULT, "adjusted, EM"):
        lines += ["", f"Target rate × split × classifier cells (mean over seeds) where **{label}** scores "
                  "**worse** than the raw source model (by more than 0.0005):", ""]
        for prior in priors:
            worse = _worse_counts(out, [("induced", prior, n) for n in names], classifiers, label)
            lines.append(f"- target rate {prior}: " + "; ".join(_cells(metric, worse[metric]) for metric in METRICS))
    lines += ["", "## Findings", ""] + findings(out, names, classifiers, priors) + [""]
    return "\n".join(lines)


def _cells(metric, counts):
    n_bad, n_cells, bad = counts
    return f"{metric} {n_bad}/{n_cells}" + (f" ({', '.join(bad)})" if bad else "")


def _worse_counts(out, prefixes, classifiers, label):
    result = {}
    for metric in METRICS:
        cells, bad = 0, []
        for prefix in prefixes:
            for clf in classifiers:
                key = prefix + (clf, metric)
                cells += 1
                if mean(out[key + (label,)]) > mean(out[key + ("raw source model",)]) + 5e-4:
                    bad.append(f"{prefix[-1]} {clf}")
        result[metric] = (len(bad), cells, bad)
    return result


def findings(out, names, classifiers, priors):
    """Plain statements computed from the numbers above."""
    lines = []
    for clf in classifiers:
        real = {e: mean([mean(out[("real", n, clf, "error", e)]) for n in names]) for e in ESTIMATES}
        lines.append(f"- {clf}, real splits, mean error of the target default rate: "
                     + ", ".join(f"{e} {v:.3f}" for e, v in real.items()) + ".")
        induced = {e: mean([v for p in priors for n in names for v in out[("induced", p, n, clf, "error", e)]])
                   for e in ESTIMATES}
        lines.append(f"- {clf}, induced shifts, mean error: "
                     + ", ".join(f"{e} {v:.3f}" for e, v in induced.items()) + ".")
        for metric in METRICS:
            parts = []
            for label in (DEFAULT, "adjusted, EM"):
                raw = mean([mean(out[("real", n, clf, metric, "raw source model")]) for n in names])
                new = mean([mean(out[("real", n, clf, metric, label)]) for n in names])
                raw_i = mean([mean(out[("induced", p, n, clf, metric, "raw source model")])
                              for p in priors for n in names])
                new_i = mean([mean(out[("induced", p, n, clf, metric, label)]) for p in priors for n in names])
                parts.append(f"{label}: real {raw:.4f} → {new:.4f} ({'better' if new < raw else 'WORSE'}), "
                             f"induced {raw_i:.4f} → {new_i:.4f} ({'better' if new_i < raw_i else 'WORSE'})")
            lines.append(f"  - {metric}: " + "; ".join(parts) + ".")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two splits, one seed, small data (smoke run)")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--blas-threads", type=int, default=1)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.blas_threads)
    start = time.perf_counter()
    splits = load_splits(args.data_home, extra=True)
    seeds, priors = SEEDS, PRIORS
    if args.quick:
        splits = [s for s in splits if s[0] in ("Taiwan EDUCATION 1→3", "German Age <30→≥30")]
        seeds, priors = (0,), (0.1, 0.5)
    out = run(splits, seeds, priors, args.quick)
    command = "python benchmarks/bench_label_shift.py" + (" --quick" if args.quick else "")
    text = report(out, splits, list(make_classifiers(args.quick)), priors, seeds,
                  time.perf_counter() - start, command)
    results = Path(args.results_dir)
    results.mkdir(parents=True, exist_ok=True)
    path = results / ("label_shift_quick.md" if args.quick else "label_shift.md")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
