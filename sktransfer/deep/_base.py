"""The skorch base of the deep domain-adaptation estimators.

One :class:`BaseDomainNet` (a :class:`skorch.NeuralNet`) reads the domain
convention once (:func:`~sktransfer.fit_domains`), encodes the labels, and
feeds the training loop of skorch with batches that hold source and target
rows in a fixed proportion. Subclasses give one hook,
``get_adaptation_loss(features, is_target)``: the domain loss of DANN, or a
CORAL / MMD alignment loss. skorch's own loop, callbacks, history, device
handling and pickling are used as they are; only these hooks are overridden:

- ``get_dataset`` / ``get_split_datasets`` / ``get_iterator``: a tensor
  dataset read a batch at a time, a source holdout for validation, and the
  domain-balanced batch sampler;
- ``initialize_module``: the user's feature extractor (``module`` with
  ``module__*`` parameters, or the default MLP sized from the data) joined
  with a label head and, for DANN, a domain head;
- ``train_step_single``: label loss on the labelled rows plus the
  adaptation loss on all rows, each part recorded in the history;
- ``get_loss``: the label loss on the labelled rows of a batch.
"""

import contextlib
import numbers

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, EpochTimer, PassthroughScoring, PrintLog, ProgressBar
from skorch.utils import to_tensor
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, Dataset, Sampler, SequentialSampler

from .._domain import fit_domains, unlabeled_mask
from .._validation import check_magnitude
from ..base import DomainAwareMixin
from ._callbacks import AdaptationSchedule
from ._modules import MLP, DomainAdaptationNetwork, output_size

__all__ = ["BaseDomainNet", "DomainBalancedBatchSampler", "DomainDataset"]

SCHEDULES = ("constant", "ganin")


class DomainDataset(Dataset):
    """Rows of ``X`` (a float32 tensor), their encoded labels and, for
    training, which rows belong to the source and the target pools.

    Batches are read whole through ``__getitems__`` (one indexing per batch,
    not one per row). A training batch is a list of positions from
    :class:`DomainBalancedBatchSampler`: a position ``i < len(self)`` is row
    ``i`` drawn as a source row, ``len(self) + i`` is row ``i`` drawn as a
    target row (the same row can be both when a fit has no target rows and
    the source is its own target).

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import DomainDataset
    >>> dataset = DomainDataset(torch.arange(6.0).reshape(3, 2), torch.tensor([0, 1, 1]))
    >>> Xi, (yi, is_target) = dataset.__getitems__([0, 3 + 2])  # row 0 as source, row 2 as target
    >>> len(dataset), Xi.tolist(), yi.tolist(), is_target.tolist()
    (3, [[0.0, 1.0], [4.0, 5.0]], [0, 1], [False, True])
    """

    def __init__(self, X, y=None, source_indices=None, target_indices=None):
        self.X = X
        self.y = y
        self.source_indices = source_indices
        self.target_indices = target_indices

    def __len__(self):
        return self.X.shape[0]

    def __getitems__(self, positions):
        positions = torch.as_tensor(positions, dtype=torch.long)
        n_rows = len(self)
        is_target = positions >= n_rows
        rows = positions - n_rows * is_target
        Xi = self.X[rows]
        if self.y is None:
            return Xi, None
        return Xi, (self.y[rows], is_target)

    def __getitem__(self, position):
        Xi, rest = self.__getitems__([position])
        return Xi[0], None if rest is None else (rest[0][0], rest[1][0])

    def subset(self, rows, source_indices=None, target_indices=None):
        rows = torch.as_tensor(rows, dtype=torch.long)
        return DomainDataset(
            self.X[rows], None if self.y is None else self.y[rows], source_indices, target_indices
        )


def _collate_batch(batch):
    # __getitems__ already returns the whole batch
    return batch


