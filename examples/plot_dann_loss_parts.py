"""
DANN on a rotated tabular shift: the loss parts epoch by epoch
==============================================================

Three blobs in five dimensions; the target domain is the same blobs rotated.
A :class:`~sktransfer.deep.DomainAdversarialClassifier` (the default MLP, a
label head and a domain head behind gradient reversal) is trained on the
labelled source rows and the unlabelled target rows; the same network with
the adaptation switched off (``adaptation_weight=0``) is the source-only
baseline.

The figure shows what the history records every epoch: the label loss on
the source rows falls, a little less far than without adaptation; the domain
loss never falls far below ``log 2 = 0.69``, the loss of a domain head that
cannot tell the domains apart: whenever the head learns to separate them,
the reversed gradient moves the features back together, and more so as the
adaptation factor ramps up along the paper's schedule
``2 / (1 + exp(-10 p)) - 1``. The printed accuracies are on the target, whose
labels are used here only to score.

Needs torch and skorch (``pip install 'sktransfer[deep]'``). Run it as a
script: ``python examples/plot_dann_loss_parts.py`` (it saves
``plot_dann_loss_parts.png`` where it runs).
"""

import sys

try:
    import skorch  # noqa: F401
    import torch
except ImportError:
    print("This example needs torch and skorch: pip install 'sktransfer[deep]'.")
    sys.exit(0)

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.datasets import make_shifted_blobs  # noqa: E402
from sktransfer.deep import DomainAdversarialClassifier  # noqa: E402

torch.set_num_threads(1)  # small batches: one thread is the fastest on a shared machine

Xs, ys, Xt, yt = make_shifted_blobs(1000, n_features=5, n_classes=3, shift="rotation", random_state=0)
X, y, _ = stack_domains(Xs.astype(np.float32), ys, Xt.astype(np.float32))

source_only = DomainAdversarialClassifier(adaptation_weight=0.0, max_epochs=30, random_state=0, verbose=0)
dann = DomainAdversarialClassifier(max_epochs=30, random_state=0, verbose=0)
for name, net in [("source only", source_only), ("DANN", dann)]:
    net.fit(X, y)
    print(f"{name:12s} target accuracy: {np.mean(net.predict(Xt) == yt):.3f}")

epochs = dann.history[:, "epoch"]
fig, (losses, factor) = plt.subplots(1, 2, figsize=(10, 3.8))
losses.plot(epochs, dann.history[:, "train_label_loss"], label="label loss (source rows)")
losses.plot(epochs, dann.history[:, "train_domain_loss"], label="domain loss")
losses.plot(epochs, source_only.history[:, "train_label_loss"], "--", label="label loss, source only")
losses.axhline(np.log(2), color="grey", lw=0.8, ls=":", label="log 2 (domains indistinguishable)")
losses.set_xlabel("epoch")
losses.set_title("DANN's loss parts")
losses.legend(fontsize=8)
factor.plot(epochs, dann.history[:, "adaptation_factor"])
factor.set_xlabel("epoch")
factor.set_title("adaptation factor (gradient reversal)")
fig.tight_layout()
fig.savefig("plot_dann_loss_parts.png", dpi=100)
