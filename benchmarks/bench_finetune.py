"""Fine-tuning the pretrained MNIST CNN on 10 labelled USPS digits per class.

MNIST→USPS with ccexam's pretrained MNIST CNN (``mnist.pth``, the model of
``bench_features.py``): the 16 x 16 JDA USPS digits are upsampled to 28 x 28
(bilinear) and normalised with MNIST's mean and std once, then
``FineTunedClassifier(cnn, layer="classifier.1")`` puts a new 10-way head on
the CNN's 128-d penultimate features and trains on 100 labelled USPS rows
(10 per class, drawn with 3 seeds):

- frozen backbone (``unfreeze=0``: the new head only);
- last block unfrozen (``unfreeze=1``: the block ``classifier``, whose
  ``Linear(3136, 128)`` runs before the features are read);
- full fine-tuning (``unfreeze="all"``), and with discriminative learning
  rates (backbone at ``lr / 10``);
- full fine-tuning + L2-SP (``alpha`` toward the pretrained weights,
  ``beta=0.01`` on the new head);
- the same architecture trained from scratch on the 100 rows
  (``FineTunedClassifier(MnistCNN, ...)``: the class, so random weights).

Reference rows: the CNN's own head (no training on USPS) and the CNN's
features + logistic regression trained on the 2000 MNIST rows (source only,
as in ``bench_features.py``). Every row is scored on the USPS rows not drawn
for training.

Hyper-parameters are chosen without the evaluation labels: 30 epochs and
batches of 32 are fixed; the learning rate (and L2-SP's ``alpha``, at the
learning rate chosen for full fine-tuning with the same optimizer) is chosen per seed by 3-fold
stratified cross-validation on the 100 labelled rows (``GridSearchCV`` on the
estimator itself), then refitted on the 100 rows.

torch runs on one thread (``torch.set_num_threads(1)``), as in
``bench_features.py``.

Usage::

    python benchmarks/bench_finetune.py          # full run, writes benchmarks/results/finetune.md
    python benchmarks/bench_finetune.py --quick  # smoke run (CI): 1 seed, 2 epochs, no grid
    python benchmarks/bench_finetune.py --data-home DIR --results-dir DIR --blas-threads 1
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# benchmark this checkout, whatever sktransfer is installed
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

import sktransfer  # noqa: E402
from sktransfer.datasets import fetch_mnist_usps  # noqa: E402
from sktransfer.deep import FineTunedClassifier  # noqa: E402

import _harness as harness  # noqa: E402
import bench_features as features_bench  # noqa: E402  (the MNIST CNN, its loading and preprocessing)

PER_CLASS = 10
LR_GRID = [3e-4, 1e-3, 3e-3, 1e-2]  # Adam
# SGD with momentum 0.9, the optimizer of Li et al. (2018). The grid stops at 0.01: in a first run
# with 0.03 in it, CV chose 0.03 for one draw and the refit on the 100 rows diverged (training loss
# up, 20% accuracy)
SGD_LR_GRID = [1e-3, 3e-3, 1e-2]
ALPHA_GRID = [0.01, 0.1, 1.0]
EPOCHS, BATCH_SIZE, CV_FOLDS = 30, 32, 3
TASK = "M→U"


def methods():
    """(name, module: 'pretrained' or a class, fixed parameters, grid: 'lr' or 'alpha', base row
    whose chosen lr the alpha grid uses)."""
    sgd = dict(optimizer=torch.optim.SGD, optimizer__momentum=0.9)
    return [
        ("frozen backbone (new head only)", "pretrained", dict(unfreeze=0), "lr", None),
        ("last block unfrozen (`classifier`: Linear 3136→128)", "pretrained", dict(unfreeze=1), "lr", None),
        ("full fine-tuning", "pretrained", dict(unfreeze="all"), "lr", None),
        ("full, discriminative lr (backbone × 0.1)", "pretrained",
         dict(unfreeze="all", backbone_lr_factor=0.1), "lr", None),
        ("full + L2-SP (β = 0.01)", "pretrained", dict(unfreeze="all", beta=0.01), "alpha",
         "full fine-tuning"),
        ("full fine-tuning, SGD", "pretrained", dict(unfreeze="all", **sgd), "sgd_lr", None),
        ("full + L2-SP (β = 0.01), SGD", "pretrained", dict(unfreeze="all", beta=0.01, **sgd), "alpha",
         "full fine-tuning, SGD"),
        ("same architecture from scratch", features_bench.MnistCNN, dict(unfreeze="all"), "lr", None),
    ]


def labelled_rows(y, seed):
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), PER_CLASS, replace=False)
                                   for c in np.unique(y)]))


def fit_selected(estimator, grid, X, y, seed):
    """Fit ``estimator`` on (X, y), its parameters chosen by CV on (X, y) when the grid has a choice."""
    if all(len(values) == 1 for values in grid.values()):
        return estimator.set_params(**{k: v[0] for k, v in grid.items()}).fit(X, y), {}
    cv = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
    search = GridSearchCV(estimator, grid, cv=cv, refit=True).fit(X, y)
    return search.best_estimator_, search.best_params_


def fmt(values):
    values = 100 * np.asarray(values)
    return f"{values.mean():.1f} ± {values.std():.1f}"


def _run(args):
    started = time.perf_counter()
    name = "finetune_quick" if args.quick else "finetune"
    seeds = list(range(1 if args.quick else args.seeds))
    epochs = 2 if args.quick else EPOCHS
    lr_grid = [1e-3] if args.quick else LR_GRID
    sgd_lr_grid = [1e-2] if args.quick else SGD_LR_GRID
    alpha_grid = [0.1] if args.quick else ALPHA_GRID

    direction, cnn_class, filename, layer, preprocess = features_bench.DIGIT_TASKS[TASK]
    Xs, ys, Xt, yt = fetch_mnist_usps(direction, data_home=args.data_home)
    ys, yt = ys - 1, yt - 1  # digits 0-9
    if args.quick:
        keep = np.random.default_rng(0).permutation(len(Xs))[:300]
        Xs, ys = Xs[keep], ys[keep]
    net = features_bench.load_digit_cnn(args.data_home, cnn_class, filename)
    with torch.inference_mode():
        images = preprocess(torch.from_numpy(features_bench.rows_to_images(Xt))).numpy()
        own_head = net(torch.from_numpy(images)).argmax(1).numpy()

    # source only: CNN features + LogReg on the MNIST rows (target rows masked), as in bench_features
    logreg = features_bench.digit_methods(net, layer, preprocess)[1].factory()
    logreg.fit(np.vstack([Xs, Xt]), np.r_[ys, np.full(len(Xt), -1)])
    logreg_pred = logreg.predict(Xt)

    rows = {"CNN's own head (no training on USPS)": [],
            "CNN features + LogReg on MNIST (source only)": []}
    chosen, fit_seconds = {}, {}
    for seed in seeds:
        train = labelled_rows(yt, seed)
        test = np.setdiff1d(np.arange(len(yt)), train)
        if args.quick:
            test = test[:300]
        rows["CNN's own head (no training on USPS)"].append(float((own_head[test] == yt[test]).mean()))
        rows["CNN features + LogReg on MNIST (source only)"].append(
            float((logreg_pred[test] == yt[test]).mean()))
        chosen_lr = {}
        for method, module, fixed, grid_name, base in methods():
            print(f"-- seed {seed}: {method}", flush=True)
            estimator = FineTunedClassifier(
                net if module == "pretrained" else module, layer=layer, max_epochs=epochs,
                batch_size=BATCH_SIZE, random_state=seed, verbose=0, **fixed)
            if grid_name == "alpha":
                grid = {"lr": [chosen_lr[base]], "alpha": alpha_grid}
            else:
                grid = {"lr": sgd_lr_grid if grid_name == "sgd_lr" else lr_grid}
            tic = time.perf_counter()
            fitted, best = fit_selected(estimator, grid, images[train], yt[train], seed)
            fit_seconds.setdefault(method, []).append(time.perf_counter() - tic)
            chosen_lr[method] = fitted.lr
            rows.setdefault(method, []).append(float((fitted.predict(images[test]) == yt[test]).mean()))
            chosen.setdefault(method, []).append(
                ", ".join(f"{k}={v:g}" for k, v in sorted(best.items())) or "fixed")
    n_test = len(test)

    table = ["| method | USPS accuracy (%), mean ± std | per seed | chosen by CV (per seed) | "
             "fit + selection time (s, per seed) |",
             "|---|---:|---|---|---:|"]
    for method, values in rows.items():
        per_seed = ", ".join(f"{100 * v:.1f}" for v in values)
        if method in chosen:
            label = method
            picks = "; ".join(chosen[method])
            seconds = f"{np.mean(fit_seconds[method]):.1f}"
        else:
            label, picks, seconds = f"*{method}*", "—", "—"
        table.append(f"| {label} | {fmt(values)} | {per_seed} | {picks} | {seconds} |")

    best_method = max((m for m in rows if m in chosen), key=lambda m: np.mean(rows[m]))
    frozen = np.mean(rows["frozen backbone (new head only)"])
    scratch = np.mean(rows["same architecture from scratch"])
    source_only = np.mean(rows["CNN features + LogReg on MNIST (source only)"])
    lines = [
        f"# Fine-tuning a pretrained CNN on a few target labels{' (quick run)' if args.quick else ''}", "",
        "## Environment", "", "ENVIRONMENT", "",
        f"## {TASK}: the MNIST CNN fine-tuned with {PER_CLASS} labelled USPS digits per class", "",
        f"`{filename}` (ccexam's MNIST CNN, `features` = 2 conv blocks, `classifier` = Linear 3136→128, ReLU, "
        f"Linear 128→10); `FineTunedClassifier(cnn, layer={layer!r})` reads the 128-d features after the ReLU "
        "and trains a new Linear 128→10 head (the CNN's own last layer never runs). The JDA USPS digits "
        "(16 x 16) are upsampled to 28 x 28 (bilinear) and normalised with mean 0.1307, std 0.3081 once, "
        f"before the estimator. {len(seeds)} seed(s) choose the {PER_CLASS * 10} labelled rows; every row of "
        f"the table is scored on the {n_test} USPS rows not drawn (the rows differ by seed, so the "
        "reference rows vary too). Reference rows in italics.",
        "",
        f"Hyper-parameters, chosen without evaluation labels: {epochs} epochs and batches of {BATCH_SIZE}, "
        f"fixed; Adam unless the row says SGD (momentum 0.9, the optimizer of Li et al. 2018). The learning "
        f"rate from {lr_grid} (Adam) or {sgd_lr_grid} (SGD) by {CV_FOLDS}-fold stratified CV on the "
        f"{PER_CLASS * 10} labelled rows (`GridSearchCV` on the estimator), then refitted on them. L2-SP: "
        f"`alpha` from {alpha_grid} by the same CV, at the learning rate CV chose for full fine-tuning with "
        "the same optimizer; `beta = 0.01` (the head term of L2-SP). The SGD grid stops at 0.01: with 0.03 "
        "in it, a first run had CV pick 0.03 for one draw and the refit diverge. The LogReg reference is fitted on the "
        f"MNIST rows ({len(Xs)}), the CNN's own head is used as it is.",
        "",
        *table,
        "",
        f"- Best fine-tuning row: {best_method} ({fmt(rows[best_method])}); frozen backbone "
        f"{100 * frozen:.1f}, from scratch {100 * scratch:.1f}, source-only LogReg {100 * source_only:.1f} "
        "(bench_features scores it on all 1800 USPS rows: 64.9).",
        f"- L2-SP: with SGD {fmt(rows['full + L2-SP (β = 0.01), SGD'])} against {fmt(rows['full fine-tuning, SGD'])} "
        f"without; with Adam {fmt(rows['full + L2-SP (β = 0.01)'])} against {fmt(rows['full fine-tuning'])}. "
        "A likely reason when Adam does worse (not measured here): Adam rescales the gradient of a penalty "
        "in the loss per parameter (Loshchilov & Hutter 2019), so a weight whose label gradient is small "
        "is pulled back to `w0` by steps of about `lr` rather than `lr * alpha * (w - w0)` as under SGD.",
        "",
        f"Whole run: {time.perf_counter() - started:.0f} s.",
        "",
    ]
    environment = harness.environment_summary() + (
        f"\n- torch {torch.__version__}, {torch.get_num_threads()} torch thread(s) (`torch.set_num_threads(1)`), "
        f"CUDA {'available' if torch.cuda.is_available() else 'not available'} (the run uses the CPU)"
        f"\n- sktransfer {sktransfer.__version__} from `{Path(sktransfer.__file__).parent}`")
    lines[lines.index("ENVIRONMENT")] = environment
    harness.write_report(name, "\n".join(lines), args.results_dir)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, no grid (CI smoke run)")
    parser.add_argument("--data-home", default=features_bench.default_data_home(),
                        help="benchmark data directory (default: $SKTRANSFER_DATA_HOME, else ../shared/data)")
    parser.add_argument("--results-dir", default=str(HERE / "results"),
                        help="where to write the markdown report (default: benchmarks/results)")
    parser.add_argument("--seeds", type=int, default=3, help="draws of the labelled rows (default 3)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS/OpenMP thread pools (threadpoolctl) for the whole run")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    return harness.run_with_blas_threads(_run, args, args.blas_threads)


if __name__ == "__main__":
    sys.exit(main())
