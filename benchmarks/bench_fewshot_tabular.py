"""Few-shot transfer for gradient boosting and logistic regression on the credit splits.

On the seven credit splits of ``_credit_splits.load_splits(extra=True)``,
with HistGradientBoosting (sklearn's defaults) and logistic regression as
the base estimator, and n = 100, 300, 1000 labelled target rows (5 seeds:
which pool rows are labelled, stratified), the AUC on the target test half
(seen by no method) of:

- source only (the base estimator on the source rows, fitted once per split
  and base estimator, and reused by every method below through
  ``FrozenEstimator``), target only (the base estimator on the n rows);
- ``ContinuedBoostingClassifier`` (rounds by CV), ``SourceStackingClassifier``,
  ``PooledTransferClassifier`` (target rows weighing as much as the source),
  ``FeatureAugmentationClassifier`` (Daumé III), each on its own;
- ``FewShotTransferClassifier`` at its defaults: the selector.

Run: ``python benchmarks/bench_fewshot_tabular.py [--quick]``; writes
``benchmarks/results/fewshot_tabular.md`` (``fewshot_tabular_quick.md`` with
``--quick``), rewritten after every block so that a stopped run leaves what
it measured.
"""

import argparse
import os
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from sktransfer.parameter import (  # noqa: E402
    ContinuedBoostingClassifier,
    FeatureAugmentationClassifier,
    FewShotTransferClassifier,
    PooledTransferClassifier,
    SourceStackingClassifier,
)

import _harness as harness  # noqa: E402
from _credit_splits import load_splits  # noqa: E402

N_LABELLED = (300, 1000, 100)  # the order they run in: the claims are about 300 and 1000
SEEDS = 5
METHODS = ("source only", "target only", "ContinuedBoosting", "SourceStacking", "PooledTransfer",
           "FeatureAugmentation", "FewShotTransfer (default)")
BASES = {
    # HGB: sklearn's defaults (random_state fixed for its early-stopping split)
    "HGB": lambda: HistGradientBoostingClassifier(random_state=0),
    "LR": lambda: LogisticRegression(max_iter=1000),
}


def default_data_home():
    return os.environ.get("SKTRANSFER_DATA_HOME") or str(REPO.parent / "shared" / "data")


def prepare(split):
    """Standardise with the source statistics; halve the target rows
    (stratified, seed 0) into a pool (the labelled rows come from it) and a
    test half no method sees. The protocol of ``bench_credit.py``."""
    name, what, Xs, ys, Xt, yt, features = split
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    Xs, Xt = (Xs - mean) / std, (Xt - mean) / std
    Xpool, Xtest, ypool, ytest = train_test_split(Xt, yt, test_size=0.5, stratify=yt, random_state=0)
    return dict(name=name, what=what, Xs=Xs, ys=ys, Xpool=Xpool, ypool=ypool, Xtest=Xtest, ytest=ytest)


def auc(model, X, y):
    return float(roc_auc_score(y, model.predict_proba(X)[:, 1]))


