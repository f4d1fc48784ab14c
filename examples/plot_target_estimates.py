"""
Estimating a model's target AUC, with intervals, with and without target labels
===============================================================================

A logistic regression is fitted on a source domain and used on target
domains moved further and further away. Left: its true target AUC and four
estimates made without a single target label, each with its 90% bootstrap
interval (:func:`~sktransfer.diagnostics.estimate_target_score`): the naive
AUC of held-out source rows, the importance-weighted estimate, the
confidence-based one (the AUC expected from the model's calibrated
probabilities on the target rows) and their combination.
Crosses mark the estimates flagged as untrustworthy: the domains barely
overlap. Right: with n labelled target rows, the width of the
prediction-powered interval of the target default rate
(:func:`~sktransfer.diagnostics.prediction_powered_interval`) against that
of the labelled rows alone.

The data is synthetic; the script saves ``target_estimates.png``.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.diagnostics import estimate_target_score, prediction_powered_interval  # noqa: E402

rng = np.random.default_rng(0)


def draw(n, shift):
    """A law that a logistic regression fits, so the model stays calibrated on
    every target. The target moves along the line where the mean logit (and
    the default rate) stays put, and narrows on the first axis: the model's
    AUC falls there."""
    x = rng.normal([shift, -1.5 * shift], [1.0 / (1 + shift), 1.0], size=(n, 2))
    logit = 1.5 * x[:, 0] + x[:, 1] - 0.5
    return x, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


Xs, ys = draw(3000, 0.0)
model = LogisticRegression().fit(Xs[:1500], ys[:1500])  # the other 1500 are held out

shifts = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5]
methods = ["importance_weighted", "confidence", "combined"]
rows = {name: [] for name in ["naive", *methods]}
truths = []
for shift in shifts:
    Xt, yt = draw(3000, shift)
    truths.append(roc_auc_score(yt, model.predict_proba(Xt)[:, 1]))
    X, y, _ = stack_domains(Xs[1500:], ys[1500:], Xt)
    for method in methods:
        r = estimate_target_score(model, X, y, method=method, n_bootstrap=100, random_state=0)
        rows[method].append((r.score, r.ci_low, r.ci_high, r.trustworthy))
    rows["naive"].append((r.source_score, np.nan, np.nan, True))
    print(f"shift {shift:.2f}: true AUC {truths[-1]:.3f}, naive {r.source_score:.3f}, "
          f"combined {r.score:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
          + ("" if r.trustworthy else f"  (untrusted: {r.trust_note})"))

# with n labelled target rows: PPI vs the labelled rows alone
Xt, yt = draw(6000, 1.0)
ns = [50, 100, 200, 400]
ppi_width, classical_width = [], []
for n in ns:
    widths = []
    for repeat in range(20):
        masked = np.full(len(yt), -1)
        labelled = rng.choice(len(yt), n, replace=False)
        masked[labelled] = yt[labelled]
        r = prediction_powered_interval(model, Xt, masked, -np.ones(len(yt), dtype=int),
                                        quantity="default_rate")
        widths.append((r.ci_high - r.ci_low, r.classical_ci_high - r.classical_ci_low))
    ppi_width.append(np.mean([w[0] for w in widths]))
    classical_width.append(np.mean([w[1] for w in widths]))

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
left.plot(shifts, truths, "k-", lw=2, label="true target AUC")
for k, (name, colour) in enumerate(zip(rows, ["grey", "tab:blue", "tab:orange", "tab:green"])):
    values = np.array([r[:3] for r in rows[name]], dtype=float)
    x = np.array(shifts) + 0.02 * (k - 1.5)
    left.errorbar(x, values[:, 0], yerr=[values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]]
                  if name != "naive" else None, fmt="o", color=colour, capsize=3, label=name.replace("_", " "))
    untrusted = [i for i, r in enumerate(rows[name]) if not r[3]]
    left.plot(x[untrusted], values[untrusted, 0], "x", color="red", ms=10, mew=2)
left.set_xlabel("target shift")
left.set_ylabel("AUC")
left.set_title("No target label: estimates and 90% intervals\n(red cross: flagged untrustworthy)")
left.legend(fontsize=8)
right.plot(ns, classical_width, "o-", label="labelled rows only (Wald)")
right.plot(ns, ppi_width, "s-", label="prediction-powered (PPI++)")
right.set_xticks(ns, [str(n) for n in ns])
right.set_xlabel("labelled target rows n")
right.set_ylabel("mean width of the 90% interval")
right.set_title("Target default rate with n labels")
right.legend(fontsize=8)
fig.tight_layout()
fig.savefig("target_estimates.png", dpi=110)
print("saved target_estimates.png")
