"""
An HTML report for a credit risk reviewer (German credit, applicants under 30 → 30 and over)
============================================================================================

A scorecard built on applicants under 30 is to be used on applicants of 30
and over. :func:`~sktransfer.diagnostics.html_report` computes the shift
diagnostics of the two populations (PSI and KS of every feature, a domain
classifier, importance weights) and the model's estimated AUC on the older
applicants without their outcomes, and writes them as one self-contained
HTML page: the summary first, then one section per diagnostic, no network
and no JavaScript needed.

Half of the older applicants are kept apart: their outcomes check the
estimate at the end, as no reviewer could yet. The data (UCI Statlog German
credit, CC BY 4.0) is read from ``$SKTRANSFER_DATA_HOME`` or ``../shared/data``
next to the repository; without it the script says so and exits.
"""

import os
import re
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.diagnostics import drift_report, html_report, plot_distributions  # noqa: E402

REPO = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd().parent
DATA_HOME = Path(os.environ.get("SKTRANSFER_DATA_HOME") or REPO.parent / "shared" / "data")
TSV = DATA_HOME / "german_credit" / "german.tsv.gz"
threadpool_limits(limits=1)  # the domain classifier's OpenMP threads stall on a busy machine

if not TSV.exists():
    print(f"German credit data not found at {TSV}; set SKTRANSFER_DATA_HOME. Nothing to do.")
    sys.exit(0)
data = pd.read_csv(TSV, sep="\t")
y_all = data.pop("target").to_numpy()
young = (data["Age"] < 30).to_numpy()
X_all = data.drop(columns="Age")  # it only encodes the domain
Xs, ys = X_all[young], y_all[young]
Xt_pool, Xt_test, _, yt_test = train_test_split(X_all[~young], y_all[~young], test_size=0.5,
                                                stratify=y_all[~young], random_state=0)

# %%
# The report
# ----------
# The model is not fitted yet: ``html_report`` fits it on half of the source
# rows and evaluates it on the other half, so that the estimate is not
# scored on the rows the model learnt from.
X, y, sample_domain = stack_domains(Xs, ys, Xt_pool)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
out_dir = Path(tempfile.mkdtemp())
path = html_report(X, y, sample_domain, path=out_dir / "german_age_report.html", estimator=model,
                   cv=3, n_repeats=2, random_state=0, title="German credit: under 30 → 30 and over")
page = path.read_text(encoding="utf-8")
print(f"{path.name}: {len(page) / 1e3:.0f} kB, {page.count('<img ')} figures inline")

# the summary's findings, as text
summary = page[page.index("<h3>Findings</h3>"):page.index('<section id="drift">')]
for item in re.findall(r"<li>(.*?)</li>", summary):
    print("-", re.sub(r"<[^>]+>", "", item).replace("&ge;", ">=").replace("&minus;", "-"))

# %%
# One of its figures
# ------------------
# :func:`~sktransfer.diagnostics.plot_distributions` draws the figure of the
# report's third section: source against target shares of the most shifted
# features (here employment length, personal status, dependants, housing).
plot_distributions(Xs, Xt_pool, drift_report(X, sample_domain=sample_domain), top=6)
plt.show()

# %%
# The check no reviewer could make yet
# -------------------------------------
# The report flags its own estimate as not trusted: the importance weights
# of the held-out young applicants are worth only a handful of rows. The
# outcomes of the older applicants kept apart say how the estimate fared.
# The flag does not say the estimate is wrong; it says that so few
# comparable rows cannot vouch for it, near the truth or not.
fit_rows, _ = train_test_split(range(len(Xs)), test_size=0.5, stratify=ys, random_state=0)
refit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
    Xs.iloc[list(fit_rows)], ys[list(fit_rows)])
print(f"true AUC on the {len(yt_test)} older applicants kept apart: "
      f"{roc_auc_score(yt_test, refit.predict_proba(Xt_test)[:, 1]):.3f}")