def run_block(d, base_name, source, n, seeds, out, chosen, times, errors):
    make = BASES[base_name]
    frozen = FrozenEstimator(source)
    methods = {
        "target only": lambda: clone(make()),
        "ContinuedBoosting": lambda: ContinuedBoostingClassifier(frozen),
        "SourceStacking": lambda: SourceStackingClassifier(make(), source_estimator=frozen),
        "PooledTransfer": lambda: PooledTransferClassifier(make()),
        "FeatureAugmentation": lambda: FeatureAugmentationClassifier(make()),
        "FewShotTransfer (default)": lambda: FewShotTransferClassifier(make(), source_estimator=frozen),
    }
    for seed in seeds:
        Xl, _, yl, _ = train_test_split(d["Xpool"], d["ypool"], train_size=n, stratify=d["ypool"],
                                        random_state=seed)
        X = np.concatenate([d["Xs"], Xl])
        y = np.concatenate([d["ys"], yl])
        sample_domain = np.r_[np.ones(len(d["Xs"]), int), -np.ones(len(Xl), int)]
        for m_name, build in methods.items():
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if m_name == "target only":
                        model = build().fit(Xl, yl)
                    else:
                        model = build().fit(X, y, sample_domain=sample_domain)
                score = auc(model, d["Xtest"], d["ytest"])
            except Exception as exc:  # keep going, report
                errors.append(f"{m_name} + {base_name} n={n} seed={seed} on {d['name']}: "
                              f"{type(exc).__name__}: {exc}")
                continue
            times[(base_name, m_name)] = times.get((base_name, m_name), 0.0) + time.perf_counter() - start
            out.setdefault((d["name"], base_name, m_name, n), []).append(score)
            if m_name == "FewShotTransfer (default)":
                chosen.setdefault((base_name, n), Counter())[model.chosen_.split("(")[0]] += 1
            if m_name == "ContinuedBoosting":
                out.setdefault((d["name"], base_name, "rounds", n), []).append(model.n_rounds_)
    print(f"  {d['name']:<30} {base_name:<4} n={n:<5} " + "  ".join(
        f"{m}={np.mean(out.get((d['name'], base_name, m, n), [np.nan])):.4f}" for m in METHODS), flush=True)


def _fmt(scores):
    if not scores:
        return "—"
    if len(scores) == 1 or np.std(scores) == 0:
        return f"{np.mean(scores):.4f}"
    return f"{np.mean(scores):.4f} ± {np.std(scores):.4f}"


def _split_mean_per_seed(out, names, base, method, n):
    """The mean over splits for each seed (the seed-to-seed spread of a mean over splits)."""
    rows = [out[(name, base, method, n)] for name in names]
    if any(len(r) != len(rows[0]) for r in rows) or not rows:
        return None
    return np.mean(np.array(rows), axis=0)


