"""Fine-tuning of a pretrained network with a new head (parameter transfer), on skorch.

A pretrained backbone (any ``torch.nn.Module``, read at its output or at a
named layer) feeds a new linear head sized from the data. The backbone is
frozen (feature extraction), trained in its last ``k`` blocks, or trained
whole; it can learn at a smaller learning rate than the head
(discriminative learning rates) and be held near its pretrained weights by
the L2-SP penalty of Li, Grandvalet & Davoine (ICML 2018).

skorch's training loop is used as it is; the hooks overridden are
``initialize_module`` (copy the backbone, add the head, freeze),
``get_all_learnable_params`` / ``get_params_for_optimizer`` (frozen
parameters never reach the optimizer; the backbone's group gets
``lr * backbone_lr_factor``), ``get_loss`` (label loss plus L2-SP),
``_set_training`` (batch-norm layers of frozen blocks stay in eval mode) and
``get_iterator`` (shuffled batches of the labelled rows). Label encoding,
``classes_``, ``predict_proba``, input checks and seeding are those of the
domain-adaptation nets (:mod:`sktransfer.deep._base`).
"""

import copy
import difflib

import numpy as np
import torch
from skorch import NeuralNet
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

from .._domain import check_masked_labels
from ._base import (
    BaseDomainNet,
    DomainClassifierMixin,
    DomainDataset,
    DomainRegressorMixin,
    _AutoDeviceMixin,
    _check_number,
    _collate_batch,
    _reject_fit_params,
    _seeded,
)
from ._modules import MLP, DomainAdaptationNetwork, output_size

__all__ = ["BackboneFeatures", "FineTunedClassifier", "FineTunedRegressor"]


class _LayerReached(Exception):
    """Raised by the layer hook: the rest of the backbone is not needed."""


def _read_layer(module, args, output):
    raise _LayerReached(output)


class BackboneFeatures(nn.Module):
    """A backbone read at its output, at a named layer, or through a callable.

    Parameters
    ----------
    backbone : torch.nn.Module
        The (pretrained) network.
    layer : None, str or callable, default=None
        None: the backbone's output. A name from ``backbone.named_modules()``
        (e.g. ``"classifier.1"``): that layer's output; the forward pass
        stops there, so the layers after it (the pretrained head) neither
        run nor train. A callable ``layer(backbone, X) -> tensor``: its
        return value (define it at module level for the net to pickle).

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import BackboneFeatures
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> BackboneFeatures(net, layer="1")(torch.zeros(3, 4)).shape
    torch.Size([3, 8])
    """

    def __init__(self, backbone, layer=None):
        super().__init__()
        self.backbone = backbone
        self.layer = layer
        if isinstance(layer, str):
            _check_submodule(backbone, layer, "layer")
        elif layer is not None and not callable(layer):
            raise ValueError(f"layer must be None, a submodule name or a callable; got {layer!r}.")

    def forward(self, X):
        if self.layer is None:
            return self.backbone(X)
        if callable(self.layer):
            return self.layer(self.backbone, X)
        handle = self.backbone.get_submodule(self.layer).register_forward_hook(_read_layer)
        try:
            self.backbone(X)
        except _LayerReached as reached:
            return reached.args[0]
        finally:
            handle.remove()
        raise RuntimeError(f"layer {self.layer!r} did not run in the backbone's forward pass.")


def _check_submodule(module, name, what):
    names = [n for n, _ in module.named_modules() if n]
    if name not in names:
        close = difflib.get_close_matches(name, names, n=5)
        hint = f"; close names: {close}" if close else f"; its submodules: {names[:20]}"
        raise ValueError(f"{what} {name!r} is not a submodule of {type(module).__name__}{hint}.")


