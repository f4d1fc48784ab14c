"""skorch's Accelerate integration (multi-GPU, mixed precision) drives the DA nets.

Multi-GPU runs need several GPUs and ``accelerate launch``; here one CPU
process checks what can be checked anywhere: with ``AccelerateMixin`` the
accelerator runs the backward pass of the full DA loss (label + domain), and
the net learns exactly what it learns without it.
"""

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("skorch")
accelerate = pytest.importorskip("accelerate")

from skorch.hf import AccelerateMixin  # noqa: E402

from sktransfer import stack_domains  # noqa: E402
from sktransfer.datasets import make_shifted_blobs  # noqa: E402
from sktransfer.deep import DomainAdversarialClassifier  # noqa: E402


class AcceleratedDANN(AccelerateMixin, DomainAdversarialClassifier):
    # the DA nets compute their loss in their own train step: keep it, the
    # mixin supplies the accelerator (device placement, backward, gather)
    train_step_single = DomainAdversarialClassifier.train_step_single


class CountingAccelerator(accelerate.Accelerator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.backward_calls = 0

    def backward(self, loss, **kwargs):
        self.backward_calls += 1
        return super().backward(loss, **kwargs)


def test_accelerate_mixin_trains_the_full_adversarial_loss():
    Xs, ys, Xt, yt = make_shifted_blobs(random_state=0)
    X, y, _ = stack_domains(Xs.astype("float32"), ys, Xt.astype("float32"))
    accelerator = CountingAccelerator(cpu=True)
    net = AcceleratedDANN(
        accelerator=accelerator, device=None, max_epochs=3, random_state=0, verbose=0
    ).fit(X, y)
    plain = DomainAdversarialClassifier(max_epochs=3, random_state=0, verbose=0).fit(X, y)
    assert accelerator.backward_calls == sum(len(epoch["batches"]) for epoch in net.history)
    for key in ("train_label_loss", "train_domain_loss"):
        np.testing.assert_allclose(net.history[:, key], plain.history[:, key], rtol=1e-5)
    np.testing.assert_allclose(net.predict_proba(Xt), plain.predict_proba(Xt), rtol=1e-4, atol=1e-6)
