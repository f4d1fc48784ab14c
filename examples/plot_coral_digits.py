"""
CORAL on blurred digits: source and target before and after alignment
=====================================================================

The source is scikit-learn's 8x8 digits as scanned; the target is the other
half of the digits seen through a camera shake (a horizontal motion blur).
Each domain is standardised with its own statistics, then CORAL re-colours
the source rows to the target covariance, and a logistic regression is
fitted on the labelled (source) rows only.

The figure shows the rows on the first two principal axes of the target,
before and after CORAL: the re-coloured source cloud takes the shape of the
target cloud. The printed accuracies are on the target, whose labels are
used here only to score.

Run it as a script: ``python examples/plot_coral_digits.py`` (it saves
``plot_coral_digits.png`` next to where it runs and shows nothing).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from sktransfer import CORAL, DomainStandardScaler, make_da_pipeline, stack_domains  # noqa: E402
from sktransfer.datasets import make_shifted_digits  # noqa: E402

Xs, ys, Xt, yt = make_shifted_digits("motion_blur", random_state=0)
X, y, sample_domain = stack_domains(Xs, ys, Xt)

source_only = make_da_pipeline(DomainStandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
adapted = make_da_pipeline(DomainStandardScaler(), CORAL(), LogisticRegression(C=0.1, max_iter=2000))
for name, pipe in [("source only", source_only), ("CORAL", adapted)]:
    pipe.fit(X, y)
    print(f"{name:12s} target accuracy: {np.mean(pipe.predict(Xt) == yt):.3f}")

scaled = DomainStandardScaler().fit_transform(X, y)
recoloured = adapted[:-1].transform(X, sample_domain=sample_domain)
axes_of_target = PCA(n_components=2).fit(scaled[sample_domain < 0])

fig, panels = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for panel, (title, Z) in zip(panels, [("each domain standardised", scaled), ("after CORAL", recoloured)]):
    P = axes_of_target.transform(Z)
    panel.scatter(*P[sample_domain > 0].T, s=4, alpha=0.4, label="source")
    panel.scatter(*P[sample_domain < 0].T, s=4, alpha=0.4, label="target")
    panel.set_title(title)
    panel.set_xlabel("target PC 1")
panels[0].set_ylabel("target PC 2")
panels[0].legend(markerscale=4)
fig.tight_layout()
fig.savefig("plot_coral_digits.png", dpi=100)