def report(data, ns, seeds, out, chosen, times, errors, quick, elapsed, done):
    lines = ["# Few-shot transfer for gradient boosting and any estimator (credit splits)", ""]
    lines += ["## Environment", "", harness.environment_summary().rstrip("\n"),
        f"- BLAS/OpenMP threads limited to 1 (threadpoolctl); run time so far {elapsed:.0f} s"
        + ("" if done else " — **run still in progress or stopped: partial results**"), ""]
    lines += ["## Protocol", "",
              "Splits: `benchmarks/_credit_splits.load_splits(data_home, extra=True)` (4 original + 3 "
              "concept-shift splits). Features standardised with the source rows' statistics; the "
              "target rows halved (stratified, seed 0) into a pool and a test half that no method "
              f"sees. n labelled target rows drawn from the pool (stratified; {len(seeds)} seed(s)); "
              "n is run only where the pool has n rows. AUC on the test half, mean ± standard "
              "deviation over the seeds (source only does not depend on the seed).",
              "",
              "Base estimators: `HistGradientBoostingClassifier(random_state=0)` (sklearn's defaults; "
              "the seed fixes its early-stopping split) and `LogisticRegression(max_iter=1000)`. "
              "The source model is fitted once per split and base estimator and passed to every "
              "method as `FrozenEstimator(source)`. Methods: `ContinuedBoostingClassifier(frozen)` "
              "(n_rounds by 3 x 5-fold CV), `SourceStackingClassifier(base, source_estimator=frozen)`, "
              "`PooledTransferClassifier(base)` (target_weight='balanced'), "
              "`FeatureAugmentationClassifier(base)`, and the selector at its defaults, "
              "`FewShotTransferClassifier(base, source_estimator=frozen)` (candidates source-only, "
              "continued boosting 5..100 rounds, stacking, target-only; log loss, 3 x 5-fold CV on "
              "the labelled target rows, the safest within half a standard error of the best).", ""]
    names = [d["name"] for d in data]
    for base in BASES:
        for n in ns:
            rows = [d for d in data if (d["name"], base, "source only", n) in out]
            if not rows:
                continue
            lines += [f"### {base}, n = {n}", "",
                      "| split | " + " | ".join(METHODS) + " | boosting rounds |",
                      "|---|" + "---:|" * (len(METHODS) + 1)]
            for d in rows:
                cells = [_fmt(out.get((d["name"], base, m, n), [])) for m in METHODS]
                rounds = out.get((d["name"], base, "rounds", n), [])
                lines.append(f"| {d['name']} | " + " | ".join(cells) + f" | {'/'.join(map(str, rounds))} |")
            means = []
            for m in METHODS:
                vals = [np.mean(out[(d['name'], base, m, n)]) for d in rows if out.get((d['name'], base, m, n))]
                means.append(f"**{np.mean(vals):.4f}**" if len(vals) == len(rows) else "—")
            lines += [f"| **mean over {len(rows)} split(s)** | " + " | ".join(means) + " | |", ""]
            if (base, n) in chosen:
                lines += ["Selector's choices (over splits × seeds): " + ", ".join(
                    f"{k} {v}" for k, v in sorted(chosen[(base, n)].items(), key=lambda kv: -kv[1])), ""]
    lines += ["## Does the default selector beat both HGB source-only and HGB target-only?", "",
              "Per n: the selector's mean over the splits run at that n against the better of HGB "
              "source-only and HGB target-only (mean over the same splits); the spread is the "
              "standard deviation over the seeds of the selector's mean over splits. The claim "
              "holds when the margin is positive and larger than the spread.", ""]
    for n in ns:
        split_names = [nm for nm in names if (nm, "HGB", "source only", n) in out]
        if not split_names:
            continue
        src = np.mean([np.mean(out[(nm, "HGB", "source only", n)]) for nm in split_names])
        tgt = np.mean([np.mean(out[(nm, "HGB", "target only", n)]) for nm in split_names])
        for base in BASES:
            if not all((nm, base, "FewShotTransfer (default)", n) in out for nm in split_names):
                continue
            per_seed = _split_mean_per_seed(out, split_names, base, "FewShotTransfer (default)", n)
            sel = float(np.mean(per_seed))
            spread = float(np.std(per_seed)) if per_seed is not None else float("nan")
            margin = sel - max(src, tgt)
            verdict = "**holds**" if margin > spread and margin > 0 else "**does NOT hold**"
            lines.append(
                f"- n = {n}, selector with {base} ({len(split_names)} splits): {sel:.4f} vs HGB "
                f"source-only {src:.4f} and HGB target-only {tgt:.4f}: margin {margin:+.4f}, "
                f"seed-to-seed spread {spread:.4f} → {verdict}")
    lines += ["", "## Fit time (s, all splits and seeds)", "",
              "| base | " + " | ".join(METHODS[1:]) + " |", "|---|" + "---:|" * (len(METHODS) - 1)]
    for base in BASES:
        lines.append(f"| {base} | " + " | ".join(f"{times.get((base, m), 0.0):.0f}" for m in METHODS[1:]) + " |")
    if errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="the two German splits only, 1 seed, n = 100 (a smoke run)")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--seeds", type=int, default=None, help=f"seeds (default {SEEDS}, 1 with --quick)")
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--ns", type=int, nargs="+", default=None,
                        help="run only these n (the report is then fewshot_tabular_n<...>.md)")
    parser.add_argument("--combine", action="store_true",
                        help="write fewshot_tabular.md from the fewshot_tabular_n<n>.md of runs made "
                             "with --ns (one process per n, run side by side)")
    args = parser.parse_args(argv)
    if args.combine:
        return combine(args.results_dir)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.blas_threads), sklearn.config_context(enable_metadata_routing=False):
        return _run(args)


