"""Credit scoring under population shift: importance weighting and parameter transfer.

Taiwan default of credit card clients (UCI, 30 000 rows) split into domains by
an attribute (education, sex, age band), and German credit (Statlog, 1000
rows) split by age. For each split, with logistic regression (on
standardised features) and HistGradientBoosting, the target AUC of:

- source only, and each importance weighting through
  ``ImportanceWeightedClassifier(estimator, weighting=...)`` with default
  settings (no target labels);
- target only, ``RegularizedTransferClassifier`` and ``TrAdaBoostClassifier``
  with n labelled target rows (n = 100, 300, 1000; several seeds);
- the unsupervised estimate of the target AUC (``estimate_target_score``,
  when the package has it) against the true target AUC, and the naive
  estimate (AUC on held-out source rows).

Run: ``python benchmarks/bench_credit.py [--quick]``; writes
``benchmarks/results/credit.md`` (``credit_quick.md`` with ``--quick``).
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from sktransfer import diagnostics  # noqa: E402
from sktransfer.parameter import RegularizedTransferClassifier, TrAdaBoostClassifier  # noqa: E402
from sktransfer.reweighting import (  # noqa: E402
    KLIEP,
    DomainClassifierWeighting,
    ImportanceWeightedClassifier,
    KernelMeanMatching,
    NearestNeighborsWeighting,
)

sys.path.insert(0, str(HERE))
import _harness as harness  # noqa: E402

TAIWAN = ("taiwan_default_credit_card", "UCI_Credit_Card.csv", "default.payment.next.month")
GERMAN = ("german_credit", "german.tsv.gz", "target")
N_LABELLED = (100, 300, 1000)
MIN_TEST = 150  # a few-shot n is run only if the target pool leaves its rows (test rows are apart anyway)

WEIGHTINGS = {
    "DomainClassifierWeighting": DomainClassifierWeighting,
    "KLIEP": KLIEP,
    "NearestNeighborsWeighting": NearestNeighborsWeighting,
    "KernelMeanMatching": KernelMeanMatching,
}

# (a) runs every weighting as the package uses it by default (weights
# flattened by importance-weighted CV), and the default weighting once more
# unflattened, to show what the flattening changes
UNFLATTENED = "DomainClassifierWeighting, flattening=1"
UNSUPERVISED = {**{name: (make, "auto") for name, make in WEIGHTINGS.items()},
                UNFLATTENED: (DomainClassifierWeighting, 1.0)}


def default_data_home():
    return os.environ.get("SKTRANSFER_DATA_HOME") or str(REPO.parent / "shared" / "data")


def make_lr():
    return LogisticRegression(C=1.0, max_iter=1000)


HGB_MAX_ITER = {"full": 100, "quick": 20}  # sklearn's default; fewer trees in the smoke run
_hgb_max_iter = HGB_MAX_ITER["full"]


def make_hgb():
    return HistGradientBoostingClassifier(max_iter=_hgb_max_iter, random_state=0)


CLASSIFIERS = {"LogReg": make_lr, "HGB": make_hgb}


# --------------------------------------------------------------------- splits

def load_splits(data_home):
    """(name, explanation, Xs, ys, Xt, yt, feature names) for every domain split."""
    folder, file, target = TAIWAN
    tw = pd.read_csv(Path(data_home) / folder / file).drop(columns="ID")
    y_tw = tw.pop(target).to_numpy()
    splits = []
    taiwan = [
        ("Taiwan EDUCATION 1→3", "EDUCATION", tw["EDUCATION"] == 1, tw["EDUCATION"] == 3,
         "graduate school → high school"),
        ("Taiwan SEX 1→2", "SEX", tw["SEX"] == 1, tw["SEX"] == 2, "men → women"),
        ("Taiwan AGE <35→≥35", "AGE", tw["AGE"] < 35, tw["AGE"] >= 35, "under 35 → 35 and over"),
    ]
    for name, column, src, tgt, what in taiwan:
        X = tw.drop(columns=column)  # constant within a domain: it would only encode the domain
        splits.append((name, what, X[src].to_numpy(float), y_tw[src.to_numpy()],
                       X[tgt].to_numpy(float), y_tw[tgt.to_numpy()], list(X.columns)))
    folder, file, target = GERMAN
    de = pd.read_csv(Path(data_home) / folder / file, sep="\t")
    y_de = de.pop(target).to_numpy()
    src, tgt = de["Age"] < 30, de["Age"] >= 30
    X = de.drop(columns="Age")
    splits.append(("German Age <30→≥30", "applicants under 30 → 30 and over", X[src].to_numpy(float),
                   y_de[src.to_numpy()], X[tgt].to_numpy(float), y_de[tgt.to_numpy()], list(X.columns)))
    return splits


def prepare(split, *, quick, seed=0):
    """Standardise with the source statistics, split the target rows into a pool
    (unlabelled rows for the weightings, labelled rows for few-shot) and a test
    half that no method sees. ``quick`` subsamples the big domains."""
    name, what, Xs, ys, Xt, yt, features = split
    rng = np.random.default_rng(seed)
    if quick:
        cap = 1500
        if len(Xs) > cap:
            keep = rng.choice(len(Xs), cap, replace=False)
            Xs, ys = Xs[keep], ys[keep]
        if len(Xt) > 2 * cap:
            keep = rng.choice(len(Xt), 2 * cap, replace=False)
            Xt, yt = Xt[keep], yt[keep]
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    Xs, Xt = (Xs - mean) / std, (Xt - mean) / std
    Xpool, Xtest, ypool, ytest = train_test_split(Xt, yt, test_size=0.5, stratify=yt, random_state=seed)
    return dict(name=name, what=what, Xs=Xs, ys=ys, Xpool=Xpool, ypool=ypool, Xtest=Xtest,
                ytest=ytest, features=features, n_source=len(Xs), n_target=len(Xt))


def auc(model, X, y):
    return float(roc_auc_score(y, model.predict_proba(X)[:, 1]))


# ------------------------------------------------------------- unsupervised

def stacked_unlabelled(d):
    X = np.concatenate([d["Xs"], d["Xpool"]])
    y = np.concatenate([d["ys"], np.full(len(d["Xpool"]), -1)])
    sample_domain = np.concatenate([np.ones(len(d["Xs"]), int), -np.ones(len(d["Xpool"]), int)])
    return X, y, sample_domain


def run_unsupervised(d, out, times, errors, quick=False):
    X, y, sample_domain = stacked_unlabelled(d)
    for clf_name, make in CLASSIFIERS.items():
        start = time.perf_counter()
        out[(d["name"], clf_name, "source only")] = auc(make().fit(d["Xs"], d["ys"]), d["Xtest"], d["ytest"])
        times[(clf_name, "source only")] = times.get((clf_name, "source only"), 0) + time.perf_counter() - start
        # the smoke run fits HGB with the default weighting only (each flattened
        # weighting costs 26 fits)
        methods = UNSUPERVISED if not quick or clf_name != "HGB" else {
            "DomainClassifierWeighting": UNSUPERVISED["DomainClassifierWeighting"]}
        for w_name, (weighting, flattening) in methods.items():
            key = (d["name"], clf_name, w_name)
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = ImportanceWeightedClassifier(
                        make(), weighting=weighting(), flattening=flattening, random_state=0,
                    ).fit(X, y, sample_domain=sample_domain)
                out[key] = auc(model, d["Xtest"], d["ytest"])
                out[key + ("ess",)] = float(model.effective_sample_size_) / len(d["Xs"])
                out[key + ("exponent",)] = model.flattening_
            except Exception as exc:  # keep going, report
                out[key] = None
                errors.append(f"{w_name} + {clf_name} on {d['name']}: {type(exc).__name__}: {exc}")
            times[(clf_name, w_name)] = times.get((clf_name, w_name), 0) + time.perf_counter() - start
            print(f"  {d['name']:<22} {clf_name:<6} {w_name:<26} AUC {out[key] if out[key] is None else round(out[key], 4)}"
                  f"  ({time.perf_counter() - start:.1f}s)", flush=True)


# ---------------------------------------------------------------- few-shot

def fewshot_methods():
    return {
        ("LogReg", "target only"): lambda Xs, ys, Xl, yl, seed: make_lr().fit(Xl, yl),
        ("LogReg", "RegularizedTransfer lam=auto"): lambda Xs, ys, Xl, yl, seed: _stacked_fit(
            RegularizedTransferClassifier(source_estimator=make_lr()), Xs, ys, Xl, yl),
        ("LogReg", "RegularizedTransfer lam=10"): lambda Xs, ys, Xl, yl, seed: _stacked_fit(
            RegularizedTransferClassifier(source_estimator=make_lr(), lam=10.0), Xs, ys, Xl, yl),
        ("LogReg", "TrAdaBoost (LogReg, lr=0.1)"): lambda Xs, ys, Xl, yl, seed: _stacked_fit(
            TrAdaBoostClassifier(make_lr(), n_estimators=20, learning_rate=0.1, random_state=seed),
            Xs, ys, Xl, yl),
        ("HGB", "target only"): lambda Xs, ys, Xl, yl, seed: make_hgb().fit(Xl, yl),
        ("HGB", "TrAdaBoost (depth-3 trees)"): lambda Xs, ys, Xl, yl, seed: _stacked_fit(
            TrAdaBoostClassifier(n_estimators=50, random_state=seed), Xs, ys, Xl, yl),
    }


def _stacked_fit(model, Xs, ys, Xl, yl):
    X = np.concatenate([Xs, Xl])
    y = np.concatenate([ys, yl])
    sample_domain = np.concatenate([np.ones(len(Xs), int), -np.ones(len(Xl), int)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, sample_domain=sample_domain)


def run_fewshot(d, seeds, ns, out, errors):
    methods = fewshot_methods()
    for n in ns:
        if n > len(d["Xpool"]):
            print(f"  {d['name']:<22} n={n}: skipped (target pool has {len(d['Xpool'])} rows)", flush=True)
            continue
        for (clf_name, m_name), fit in methods.items():
            scores = []
            for seed in seeds:
                Xl, _, yl, _ = train_test_split(d["Xpool"], d["ypool"], train_size=n,
                                                stratify=d["ypool"], random_state=seed)
                try:
                    scores.append(auc(fit(d["Xs"], d["ys"], Xl, yl, seed), d["Xtest"], d["ytest"]))
                except Exception as exc:
                    errors.append(f"{m_name} + {clf_name} n={n} seed={seed} on {d['name']}: "
                                  f"{type(exc).__name__}: {exc}")
            out[(d["name"], clf_name, m_name, n)] = float(np.mean(scores)) if scores else None
            out[(d["name"], clf_name, m_name, n, "sd")] = float(np.std(scores)) if scores else None
            print(f"  {d['name']:<22} {clf_name:<6} {m_name:<30} n={n:<5} AUC "
                  f"{out[(d['name'], clf_name, m_name, n)]}", flush=True)


# ------------------------------------------------------- score estimation

def run_estimates(d, out, errors, seed=0):
    """The source-only model is fitted on 70% of the source rows; its true target
    AUC is its AUC on the target test rows. Naive estimate: its AUC on the other
    30% of the source rows. Weighted estimates: ``estimate_target_score`` (default
    weighting) on those 30% held-out source rows stacked with the unlabelled pool
    rows, with its default flattening and without it."""
    Xa, Xb, ya, yb = train_test_split(d["Xs"], d["ys"], test_size=0.3, stratify=d["ys"], random_state=seed)
    X = np.concatenate([Xb, d["Xpool"]])
    y = np.concatenate([yb, np.full(len(d["Xpool"]), -1)])
    sample_domain = np.concatenate([np.ones(len(Xb), int), -np.ones(len(d["Xpool"]), int)])
    for clf_name, make in CLASSIFIERS.items():
        model = make().fit(Xa, ya)
        out[(d["name"], clf_name, "naive")] = auc(model, Xb, yb)
        out[(d["name"], clf_name, "truth")] = auc(model, d["Xtest"], d["ytest"])
        for variant, fraction in (("weighted", 0.5), ("unflattened", None)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = diagnostics.estimate_target_score(model, X, y, sample_domain, scoring="roc_auc",
                                                               min_effective_fraction=fraction)
                out[(d["name"], clf_name, variant)] = result.score
                out[(d["name"], clf_name, variant, "ess")] = result.effective_sample_size
                out[(d["name"], clf_name, variant, "a")] = result.flattening
            except Exception as exc:
                out[(d["name"], clf_name, variant)] = None
                errors.append(f"estimate_target_score ({variant}) + {clf_name} on {d['name']}: "
                              f"{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------- report

def f4(v):
    return "n/a" if v is None else f"{v:.4f}"


def mean_or_none(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def report(data, splits, ns, seeds, out, times, errors, quick, elapsed):
    names = [d["name"] for d in data]
    lines = [f"# Credit scoring under population shift{' (quick run)' if quick else ''}", "",
             "## Environment", "", harness.environment_summary(),
             f"- BLAS/OpenMP threads limited to 1 (threadpoolctl); total run time {elapsed:.0f} s", ""]
    lines += ["## Splits", "",
              "| split | what | source rows | target rows (pool / test) | features | target default or 'good' rate |",
              "|---|---|---:|---:|---:|---:|"]
    for d in data:
        rate = np.mean(np.concatenate([d["ypool"], d["ytest"]]))
        lines.append(f"| {d['name']} | {d['what']} | {d['n_source']} | {len(d['Xpool'])} / {len(d['Xtest'])} "
                     f"| {len(d['features'])} | {rate:.3f} (source {np.mean(d['ys']):.3f}) |")
    lines += [
        "",
        "The split column is dropped from the features (it is constant within a domain, so it "
        "carries nothing a model could use on the other domain; it would only let a domain "
        "classifier separate the domains perfectly). German credit is split by `Age` (under 30 as "
        "source, 371 rows; 30 and over as target, 629 rows): it is present in the file, it is the "
        "attribute scorecards are most often segmented by, and it leaves both sides big enough "
        "(`Foreign` would leave 37 rows on one side). Features are standardised with the source "
        "rows' mean and standard deviation (for both classifiers; trees do not care). The target "
        "rows of each split are halved (stratified, seed 0): the *test* half is scored and seen "
        "by no method; the *pool* half gives the unlabelled target rows of the weightings and "
        "the n labelled rows of the few-shot methods. n is run only when the pool has n rows "
        "(German: n = 100, 300 only). AUC is of the positive class (`default.payment.next.month` = "
        "1 for Taiwan, `target` = 1 for German).",
        "",
    ]
    # (a) unsupervised
    lines += ["## (a) No target labels: source only vs importance weighting (target AUC)", "",
              "`ImportanceWeightedClassifier(clf, weighting=W(), random_state=0)` with every weighting "
              "at its default settings; by default the weights are flattened, `w ** a`, with `a` in "
              "{0, 0.25, 0.5, 0.75, 1} chosen by importance-weighted 5-fold CV on the source rows "
              "(no target label). The last column is the default weighting with `flattening=1` "
              "(the weights as they are). Δ = mean over splits minus source only. ESS: effective "
              "sample size of the weights used / source rows; a: the flattening exponent used.", ""]
    for clf_name in CLASSIFIERS:
        cols = ["source only", *UNSUPERVISED]
        lines += [f"### {clf_name}", "", "| split | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
        for name in names:
            cells = []
            for c in cols:
                v = out.get((name, clf_name, c))
                ess = out.get((name, clf_name, c, "ess"))
                exponent = out.get((name, clf_name, c, "exponent"))
                cells.append(f4(v) + (f" (ESS {ess:.2f}, a {exponent:g})" if ess is not None else ""))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        means = {c: mean_or_none([out.get((n, clf_name, c)) for n in names]) for c in cols}
        lines.append("| **mean** | " + " | ".join(f4(means[c]) for c in cols) + " |")
        base = means["source only"]
        lines.append("| Δ vs source only | " + " | ".join(
            "—" if c == "source only" or means[c] is None else f"{means[c] - base:+.4f}" for c in cols) + " |")
        lines.append("| fit time (s, all splits) | " + " | ".join(
            f"{times.get((clf_name, c), 0):.1f}" for c in cols) + " |")
        lines.append("")
    # (b) few-shot
    lines += ["## (b) n labelled target rows: target only vs parameter transfer (target AUC)", "",
              f"Mean over {len(seeds)} seed(s) (seed: which pool rows are labelled; stratified). "
              "Source only and the default importance weighting (DomainClassifierWeighting) use no "
              "target labels and are repeated for reference. RegularizedTransfer: "
              "`RegularizedTransferClassifier(source_estimator=LogisticRegression(), lam=...)`, lam=auto (the default) chosen by 3 x 5-fold CV on the n labelled target rows (the largest lam within half a standard error of the best) "
              "(L2-SP toward the source coefficients; intercept free). TrAdaBoost (LogReg): "
              "`TrAdaBoostClassifier(LogisticRegression(), n_estimators=20, learning_rate=0.1)`; "
              "TrAdaBoost (trees): `TrAdaBoostClassifier(n_estimators=50)` (depth-3 trees, the default).",
              ""]
    methods = fewshot_methods()
    for clf_name in CLASSIFIERS:
        m_names = [m for (c, m) in methods if c == clf_name]
        for n in ns:
            lines += [f"### {clf_name}, n = {n}", "",
                      "| split | source only | DomainClassifierWeighting | " + " | ".join(m_names) + " |",
                      "|---|" + "---:|" * (2 + len(m_names))]
            rows = [name for name in names if out.get((name, clf_name, m_names[0], n)) is not None]
            for name in rows:
                cells = [f4(out.get((name, clf_name, "source only"))),
                         f4(out.get((name, clf_name, "DomainClassifierWeighting")))]
                for m in m_names:
                    v, sd = out.get((name, clf_name, m, n)), out.get((name, clf_name, m, n, "sd"))
                    cells.append(f4(v) + ("" if sd is None else f" ± {sd:.4f}"))
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            if rows:
                cells = [f4(mean_or_none([out.get((r, clf_name, "source only")) for r in rows])),
                         f4(mean_or_none([out.get((r, clf_name, "DomainClassifierWeighting")) for r in rows]))]
                cells += [f4(mean_or_none([out.get((r, clf_name, m, n)) for r in rows])) for m in m_names]
                lines.append(f"| **mean over {len(rows)} split(s)** | " + " | ".join(cells) + " |")
            lines.append("")
    # (c) estimates
    lines += ["## (c) Estimating the target AUC without target labels", "",
              "Model: the source-only classifier fitted on 70% of the source rows (stratified, seed 0); "
              "truth: its AUC on the target test rows. Naive estimate: its AUC on the other 30% of the "
              "source rows. Weighted estimate: `sktransfer.diagnostics.estimate_target_score(model, X, y, "
              "sample_domain, scoring='roc_auc')` with X the 30% held-out source rows stacked with the "
              "unlabelled target pool rows (default weighting, DomainClassifierWeighting), with its default "
              "flattening of the weights to an effective sample size of at least half the rows "
              "(`min_effective_fraction=0.5`; a: the exponent used) and without it "
              "(`min_effective_fraction=None`). ESS: effective sample size of the weights used.",
              "", "| split | classifier | true target AUC | naive estimate | weighted (default) | a | ESS "
              "| weighted, unflattened | ESS |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    errs = {"naive": [], "weighted": [], "unflattened": []}
    for name in names:
        for clf_name in CLASSIFIERS:
            truth = out.get((name, clf_name, "truth"))
            cells = [f4(truth)]
            for variant in errs:
                value = out.get((name, clf_name, variant))
                if value is not None:
                    errs[variant].append(abs(value - truth))
                cells.append(f4(value))
                if variant != "naive":
                    a, ess = out.get((name, clf_name, variant, "a")), out.get((name, clf_name, variant, "ess"))
                    cells += ([f"{a:.2f}"] if variant == "weighted" and a is not None else
                              ["n/a"] if variant == "weighted" else [])
                    cells.append("n/a" if ess is None else f"{ess:.0f}")
            lines.append(f"| {name} | {clf_name} | " + " | ".join(cells) + " |")
    labels = {"naive": "naive estimate (source AUC)", "weighted": "weighted estimate, default (flattened)",
              "unflattened": "weighted estimate, unflattened"}
    lines.append("")
    for variant, label in labels.items():
        lines.append(f"- {label}, mean absolute error: **{f4(mean_or_none(errs[variant]))}** "
                     f"(over {len(errs[variant])} split × classifier pairs)")
    lines.append("")
    # (d) claims
    lines += ["## (d) The issue's two claims", ""]
    lines += claims(names, out)
    if errors:
        lines += ["", "## Errors", ""] + [f"- `{e[:300]}`" for e in errors]
    return "\n".join(lines)


def claims(names, out, n=300):
    lines = []
    rows = [r for r in names if out.get((r, "LogReg", "RegularizedTransfer lam=auto", n)) is not None]
    src = mean_or_none([out.get((r, "LogReg", "source only")) for r in rows])
    tgt = mean_or_none([out.get((r, "LogReg", "target only", n)) for r in rows])
    for m in ("RegularizedTransfer lam=auto", "RegularizedTransfer lam=10", "TrAdaBoost (LogReg, lr=0.1)"):
        pt = mean_or_none([out.get((r, "LogReg", m, n)) for r in rows])
        holds = pt is not None and pt > src and pt > tgt
        lines.append(
            f"- LogReg, **{m}** at n = {n}, mean over {len(rows)} split(s): {f4(pt)} vs source only "
            f"{f4(src)} and target only {f4(tgt)} → \"parameter transfer beats both source-only and "
            f"target-only at n=300 on average\": **{'holds' if holds else 'does NOT hold'}**")
    src_h = mean_or_none([out.get((r, "HGB", "source only")) for r in rows])
    tgt_h = mean_or_none([out.get((r, "HGB", "target only", n)) for r in rows])
    pt_h = mean_or_none([out.get((r, "HGB", "TrAdaBoost (depth-3 trees)", n)) for r in rows])
    holds = pt_h is not None and pt_h > src_h and pt_h > tgt_h
    lines.append(
        f"- HGB family, **TrAdaBoost (depth-3 trees)** at n = {n}: {f4(pt_h)} vs HGB source only {f4(src_h)} "
        f"and HGB target only {f4(tgt_h)} → **{'holds' if holds else 'does NOT hold'}**")
    lines.append("")
    worst = []
    for clf_name in CLASSIFIERS:
        base = mean_or_none([out.get((r, clf_name, "source only")) for r in names])
        for w in WEIGHTINGS:
            m = mean_or_none([out.get((r, clf_name, w)) for r in names])
            if m is not None:
                worst.append((m - base, clf_name, w))
    losers = [(d, c, w) for d, c, w in worst if d < -0.005]
    summary = ", ".join(f"{w} + {c} {d:+.4f}" for d, c, w in sorted(worst))
    lines.append(
        "- \"default importance weighting never loses more than 0.005 target AUC to source-only on "
        f"average\" (every weighting × classifier, mean over {len(names)} splits): "
        f"**{'holds' if not losers else 'does NOT hold'}**. Δ mean AUC vs source only: {summary}.")
    dcw = [(d, c) for d, c, w in worst if w == "DomainClassifierWeighting"]
    lines.append(
        "- For the package default (`ImportanceWeightedClassifier()` weighting = DomainClassifierWeighting) "
        "alone: " + ", ".join(f"{c} {d:+.4f}" for d, c in dcw) + " → "
        f"**{'holds' if all(d >= -0.005 for d, _ in dcw) else 'does NOT hold'}**.")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="subsample the Taiwan domains to 1500 source / 3000 target rows, 1 seed, "
                             "n = 100 and 300, HGB with 20 trees (a smoke run, about two minutes)")
    parser.add_argument("--data-home", default=default_data_home(),
                        help="data directory (default: $SKTRANSFER_DATA_HOME, else ../shared/data)")
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--seeds", type=int, default=None, help="few-shot seeds (default 3, 1 with --quick)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), sklearn.config_context(enable_metadata_routing=False):
        return _run(args)


def _run(args):
    global _hgb_max_iter
    _hgb_max_iter = HGB_MAX_ITER["quick" if args.quick else "full"]
    start = time.perf_counter()
    seeds = list(range(args.seeds or (1 if args.quick else 3)))
    ns = (100, 300) if args.quick else N_LABELLED
    data = [prepare(s, quick=args.quick) for s in load_splits(args.data_home)]
    out, times, errors = {}, {}, []
    for d in data:
        print(f"-- {d['name']}: {d['n_source']} source rows, {d['n_target']} target rows", flush=True)
        run_unsupervised(d, out, times, errors, quick=args.quick)
        run_fewshot(d, seeds, ns, out, errors)
        run_estimates(d, out, errors)
    text = report(data, None, ns, seeds, out, times, errors, args.quick, time.perf_counter() - start)
    harness.write_report("credit_quick" if args.quick else "credit", text, args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
