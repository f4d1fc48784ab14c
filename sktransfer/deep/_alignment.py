"""Deep alignment losses: DeepCORAL and (multi-kernel) MMD, on the shared base.

Sun & Saenko, "Deep CORAL: Correlation Alignment for Deep Domain
Adaptation", ECCV workshops 2016; Long et al., "Learning Transferable
Features with Deep Adaptation Networks" (DAN), ICML 2015.
"""

import torch
from torch import nn

from ._base import BaseDomainNet, DomainClassifierMixin, DomainRegressorMixin, _check_choice, _check_number

__all__ = ["coral_loss", "mmd_loss", "DomainAlignmentClassifier", "DomainAlignmentRegressor"]

LOSSES = ("coral", "mmd")


def coral_loss(source, target):
    """The DeepCORAL loss: ``||C_s - C_t||_F^2 / (4 d^2)`` between the feature covariances.

    Parameters
    ----------
    source, target : torch.Tensor of shape (n_rows, d)
        Features of source and target rows (at least 2 rows each).

    Returns
    -------
    loss : torch.Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import coral_loss
    >>> x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    >>> float(coral_loss(x, x))
    0.0
    >>> float(coral_loss(x, 3 * x)) > 0
    True
    """
    d = source.shape[1]

    def covariance(X):
        X = X - X.mean(dim=0, keepdim=True)
        return X.T @ X / max(X.shape[0] - 1, 1)

    return ((covariance(source) - covariance(target)) ** 2).sum() / (4.0 * d * d)


