"""Domain-adversarial training (DANN): a domain head behind gradient reversal.

Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation",
ICML 2015; Ganin et al., "Domain-Adversarial Training of Neural Networks",
JMLR 2016.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ._base import BaseDomainNet, DomainClassifierMixin, DomainRegressorMixin
from ._modules import MLP

__all__ = ["GradientReversal", "grad_reverse", "DomainAdversarialClassifier",
           "DomainAdversarialRegressor"]


class GradientReversal(torch.autograd.Function):
    """Identity on the forward pass; multiplies the gradient by ``-lambda_``
    on the backward pass.

    Use it through ``GradientReversal.apply(X, lambda_)``, or
    :func:`grad_reverse`.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import GradientReversal
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> out = GradientReversal.apply(x, 2.0)
    >>> out.sum().backward()
    >>> out.tolist(), x.grad.tolist()
    ([1.0, 2.0], [-2.0, -2.0])
    """

    @staticmethod
    def forward(ctx, X, lambda_):
        ctx.lambda_ = float(lambda_)
        return X.view_as(X)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.lambda_ * grad_output, None


def grad_reverse(X, lambda_=1.0):
    """Gradient reversal: returns ``X``; gradients flowing back are ``-lambda_`` times theirs.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import grad_reverse
    >>> x = torch.ones(2, requires_grad=True)
    >>> grad_reverse(x, 0.5).sum().backward()
    >>> x.grad
    tensor([-0.5000, -0.5000])
    """
    return GradientReversal.apply(X, lambda_)


_DANN_DOC = """
    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The feature extractor; its output (flattened) feeds the label head
        (one linear layer) and the domain head. A class is built with the
        ``module__*`` parameters, so ``GridSearchCV`` can tune them. None:
        :class:`~sktransfer.deep.MLP` sized from the data (``module__hidden_units``,
        ``module__dropout`` set it).
    domain_classifier : torch.nn.Module class, default=None
        The domain head, built as ``domain_classifier(in_features=...,
        **domain_classifier__*)``; it must end in one logit (the loss is a
        binary cross-entropy on logits). None: ``Linear(d, 100) -> ReLU ->
        Linear(100, 1)``, the domain classifier of the paper.
    criterion : torch loss class, default={criterion}
        Label loss, applied to the labelled rows of each batch.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Set its options with ``optimizer__*`` (e.g. ``optimizer__momentum``).
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=50
        Number of epochs; an epoch is one pass over the labelled rows.
    batch_size : int, default=128
        Rows per batch, source and target together.
    target_fraction : float, default=0.5
        Share of target rows in every training batch, in (0, 1).
    adaptation_weight : float, default=1.0
        Strength of the gradient reversal (lambda of the paper); its top value
        when ``adaptation_schedule="ganin"``. 0 trains source only.
    adaptation_schedule : {{"ganin", "constant"}}, default="ganin"
        ``"ganin"``: lambda grows as ``2 / (1 + exp(-10 p)) - 1`` with the
        training progress ``p`` in [0, 1]; ``"constant"``: always
        ``adaptation_weight``.
    lr_schedule : {{"constant", "ganin"}}, default="constant"
        ``"ganin"``: the learning rate anneals as ``lr / (1 + 10 p)^0.75``.
    early_stopping : bool, default=False
        Stop when the label loss on a held-out share of the labelled source
        rows (``validation_fraction``) has not improved for
        ``n_iter_no_change`` epochs, and keep the best weights. It needs no
        target label.
    validation_fraction : float, default=0.1
        Share of the labelled source rows held out when ``early_stopping``.
    n_iter_no_change : int, default=10
        Patience of the early stopping, in epochs.
    progress_bar : bool, default=False
        Show skorch's progress bar over the batches of each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the batches, dropout and the validation
        split; torch's global random state is left as it was.
    device : "auto", str or torch.device, default="cpu"
        Where the network trains and predicts: ``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ... ``"auto"``: CUDA when available, else the CPU,
        resolved when the network is initialised (``device_``);
        ``get_params`` and ``clone`` keep ``"auto"``. A net pickled
        on a GPU loads on a CPU-only machine (skorch maps it to the CPU).
    callbacks : list of skorch callbacks, default=None
        Added to the default ones.
    warm_start : bool, default=False
        Continue training from the current weights on the next ``fit``.
    verbose : int, default=1
        1 (skorch's default) prints skorch's table of the history after each
        epoch; 0 is silent (e.g. inside a grid search).
    **kwargs
        Other skorch parameters: ``module__*``, ``optimizer__*``,
        ``domain_classifier__*``, ``callbacks__*``.

    Attributes
    ----------
    module_ : DomainAdaptationNetwork
        The trained network (``feature_extractor``, ``label_head``, ``domain_head``).
    history_ : skorch.History
        Per epoch: ``train_loss``, ``train_label_loss``, ``train_domain_loss``,
        ``adaptation_factor``, ``lr``, ``dur`` (and ``valid_loss`` with early
        stopping); per batch the same losses.
    device_ : str or torch.device
        The device the network was placed on (``device`` resolved).
    n_features_in_ : int
        Number of features seen in ``fit``.
"""


class _DomainAdversarialMixin:
    """The DANN part: a domain head behind gradient reversal, and its loss."""

    adaptation_loss_name = "domain_loss"

    def initialize_domain_head(self, n_features):
        kwargs = self.get_params_for("domain_classifier")
        if self.domain_classifier is None:
            kwargs.setdefault("hidden_units", (100,))
            return MLP(n_features, n_features_out=1, **kwargs)
        if isinstance(self.domain_classifier, nn.Module) or not callable(self.domain_classifier):
            raise ValueError(
                f"{type(self).__name__}: domain_classifier must be a torch.nn.Module class "
                "(built with in_features=... and the domain_classifier__* parameters) or None; "
                f"got {self.domain_classifier!r}."
            )
        return self.domain_classifier(in_features=n_features, **kwargs)

    def get_adaptation_loss(self, features, is_target):
        reversed_features = grad_reverse(features, self.adaptation_factor_)
        logits = self.module_.domain_head(reversed_features)
        if logits.ndim != 2 or logits.shape[1] != 1:
            raise ValueError(
                "The domain head must return one logit per row (shape (batch, 1)); got shape "
                f"{tuple(logits.shape)}. A softmax over one unit has a zero gradient."
            )
        loss = F.binary_cross_entropy_with_logits(logits[:, 0], is_target.to(logits.dtype))
        self.last_adaptation_part_ = loss.item()
        # the reversal layer applies lambda to the feature gradient, as in the paper;
        # the domain head itself learns at full strength
        return loss


class DomainAdversarialClassifier(_DomainAdversarialMixin, DomainClassifierMixin, BaseDomainNet):
    __doc__ = """Domain-adversarial neural network (DANN) classifier, on skorch.

    A feature extractor feeds a label head, trained on the labelled (source)
    rows, and a domain head, trained to tell source rows from target rows
    through a gradient-reversal layer: the features learn to predict the
    labels while the domains become indistinguishable. Every training batch
    holds source and target rows in a fixed proportion. Labels of any type;
    ``predict_proba`` gives the class probabilities.

    Fit it on stacked rows, unlabelled target rows marked ``y = -1``
    (or with ``sample_domain``); see :func:`~sktransfer.stack_domains`.
""" + _DANN_DOC.format(criterion="torch.nn.CrossEntropyLoss") + """
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    References
    ----------
    .. [1] Y. Ganin and V. Lempitsky, "Unsupervised Domain Adaptation by
       Backpropagation", ICML 2015.
    .. [2] Y. Ganin et al., "Domain-Adversarial Training of Neural Networks",
       JMLR 17(59), 2016.

    Examples
    --------
    >>> from sktransfer import stack_domains
    >>> from sktransfer.datasets import make_rotated_moons
    >>> from sktransfer.deep import DomainAdversarialClassifier
    >>> Xs, ys, Xt, yt = make_rotated_moons(100, angle=20, random_state=0)
    >>> X, y, _ = stack_domains(Xs, ys, Xt)
    >>> clf = DomainAdversarialClassifier(max_epochs=5, random_state=0, verbose=0).fit(X, y)
    >>> clf.predict(Xt).shape, bool(clf.history[-1, "train_domain_loss"] > 0)
    ((100,), True)
    """

    def __init__(self, module=None, *, domain_classifier=None, criterion=nn.CrossEntropyLoss,
                 **kwargs):
        self.domain_classifier = domain_classifier
        super().__init__(module, criterion=criterion, **kwargs)


class DomainAdversarialRegressor(_DomainAdversarialMixin, DomainRegressorMixin, BaseDomainNet):
    __doc__ = """Domain-adversarial neural network (DANN) regressor, on skorch.

    As :class:`DomainAdversarialClassifier`, with a linear output and a mean
    squared error on the labelled rows; ``NaN`` marks the unlabelled target
    rows (``-1`` is an ordinary target value in regression).
""" + _DANN_DOC.format(criterion="torch.nn.MSELoss") + """
    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.deep import DomainAdversarialRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(60, 3)), rng.normal(1.0, size=(60, 3))])
    >>> y = np.r_[X[:60].sum(axis=1), np.full(60, np.nan)]
    >>> reg = DomainAdversarialRegressor(max_epochs=5, random_state=0, verbose=0).fit(X, y)
    >>> reg.predict(X[60:]).shape
    (60,)
    """

    def __init__(self, module=None, *, domain_classifier=None, criterion=nn.MSELoss, **kwargs):
        self.domain_classifier = domain_classifier
        super().__init__(module, criterion=criterion, **kwargs)
