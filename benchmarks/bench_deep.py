"""Deep domain adaptation: DANN, DeepCORAL and MMD on skorch, against skada's DANN.

Sections of the report (``results/deep.md``):

(a) digits, MNIST→USPS and USPS→MNIST (the 16 x 16 JDA files): one small CNN
    trained source only, with DANN, with DeepCORAL and with MMD, several
    seeds; mean and spread of the target accuracy;
(b) skada's ``DANN`` on the same module and budget: as shipped (its default
    domain classifier ends in a softmax over one unit) and with a working
    domain classifier; accuracy and time per epoch next to ours;
(c) tabular covariate shifts (rotated/stretched blobs, rotated moons) and a
    regression shift, with the default MLP;
(d) time per epoch of DANN against a plain skorch ``NeuralNetClassifier``
    with the same module on the same source rows.

Hyper-parameters are fixed before looking at any target label and are the
same for both directions: the optimiser of Ganin et al. (SGD, momentum 0.9,
lr 0.01 annealed as ``lr / (1 + 10 p)^0.75``), their lambda schedule, 64
rows per batch (half source, half target), adaptation weight 1 for every
loss. Target labels only score.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# benchmark this checkout, whatever sktransfer is installed
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import sklearn  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import _harness as harness  # noqa: E402
import sktransfer  # noqa: E402
from sktransfer import DomainWarning, stack_domains  # noqa: E402
from sktransfer.datasets import fetch_mnist_usps, make_rotated_moons, make_shifted_blobs  # noqa: E402
from sktransfer.deep import (  # noqa: E402
    DomainAdversarialClassifier,
    DomainAdversarialRegressor,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    SmallCNN,
    ganin_lr_factor,
    grad_reverse,
)

TARGET_GAIN = 5.0  # DANN over source only, points, mean over both directions
TARGET_TIME_RATIO = 2.5  # DANN epoch / plain skorch epoch, at most
DIRECTIONS = {"mnist_usps": "M→U", "usps_mnist": "U→M"}
PAPER_SGD = dict(optimizer=torch.optim.SGD, lr=0.01, optimizer__momentum=0.9, lr_schedule="ganin")


def default_data_home():
    import os

    return os.environ.get("SKTRANSFER_DATA_HOME") or str(REPO.parent / "shared" / "data")


# ---- (a) digits --------------------------------------------------------------


def digit_methods(epochs):
    """name -> factory(seed); the same CNN, optimiser, batches and epochs for all."""
    common = dict(module=SmallCNN, max_epochs=epochs, batch_size=64, adaptation_schedule="ganin", verbose=0)

    def dann(weight=1.0, optimizer_settings=PAPER_SGD):
        return lambda seed: DomainAdversarialClassifier(
            adaptation_weight=weight, random_state=seed, **common, **optimizer_settings)

    def align(loss):
        return lambda seed: DomainAlignmentClassifier(
            loss=loss, random_state=seed, **common, **PAPER_SGD)

    return {
        "source only": dann(0.0),
        "DANN": dann(1.0),
        "DeepCORAL": align("coral"),
        "MMD (5 kernels)": align("mmd"),
        "source only, Adam": dann(0.0, dict(optimizer=torch.optim.Adam, lr=1e-3, lr_schedule="constant")),
    }


def load_digits(data_home, direction, limit=None, seed=0):
    Xs, ys, Xt, yt = fetch_mnist_usps(direction, data_home=data_home)
    ys, yt = ys - 1, yt - 1  # labels 1..10 are digits 0..9
    if limit:  # a stratified-enough random subsample for the quick run
        rng = np.random.default_rng(seed)
        s, t = rng.permutation(len(Xs))[:limit], rng.permutation(len(Xt))[:limit]
        Xs, ys, Xt, yt = Xs[s], ys[s], Xt[t], yt[t]
    return Xs.astype(np.float32), ys, Xt.astype(np.float32), yt


def epoch_seconds(net):
    """Median epoch duration from skorch's history, leaving out the first epoch (warm-up)."""
    durations = net.history[:, "dur"]
    return statistics.median(durations[1:] if len(durations) > 1 else durations)


