"""
Estimating the target class prior under label shift
===================================================

A classifier trained where 30% of the cases are positive is used where the
share is different and unknown: more defaults in a new portfolio, a disease
more frequent in another hospital. Under *label shift* only the class prior
moves, ``p(x | y)`` stays. :class:`~sktransfer.label_shift.LabelShiftAdjustedClassifier`
estimates the target prior from the unlabelled target rows (EM on
BCTS-calibrated probabilities, or BBSE) and moves the probabilities to it.

The source model is fitted once; for each target prior a new unlabelled
target sample is drawn and only the prior is re-estimated
(``refit_prior``). Left: the estimated against the true target prior, with
the naive answers (the source prior, classify-and-count). Right: the target
log loss before and after the adjustment. The data are synthetic (two
overlapping Gaussian classes), so the label-shift assumption holds here; see
the user guide for what happens on the credit data, where it does not.
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.label_shift import LabelShiftAdjustedClassifier, estimate_target_prior  # noqa: E402

rng = np.random.default_rng(0)


def sample(n, prior):
    """Two Gaussian classes in 2-d; only the share of class 1 changes."""
    y = (rng.random(n) < prior).astype(int)
    return rng.normal(y[:, None] * [1.2, 0.8], 1.0, size=(n, 2)), y


Xs, ys = sample(3000, 0.3)
Xt0, _ = sample(2000, 0.3)
X, y, _ = stack_domains(Xs, ys, Xt0)
clf = LabelShiftAdjustedClassifier(n_bootstrap=100, random_state=0).fit(X, y)
print(f"source prior of class 1: {clf.source_prior_[1]:.3f}")

true_priors = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
rows = []
for prior in true_priors:
    Xt, yt = sample(2000, prior)
    source_rows = np.ones(len(Xt), int)
    calibrated = clf.predict_proba(Xt, sample_domain=source_rows)  # unadjusted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a BBSE clip is counted in prior_clipped_
        clf.set_params(method="em").refit_prior(Xt)
        em, (low, high) = clf.target_prior_[1], clf.target_prior_interval_[:, 1]
        adjusted = clf.predict_proba(Xt)
        bbse = clf.set_params(method="bbse").refit_prior(Xt).target_prior_[1]
    cc = estimate_target_prior(clf.estimator_.predict_proba(Xt), method="cc").prior[1]
    rows.append((yt.mean(), em, low, high, bbse, cc, log_loss(yt, calibrated), log_loss(yt, adjusted)))
    print(f"true {yt.mean():.3f}  EM {em:.3f} [{low:.3f}, {high:.3f}]  BBSE {bbse:.3f}  "
          f"classify-and-count {cc:.3f}  log loss {rows[-1][6]:.3f} -> {rows[-1][7]:.3f}")
true, em, low, high, bbse, cc, before, after = np.array(rows).T

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
ax1.plot([0, 1], [0, 1], color="grey", lw=1, label="perfect")
ax1.axhline(clf.source_prior_[1], color="tab:red", ls=":", label="naive: source prior")
ax1.errorbar(true, em, yerr=[em - low, high - em], fmt="o", color="tab:blue", capsize=3,
             label="EM + BCTS (95% bootstrap)")
ax1.plot(true, bbse, "s", color="tab:green", mfc="none", label="BBSE")
ax1.plot(true, cc, "^", color="tab:orange", label="classify and count")
ax1.set(xlabel="true target prior of class 1", ylabel="estimated", title="Target prior, no target label")
ax1.legend(fontsize=8)
width = 0.35
idx = np.arange(len(true))
ax2.bar(idx - width / 2, before, width, label="calibrated source model")
ax2.bar(idx + width / 2, after, width, label="adjusted to the EM prior")
ax2.set_xticks(idx, [f"{t:.2f}" for t in true])
ax2.set(xlabel="true target prior of class 1", ylabel="target log loss", title="Adjusted probabilities")
ax2.legend(fontsize=8)
fig.tight_layout()
fig.savefig("label_shift.png", dpi=100)
