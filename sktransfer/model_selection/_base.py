"""What every domain-adaptation scorer shares: reading the domains of the
validation rows, calling the estimator with them, and metadata routing."""

import inspect

import numpy as np
import sklearn
from sklearn.utils.metadata_routing import MetadataRequest, MetadataRouter, get_routing_for_object

from .._domain import derive_sample_domain, num_rows, unlabeled_mask


def take_rows(X, rows):
    """Rows of an array, a DataFrame or a sparse matrix."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if hasattr(X, "tocsr"):
        return X.tocsr()[rows]
    return np.asarray(X)[rows]


def accepts_sample_domain(estimator, method):
    """Whether ``estimator.<method>`` takes ``sample_domain``.

    Under metadata routing, a router (a pipeline) takes it only if one of
    its steps requests it for that method; otherwise an estimator takes it
    when it is a named parameter of the method.
    """
    function = getattr(estimator, method)
    if sklearn.get_config()["enable_metadata_routing"] and hasattr(estimator, "get_metadata_routing"):
        try:
            routing = get_routing_for_object(estimator)
        except Exception:  # an object whose routing cannot be read: fall back to its signature
            routing = None
        if isinstance(routing, MetadataRouter):
            return bool(routing.consumes(method, ["sample_domain"]))
        if routing is not None and routing.consumes(method, ["sample_domain"]):
            return True
    try:
        return "sample_domain" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def call_with_domains(estimator, method, X, sample_domain):
    """``estimator.<method>(X)``, with ``sample_domain`` where the estimator takes it,
    so that source rows go through a DA pipeline as source rows."""
    if sample_domain is not None and accepts_sample_domain(estimator, method):
        return getattr(estimator, method)(X, sample_domain=sample_domain)
    return getattr(estimator, method)(X)


def require_method(scorer, estimator, method):
    if not hasattr(estimator, method):
        raise AttributeError(
            f"{scorer} needs an estimator with {method}; {type(estimator).__name__} has none "
            "(use a probabilistic classifier, e.g. LogisticRegression, or SVC(probability=True))."
        )


class Fold:
    """The validation rows handed to a scorer, split by domain once.

    Attributes
    ----------
    X, y : the rows as given (``y`` as an ndarray)
    sample_domain : ndarray of int, the domain id of each row
    source : ndarray of int, indices of the labelled source rows
    target : ndarray of int, indices of the target rows
    """

    def __init__(self, scorer, X, y, sample_domain, *, needs_source, needs_target):
        if y is None and sample_domain is None:
            raise ValueError(
                f"{scorer} needs to know which rows are target rows: pass y with the target "
                "labels masked (-1, or NaN for regression), or sample_domain (negative ids "
                "for target rows, e.g. routed with sklearn's metadata routing)."
            )
        n_samples = num_rows(X)
        try:
            self.sample_domain = derive_sample_domain(y, sample_domain, n_samples=n_samples)
        except ValueError as exc:
            raise ValueError(f"{scorer}: {exc}") from None
        self.X = X
        self.y = None if y is None else np.asarray(y)
        labelled = (
            np.zeros(n_samples, dtype=bool) if y is None else ~unlabeled_mask(self.y)
        )
        self.source = np.flatnonzero((self.sample_domain > 0) & labelled)
        self.target = np.flatnonzero(self.sample_domain < 0)
        if needs_target and self.target.size == 0:
            raise ValueError(
                f"{scorer}: the validation rows hold no target row (no masked label -1/NaN, "
                "no negative sample_domain). Split with a splitter that keeps both domains in "
                "every fold, e.g. sktransfer.model_selection.DomainShuffleSplit."
            )
        if needs_source and self.source.size == 0:
            raise ValueError(
                f"{scorer}: the validation rows hold no labelled source row. Split with a "
                "splitter that keeps both domains in every fold, e.g. "
                "sktransfer.model_selection.DomainShuffleSplit."
            )

    def rows(self, which):
        """``(X_rows, y_rows, sample_domain_rows)`` of ``"source"`` or ``"target"``."""
        index = self.source if which == "source" else self.target
        y_rows = None if self.y is None else self.y[index]
        return take_rows(self.X, index), y_rows, self.sample_domain[index]


class DomainScorer:
    """Base of the scorers: ``scorer(estimator, X, y, sample_domain=None) -> float``.

    Greater is better (sklearn's convention: losses are negated). Subclasses
    set ``needs_source`` / ``needs_target`` and implement
    ``_score(estimator, fold)``; ``__init__`` only stores parameters.
    """

    needs_source = True
    needs_target = True

    def __call__(self, estimator, X, y=None, *, sample_domain=None):
        """Score ``estimator`` on the validation rows ``X, y``.

        Parameters
        ----------
        estimator : fitted estimator
            The model to score (fitted on other rows).
        X : array-like of shape (n_samples, n_features)
            Validation rows: labelled source rows and target rows, stacked.
        y : array-like of shape (n_samples,), default=None
            Labels, masked (``-1``/``NaN``) on target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row (positive: source, negative: target); by
            default read from the masked labels. Under sklearn's metadata
            routing, ``GridSearchCV.fit(X, y, sample_domain=...)`` passes it.

        Returns
        -------
        score : float
            Greater is better.
        """
        fold = Fold(self, X, y, sample_domain,
                    needs_source=self.needs_source, needs_target=self.needs_target)
        return float(self._score(estimator, fold))

    def _score(self, estimator, fold):
        raise NotImplementedError

    def get_metadata_routing(self):
        """Metadata routing: the scorer takes ``sample_domain`` (requested by default)."""
        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="sample_domain", alias=True)
        return request

    def get_params(self, deep=True):
        """The parameters given to ``__init__``."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params):
        """Set parameters given to ``__init__``."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; it has {sorted(valid)}.")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
            if name != "self"
        }
        shown = [f"{name}={value!r}" for name, value in self.get_params().items()
                 if not (value is defaults[name] or _same(value, defaults[name]))]
        return f"{type(self).__name__}({', '.join(shown)})"


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False
