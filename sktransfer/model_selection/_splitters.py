"""Cross-validation splitters that keep the domains of stacked data apart.

A plain ``KFold`` or ``StratifiedKFold`` on stacked source and target rows
can leave a validation fold with no target row (nothing for a domain
adaptation scorer to look at) and stratifies on the mask ``-1`` as if it were
a class. The splitters here read the domains with the rules of
:mod:`sktransfer._domain` (masked labels, or ``sample_domain`` given as
``groups`` or routed) and split each domain on its own.

:class:`LabeledKFold` is the splitter for sklearn's own scorers
(``scoring="roc_auc"``...): its validation folds hold labelled rows only, so
the mask ``-1`` never reaches a scorer that would take it for a class.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.multiclass import type_of_target

from .._domain import derive_sample_domain, num_rows, unlabeled_mask

__all__ = ["DomainShuffleSplit", "LabeledKFold", "LeaveOneDomainOut"]


def _split_domains(who, X, y, groups, sample_domain):
    """Domain id of each row: ``sample_domain``, else ``groups``, else the masked labels."""
    if groups is not None and sample_domain is not None:
        if not np.array_equal(np.asarray(groups), np.asarray(sample_domain)):
            raise ValueError(
                f"{who}: groups and sample_domain were both given and differ; pass the domain "
                "ids once (groups=sample_domain, or sample_domain routed)."
            )
    domains = sample_domain if sample_domain is not None else groups
    if X is None:
        raise ValueError(f"{who}.split needs X.")
    n_samples = num_rows(X)
    if y is None and domains is None:
        raise ValueError(
            f"{who} needs to know which rows are target rows: pass y with the target labels "
            "masked (-1, or NaN for regression), or the domain of each row as groups= "
            "(positive ids for source, negative for target)."
        )
    try:
        return derive_sample_domain(y, domains, n_samples=n_samples)
    except ValueError as exc:
        raise ValueError(f"{who}: {exc}") from None


def _is_classification(y_labelled):
    return type_of_target(y_labelled) in ("binary", "multiclass")


def _splitter_routing(owner):
    request = MetadataRequest(owner=owner)
    request.split.add_request(param="groups", alias=True)
    request.split.add_request(param="sample_domain", alias=True)
    return request


class DomainShuffleSplit:
    """Shuffle splits that keep every domain in both the training and the validation rows.

    Each domain (each ``sample_domain`` id; by default the labelled source
    rows and the masked target rows) is split on its own, with the same
    ``test_size``: the labelled rows of a source domain by
    :class:`~sklearn.model_selection.StratifiedShuffleSplit` on their labels
    (classification) or :class:`~sklearn.model_selection.ShuffleSplit`
    (regression), the target rows by ``ShuffleSplit``. Every validation fold
    thus holds held-out labelled source rows and target rows: what the
    scorers of :mod:`sktransfer.model_selection` need, and the model never
    saw the source rows it is scored on. Training and validation rows never
    overlap.

    The domains come from ``groups`` (the ``sample_domain`` array, e.g.
    ``GridSearchCV.fit(X, y, groups=sample_domain)``), from ``sample_domain``
    when sklearn's metadata routing passes it, or else from the masked labels
    of ``y``, so ``GridSearchCV(pipe, grid, cv=DomainShuffleSplit())`` with
    ``fit(X, y)`` works as it is.

    Parameters
    ----------
    n_splits : int, default=5
        Number of re-shuffling and splitting iterations.
    test_size : float, default=0.2
        Fraction of each domain's rows in the validation rows, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling; an int gives the same splits on every call.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import DomainShuffleSplit
    >>> X = np.zeros((12, 1))
    >>> y = np.array([0, 1] * 4 + [-1] * 4)  # 8 source rows, 4 target rows
    >>> train, test = next(DomainShuffleSplit(n_splits=1, test_size=0.25, random_state=0).split(X, y))
    >>> sorted(y[test].tolist())  # one row of each class, and one target row
    [-1, 0, 1]
    """

    def __init__(self, n_splits=5, *, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def __repr__(self):
        return (f"DomainShuffleSplit(n_splits={self.n_splits!r}, test_size={self.test_size!r}, "
                f"random_state={self.random_state!r})")

    def _check_params(self):
        if isinstance(self.n_splits, bool) or not isinstance(self.n_splits, Integral) or self.n_splits < 1:
            raise ValueError(f"n_splits must be a positive integer, got {self.n_splits!r}.")
        if (isinstance(self.test_size, bool) or not isinstance(self.test_size, Real)
                or not 0 < self.test_size < 1):
            raise ValueError(f"test_size must be a fraction in (0, 1), got {self.test_size!r}.")

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Number of splits: ``n_splits``."""
        self._check_params()
        return int(self.n_splits)

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Generate the indices of the training and validation rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Stacked source and target rows.
        y : array-like of shape (n_samples,), default=None
            Labels, masked (``-1``/``NaN``) on unlabelled target rows.
        groups : array-like of int of shape (n_samples,), default=None
            The ``sample_domain`` of each row (positive: source, negative:
            target); overrides the domains read from ``y``.
        sample_domain : array-like of int of shape (n_samples,), default=None
            The same, under its own name (metadata routing passes it so).

        Yields
        ------
        train : ndarray of int
        test : ndarray of int
        """
        self._check_params()
        who = type(self).__name__
        domains = _split_domains(who, X, y, groups, sample_domain)
        labelled = np.zeros(len(domains), dtype=bool) if y is None else ~unlabeled_mask(y)
        if not np.any(domains > 0):
            raise ValueError(f"{who}: no source rows (no labelled row, no positive domain id).")
        if not np.any(domains < 0):
            raise ValueError(
                f"{who}: no target rows (no masked label -1/NaN, no negative domain id). "
                "Stack the target rows with masked labels, or pass the domains as groups."
            )
        rng = check_random_state(self.random_state)
        per_domain = []  # for each domain: list of (train, test) over the splits
        for domain in np.unique(domains):
            rows = np.flatnonzero(domains == domain)
            if domain > 0 and y is not None:
                # the unlabelled rows of a source domain (if any) travel as target rows would
                labelled_rows, other_rows = rows[labelled[rows]], rows[~labelled[rows]]
                if labelled_rows.size:
                    per_domain.append(self._split_rows(who, domain, labelled_rows,
                                                       np.asarray(y)[labelled_rows], rng))
                if other_rows.size:
                    per_domain.append(self._split_rows(who, domain, other_rows, None, rng))
            else:
                per_domain.append(self._split_rows(who, domain, rows, None, rng))
        for k in range(self.n_splits):
            train = np.sort(np.concatenate([splits[k][0] for splits in per_domain]))
            test = np.sort(np.concatenate([splits[k][1] for splits in per_domain]))
            yield train, test

    def _split_rows(self, who, domain, rows, labels, rng):
        if rows.size < 2:
            raise ValueError(
                f"{who}: domain {domain} has {rows.size} row(s); it needs at least 2 to have "
                "rows in both the training and the validation rows."
            )
        seed = rng.randint(np.iinfo(np.int32).max)
        stratify = labels is not None and _is_classification(labels)
        cls = StratifiedShuffleSplit if stratify else ShuffleSplit
        splitter = cls(n_splits=self.n_splits, test_size=self.test_size, random_state=seed)
        try:
            splits = list(splitter.split(np.zeros((rows.size, 1)), labels if stratify else None))
        except ValueError as exc:
            raise ValueError(f"{who}: cannot split the rows of domain {domain}: {exc}") from None
        return [(rows[train], rows[test]) for train, test in splits]

    def get_metadata_routing(self):
        """Metadata routing: ``split`` takes ``groups`` and ``sample_domain``."""
        return _splitter_routing(type(self).__name__)


class LeaveOneDomainOut:
    """Hold out one source domain at a time, with the target rows in every fold.

    For data with several labelled source domains (``sample_domain`` ids
    1, 2, ...). Split ``k`` validates on source domain ``k``: its rows are
    the validation source rows and are left out of the training rows, which
    hold the other source domains. The target rows (negative ids), unlabelled,
    are in the training rows (the adaptation needs them) and in every
    validation fold (the scorers need them): they are the only rows in both,
    and they carry no label. Without target rows it is the classic
    leave-one-domain-out of domain generalisation.

    The domains come from ``groups`` (``GridSearchCV.fit(X, y,
    groups=sample_domain)``) or from ``sample_domain`` when sklearn's
    metadata routing passes it; masked labels alone describe one source
    domain only, which is an error here.

    Parameters
    ----------
    target_in_validation : bool, default=True
        Put the target rows into every validation fold too. Set to False to
        validate on the held-out source domain alone (e.g. with
        :class:`~sktransfer.metrics.LabeledRowsScorer`).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import LeaveOneDomainOut
    >>> sample_domain = np.array([1, 1, 2, 2, -1, -1])
    >>> for train, test in LeaveOneDomainOut().split(np.zeros((6, 1)), groups=sample_domain):
    ...     print(sample_domain[train], sample_domain[test])
    [ 2  2 -1 -1] [ 1  1 -1 -1]
    [ 1  1 -1 -1] [ 2  2 -1 -1]
    """

    def __init__(self, *, target_in_validation=True):
        self.target_in_validation = target_in_validation

    def __repr__(self):
        return f"LeaveOneDomainOut(target_in_validation={self.target_in_validation!r})"

    def _source_domains(self, X, y, groups, sample_domain):
        who = type(self).__name__
        if groups is None and sample_domain is None:
            raise ValueError(
                f"{who} needs the domain of each row: pass sample_domain as groups= "
                "(positive ids 1, 2, ... for the source domains, negative for target)."
            )
        domains = _split_domains(who, X, y, groups, sample_domain)
        sources = np.unique(domains[domains > 0])
        if sources.size < 2:
            raise ValueError(
                f"{who} needs at least 2 source domains (positive ids), got "
                f"{sources.size}: {sources.tolist()}."
            )
        return domains, sources

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Number of splits: the number of source domains."""
        return int(self._source_domains(X, y, groups, sample_domain)[1].size)

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Generate the indices of the training and validation rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Labels, masked on unlabelled target rows (not used to split).
        groups : array-like of int of shape (n_samples,), default=None
            The ``sample_domain`` of each row.
        sample_domain : array-like of int of shape (n_samples,), default=None
            The same, under its own name (metadata routing passes it so).

        Yields
        ------
        train : ndarray of int
        test : ndarray of int
        """
        if not isinstance(self.target_in_validation, (bool, np.bool_)):
            raise ValueError(
                f"target_in_validation must be True or False, got {self.target_in_validation!r}."
            )
        domains, sources = self._source_domains(X, y, groups, sample_domain)
        target = domains < 0
        for domain in sources:
            held_out = domains == domain
            test = held_out | target if self.target_in_validation else held_out
            yield np.flatnonzero(~held_out), np.flatnonzero(test)

    def get_metadata_routing(self):
        """Metadata routing: ``split`` takes ``groups`` and ``sample_domain``."""
        return _splitter_routing(type(self).__name__)


class LabeledKFold:
    """K-fold over the labelled rows; the unlabelled rows are in every training fold.

    The splitter for scoring stacked data with sklearn's own scorers
    (``cross_val_score(pipe, X, y, scoring="roc_auc", cv=LabeledKFold())``).
    With a plain ``cv=5``, validation folds hold masked target rows, which a
    scorer such as ``"roc_auc"`` reads as a class ``-1``: it fails, and
    ``cross_val_score`` turns the failure into a NaN score with a warning.
    Here the labelled rows (source rows, and labelled target rows where
    ``sample_domain`` marks some) are split into ``n_splits`` folds, by
    :class:`~sklearn.model_selection.StratifiedKFold` on their labels
    (classification) or :class:`~sklearn.model_selection.KFold`
    (regression); the unlabelled rows, which no scorer can use, are never
    in a validation fold and are in every training fold, where a domain
    adaptation step needs them.

    The validation folds estimate the score on the labelled rows, the
    source score in unsupervised domain adaptation: to estimate the target
    score, use :class:`DomainShuffleSplit` with a scorer of
    :mod:`sktransfer.model_selection` instead.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle the labelled rows before splitting them.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling when ``shuffle=True`` (sklearn's rule: set
        it only with ``shuffle=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import LabeledKFold
    >>> X = np.zeros((8, 1))
    >>> y = np.array([0, 1, 0, 1, 0, 1, -1, -1])  # 6 labelled rows, 2 target rows
    >>> for train, test in LabeledKFold(n_splits=3).split(X, y):
    ...     print(train, test)
    [2 3 4 5 6 7] [0 1]
    [0 1 4 5 6 7] [2 3]
    [0 1 2 3 6 7] [4 5]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def __repr__(self):
        return (f"LabeledKFold(n_splits={self.n_splits!r}, shuffle={self.shuffle!r}, "
                f"random_state={self.random_state!r})")

    def _check_params(self):
        if isinstance(self.n_splits, bool) or not isinstance(self.n_splits, Integral) or self.n_splits < 2:
            raise ValueError(f"n_splits must be an integer of at least 2, got {self.n_splits!r}.")
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise ValueError(f"shuffle must be True or False, got {self.shuffle!r}.")

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Number of splits: ``n_splits``."""
        self._check_params()
        return int(self.n_splits)

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Generate the indices of the training and validation rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Stacked source and target rows.
        y : array-like of shape (n_samples,)
            Labels, masked (``-1``/``NaN``) on unlabelled rows.
        groups : array-like of int of shape (n_samples,), default=None
            The ``sample_domain`` of each row; checked, not needed to split.
        sample_domain : array-like of int of shape (n_samples,), default=None
            The same, under its own name (metadata routing passes it so).

        Yields
        ------
        train : ndarray of int
        test : ndarray of int
        """
        self._check_params()
        who = type(self).__name__
        if y is None and X is not None:
            raise ValueError(
                f"{who}.split needs y: its validation folds are the labelled rows, told apart "
                "from the unlabelled ones by their masked labels (-1, or NaN for regression)."
            )
        _split_domains(who, X, y, groups, sample_domain)  # the same checks as the other splitters
        masked = unlabeled_mask(y)
        labelled, unlabelled = np.flatnonzero(~masked), np.flatnonzero(masked)
        if labelled.size < self.n_splits:
            raise ValueError(
                f"{who}: {labelled.size} labelled row(s) (label not -1/NaN) cannot fill "
                f"n_splits={self.n_splits} validation folds; lower n_splits or label more rows."
            )
        labels = np.asarray(y)[labelled]
        stratify = _is_classification(labels)
        cls = StratifiedKFold if stratify else KFold
        try:
            splitter = cls(n_splits=self.n_splits, shuffle=self.shuffle, random_state=self.random_state)
            splits = list(splitter.split(np.zeros((labelled.size, 1)), labels if stratify else None))
        except ValueError as exc:
            raise ValueError(f"{who}: cannot split the labelled rows: {exc}") from None
        for train, test in splits:
            yield np.sort(np.concatenate([labelled[train], unlabelled])), labelled[test]

    def get_metadata_routing(self):
        """Metadata routing: ``split`` takes ``groups`` and ``sample_domain``."""
        return _splitter_routing(type(self).__name__)