def mmd_loss(source, target, *, n_kernels=5, kernel_mul=2.0):
    """Squared MMD with a sum of Gaussian kernels (the multi-kernel MMD of DAN).

    The bandwidths are ``base * kernel_mul**k`` for ``n_kernels`` values of
    ``k`` centred on 0, where ``base`` is the mean squared distance between
    the rows of the batch (not back-propagated through). The unbiased estimate
    (U-statistic): ``mean K_ss + mean K_tt - 2 mean K_st``, the means within
    a domain leaving out the diagonal; it can be slightly negative.

    Parameters
    ----------
    source, target : torch.Tensor of shape (n_rows, d)
    n_kernels : int, default=5
        Number of Gaussian kernels; 1 gives the plain Gaussian-kernel MMD.
    kernel_mul : float, default=2.0
        Ratio between successive bandwidths.

    Returns
    -------
    loss : torch.Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import mmd_loss
    >>> g = torch.Generator().manual_seed(0)
    >>> x, z = torch.randn(100, 2, generator=g), torch.randn(100, 2, generator=g)
    >>> float(mmd_loss(x, z)) < float(mmd_loss(x, z + 2.0))
    True
    """
    n_source = source.shape[0]
    rows = torch.cat([source, target])
    # squared distances from the Gram matrix: the gradient of cdist's square root is
    # undefined at the zero distances of the diagonal
    sq_norms = (rows * rows).sum(dim=1)
    sq_dist = torch.clamp(sq_norms[:, None] + sq_norms[None, :] - 2.0 * rows @ rows.T, min=0.0)
    n = rows.shape[0]
    base = sq_dist.detach().sum() / max(n * n - n, 1)
    base = torch.clamp(base, min=1e-12)
    kernels = 0
    for k in range(n_kernels):
        bandwidth = base * kernel_mul ** (k - n_kernels // 2)
        kernels = kernels + torch.exp(-sq_dist / bandwidth)
    n_target = n - n_source

    def within(block, m):
        # unbiased: leave out the diagonal, whose k(x, x) = n_kernels is pure bias
        return (block.sum() - block.diagonal().sum()) / (m * (m - 1)) if m > 1 else block.mean()

    k_ss = within(kernels[:n_source, :n_source], n_source)
    k_tt = within(kernels[n_source:, n_source:], n_target)
    k_st = kernels[:n_source, n_source:].mean()
    return k_ss + k_tt - 2 * k_st


_ALIGN_DOC = """
    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The feature extractor (its flattened output is aligned and feeds the
        linear label head). A class is built with the ``module__*``
        parameters. None: :class:`~sktransfer.deep.MLP` sized from the data.
    loss : {{"coral", "mmd"}}, default="coral"
        ``"coral"``: DeepCORAL, the distance between the feature covariances
        of the source and target rows of each batch; ``"mmd"``: the
        multi-kernel MMD of DAN between them.
    n_kernels : int, default=5
        Number of Gaussian kernels of the MMD (``loss="mmd"``).
    kernel_mul : float, default=2.0
        Ratio between successive MMD bandwidths.
    criterion : torch loss class, default={criterion}
        Label loss, applied to the labelled rows of each batch.
    optimizer : torch optimizer class, default=torch.optim.Adam
    lr : float, default=1e-3
    max_epochs : int, default=50
        An epoch is one pass over the labelled rows.
    batch_size : int, default=128
        Rows per batch, source and target together.
    target_fraction : float, default=0.5
        Share of target rows in every training batch, in (0, 1).
    adaptation_weight : float, default=1.0
        Weight of the alignment loss (its top value under the "ganin" schedule).
    adaptation_schedule : {{"constant", "ganin"}}, default="constant"
        ``"ganin"`` ramps the weight up as ``2 / (1 + exp(-10 p)) - 1``.
    lr_schedule : {{"constant", "ganin"}}, default="constant"
        ``"ganin"``: ``lr / (1 + 10 p)^0.75``.
    early_stopping, validation_fraction, n_iter_no_change, progress_bar, random_state, \
device, callbacks, warm_start, verbose, **kwargs
        As in :class:`~sktransfer.deep.DomainAdversarialClassifier`.

    Attributes
    ----------
    module_ : DomainAdaptationNetwork
        The trained network.
    history_ : skorch.History
        Per epoch: ``train_loss``, ``train_label_loss``,
        ``train_alignment_loss`` (unweighted), ``adaptation_factor``, ``lr``.
    device_ : str or torch.device
        The device the network was placed on (``device`` resolved).
    n_features_in_ : int
        Number of features seen in ``fit``.
"""


class _AlignmentMixin:
    """The alignment part: a CORAL or MMD loss between the source and target features."""

    adaptation_loss_name = "alignment_loss"

    def _check_params(self):
        super()._check_params()
        _check_choice("loss", self.loss, LOSSES)
        _check_number("n_kernels", self.n_kernels, 1, integer=True)
        _check_number("kernel_mul", self.kernel_mul, 1.0, low_inclusive=False)

    def get_adaptation_loss(self, features, is_target):
        source, target = features[~is_target], features[is_target]
        if self.loss == "coral":
            loss = coral_loss(source, target) if min(len(source), len(target)) >= 2 else features.sum() * 0.0
        else:
            loss = mmd_loss(source, target, n_kernels=self.n_kernels, kernel_mul=self.kernel_mul)
        self.last_adaptation_part_ = loss.item()
        return self.adaptation_factor_ * loss


class DomainAlignmentClassifier(_AlignmentMixin, DomainClassifierMixin, BaseDomainNet):
    __doc__ = """Deep domain alignment classifier: DeepCORAL or (multi-kernel) MMD, on skorch.

    The same network and batches as
    :class:`~sktransfer.deep.DomainAdversarialClassifier`, without a domain
    head: the label loss on the labelled rows is minimised together with a
    distance between the source and target features of each batch.
""" + _ALIGN_DOC.format(criterion="torch.nn.CrossEntropyLoss") + """
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    References
    ----------
    .. [1] B. Sun and K. Saenko, "Deep CORAL: Correlation Alignment for Deep
       Domain Adaptation", ECCV 2016 workshops.
    .. [2] M. Long, Y. Cao, J. Wang and M. Jordan, "Learning Transferable
       Features with Deep Adaptation Networks", ICML 2015.

    Examples
    --------
    >>> from sktransfer import stack_domains
    >>> from sktransfer.datasets import make_rotated_moons
    >>> from sktransfer.deep import DomainAlignmentClassifier
    >>> Xs, ys, Xt, yt = make_rotated_moons(100, angle=20, random_state=0)
    >>> X, y, _ = stack_domains(Xs, ys, Xt)
    >>> clf = DomainAlignmentClassifier(loss="mmd", max_epochs=5, random_state=0,
    ...                                 verbose=0).fit(X, y)
    >>> clf.predict_proba(Xt).shape
    (100, 2)
    """

    def __init__(self, module=None, *, loss="coral", n_kernels=5, kernel_mul=2.0,
                 criterion=nn.CrossEntropyLoss, adaptation_schedule="constant", **kwargs):
        self.loss = loss
        self.n_kernels = n_kernels
        self.kernel_mul = kernel_mul
        super().__init__(module, criterion=criterion, adaptation_schedule=adaptation_schedule,
                         **kwargs)


class DomainAlignmentRegressor(_AlignmentMixin, DomainRegressorMixin, BaseDomainNet):
    __doc__ = """Deep domain alignment regressor: DeepCORAL or (multi-kernel) MMD, on skorch.

    As :class:`DomainAlignmentClassifier`, with a linear output and a mean
    squared error on the labelled rows (``NaN`` marks unlabelled rows).
""" + _ALIGN_DOC.format(criterion="torch.nn.MSELoss") + """
    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.deep import DomainAlignmentRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(60, 3)), rng.normal(1.0, size=(60, 3))])
    >>> y = np.r_[X[:60].sum(axis=1), np.full(60, np.nan)]
    >>> DomainAlignmentRegressor(max_epochs=5, random_state=0, verbose=0).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    def __init__(self, module=None, *, loss="coral", n_kernels=5, kernel_mul=2.0,
                 criterion=nn.MSELoss, adaptation_schedule="constant", **kwargs):
        self.loss = loss
        self.n_kernels = n_kernels
        self.kernel_mul = kernel_mul
        super().__init__(module, criterion=criterion, adaptation_schedule=adaptation_schedule,
                         **kwargs)
