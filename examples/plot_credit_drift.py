"""
Credit scoring under population drift (Taiwan default of credit card clients)
=============================================================================

A scorecard trained on clients with a graduate-school education (EDUCATION = 1)
is used on clients with a high-school education (EDUCATION = 3). Without any
target outcome we ask: how much and where do the populations differ (PSI, KS,
a domain classifier), and does importance weighting the source rows toward
the target change the target AUC / Gini?

The data (UCI, CC BY 4.0) is read from ``$SKTRANSFER_DATA_HOME`` or
``../shared/data`` next to the repository; without it the script says so and
exits. It saves ``credit_drift.png`` in the current directory.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.diagnostics import domain_classifier_auc, drift_report, plot_drift  # noqa: E402
from sktransfer.metrics import gini_score  # noqa: E402
from sktransfer.reweighting import ImportanceWeightedClassifier  # noqa: E402

# the sphinx-gallery runs examples from examples/ without a __file__
REPO = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd().parent
DATA_HOME = Path(os.environ.get("SKTRANSFER_DATA_HOME") or REPO.parent / "shared" / "data")
CSV = DATA_HOME / "taiwan_default_credit_card" / "UCI_Credit_Card.csv"
threadpool_limits(limits=1)  # HistGradientBoosting's OpenMP threads stall on a busy 2-core machine

if not CSV.exists():
    print(f"Taiwan credit data not found at {CSV}; set SKTRANSFER_DATA_HOME. Nothing to do.")
    sys.exit(0)
data = pd.read_csv(CSV).drop(columns="ID")
y_all = data.pop("default.payment.next.month").to_numpy()
source, target = (data["EDUCATION"] == 1).to_numpy(), (data["EDUCATION"] == 3).to_numpy()
X_all = data.drop(columns="EDUCATION")  # constant within a domain
Xs, ys = X_all[source], y_all[source]
Xt_unlab, Xt_test, _, yt_test = train_test_split(
    X_all[target], y_all[target], test_size=0.5, stratify=y_all[target], random_state=0
)
print(f"source: EDUCATION=1 (graduate school), {len(Xs)} clients, default rate {ys.mean():.3f}")
print(f"target: EDUCATION=3 (high school), {len(Xt_unlab) + len(Xt_test)} clients, "
      f"default rate {y_all[target].mean():.3f} (labels used for scoring only)")

# 1. where do the populations differ?
X, y, sample_domain = stack_domains(Xs, ys, Xt_unlab)
report = drift_report(X, y, sample_domain)
print("\nmost shifted features (PSI >= 0.1 is a moderate shift, >= 0.25 a major one):")
print(report.head(5).to_string())
dc = domain_classifier_auc(X, y, sample_domain, cv=3, n_repeats=2, random_state=0)
print(f"\ndomain classifier AUC (3-fold, HistGradientBoosting): {dc.auc:.3f} +- {dc.auc_std:.3f}; "
      f"driven by {', '.join(dc.ranking[:3])}")

# 2. source-only vs importance-weighted scorecard (logistic regression, standardised)
scaler = StandardScaler().fit(Xs)
Xs_z, Xu_z, Xtest_z = (scaler.transform(a) for a in (Xs, Xt_unlab, Xt_test))
source_only = LogisticRegression(max_iter=1000).fit(Xs_z, ys)
Xz, yz, sdz = stack_domains(Xs_z, ys, Xu_z)
weighted = ImportanceWeightedClassifier(LogisticRegression(max_iter=1000), random_state=0).fit(
    Xz, yz, sample_domain=sdz
)
print(f"\nimportance weights: effective sample size {weighted.effective_sample_size_:.0f} "
      f"of {len(Xs)} source rows, flattened with exponent {weighted.flattening_} "
      "(chosen by importance-weighted cross-validation)")
for name, model in (("source only", source_only), ("importance weighted", weighted)):
    score = model.predict_proba(Xtest_z)[:, 1]
    gini = gini_score(yt_test, score)
    print(f"{name:>20}: target AUC {(gini + 1) / 2:.4f}, Gini {gini:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_drift(report, top=10, ax=axes[0])
axes[0].set_title("PSI, EDUCATION 1 → 3")
axes[1].hist(weighted.weights_, bins=50)
axes[1].set_yscale("log")
axes[1].set_title("importance weights of the source rows")
fig.tight_layout()
fig.savefig("credit_drift.png", dpi=80)
print("\nsaved credit_drift.png")