def run_digits(data_home, epochs, seeds, limit):
    results = {}  # (direction, method) -> list of (accuracy, seconds per epoch)
    nets = {}
    for direction in DIRECTIONS:
        Xs, ys, Xt, yt = load_digits(data_home, direction, limit)
        X, y, _ = stack_domains(Xs, ys, Xt)
        for name, factory in digit_methods(epochs).items():
            for seed in seeds:
                net = factory(seed).fit(X, y)
                accuracy = float(np.mean(net.predict(Xt) == yt))
                results.setdefault((direction, name), []).append((accuracy, epoch_seconds(net)))
                nets[(direction, name, seed)] = net
                print(f"  {DIRECTIONS[direction]} {name:<22} seed {seed}: {100 * accuracy:5.1f}%  "
                      f"{epoch_seconds(net):.2f} s/epoch", flush=True)
    return results


def digits_table(results, seeds):
    names = list(dict.fromkeys(name for _, name in results))
    lines = ["| method | " + " | ".join(f"{DIRECTIONS[d]} mean ± std" for d in DIRECTIONS)
             + " | mean of both | per seed | s/epoch |",
             "|---|" + "---:|" * len(DIRECTIONS) + "---:|---|---:|"]
    for name in names:
        cells, per_seed, means, seconds = [], [], [], []
        for d in DIRECTIONS:
            accs = [100 * a for a, _ in results[(d, name)]]
            seconds += [s for _, s in results[(d, name)]]
            means.append(np.mean(accs))
            spread = np.std(accs, ddof=1) if len(accs) > 1 else 0.0
            cells.append(f"{np.mean(accs):.1f} ± {spread:.1f}")
            per_seed.append(f"{DIRECTIONS[d]} " + "/".join(f"{a:.1f}" for a in accs))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {np.mean(means):.2f} | "
                     + "; ".join(per_seed) + f" | {np.median(seconds):.2f} |")
    return "\n".join(lines)


def digits_verdict(results):
    def mean(name):
        return np.mean([100 * a for d in DIRECTIONS for a, _ in results[(d, name)]])

    gain = mean("DANN") - mean("source only")
    gain_adam = mean("DANN") - mean("source only, Adam")
    verdict = "met" if gain >= TARGET_GAIN else "NOT met"
    return [
        f"- DANN − source only (same optimiser, mean over both directions and all seeds): "
        f"**{gain:+.1f} points** (target ≥ +{TARGET_GAIN:g}: {verdict})",
        f"- DANN − source only trained with Adam (lr 1e-3), the stronger source-only baseline: "
        f"**{gain_adam:+.1f} points**",
        f"- DeepCORAL − source only: {mean('DeepCORAL') - mean('source only'):+.1f} points; "
        f"MMD − source only: {mean('MMD (5 kernels)') - mean('source only'):+.1f} points",
    ]


# ---- (b) skada -----------------------------------------------------------------


class CNNClassifier(nn.Module):
    """SmallCNN + a linear head, with the features as a named layer (what skada hooks)."""

    def __init__(self, n_classes=10):
        super().__init__()
        self.features = SmallCNN()
        self.head = nn.Linear(128, n_classes)

    def forward(self, X, sample_weight=None):
        return self.head(self.features(X))