class DomainBalancedBatchSampler(Sampler):
    """Batches of source and target rows in a fixed proportion.

    An epoch is one pass over the source rows in a random order; every batch
    takes the next ``n_source`` of them and ``n_target`` target rows, drawn
    in turn from a shuffled cycle over the target rows (reshuffled when
    exhausted), so the target pool is covered evenly whatever its size. The
    last batch takes the source rows left and keeps the proportion.

    Parameters
    ----------
    source_indices, target_indices : array-like of int
        Rows of the dataset in each pool.
    n_rows : int
        Length of the dataset; target draws are yielded as ``n_rows + row``
        (see :class:`DomainDataset`).
    batch_size : int
        Rows per batch, source and target together.
    target_fraction : float
        Share of the target rows in each batch, in (0, 1).
    seed : int
        Seed of the shuffling.

    Examples
    --------
    >>> from sktransfer.deep import DomainBalancedBatchSampler
    >>> sampler = DomainBalancedBatchSampler(range(6), range(6, 10), n_rows=10,
    ...                                      batch_size=4, target_fraction=0.5, seed=0)
    >>> [(sum(p < 10 for p in b), sum(p >= 10 for p in b)) for b in sampler]
    [(2, 2), (2, 2), (2, 2)]
    """

    def __init__(self, source_indices, target_indices, *, n_rows, batch_size,
                 target_fraction=0.5, seed=0):
        self.source_indices = torch.as_tensor(np.asarray(source_indices), dtype=torch.long)
        self.target_indices = torch.as_tensor(np.asarray(target_indices), dtype=torch.long)
        if len(self.source_indices) == 0 or len(self.target_indices) == 0:
            raise ValueError("DomainBalancedBatchSampler needs source and target rows.")
        self.n_rows = n_rows
        n_target = min(max(int(round(batch_size * target_fraction)), 1), batch_size - 1)
        n_source = batch_size - n_target
        if n_source > len(self.source_indices):
            # fewer source rows than a batch holds: one batch per epoch, same proportion
            n_target = max(1, int(round(n_target * len(self.source_indices) / n_source)))
            n_source = len(self.source_indices)
        self.n_source, self.n_target = n_source, n_target
        self.generator = torch.Generator().manual_seed(int(seed))
        self._target_order = torch.empty(0, dtype=torch.long)

    def __len__(self):
        return -(-len(self.source_indices) // self.n_source)

    def _draw_targets(self, count):
        while len(self._target_order) < count:
            permutation = self.target_indices[torch.randperm(len(self.target_indices), generator=self.generator)]
            self._target_order = torch.cat([self._target_order, permutation])
        drawn, self._target_order = self._target_order[:count], self._target_order[count:]
        return drawn

    def __iter__(self):
        order = self.source_indices[torch.randperm(len(self.source_indices), generator=self.generator)]
        for start in range(0, len(order), self.n_source):
            source = order[start:start + self.n_source]
            n_target = self.n_target
            if len(source) < self.n_source:
                n_target = max(1, int(round(self.n_target * len(source) / self.n_source)))
            target = self._draw_targets(n_target) + self.n_rows
            yield torch.cat([source, target]).tolist()


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


def _check_number(name, value, low, high=None, *, low_inclusive=True, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = value >= low if low_inclusive else value > low
        ok = ok and (high is None or value < high)
    if not ok:
        bounds = f"{'>=' if low_inclusive else '>'} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{name} must be {'an int' if integer else 'a number'} {bounds}; got {value!r}.")


def _resolve_device(device):
    """The device a net computes on: ``"auto"`` is CUDA when available, else the CPU.

    Any other value (``"cpu"``, ``"cuda:1"``, a ``torch.device``, or None for
    skorch's "leave the tensors where they are") is returned as it is.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep._base import _resolve_device
    >>> _resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    True
    >>> _resolve_device("cpu")
    'cpu'
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _reject_fit_params(estimator, method, fit_params, accepted):
    """A TypeError naming the keywords a ``fit`` / ``partial_fit`` call does not take.

    skorch forwards extra ``fit`` keywords to the module's ``forward``; these
    nets build their own batches and forward nothing, so an extra keyword would
    be dropped without a word (a misspelt ``sample_domain`` would silently
    train without domains)."""
    if not fit_params:
        return
    name = type(estimator).__name__
    unexpected = ", ".join(map(repr, sorted(fit_params)))
    hint = ""
    if "sample_domain" in fit_params and "sample_domain" not in accepted:
        hint = (" It trains on the labelled rows whatever their domain; a domain-adaptation "
                "net (e.g. DomainAdversarialClassifier) reads sample_domain.")
    raise TypeError(
        f"{name}.{method}() got unexpected keyword argument(s) {unexpected}; it accepts "
        f"{', '.join(accepted)}.{hint}"
    )


class _AutoDeviceMixin:
    """``device="auto"`` for skorch nets: CUDA when available, else the CPU.

    The parameter keeps the value given (``get_params`` and ``clone`` see
    ``"auto"``); ``initialize`` resolves it once into ``device_``, which is
    what the attribute ``device`` reads for skorch's training loop, so that
    the module stays where it was placed. Unpickled on another machine, an
    ``"auto"`` net is resolved again (it loads on that machine's GPU if it
    has one, on its CPU otherwise)."""

    @property
    def device(self):
        requested = self.__dict__.get("device")
        if isinstance(requested, str) and requested == "auto":
            return self.__dict__.get("device_") or _resolve_device(requested)
        return requested

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value
        self.__dict__.pop("device_", None)

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("device")
        return params

    def initialize(self):
        self.__dict__["device_"] = _resolve_device(self.__dict__.get("device"))
        return super().initialize()

    def __setstate__(self, state):
        requested = state.get("device")
        if not (isinstance(requested, str) and requested == "auto"):
            return super().__setstate__(state)
        # skorch maps the tensors to state["device"]: this machine's resolution of "auto"
        resolved = _resolve_device(requested)
        super().__setstate__(dict(state, device=resolved))
        self.__dict__.update(device=requested, device_=resolved)

    def _check_device_param(self):
        name = type(self).__name__
        device = self.__dict__.get("device")
        if device is None or (isinstance(device, str) and device == "auto"):
            return
        try:
            torch_device = torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            raise ValueError(
                f"{name}: device must be 'auto', 'cpu', 'cuda', 'cuda:N' (or another torch "
                f"device); got {device!r}."
            ) from None
        if torch_device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"{name}: device={device!r} but CUDA is not available on this machine "
                "(torch.cuda.is_available() is False); use device='auto' or 'cpu'."
            )


def _silent(*args, **kwargs):
    """A sink for skorch's messages (a module-level function, so that nets pickle)."""


@contextlib.contextmanager
def _seeded(seed, device):
    """Run the block with torch's random generators seeded, and put them back after.

    The module's initial weights and dropout draw from torch's global
    generators; forking them keeps a fit reproducible without changing the
    random state of the user's session."""
    if seed is None:
        yield
        return
    devices = []
    if str(device).startswith("cuda") and torch.cuda.is_available():
        devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


class BaseDomainNet(DomainAwareMixin, _AutoDeviceMixin, NeuralNet):
    """Shared base of the deep domain-adaptation estimators (skorch nets).

    Not for direct use; see :class:`~sktransfer.deep.DomainAdversarialClassifier`
    and :class:`~sktransfer.deep.DomainAlignmentClassifier`. Subclasses set
    ``_task`` ("classification" or "regression"), ``adaptation_loss_name``
    (the history key of the adaptation part of the loss, e.g. "domain_loss")
    and implement ``get_adaptation_loss(features, is_target)`` returning the
    loss to add to the label loss.

    Examples
    --------
    >>> from sktransfer.deep import (BaseDomainNet, DomainAdversarialClassifier,
    ...                              DomainAlignmentRegressor)
    >>> issubclass(DomainAdversarialClassifier, BaseDomainNet)
    True
    >>> [c.adaptation_loss_name for c in (DomainAdversarialClassifier, DomainAlignmentRegressor)]
    ['domain_loss', 'alignment_loss']
    """

    prefixes_ = NeuralNet.prefixes_ + ["domain_classifier"]
    adaptation_loss_name = "adaptation_loss"
    _task = "classification"

    def __init__(
        self,
        module=None,
        *,
        criterion,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=50,
        batch_size=128,
        target_fraction=0.5,
        adaptation_weight=1.0,
        adaptation_schedule="ganin",
        lr_schedule="constant",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        progress_bar=False,
        random_state=None,
        device="cpu",
        callbacks=None,
        warm_start=False,
        verbose=1,
        **kwargs,
    ):
        # validation is a source holdout (early_stopping), see get_split_datasets;
        # clone passes train_split back, so it may be in kwargs
        kwargs.setdefault("train_split", None)
        super().__init__(
            module,
            criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            callbacks=callbacks,
            warm_start=warm_start,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.target_fraction = target_fraction
        self.adaptation_weight = adaptation_weight
        self.adaptation_schedule = adaptation_schedule
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.progress_bar = progress_bar
        self.random_state = random_state

    # ---- configuration -------------------------------------------------

    def _get_param_names(self):
        # skorch lists every attribute without a trailing underscore, including its
        # private bookkeeping set `_params_to_validate`, which is no parameter
        return [name for name in super()._get_param_names() if not name.startswith("_")]

    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("adaptation_schedule", AdaptationSchedule()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("train_label_loss", PassthroughScoring(name="train_label_loss", on_train=True)),
            (f"train_{self.adaptation_loss_name}",
             PassthroughScoring(name=f"train_{self.adaptation_loss_name}", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
        ]
        if self.early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=self.n_iter_no_change, load_best=True,
                sink=_silent,
            )))
        if self.progress_bar:
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks.append(("print_log", PrintLog()))
        return callbacks

    def _check_params(self):
        name = type(self).__name__
        _check_number("max_epochs", self.max_epochs, 1, integer=True)
        _check_number("batch_size", self.batch_size, 2, integer=True)
        _check_number("lr", self.lr, 0.0, low_inclusive=False)
        _check_number("target_fraction", self.target_fraction, 0.0, 1.0, low_inclusive=False)
        _check_number("adaptation_weight", self.adaptation_weight, 0.0)
        _check_choice("adaptation_schedule", self.adaptation_schedule, SCHEDULES)
        _check_choice("lr_schedule", self.lr_schedule, SCHEDULES)
        _check_number("validation_fraction", self.validation_fraction, 0.0, 1.0, low_inclusive=False)
        _check_number("n_iter_no_change", self.n_iter_no_change, 1, integer=True)
        if self.train_split is not None:
            raise ValueError(
                f"{name}: train_split is not used; validation is a held-out share of the "
                "labelled source rows, set with early_stopping=True and validation_fraction."
            )
        if self.module is not None and not (
            isinstance(self.module, nn.Module) or callable(self.module)
        ):
            raise ValueError(
                f"{name}: module must be a torch.nn.Module class or instance (the feature "
                f"extractor), or None for the default MLP; got {self.module!r}."
            )
        self._check_device_param()

    # ---- data ----------------------------------------------------------

    def _validate_X(self, X, reset):
        name = type(self).__name__
        try:
            # float64 input stays float64 until its magnitude is checked: cast first, 1e200
            # would read as an infinity the user never wrote
            X = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64],
                              allow_nd=True, ensure_min_samples=1)
        except ValueError as exc:
            if "could not convert" not in str(exc):
                raise
            raise ValueError(
                f"{name}: X must hold numbers (the network computes in float32); {exc}. "
                "Encode string or categorical columns first (e.g. sklearn's OneHotEncoder "
                "in a pipeline)."
            ) from None
        check_magnitude(X, who=name, float32=True)
        return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))

    def get_dataset(self, X, y=None):
        if isinstance(X, DomainDataset):
            return X
        return DomainDataset(to_tensor(X, device="cpu").float())

    def get_split_datasets(self, X, y=None, **fit_params):
        """Train on every row; with ``early_stopping``, hold out a (stratified)
        share of the labelled source rows for validation: a criterion that
        needs no target label."""
        dataset = self.get_dataset(X)
        if not self.early_stopping:
            return dataset, None
        source = dataset.source_indices
        rng = check_random_state(self.random_state_seed_)
        stratify = None
        if self._task == "classification":
            labels = dataset.y[source].numpy()
            if np.unique(labels, return_counts=True)[1].min() >= 2:
                stratify = labels
        n_valid = max(1, int(round(self.validation_fraction * len(source))))
        if len(source) - n_valid < 1:
            raise ValueError(
                f"{type(self).__name__}: early_stopping needs at least 2 labelled source rows "
                f"(one to train on, one to validate on); got {len(source)}."
            )
        try:
            train_rows, valid_rows = train_test_split(
                source, test_size=n_valid, random_state=rng, stratify=stratify)
        except ValueError:  # too few rows per class to stratify
            train_rows, valid_rows = train_test_split(source, test_size=n_valid, random_state=rng)
        keep = np.ones(len(dataset), dtype=bool)
        keep[valid_rows] = False
        kept = np.flatnonzero(keep)
        position = np.full(len(dataset), -1)
        position[kept] = np.arange(len(kept))
        target = dataset.target_indices
        target = target[keep[target]] if not np.array_equal(target, source) else train_rows
        if len(target) == 0:
            target = train_rows
        train = dataset.subset(kept, np.sort(position[train_rows]), np.sort(position[target]))
        return train, dataset.subset(np.sort(valid_rows))

    def get_iterator(self, dataset, training=False):
        if training and dataset.source_indices is not None:
            sampler = DomainBalancedBatchSampler(
                dataset.source_indices, dataset.target_indices, n_rows=len(dataset),
                batch_size=self.batch_size, target_fraction=self.target_fraction,
                seed=int(torch.randint(0, 2**31 - 1, (1,)).item()),
            )
            self.batches_per_epoch_ = len(sampler)
        else:
            sampler = BatchSampler(SequentialSampler(range(len(dataset))),
                                   batch_size=self.batch_size, drop_last=False)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=_collate_batch)

    # ---- the network ---------------------------------------------------

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        if self.module is None:
            kwargs.setdefault("n_features_in", int(np.prod(self.input_shape_)))
            feature_extractor = MLP(**kwargs)
        else:
            feature_extractor = self.initialized_instance(self.module, kwargs)
        if not isinstance(feature_extractor, nn.Module):
            raise ValueError(
                f"{type(self).__name__}: module must build a torch.nn.Module, got "
                f"{type(feature_extractor).__name__}."
            )
        n_features = output_size(feature_extractor, self.input_shape_)
        self.n_features_extracted_ = n_features
        self.module_ = DomainAdaptationNetwork(
            feature_extractor,
            nn.Linear(n_features, self.n_outputs_),
            self.initialize_domain_head(n_features),
        )
        return self

    def initialize_domain_head(self, n_features):
        """The domain head, or None (alignment losses need none)."""
        return None

    # ---- training hooks ------------------------------------------------

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The label loss on the labelled rows of the batch (0 when it has none)."""
        if isinstance(y_true, (tuple, list)):
            y_true = y_true[0]
        y_true = to_tensor(y_true, device=self.device)
        if self._task == "classification":
            labelled = y_true >= 0
        else:
            labelled = ~torch.isnan(y_true.reshape(len(y_true), -1)).any(dim=1)
            y_pred = y_pred.reshape(y_true.shape)
        if not labelled.any():
            return y_pred.sum() * 0.0
        return self.criterion_(y_pred[labelled], y_true[labelled])

    def get_adaptation_loss(self, features, is_target):
        raise NotImplementedError

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, (yi, is_target) = batch
        Xi = to_tensor(Xi, device=self.device)
        is_target = to_tensor(is_target, device=self.device)
        features = self.module_.features(Xi)
        y_pred = self.module_.label_head(features)
        # the label loss reads the source-side draws only: a labelled row drawn as a
        # target row (few-shot target rows, or a fit without target rows) counts once
        label_loss = self.get_loss(y_pred, self._label_view(yi, is_target), X=Xi, training=True)
        adaptation_loss = self.get_adaptation_loss(features, is_target)
        loss = label_loss + adaptation_loss
        # under skorch's AccelerateMixin (several GPUs, mixed precision) the
        # accelerator owns the backward pass
        accelerator = getattr(self, "accelerator", None)
        accelerator.backward(loss) if accelerator is not None else loss.backward()
        self.history.record_batch("train_label_loss", label_loss.item())
        self.history.record_batch(f"train_{self.adaptation_loss_name}", self.last_adaptation_part_)
        return {"loss": loss, "y_pred": y_pred}

    def _label_view(self, yi, is_target):
        yi = yi.clone()
        yi[is_target.cpu()] = -1 if self._task == "classification" else float("nan")
        return yi

    # ---- the sklearn side ----------------------------------------------

    def _encode_targets(self, y, labelled):
        raise NotImplementedError

    def fit(self, X, y, sample_domain=None, **fit_params):
        """Train the network on labelled source rows and unlabelled target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Source and target rows, stacked (images may keep their shape).
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabelled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.
            Labelled target rows (few-shot) add to the label loss.
        **fit_params
            None is taken: any other keyword raises a TypeError (skorch would
            pass it to the module's ``forward``; these nets forward none).

        Returns
        -------
        self : object
            The fitted net.
        """
        _reject_fit_params(self, "fit", fit_params, ("X", "y", "sample_domain"))
        dataset = self._prepare_fit(X, y, sample_domain, reset=True)
        with _seeded(self.random_state_seed_, self.device):
            super().fit(dataset, None)
        return self

    def partial_fit(self, X, y=None, classes=None, sample_domain=None, **fit_params):
        """Train for ``max_epochs`` more epochs, keeping the weights (and the
        classes) of an earlier fit; the first call initialises the network.

        Parameters
        ----------
        X, y, sample_domain
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
        _reject_fit_params(self, "partial_fit", fit_params, ("X", "y", "classes", "sample_domain"))
        first_call = not self.initialized_ or not hasattr(self, "input_shape_")
        dataset = self._prepare_fit(X, y, sample_domain, reset=first_call)
        with _seeded(self.random_state_seed_, self.device):
            if first_call:
                self.initialize()
            super().partial_fit(dataset, None)
        return self

    def _prepare_fit(self, X, y, sample_domain, reset):
        """Validate a fit's data once and build the training dataset."""
        X_tensor, y = self._check_fit_data(X, y, reset)
        sample_domain = fit_domains(y, sample_domain, n_samples=X_tensor.shape[0], task=self._task,
                                    estimator=type(self).__name__)
        labelled, y_encoded = self._encode_fit_labels(X_tensor, y, reset)
        # labelled target rows (few-shot) are trained on like source rows, and still
        # count as target rows for the adaptation loss
        source = np.flatnonzero(labelled)
        target = np.flatnonzero(sample_domain < 0)
        if len(target) == 0:  # the documented fallback: the source is its own target
            target = source
        return DomainDataset(X_tensor, y_encoded, source, target)

    def _check_fit_data(self, X, y, reset):
        """The parameters, ``X`` as a tensor and ``y`` checked against it."""
        self._check_params()
        X_tensor = self._validate_X(X, reset=reset)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "give the labels of the source rows (-1 or NaN on unlabelled target rows)."
            )
        y = self._check_y(y)
        if y.shape[0] != X_tensor.shape[0]:
            raise ValueError(f"y has {y.shape[0]} entries but X has {X_tensor.shape[0]} rows.")
        return X_tensor, y

    def _encode_fit_labels(self, X_tensor, y, reset):
        """The mask of labelled rows and the encoded labels (-1 / NaN elsewhere);
        records the row shape and the seed of the fit (kept by ``partial_fit``)."""
        labelled = ~unlabeled_mask(y, self._task)
        if not labelled.any():
            raise ValueError(
                f"{type(self).__name__}: no labelled row to learn from: every row is unlabelled "
                "(y = -1 or NaN marks an unlabelled row)."
            )
        y_encoded = self._encode_targets(y, labelled, reset=reset)
        if not reset and tuple(X_tensor.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has rows of shape {tuple(X_tensor.shape[1:])}, but {type(self).__name__} "
                f"was fitted on rows of shape {self.input_shape_}."
            )
        self.input_shape_ = tuple(X_tensor.shape[1:])
        if reset or not hasattr(self, "random_state_seed_"):
            seed = None
            if self.random_state is not None:
                seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
            self.random_state_seed_ = seed
        return labelled, y_encoded

    def _predict_outputs(self, X):
        check_is_fitted(self, "input_shape_")
        X_tensor = self._validate_X(X, reset=False)
        return self.forward(DomainDataset(X_tensor), training=False).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class DomainClassifierMixin(ClassifierMixin):
    """Classification side of a deep domain-adaptation net: labels of any
    type through ``classes_``, cross-entropy on logits, ``predict_proba``."""

    _task = "classification"

    def _check_y(self, y):
        return column_or_1d(y, warn=True)

    def _encode_targets(self, y, labelled, reset=True):
        y_labelled = y[labelled]
        if y_labelled.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} takes one label per row (y of shape (n_samples,)); "
                f"got y of shape {y.shape}."
            )
        check_classification_targets(y_labelled)
        if not reset:  # partial_fit keeps the classes of the first call
            unseen = np.setdiff1d(np.unique(y_labelled), self.classes_)
            if len(unseen):
                raise ValueError(
                    f"y holds labels not seen in the first fit: {unseen.tolist()}; the classes "
                    f"are {self.classes_.tolist()}."
                )
            encoded = np.full(len(y), -1, dtype=np.int64)
            encoded[labelled] = np.searchsorted(self.classes_, y_labelled)
            return torch.as_tensor(encoded)
        encoder = LabelEncoder().fit(y_labelled)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in the labelled rows; "
                f"got 1 class: {encoder.classes_[0]!r}."
            )
        self.classes_ = encoder.classes_
        self.n_outputs_ = len(self.classes_)
        encoded = np.full(len(y), -1, dtype=np.int64)
        encoded[labelled] = encoder.transform(y_labelled)
        return torch.as_tensor(encoded)

    def predict_proba(self, X):
        """Class probabilities of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        logits = torch.as_tensor(self._predict_outputs(X), dtype=torch.float64)
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        outputs = self._predict_outputs(X)  # raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(outputs, axis=1)]

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        logits = torch.as_tensor(self._predict_outputs(X), dtype=torch.float64)
        return torch.log_softmax(logits, dim=1).numpy()


class DomainRegressorMixin(RegressorMixin):
    """Regression side of a deep domain-adaptation net: mean squared error on
    the labelled rows, ``NaN`` marks the unlabelled ones."""

    _task = "regression"

    def _check_y(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        return y

    def _encode_targets(self, y, labelled, reset=True):
        try:
            if y.dtype.kind == "O":
                y = np.where(np.equal(y, None), np.nan, y)
            if y.dtype.kind not in "fiubO":
                raise TypeError
            y = y.astype(np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                f"Unknown label type: {type(self).__name__} needs numeric targets; got y of "
                f"dtype {y.dtype}."
            ) from None
        if y.ndim > 2:
            raise ValueError(f"y must be of shape (n_samples,) or (n_samples, n_outputs); got {y.shape}.")
        if np.isinf(y).any():
            raise ValueError("y contains infinite values; mark unlabelled rows with NaN only.")
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if not reset and n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} outputs but the first fit had {self.n_outputs_}.")
        self.n_outputs_ = n_outputs
        self.y_ndim_ = y.ndim
        return torch.as_tensor(y)

    def predict(self, X):
        """The predicted target of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out = self._predict_outputs(X).astype(np.float64)
        return out.ravel() if self.y_ndim_ == 1 else out

    @property
    def predict_proba(self):
        # skorch's NeuralNet has predict_proba; a regressor has none
        raise AttributeError(f"{type(self).__name__} has no predict_proba: it is a regressor.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
