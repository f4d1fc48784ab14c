"""The training schedule of the deep domain-adaptation nets (Ganin et al.)."""

import math

from skorch.callbacks import Callback

__all__ = ["AdaptationSchedule", "ganin_lambda", "ganin_lr_factor"]


def ganin_lambda(progress, gamma=10.0):
    """The adaptation factor of Ganin & Lempitsky: ``2 / (1 + exp(-gamma p)) - 1``.

    It rises from 0 at the start of training (``p = 0``) to almost 1 at the end
    (``p = 1``), so that the domain loss does not disturb the first, noisy
    features.

    Examples
    --------
    >>> from sktransfer.deep import ganin_lambda
    >>> round(ganin_lambda(0.0), 3), round(ganin_lambda(1.0), 3)
    (0.0, 1.0)
    """
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


def ganin_lr_factor(progress, alpha=10.0, beta=0.75):
    """The learning-rate annealing of Ganin & Lempitsky: ``1 / (1 + alpha p)^beta``.

    Examples
    --------
    >>> from sktransfer.deep import ganin_lr_factor
    >>> ganin_lr_factor(0.0), round(ganin_lr_factor(1.0), 4)
    (1.0, 0.1656)
    """
    return (1.0 + alpha * progress) ** (-beta)


class AdaptationSchedule(Callback):
    """Sets the adaptation factor and the learning rate before each training batch.

    The training progress ``p`` goes from 0 to 1 over ``max_epochs`` epochs
    (batches counted). The net's ``adaptation_schedule`` ("constant" or
    "ganin") and ``adaptation_weight`` give the factor
    ``adaptation_weight * ganin_lambda(p)`` (or the constant weight), stored
    as ``net.adaptation_factor_``; its ``lr_schedule`` ("constant" or
    "ganin") scales the learning rate of every parameter group by
    :func:`ganin_lr_factor`. The factor and the learning rate of the last
    batch of each epoch go to the history as ``adaptation_factor`` and
    ``lr``.

    Every deep net of sktransfer has this callback by default; it reads its
    settings from the net, so that ``set_params`` and grid search reach them.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.deep import AdaptationSchedule, DomainAlignmentClassifier
    >>> X, y = np.random.default_rng(0).normal(size=(40, 2)), np.r_[[0, 1] * 10, [-1] * 20]
    >>> net = DomainAlignmentClassifier(max_epochs=4, batch_size=20, adaptation_schedule="ganin",
    ...                                 random_state=0, verbose=0).fit(X, y)
    >>> isinstance(dict(net.callbacks_)["adaptation_schedule"], AdaptationSchedule)
    True
    >>> [round(factor, 2) for factor in net.history[:, "adaptation_factor"]]  # rises to 1
    [0.55, 0.95, 1.0, 1.0]
    """

    def initialize(self):
        self.base_lrs_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        if self.base_lrs_ is None:
            self.base_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        history = net.history
        epoch = len(history) - 1
        batch_in_epoch = len(history[-1]["batches"]) - 1
        per_epoch = max(getattr(net, "batches_per_epoch_", 1), 1)
        total = max(net.max_epochs, 1) * per_epoch
        progress = min(1.0, (epoch * per_epoch + batch_in_epoch) / total)
        net.training_progress_ = progress
        if net.adaptation_schedule == "ganin":
            net.adaptation_factor_ = net.adaptation_weight * ganin_lambda(progress)
        else:
            net.adaptation_factor_ = float(net.adaptation_weight)
        if net.lr_schedule == "ganin":
            factor = ganin_lr_factor(progress)
            for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
                group["lr"] = base * factor

    def on_epoch_end(self, net, **kwargs):
        net.history.record("adaptation_factor", float(getattr(net, "adaptation_factor_", 0.0)))
        net.history.record("lr", float(net.optimizer_.param_groups[0]["lr"]))