class WorkingDomainClassifier(nn.Module):
    """skada's domain classifier with one change: a sigmoid, not a softmax over one unit.

    skada's ``DomainClassifier`` ends in ``Softmax`` over a single output,
    which is the constant 1: its gradient is zero and nothing adapts. The
    rest (gradient reversal with alpha 1, ``Linear(128, 100) -> BatchNorm ->
    ReLU -> Linear(100, 1)``, BCELoss) is kept."""

    def __init__(self, num_features=128):
        super().__init__()
        self.classifier = nn.Sequential(
            nn.Linear(num_features, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Linear(100, 1), nn.Sigmoid())

    def forward(self, x, sample_weight=None):
        return self.classifier(grad_reverse(x, 1.0)).squeeze(-1)


def skada_dann(skada, epochs, n_batches, seed, working):
    from skada.deep import DANN
    from skorch.callbacks import LRScheduler

    torch.manual_seed(seed)
    total = epochs * n_batches
    return DANN(
        CNNClassifier(), layer_name="features", num_features=128, reg=1.0,
        domain_classifier=WorkingDomainClassifier() if working else None,
        optimizer=torch.optim.SGD, lr=0.01, optimizer__momentum=0.9,
        max_epochs=epochs, batch_size=64, train_split=None, verbose=0,
        # the same learning-rate annealing as ours; skada has no lambda schedule
        callbacks=[("lr_anneal", LRScheduler(policy=torch.optim.lr_scheduler.LambdaLR, step_every="batch",
                                             lr_lambda=lambda step: ganin_lr_factor(min(step / total, 1.0))))],
    )


def run_skada(skada, data_home, epochs, seeds, limit):
    results = {}
    for direction in DIRECTIONS:
        Xs, ys, Xt, yt = load_digits(data_home, direction, limit)
        X, y, sample_domain = stack_domains(Xs, ys, Xt)
        n_batches = 2 * max(len(Xs), len(Xt)) // 64
        for working in (False, True):
            name = "skada DANN, working domain classifier" if working else "skada DANN as shipped"
            for seed in seeds:
                with sklearn.config_context(enable_metadata_routing=True):
                    net = skada_dann(skada, epochs, n_batches, seed, working)
                    net.fit(X.astype(np.float32), y, sample_domain=sample_domain)
                    pred = net.predict(Xt, sample_domain=np.full(len(Xt), -1))
                accuracy = float(np.mean(np.asarray(pred) == yt))
                results.setdefault((direction, name), []).append((accuracy, epoch_seconds(net)))
                print(f"  {DIRECTIONS[direction]} {name:<40} seed {seed}: {100 * accuracy:5.1f}%  "
                      f"{epoch_seconds(net):.2f} s/epoch", flush=True)
    return results


# ---- (c) tabular ---------------------------------------------------------------


def regression_shift(seed, n=400):
    """A target driven by a latent point (4 Gaussian clusters); the target
    domain sees the point through a per-axis stretch and a translation."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(4, 4))
    weights = rng.normal(size=4)

    def draw():
        z = centres[rng.integers(0, 4, n)] + rng.normal(size=(n, 4))
        return z, z @ weights + np.sin(z[:, 0])

    Zs, ys = draw()
    Zt, yt = draw()
    Xt = Zt @ np.diag([1.8, 0.6, 1.3, 0.8]) + 1.0
    return Zs.astype(np.float32), ys, Xt.astype(np.float32), yt


def tabular_tasks(n):
    return {
        "blobs, stretch (5 features, 3 classes)": lambda seed: make_shifted_blobs(
            n, n_features=5, n_classes=3, shift="stretch", random_state=seed),
        "blobs, rotation (5 features, 3 classes)": lambda seed: make_shifted_blobs(
            n, n_features=5, n_classes=3, shift="rotation", random_state=seed),
        "moons, 30° rotation": lambda seed: make_rotated_moons(n, angle=30, random_state=seed),
    }


def run_tabular(seeds, n, epochs):
    classifiers = {
        "source only (same MLP)": lambda s: DomainAdversarialClassifier(
            adaptation_weight=0.0, max_epochs=epochs, random_state=s, verbose=0),
        "DANN": lambda s: DomainAdversarialClassifier(max_epochs=epochs, random_state=s, verbose=0),
        "DeepCORAL": lambda s: DomainAlignmentClassifier(max_epochs=epochs, random_state=s, verbose=0),
        "MMD": lambda s: DomainAlignmentClassifier(loss="mmd", max_epochs=epochs, random_state=s, verbose=0),
    }
    lines = ["| task | " + " | ".join(classifiers) + " |", "|---|" + "---:|" * len(classifiers)]
    gains = []
    for task, make in tabular_tasks(n).items():
        cells = []
        accs = {}
        for name, factory in classifiers.items():
            values = []
            for seed in seeds:
                Xs, ys, Xt, yt = make(seed)
                X, y, _ = stack_domains(Xs.astype(np.float32), ys, Xt.astype(np.float32))
                values.append(100 * np.mean(factory(seed).fit(X, y).predict(Xt) == yt))
            accs[name] = values
            spread = np.std(values, ddof=1) if len(values) > 1 else 0.0
            cells.append(f"{np.mean(values):.1f} ± {spread:.1f}")
        gains.append((task, np.mean(accs["DANN"]) - np.mean(accs["source only (same MLP)"])))
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
        print(f"  {task}: " + ", ".join(cells), flush=True)

    regressors = {
        "source-only MLP regressor": lambda s: DomainAdversarialRegressor(
            adaptation_weight=0.0, max_epochs=epochs, random_state=s, verbose=0),
        "DANN regressor": lambda s: DomainAdversarialRegressor(max_epochs=epochs, random_state=s, verbose=0),
        "DeepCORAL regressor": lambda s: DomainAlignmentRegressor(max_epochs=epochs, random_state=s, verbose=0),
        "MMD regressor": lambda s: DomainAlignmentRegressor(loss="mmd", max_epochs=epochs, random_state=s, verbose=0),
    }
    reg_lines = ["| metric | " + " | ".join(regressors) + " |", "|---|" + "---:|" * len(regressors)]
    mse = {}
    for name, factory in regressors.items():
        values = []
        for seed in seeds:
            Xs, ys, Xt, yt = regression_shift(seed, n)
            X = np.vstack([Xs, Xt])
            y = np.r_[ys, np.full(len(Xt), np.nan)]
            values.append(float(np.mean((factory(seed).fit(X, y).predict(Xt) - yt) ** 2)))
        mse[name] = values
    reg_lines.append("| target MSE, mean ± std | " + " | ".join(
        f"{np.mean(v):.3f} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.3f}" for v in mse.values()) + " |")
    reg_lines.append("| per seed | " + " | ".join("/".join(f"{x:.2f}" for x in v) for v in mse.values()) + " |")
    print("  regression: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in mse.items()), flush=True)
    verdicts = [f"- DANN − source only on {task}: {gain:+.1f} points" for task, gain in gains]
    ratio = np.mean(mse["DANN regressor"]) / np.mean(mse["source-only MLP regressor"])
    verdicts.append(
        f"- DANN regressor target MSE / source-only MLP regressor: **{ratio:.2f}** "
        f"({'beats' if ratio < 1 else 'does NOT beat'} source only)")
    return "\n".join(lines), "\n".join(reg_lines), verdicts


# ---- (d) time per epoch ----------------------------------------------------------


def plain_skorch(module_factory, n_classes, epochs, batch_size, seed):
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)
    return NeuralNetClassifier(
        nn.Sequential(module_factory(), nn.LazyLinear(n_classes)), criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD, lr=0.01, optimizer__momentum=0.9, max_epochs=epochs,
        batch_size=batch_size, train_split=None, iterator_train__shuffle=True, verbose=0)


def run_timing(data_home, epochs, rounds, limit):
    """Interleaved: plain, DANN, plain, DANN, ... so that load changes hit both."""
    Xs, ys, Xt, _ = load_digits(data_home, "mnist_usps", limit)
    X, y, _ = stack_domains(Xs, ys, Xt)
    rng = np.random.default_rng(0)
    n_tab = 4000
    Xs_tab = rng.normal(size=(n_tab, 20)).astype(np.float32)
    ys_tab = (Xs_tab[:, 0] > 0).astype(np.int64)
    Xt_tab = (rng.normal(size=(n_tab, 20)) + 0.5).astype(np.float32)
    X_tab, y_tab, _ = stack_domains(Xs_tab, ys_tab, Xt_tab)
    from sktransfer.deep import MLP

    setups = {
        "digits, SmallCNN": (lambda: SmallCNN(), SmallCNN, {}, Xs, ys, X, y, 10),
        "tabular 4000 x 20, default MLP (64, 64)": (
            lambda: MLP(20), None, {}, Xs_tab, ys_tab, X_tab, y_tab, 2),
    }
    rows = []
    for name, (factory, module, extra, Xs_, ys_, X_, y_, n_classes) in setups.items():
        plain_times, dann_times = [], []
        for r in range(rounds):
            plain = plain_skorch(factory, n_classes, epochs, 32, r).fit(Xs_, ys_)
            plain_times += list(plain.history[1:, "dur"])
            # 64 rows per batch, 32 source + 32 target: per step, the same source rows as the plain net
            dann = DomainAdversarialClassifier(module, max_epochs=epochs, batch_size=64, random_state=r,
                                               **PAPER_SGD).fit(X_, y_)
            dann_times += list(dann.history[1:, "dur"])
        ratio = statistics.median(dann_times) / statistics.median(plain_times)
        rows.append((name, plain_times, dann_times, ratio))
        print(f"  {name}: plain {statistics.median(plain_times):.3f} s, DANN "
              f"{statistics.median(dann_times):.3f} s, ratio {ratio:.2f}", flush=True)
    return rows


def timing_lines(rows, epochs, rounds):
    lines = ["| setup | plain skorch s/epoch (median) | DANN s/epoch (median) | ratio | target ≤ "
             f"{TARGET_TIME_RATIO:g} |", "|---|---:|---:|---:|---|"]
    for name, plain, dann, ratio in rows:
        lines.append(f"| {name} | {statistics.median(plain):.3f} | {statistics.median(dann):.3f} | "
                     f"**{ratio:.2f}** | {'met' if ratio <= TARGET_TIME_RATIO else 'NOT met'} |")
    lines += ["", f"{rounds} round(s) of {epochs} epochs each, plain and DANN interleaved; the first "
              "epoch of every fit is left out (warm-up); `dur` from skorch's `EpochTimer`."]
    return lines


# ---- main ----------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="subsampled digits, 1 seed, 2 epochs: a smoke run for CI (< 60 s)")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument("--results-dir", default=str(HERE / "results"))
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="torch and BLAS threads (default 1: on a shared machine, more threads than free cores make torch far slower)")
    parser.add_argument("--epochs", type=int, default=None, help="digit epochs (default 15, 2 with --quick)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per method (default 3, 1 with --quick)")
    parser.add_argument("--skada-seeds", type=int, default=None, help="seeds per skada run (default 1)")
    parser.add_argument("--sections", default="abcd", help="run only these sections, e.g. 'ad'")
    args = parser.parse_args(argv)
    threads = args.blas_threads or 1
    torch.set_num_threads(threads)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        return _run(args, threads)


def _run(args, threads):
    quick = args.quick
    epochs = args.epochs or (3 if quick else 15)
    seeds = list(range(args.seeds or (1 if quick else 3)))
    skada_seeds = list(range(args.skada_seeds or 1))
    limit = 400 if quick else None
    start = time.perf_counter()
    skada = harness.optional_skada()
    assert not sklearn.get_config()["enable_metadata_routing"], "importing skada left routing on"

    name = "deep_quick" if quick else "deep"
    if args.sections != "abcd":
        name += f"_{args.sections}"
    out = [f"# Deep domain adaptation: DANN, DeepCORAL, MMD{' (quick run)' if quick else ''}", "",
           "## Environment", "", "ENVIRONMENT",
           f"- torch {torch.__version__} ({torch.get_num_threads()} thread(s)), "
           f"sktransfer from `{Path(sktransfer.__file__).parent}`", ""]
    setup = (f"{'a random 400 + 400 subsample, ' if quick else ''}{epochs} epochs, seeds "
             f"{', '.join(map(str, seeds))}; `SmallCNN` (conv 5x5 32 → pool → conv 5x5 64 → pool → "
             "fc 128) and a linear head; SGD, momentum 0.9, lr 0.01 annealed as lr/(1+10p)^0.75; "
             "64 rows per batch (32 source + 32 target); adaptation weight 1 with the schedule "
             "2/(1+exp(-10p))−1 for DANN, DeepCORAL and MMD; source only is the same net with "
             "weight 0. Target labels are never used in fit or to choose a setting.")
    ours = None
    if "a" in args.sections:
        print("-- (a) digits", flush=True)
        ours = run_digits(args.data_home, epochs, seeds, limit)
        out += ["## (a) Digits: target accuracy (%)", "", setup, "", digits_table(ours, seeds), "",
                *digits_verdict(ours), ""]
    if "b" in args.sections:
        out += ["## (b) skada's DANN, same module and budget", ""]
        if skada is None:
            out += ["> skada is not installed: section skipped.", ""]
        else:
            print("-- (b) skada", flush=True)
            theirs = run_skada(skada, args.data_home, epochs, skada_seeds, limit)
            rows = dict(theirs)
            if ours is not None:
                for d in DIRECTIONS:
                    rows[(d, "sktransfer DANN")] = [ours[(d, "DANN")][i] for i in skada_seeds
                                                    if i < len(ours[(d, "DANN")])]
                    rows[(d, "sktransfer source only")] = [ours[(d, "source only")][i] for i in skada_seeds
                                                           if i < len(ours[(d, "source only")])]
            out += [
                f"skada {harness.skada_version()} `skada.deep.DANN` with the same `SmallCNN` + linear head "
                "(features hooked at the CNN's output), the same optimiser, learning-rate annealing "
                "(a skorch `LRScheduler`), epochs and 64 rows per batch (skada's balanced loader: "
                "half source, half target), seed(s) " + ", ".join(map(str, skada_seeds)) + ". "
                "skada has no lambda schedule: its gradient reversal is constant (alpha 1, reg 1). "
                "Fitted with `fit(X, y, sample_domain=...)` under metadata routing, as skada needs.",
                "", digits_table(rows, skada_seeds), "",
                "- *as shipped*: skada's `DomainClassifier` ends in `Softmax` over one unit, i.e. the "
                "constant 1: the domain loss has zero gradient, so it trains source only.",
                "- *working domain classifier*: the same head with a sigmoid instead "
                "(`WorkingDomainClassifier` in this script).", ""]
    if "c" in args.sections:
        print("-- (c) tabular", flush=True)
        n_tab = 150 if quick else 400
        tab_epochs = 10 if quick else 100
        table, reg_table, verdicts = run_tabular(seeds, n_tab, tab_epochs)
        out += ["## (c) Tabular shifts, default MLP", "",
                f"{n_tab} source + {n_tab} target rows, {tab_epochs} epochs, library defaults (Adam, lr 1e-3, "
                "128 rows per batch, MLP sized from the data); seeds " + ", ".join(map(str, seeds)) + ".",
                "", "Target accuracy (%), mean ± std over seeds:", "", table, "",
                "Regression: y = w·z + sin(z₀) on a latent z (4 Gaussian clusters); the target domain "
                "sees z stretched per axis (1.8, 0.6, 1.3, 0.8) and shifted by 1.", "", reg_table, "",
                *verdicts, ""]
    if "d" in args.sections:
        print("-- (d) time per epoch", flush=True)
        t_epochs, rounds = (3, 1) if quick else (4, 2)
        rows = run_timing(args.data_home, t_epochs, rounds, limit)
        out += ["## (d) Time per epoch: DANN against a plain skorch NeuralNetClassifier", "",
                "The plain net: `NeuralNetClassifier` with the same feature extractor and a linear head, "
                "SGD, 32 source rows per batch (skorch's default dataset and loader, shuffled). DANN: "
                "64 rows per batch, 32 source + 32 target, so each step sees the same number of source "
                "rows and the epoch has the same number of steps; DANN also runs the target rows, the "
                "gradient reversal and the domain head.", "", *timing_lines(rows, t_epochs, rounds), ""]
    out += [f"Total run time: {time.perf_counter() - start:.0f} s."]
    env = harness.environment_summary()
    out[out.index("ENVIRONMENT")] = env
    harness.write_report(name, "\n".join(out), args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