def _under(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


class _BaseFineTuningNet(_AutoDeviceMixin, NeuralNet):
    """Shared base of :class:`FineTunedClassifier` and :class:`FineTunedRegressor`."""

    # the pretrained weights w0 are tensors on the net's device: pickled and
    # mapped to the CPU like the module (see NeuralNet.__getstate__)
    cuda_dependent_attributes_ = NeuralNet.cuda_dependent_attributes_ + ["pretrained_params_"]

    def __init__(
        self,
        module=None,
        *,
        criterion,
        layer=None,
        blocks=None,
        unfreeze="all",
        backbone_lr_factor=1.0,
        alpha=0.0,
        beta=0.0,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=20,
        batch_size=32,
        random_state=None,
        device="cpu",
        callbacks=None,
        warm_start=False,
        verbose=1,
        **kwargs,
    ):
        kwargs.setdefault("train_split", None)  # clone passes it back, so it may be in kwargs
        super().__init__(
            module, criterion, optimizer=optimizer, lr=lr, max_epochs=max_epochs,
            batch_size=batch_size, callbacks=callbacks, warm_start=warm_start, verbose=verbose,
            device=device, **kwargs,
        )
        self.layer = layer
        self.blocks = blocks
        self.unfreeze = unfreeze
        self.backbone_lr_factor = backbone_lr_factor
        self.alpha = alpha
        self.beta = beta
        self.random_state = random_state

    # the input checks, the dataset, the label loss on labelled rows and the
    # prediction path are those of the domain-adaptation nets
    _validate_X = BaseDomainNet._validate_X
    _check_fit_data = BaseDomainNet._check_fit_data
    _encode_fit_labels = BaseDomainNet._encode_fit_labels
    get_dataset = BaseDomainNet.get_dataset
    _label_loss = BaseDomainNet.get_loss
    _predict_outputs = BaseDomainNet._predict_outputs

    def _get_param_names(self):
        # skorch lists every attribute without a trailing underscore, including its
        # private bookkeeping set `_params_to_validate`, which is no parameter
        return [name for name in super()._get_param_names() if not name.startswith("_")]

    def _check_params(self):
        name = type(self).__name__
        _check_number("max_epochs", self.max_epochs, 1, integer=True)
        _check_number("batch_size", self.batch_size, 1, integer=True)
        _check_number("lr", self.lr, 0.0, low_inclusive=False)
        _check_number("backbone_lr_factor", self.backbone_lr_factor, 0.0)
        _check_number("alpha", self.alpha, 0.0)
        _check_number("beta", self.beta, 0.0)
        if self.unfreeze != "all":
            _check_number("unfreeze ('all' or a number of blocks)", self.unfreeze, 0, integer=True)
        if self.blocks is not None and not isinstance(self.blocks, str):
            raise ValueError(f"{name}: blocks must be None or a submodule name; got {self.blocks!r}.")
        if self.module is not None and not (isinstance(self.module, nn.Module) or callable(self.module)):
            raise ValueError(
                f"{name}: module must be a torch.nn.Module instance (the pretrained backbone), "
                f"a module class, or None for the default MLP; got {self.module!r}."
            )
        self._check_device_param()

    # ---- the network ---------------------------------------------------

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        if self.module is None:
            kwargs.setdefault("n_features_in", int(np.prod(self.input_shape_)))
            backbone = MLP(**kwargs)
        elif isinstance(self.module, nn.Module):
            if kwargs:
                raise ValueError(
                    f"{type(self).__name__}: module__* parameters ({', '.join(sorted(kwargs))}) "
                    "build a module from a class, but module is an instance (pretrained weights); "
                    "pass the class to train from scratch, or drop the module__* parameters."
                )
            # fit trains a copy: the user's pretrained backbone is never changed
            backbone = copy.deepcopy(self.module)
        else:
            backbone = self.module(**kwargs)
        features = BackboneFeatures(backbone, self.layer)
        n_features = output_size(features, self.input_shape_)
        self.n_features_extracted_ = n_features
        self.module_ = DomainAdaptationNetwork(features, nn.Linear(n_features, self.n_outputs_))
        self._freeze(backbone)
        return self

    def _block_names(self, backbone):
        """The blocks: children holding parameters of the backbone (or of the
        ``blocks`` submodule), in registration order, up to the one that holds
        the ``layer`` read."""
        prefix = ""
        container = backbone
        if self.blocks is not None:
            _check_submodule(backbone, self.blocks, "blocks")
            container = backbone.get_submodule(self.blocks)
            prefix = self.blocks + "."
        names = []
        for child_name, child in container.named_children():
            name = prefix + child_name
            if any(True for _ in child.parameters()):
                names.append(name)
            if isinstance(self.layer, str) and _under(self.layer, [name]):
                break  # children registered after the layer read do not run
        return names

    def _unused_submodules(self, backbone):
        """Submodules registered after the path to ``layer``: they do not run
        (e.g. the pretrained head), so they never train."""
        if not isinstance(self.layer, str):
            return []
        unused, parent = [], ""
        for part in self.layer.split("."):
            siblings = [n for n, _ in backbone.get_submodule(parent.rstrip(".")).named_children()]
            if part in siblings:
                unused += [parent + n for n in siblings[siblings.index(part) + 1:]]
            parent += part + "."
        return unused

    def _freeze(self, backbone):
        self.blocks_ = self._block_names(backbone)
        if self.unfreeze == "all":
            self.trained_blocks_ = list(self.blocks_)
        else:
            if self.unfreeze > len(self.blocks_):
                raise ValueError(
                    f"{type(self).__name__}: unfreeze={self.unfreeze} but the backbone has "
                    f"{len(self.blocks_)} block(s) with parameters: {self.blocks_}. Choose "
                    "unfreeze <= that, 'all', or name the submodule whose children are the "
                    "blocks with blocks=..."
                )
            self.trained_blocks_ = self.blocks_[len(self.blocks_) - self.unfreeze:]
        unused = self._unused_submodules(backbone)

        def trains(name):
            if _under(name, unused):
                return False
            return self.unfreeze == "all" or _under(name, self.trained_blocks_)

        for name, param in backbone.named_parameters():
            param.requires_grad_(trains(name))
        self.frozen_norm_layers_ = [
            name for name, module in backbone.named_modules()
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and not trains(name)
        ]
        prefix = "feature_extractor.backbone."
        self.pretrained_params_ = {
            prefix + name: param.detach().to(self.device, copy=True)
            for name, param in backbone.named_parameters() if param.requires_grad
        }

    def _set_training(self, training=True):
        super()._set_training(training)
        if training:
            # Batch-norm layers of frozen blocks stay in eval mode. In train mode they
            # would normalise with the statistics of each (small, target) batch rather
            # than the running statistics the pretrained layers after them were trained
            # with, and would overwrite those statistics although no weight of their
            # block learns; predict (eval mode) would then see another network.
            backbone = self.module_.feature_extractor.backbone
            for name in self.frozen_norm_layers_:
                backbone.get_submodule(name).eval()

    def get_all_learnable_params(self):
        # frozen parameters never reach the optimizer
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's parameter groups (``optimizer__param_groups`` patterns first),
        then the trained backbone parameters left in the default group get their
        own group at ``lr * backbone_lr_factor``; the head keeps ``lr``."""
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix != "optimizer":
            return args, kwargs
        groups = list(args[0])
        default = groups[-1] if groups and set(groups[-1]) == {"params"} else None
        if default is not None:
            backbone_ids = {id(p) for p in self.module_.feature_extractor.parameters()}
            in_backbone = [p for p in default["params"] if id(p) in backbone_ids]
            rest = [p for p in default["params"] if id(p) not in backbone_ids]
            groups = groups[:-1]
            if in_backbone:
                groups.append({"params": in_backbone, "lr": kwargs["lr"] * self.backbone_lr_factor})
            if rest:
                groups.append({"params": rest})
        return (groups, *args[1:]), kwargs

    def set_params(self, **params):
        super().set_params(**params)
        changed = {"lr", "optimizer__lr", "backbone_lr_factor"} & set(params)
        if changed and self.initialized_ and hasattr(self, "optimizer_"):
            # skorch sets a new lr on every parameter group of a fitted net; the
            # backbone's group keeps its factor (for partial_fit / warm_start)
            lr = params.get("optimizer__lr", self.lr)
            backbone = {id(p) for p in self.module_.feature_extractor.parameters()}
            for group in self.optimizer_.param_groups:
                if all(id(p) in backbone for p in group["params"]):
                    group["lr"] = lr * self.backbone_lr_factor
        return self

    # ---- training ------------------------------------------------------

    def get_iterator(self, dataset, training=False):
        if training:
            # shuffled from torch's generator, which fit seeds with random_state; a
            # last batch of one row is dropped (batch norm cannot train on one row)
            sampler = RandomSampler(range(len(dataset)))
            drop_last = len(dataset) > 1 and len(dataset) % self.batch_size == 1
        else:
            sampler, drop_last = SequentialSampler(range(len(dataset))), False
        batches = BatchSampler(sampler, batch_size=self.batch_size, drop_last=drop_last)
        return DataLoader(dataset, batch_sampler=batches, collate_fn=_collate_batch)

    def l2sp_penalty(self):
        """The L2-SP penalty of the current weights (a scalar tensor).

        ``alpha / 2 * sum ||w - w0||^2`` over the trained backbone parameters
        ``w`` (``w0``: their pretrained values), plus ``beta / 2 * ||w_head||^2``
        over the new head's weight and bias.
        """
        params = dict(self.module_.named_parameters())
        penalty = torch.zeros((), device=self.device)
        if self.alpha:
            drift = sum(((params[name] - w0) ** 2).sum() for name, w0 in self.pretrained_params_.items())
            penalty = penalty + self.alpha / 2 * drift
        if self.beta:
            penalty = penalty + self.beta / 2 * sum((p ** 2).sum() for p in self.module_.label_head.parameters())
        return penalty

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The label loss on the labelled rows of the batch plus, in training,
        the L2-SP penalty (:meth:`l2sp_penalty`; recorded per batch as
        ``train_penalty``)."""
        loss = self._label_loss(y_pred, y_true, X=X, training=training)
        if training and (self.alpha or self.beta):
            penalty = self.l2sp_penalty()
            self.history.record_batch("train_penalty", penalty.item())
            loss = loss + penalty
        return loss

    # ---- the sklearn side ----------------------------------------------

    def fit(self, X, y, **fit_params):
        """Fine-tune a copy of the backbone and a new head on the labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Rows; images may keep their shape (e.g. ``(n, 1, 28, 28)``).
        y : array-like of shape (n_samples,)
            Labels; rows with ``-1`` (classification) or ``NaN`` (regression)
            are unlabelled and left out.
        **fit_params
            None is taken: any other keyword (``sample_domain`` included: the
            labelled rows train whatever their domain) raises a TypeError.

        Returns
        -------
        self : object
            The fitted net.
        """
        _reject_fit_params(self, "fit", fit_params, ("X", "y"))
        dataset, y_train = self._prepare_fit(X, y, reset=True)
        with _seeded(self.random_state_seed_, self.device):
            super().fit(dataset, y_train)
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs, keeping the weights (and the
        classes) of an earlier fit; the first call initialises the network.

        Parameters
        ----------
        X, y
            As in :meth:`fit`.
        classes : array-like, default=None
            Unused (the classes of the first call are kept); for sklearn's API.
        **fit_params
            None is taken, as in :meth:`fit`.

        Returns
        -------
        self : object
        """
        if isinstance(X, DomainDataset):  # NeuralNet.fit hands its dataset on
            return super().partial_fit(X, y, classes, **fit_params)
        _reject_fit_params(self, "partial_fit", fit_params, ("X", "y", "classes"))
        first_call = not self.initialized_ or not hasattr(self, "input_shape_")
        dataset, y_train = self._prepare_fit(X, y, reset=first_call)
        with _seeded(self.random_state_seed_, self.device):
            if first_call:
                self.initialize()
            super().partial_fit(dataset, y_train)
        return self

    def _prepare_fit(self, X, y, reset):
        """Validate a fit's data and keep its labelled rows."""
        X_tensor, y = self._check_fit_data(X, y, reset)
        # no fit_domains here (fine-tuning takes no sample_domain): the -1 check of the convention
        check_masked_labels(y, None, task=self._task, estimator=type(self).__name__)
        labelled, y_encoded = self._encode_fit_labels(X_tensor, y, reset)
        rows = torch.as_tensor(np.flatnonzero(labelled))
        y_train = y_encoded[rows]
        return DomainDataset(X_tensor[rows], y_train), y_train

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


_DOC = """
    Parameters
    ----------
    module : torch.nn.Module instance or class, default=None
        The backbone. An instance (the pretrained network) is deep-copied at
        each ``fit``: the copy trains, the instance passed is never changed.
        A class is built with the ``module__*`` parameters (random weights:
        training from scratch). None: :class:`~sktransfer.deep.MLP` sized
        from the data, for tabular rows.
    layer : None, str or callable, default=None
        Where the features are read, so that the pretrained network's own
        head can be left out: None, the backbone's output; a submodule name
        such as ``"classifier.1"`` (the forward pass stops after it, and the
        submodules registered after it on its path, such as
        ``classifier.2``, are taken not to run and stay frozen); or a
        callable ``layer(backbone, X) -> tensor``. The features, flattened,
        feed the new head.
    blocks : str, default=None
        What a block is. None: the top-level children of the backbone that
        hold parameters (activations and pooling layers are no blocks), in
        the order they are registered, up to the child holding ``layer``. A
        submodule name (e.g. ``"features"`` of a CNN, ``"layers"`` of the
        default MLP): the children of that submodule that hold parameters.
    unfreeze : "all" or int, default="all"
        ``"all"``: full fine-tuning, every backbone parameter trains. ``0``:
        frozen backbone, only the new head trains (feature extraction).
        ``k``: the last ``k`` blocks train, the rest of the backbone is
        frozen. Batch-norm layers outside the trained blocks stay in eval
        mode (running statistics used and kept).
    backbone_lr_factor : float, default=1.0
        Discriminative learning rates: the trained backbone parameters learn
        at ``lr * backbone_lr_factor``, the new head at ``lr``. 0 leaves the
        backbone at its pretrained weights.
    alpha : float, default=0.0
        Weight of the L2-SP penalty ``alpha / 2 * ||w - w0||^2``, summed over
        the trained backbone parameters ``w`` with ``w0`` their pretrained
        values (Li et al. 2018), added to the mean label loss of each batch.
        0: plain fine-tuning. Li et al. train with SGD; Adam rescales the
        penalty's gradient per parameter, so with L2-SP consider
        ``optimizer=torch.optim.SGD, optimizer__momentum=0.9``.
    beta : float, default=0.0
        Weight of ``beta / 2 * ||w_head||^2`` on the new head (its weight and
        bias), the second term of L2-SP.
    criterion : torch loss class, default={criterion}
        Label loss, on the labelled rows.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Set its options with ``optimizer__*``; ``optimizer__param_groups``
        patterns (on names such as ``feature_extractor.backbone.features.0.weight``
        and ``label_head.weight``) take precedence over ``backbone_lr_factor``.
    lr : float, default=1e-3
        Learning rate of the head (and of the backbone, times
        ``backbone_lr_factor``).
    max_epochs : int, default=20
        Passes over the labelled rows.
    batch_size : int, default=32
        Labelled rows per batch, shuffled every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the new head's initial weights, the batches and dropout;
        torch's global random state is left as it was.
    device : "auto", str or torch.device, default="cpu"
        Where the network trains and predicts: ``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ... ``"auto"``: CUDA when available, else the CPU,
        resolved when the network is initialised (``device_``);
        ``get_params`` and ``clone`` keep ``"auto"``.
    callbacks : list of skorch callbacks, default=None
        Added to skorch's default ones.
    warm_start : bool, default=False
        Continue training from the current weights on the next ``fit``.
    verbose : int, default=1
        1 (skorch's default) prints skorch's table of the history after each
        epoch; 0 is silent (e.g. inside a grid search).
    **kwargs
        Other skorch parameters: ``module__*``, ``optimizer__*``,
        ``train_split`` (default None: no validation split), ``callbacks__*``.

    Attributes
    ----------
    module_ : DomainAdaptationNetwork
        The trained network: ``feature_extractor`` (a
        :class:`~sktransfer.deep.BackboneFeatures` holding the copied
        ``backbone``) and the new ``label_head`` (``torch.nn.Linear``).
    blocks_ : list of str
        The backbone's blocks (names in the backbone).
    trained_blocks_ : list of str
        The blocks that train.
    pretrained_params_ : dict of str to torch.Tensor
        ``w0``: the initial values of the trained backbone parameters, keyed
        by their name in ``module_``.
    frozen_norm_layers_ : list of str
        Batch-norm layers kept in eval mode during training.
    n_features_extracted_ : int
        Size of the features the head reads.
    history_ : skorch.History
        Per epoch ``train_loss`` and ``dur``; per batch also ``train_penalty``
        when ``alpha`` or ``beta`` is set.
    device_ : str or torch.device
        The device the network was placed on (``device`` resolved).
    n_features_in_ : int
        Number of features seen in ``fit``.
"""

_REFERENCES = """
    References
    ----------
    .. [1] X. Li, Y. Grandvalet and F. Davoine, "Explicit Inductive Bias for
       Transfer Learning with Convolutional Networks", ICML 2018.
    .. [2] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable
       are features in deep neural networks?", NeurIPS 2014.
"""


class FineTunedClassifier(DomainClassifierMixin, _BaseFineTuningNet):
    __doc__ = """A pretrained network fine-tuned with a new classification head, on skorch.

    The backbone (read at ``layer``) feeds a new ``Linear`` head with one
    output per class of ``y``; the backbone is frozen, trained in its last
    blocks or trained whole (``unfreeze``), at its own learning rate
    (``backbone_lr_factor``) and optionally held near its pretrained weights
    by L2-SP (``alpha``, ``beta``). Only the labelled rows train: rows with
    ``y = -1`` are left out, as in the domain convention of sktransfer.
    Labels of any type; ``predict_proba`` gives the class probabilities.
""" + _DOC.format(criterion="torch.nn.CrossEntropyLoss") + """    classes_ : ndarray of shape (n_classes,)
        The class labels.
""" + _REFERENCES + """
    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import make_classification
    >>> from sktransfer.deep import FineTunedClassifier
    >>> X, y = make_classification(200, n_features=8, random_state=0)
    >>> backbone = torch.nn.Sequential(  # stands for a pretrained network
    ...     torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(),
    ...     torch.nn.Linear(16, 5))
    >>> clf = FineTunedClassifier(backbone, layer="3", unfreeze=1, backbone_lr_factor=0.1,
    ...                           alpha=0.01, lr=0.01, max_epochs=10, random_state=0, verbose=0)
    >>> clf.fit(X, y).blocks_, clf.trained_blocks_
    (['0', '2'], ['2'])
    >>> clf.predict_proba(X[:2]).shape, bool(clf.score(X, y) > 0.8)
    ((2, 2), True)
    """

    def __init__(self, module=None, *, criterion=nn.CrossEntropyLoss, **kwargs):
        super().__init__(module, criterion=criterion, **kwargs)


class FineTunedRegressor(DomainRegressorMixin, _BaseFineTuningNet):
    __doc__ = """A pretrained network fine-tuned with a new regression head, on skorch.

    As :class:`FineTunedClassifier`, with a linear head of one output per
    target and a mean squared error; rows with ``y = NaN`` are unlabelled
    and left out (``-1`` is an ordinary target value in regression).
""" + _DOC.format(criterion="torch.nn.MSELoss") + _REFERENCES + """
    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.deep import FineTunedRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 4))
    >>> y = X.sum(axis=1)
    >>> y[80:] = np.nan  # unlabelled rows: left out of the fit
    >>> reg = FineTunedRegressor(unfreeze=0, max_epochs=5, random_state=0, verbose=0).fit(X, y)
    >>> reg.predict(X[:3]).shape, reg.trained_blocks_
    ((3,), [])
    """

    def __init__(self, module=None, *, criterion=nn.MSELoss, **kwargs):
        super().__init__(module, criterion=criterion, **kwargs)