def _run(args):
    start = time.perf_counter()
    seeds = list(range(args.seeds or (1 if args.quick else SEEDS)))
    ns = (100,) if args.quick else tuple(args.ns or N_LABELLED)
    splits = load_splits(args.data_home, extra=True)
    if args.quick:
        splits = [s for s in splits if s[0].startswith("German")]
    data = [prepare(s) for s in splits]
    out, chosen, times, errors = {}, {}, {}, []
    name = "fewshot_tabular_quick" if args.quick else "fewshot_tabular"
    if args.ns and not args.quick:
        name += "_n" + "_".join(map(str, ns))
    sources = {}
    for d in data:
        for base, make in BASES.items():
            t = time.perf_counter()
            sources[(d["name"], base)] = make().fit(d["Xs"], d["ys"])
            times[(base, "source fit")] = times.get((base, "source fit"), 0.0) + time.perf_counter() - t
    # the blocks run in the order of the claims: HGB at n = 300 and 1000 first
    order = [(base, n) for n in ns for base in BASES]
    for base, n in order:
        for d in data:
            if n > len(d["Xpool"]):
                continue
            src_auc = auc(sources[(d["name"], base)], d["Xtest"], d["ytest"])
            out[(d["name"], base, "source only", n)] = [src_auc]
            run_block(d, base, sources[(d["name"], base)], n, seeds, out, chosen, times, errors)
            text = report(data, ns, seeds, out, chosen, times, errors, args.quick,
                          time.perf_counter() - start, done=False)
            _write_quiet(name, text, args.results_dir)
    text = report(data, ns, seeds, out, chosen, times, errors, args.quick, time.perf_counter() - start,
                  done=True)
    harness.write_report(name, text, args.results_dir)
    return 0


def _section(text, start, stop):
    begin = text.find(start)
    if begin < 0:
        return ""
    end = text.find(stop, begin + len(start))
    return text[begin:end if end >= 0 else len(text)].strip()


def combine(results_dir):
    """One report from the per-n reports (``--ns n`` runs), in the order of N_LABELLED."""
    results_dir = Path(results_dir)
    parts = [(n, results_dir / f"fewshot_tabular_n{n}.md") for n in N_LABELLED]
    parts = [(n, path.read_text(encoding="utf-8")) for n, path in parts if path.exists()]
    if not parts:
        raise SystemExit(f"no fewshot_tabular_n<n>.md in {results_dir}")
    first = parts[0][1]
    lines = [first.splitlines()[0], "",
             "Combined from " + ", ".join(f"`fewshot_tabular_n{n}.md`" for n, _ in parts) + ", each made by "
             "`python benchmarks/bench_fewshot_tabular.py --ns <n>` (one process per n, run side by side "
             "on a shared 2-core machine), then `--combine`.", ""]
    lines += [_section(first, "## Protocol", "### "), ""]
    for n, text in parts:
        lines += [f"## n = {n}", "", _section(text, "## Environment", "## Protocol"), ""]
        body = _section(text, "### ", "## Does the default")
        lines += [body, ""]
    lines += ["## Does the default selector beat both HGB source-only and HGB target-only?", ""]
    claims = [_section(t, "## Does the default", "## Fit time") for _, t in parts]
    lines += [claims[0].split("\n", 2)[2].split("\n- ")[0].strip(), ""]
    for claim in claims:
        lines += [line for line in claim.splitlines() if line.startswith("- n = ")]
    for n, text in parts:
        lines += ["", f"## Fit time at n = {n} (s, all splits and seeds)", "",
                  _section(text, "## Fit time", "## Errors").split("\n", 1)[1].strip()]
        errors = _section(text, "## Errors", "\n## ")
        if errors:
            lines += ["", errors]
    harness.write_report("fewshot_tabular", "\n".join(lines) + "\n", results_dir)
    return 0


def _write_quiet(name, text, results_dir):
    """The partial report, written atomically without printing it."""
    path = Path(results_dir) / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
