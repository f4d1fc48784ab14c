"""
Few-shot transfer for gradient boosting: AUC against the number of target labels
================================================================================

A source domain with plenty of labels and a target domain where part of the
concept moved (one feature loses its weight to another) and a feature
drifted. With n labelled target rows, we compare on held-out target rows:

- source only and target only (the strongest plain baselines);
- continued boosting (target trees on top of the source model's log-odds),
  stacking (the source score as a feature of a target model), pooling (the
  target rows up-weighted), Daumé's feature augmentation;
- the selector, ``FewShotTransferClassifier``, which picks among source-only,
  a recalibration of the source, continued boosting, stacking and
  target-only by repeated cross-validation on the n rows, and keeps the
  source model unless a candidate beats it by a margin.

The source model is fitted once and shared by every method
(``FrozenEstimator``). The gradient boosting models have 30 trees instead
of sklearn's 100, so that the example runs in seconds.
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sktransfer import DomainWarning, stack_domains  # noqa: E402
from sktransfer.parameter import (  # noqa: E402
    ContinuedBoostingClassifier,
    FeatureAugmentationClassifier,
    FewShotTransferClassifier,
    PooledTransferClassifier,
    SourceStackingClassifier,
)

threadpool_limits(limits=1)  # HistGradientBoosting's OpenMP threads stall on a busy small machine
rng = np.random.default_rng(0)


def domain(n, moved, shift):
    X = rng.normal(size=(n, 5))
    X[:, 4] += shift
    logit = 2 * X[:, 0] + (1 - moved) * X[:, 1] + 2 * moved * X[:, 2] - 0.5
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


Xs, ys = domain(3000, moved=0.0, shift=0.0)
Xpool, ypool = domain(400, moved=0.7, shift=1.0)
Xtest, ytest = domain(3000, moved=0.7, shift=1.0)


def hgb():
    return HistGradientBoostingClassifier(max_iter=30, random_state=0)


source = FrozenEstimator(hgb().fit(Xs, ys))
methods = {
    "target only": None,
    "continued boosting": lambda: ContinuedBoostingClassifier(source),
    "stacking": lambda: SourceStackingClassifier(hgb(), source_estimator=source),
    "pooling": lambda: PooledTransferClassifier(hgb()),
    "augmentation": lambda: FeatureAugmentationClassifier(hgb()),
    "selector (default)": lambda: FewShotTransferClassifier(hgb(), source_estimator=source),
}
ns = (50, 100, 200, 400)
source_auc = roc_auc_score(ytest, source.predict_proba(Xtest)[:, 1])
aucs = {name: [] for name in methods}
for n in ns:
    Xt, yt = Xpool[:n], ypool[:n]
    X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    for name, make in methods.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DomainWarning)
            model = hgb().fit(Xt, yt) if make is None else make().fit(X, y, sample_domain=sample_domain)
        aucs[name].append(roc_auc_score(ytest, model.predict_proba(Xtest)[:, 1]))
        if name.startswith("selector"):
            print(f"n={n}: the selector chose {model.chosen_}")

print(f"source only: AUC {source_auc:.3f}")
for name, values in aucs.items():
    print(f"{name:>20}: " + "  ".join(f"n={n} {v:.3f}" for n, v in zip(ns, values)))

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.axhline(source_auc, color="black", linestyle="--", label="source only")
for name, values in aucs.items():
    ax.plot(ns, values, marker="o", linewidth=2.5 if name.startswith("selector") else 1.2, label=name)
ax.set_xscale("log")
ax.set_xticks(ns)
ax.set_xticklabels([str(n) for n in ns])
ax.set_xlabel("labelled target rows")
ax.set_ylabel("target AUC (held-out target rows)")
ax.set_title("Few-shot transfer on a partly moved concept")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig("fewshot_tabular.png", dpi=100)
