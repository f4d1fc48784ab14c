"""Domain-adaptation pipelines: adapters see both domains, the final
estimator learns from the labelled rows only."""

import inspect
import warnings
from copy import deepcopy

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier, is_regressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted

from ._domain import check_masked_labels, derive_sample_domain, fit_domains, num_rows, unlabeled_mask
from ._weights import effective_sample_size

__all__ = ["DegenerateWeightsWarning", "LabeledOnly", "DAPipeline", "make_da_pipeline"]

_MIN_EFFECTIVE_FRACTION = 0.1  # below this share of rows, weights are called degenerate


class DegenerateWeightsWarning(UserWarning):
    """Importance weights whose effective sample size is a small share of the rows.

    :class:`LabeledOnly` raises it when the effective sample size of the
    weights of the labelled rows is below a tenth of them.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import LabeledOnly
    >>> class OneRowDominates:  # a weighting that puts almost all weight on row 0
    ...     def fit_weights(self, X, y, sample_domain):
    ...         return np.r_[1e6, np.ones(len(X) - 1)]
    >>> X, y = np.arange(44.0).reshape(22, 2), [0, 1] * 10 + [-1, -1]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = LabeledOnly(LogisticRegression(), weighting=OneRowDominates()).fit(X, y)
    >>> [w.category.__name__ for w in caught]
    ['DegenerateWeightsWarning']
    """


_DELEGATED = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")


def _task(estimator):
    if is_regressor(estimator):
        return "regression"
    if is_classifier(estimator):
        return "classification"
    return "auto"


def _routing_enabled():
    return get_config().get("enable_metadata_routing", False)


def _take_rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows] if not hasattr(X, "tocsr") else X.tocsr()[rows]


def _inner_has(method):
    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, method)
        return hasattr(self._resolve_estimator(), method)

    return check


class LabeledOnly(MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on the labelled rows only: the last step of a DA pipeline.

    In stacked domain-adaptation data the target rows carry masked labels
    (``-1``, or ``NaN`` for regression). ``LabeledOnly`` drops them before
    fitting ``estimator``, so that any sklearn estimator can end a pipeline
    whose earlier steps learn from both domains. Prediction methods are those
    of ``estimator`` and apply to every row.

    Parameters
    ----------
    estimator : estimator object
        The estimator to fit on the labelled rows.
    weighting : object, default=None
        Importance weighting of the labelled rows: an object with a method
        ``fit_weights(X, y, sample_domain) -> ndarray of shape (n_samples,)``
        that is called on all rows. The weights of the labelled rows reach
        ``estimator.fit`` as ``sample_weight`` (multiplied with any
        ``sample_weight`` given to ``fit``).
    use_target_labels : bool, default=False
        Whether rows that ``sample_domain`` marks as target may keep their
        labels and be fitted on (few-shot adaptation). If False, such labels
        are an error, so that target labels kept for evaluation cannot leak
        into training.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    weighting_ : object
        The fitted clone of ``weighting``, if any.
    weights_ : ndarray of shape (n_labeled,) or None
        Weights of the labelled rows used in the fit, if any.
    effective_sample_size_ : float or None
        ``sum(w)^2 / sum(w^2)`` of those weights: the number of equally
        weighted rows they are worth. Below a tenth of the labelled rows a
        :class:`DegenerateWeightsWarning` is raised.
    classes_ : ndarray of shape (n_classes,)
        Class labels, when ``estimator`` is a classifier.
    n_features_in_ : int
        Number of features seen during ``fit``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> from sktransfer import CORAL, LabeledOnly
    >>> pipe = Pipeline([("coral", CORAL()), ("clf", LabeledOnly(LogisticRegression()))])
    >>> X = [[0.0, 1.0], [1.0, 0.0], [0.5, 2.0], [2.0, 0.5]]
    >>> pipe.fit(X, [0, 1, -1, -1]).predict([[0.0, 1.0]])
    array([0])
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__score = {"sample_domain": True}

    def __init__(self, estimator, *, weighting=None, use_target_labels=False):
        self.estimator = estimator
        self.weighting = weighting
        self.use_target_labels = use_target_labels

    def _resolve_estimator(self):
        """The estimator to fit: a subclass may give a default for None."""
        return self.estimator

    def _resolve_weighting(self):
        """The weighting to use: a subclass may give a default for None."""
        return self.weighting

    def _adjust_weights(self, X, y, weights, fit_params, weight_key):
        """The importance weights of the labelled rows ``X, y`` as they reach the fit.

        A subclass may temper them here (``fit_params`` are the estimator's fit
        parameters for those rows; any user weights under ``weight_key`` are
        multiplied in afterwards). Here they are used as the weighting gave them.
        """
        return weights

    def fit(self, X, y, sample_domain=None, **fit_params):
        """Fit a clone of ``estimator`` on the labelled rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (or ``NaN`` for regression) marks unlabelled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.
        **fit_params : dict
            Passed to ``estimator.fit`` for the labelled rows (arrays with one
            entry per row, such as ``sample_weight``, are subset). With metadata
            routing on, they are routed as ``estimator`` requests them.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "it fits on the labelled rows."
            )
        weighting = self._resolve_weighting()
        if weighting is not None and not hasattr(weighting, "fit_weights"):
            raise TypeError(
                "weighting must have a method fit_weights(X, y, sample_domain); got "
                f"{type(weighting).__name__}."
            )
        n_samples = num_rows(X)
        if num_rows(y) != n_samples:
            raise ValueError(f"X has {n_samples} rows but y has {num_rows(y)} labels.")
        task = _task(self._resolve_estimator())
        labelled = ~unlabeled_mask(y, task)
        if sample_domain is not None:
            # no warning without target rows: this step does not adapt, the adapters warn
            fit_domains(
                y, sample_domain, n_samples=n_samples, task=task,
                allow_target_labels=self.use_target_labels, estimator=type(self).__name__,
                warn_no_target=False,
            )
        else:
            check_masked_labels(y, None, task=task, estimator=type(self).__name__)
        if not labelled.any():
            raise ValueError(
                f"{type(self).__name__}: no labelled rows to fit {type(self._resolve_estimator()).__name__} "
                "on: every label is masked (-1 or NaN)."
            )
        if _routing_enabled():
            fit_params = process_routing(self, "fit", **fit_params).estimator.fit
        rows = np.flatnonzero(labelled)
        params = {
            key: _take_rows(value, rows) if _is_per_row(value, n_samples) else value
            for key, value in fit_params.items()
        }
        self.weights_ = None
        self.effective_sample_size_ = None
        if weighting is not None:
            self.weighting_ = clone(weighting) if hasattr(weighting, "get_params") else deepcopy(weighting)
            weights = np.asarray(self.weighting_.fit_weights(X, y, sample_domain), dtype=float)
            if weights.shape != (n_samples,):
                raise ValueError(
                    f"weighting.fit_weights returned shape {weights.shape}; expected ({n_samples},)."
                )
            weights = weights[rows]
            if np.any(weights < 0) or not np.all(np.isfinite(weights)) or weights.sum() <= 0:
                raise ValueError("weighting produced negative, non-finite or all-zero weights.")
            weight_key = _sample_weight_key(self._resolve_estimator())
            weights = self._adjust_weights(_take_rows(X, rows), _take_rows(y, rows), weights, params, weight_key)
            if weight_key in params:
                weights = weights * np.asarray(params[weight_key], dtype=float)
            params[weight_key] = weights
            self.weights_ = weights
            self.effective_sample_size_ = effective_sample_size(weights)
            if self.effective_sample_size_ < _MIN_EFFECTIVE_FRACTION * len(weights):
                warnings.warn(
                    f"The importance weights are degenerate: their effective sample size is "
                    f"{self.effective_sample_size_:.1f} of {len(weights)} labelled rows, so a few "
                    "rows dominate the fit. The domains may barely overlap; consider clipping "
                    "the weights or a smoother weighting.",
                    DegenerateWeightsWarning,
                    stacklevel=2,
                )
        y_labelled = np.asarray(y)[rows] if not hasattr(y, "iloc") else y.iloc[rows]
        self.estimator_ = clone(self._resolve_estimator()).fit(_take_rows(X, rows), y_labelled, **params)
        return self

    @available_if(_inner_has("predict"))
    def predict(self, X, **params):
        """Predict with the fitted estimator, for every row of ``X``."""
        check_is_fitted(self)
        return self.estimator_.predict(X, **params)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities from the fitted estimator, for every row of ``X``."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X, **params)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        """Log class probabilities from the fitted estimator, for every row."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X, **params)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X, **params):
        """Decision function of the fitted estimator, for every row of ``X``."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X, **params)

    @available_if(_inner_has("transform"))
    def transform(self, X, **params):
        """Transform with the fitted estimator, every row of ``X``."""
        check_is_fitted(self)
        return self.estimator_.transform(X, **params)

    @available_if(_inner_has("score"))
    def score(self, X, y, sample_weight=None, sample_domain=None):
        """Score of the fitted estimator on the labelled rows of ``X``.

        Masked rows (unlabelled target rows) are left out, so on stacked data
        this is the score on the labelled source rows. It is not an estimate of
        the target score: see ``sktransfer.model_selection`` for that.
        """
        check_is_fitted(self)
        rows = np.flatnonzero(~unlabeled_mask(y, _task(self._resolve_estimator())))
        if rows.size == 0:
            raise ValueError(f"{type(self).__name__}.score: no labelled rows to score on.")
        y_labelled = np.asarray(y)[rows] if not hasattr(y, "iloc") else y.iloc[rows]
        kwargs = {}
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight)[rows]
        return self.estimator_.score(_take_rows(X, rows), y_labelled, **kwargs)

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.classes_

    @property
    def n_features_in_(self):
        """Number of features seen during ``fit``."""
        check_is_fitted(self)
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """Names of the features seen during ``fit``."""
        check_is_fitted(self)
        return self.estimator_.feature_names_in_

    @available_if(_inner_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features=None):
        """Output feature names of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.get_feature_names_out(input_features)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "estimator_")

    def __sklearn_tags__(self):
        tags = deepcopy(get_tags(self._resolve_estimator()))
        weighting = self._resolve_weighting()
        if weighting is not None:
            # the weighting sees X too: the rows must suit both
            weighting_tags = get_tags(weighting) if hasattr(weighting, "__sklearn_tags__") else None
            tags.input_tags.sparse &= bool(weighting_tags and weighting_tags.input_tags.sparse)
            tags.input_tags.allow_nan &= bool(weighting_tags and weighting_tags.input_tags.allow_nan)
        # a masked label is a missing label by design
        tags.target_tags.required = True
        return tags

    def get_metadata_routing(self):
        """Metadata routing of this object: ``sample_domain`` is used here,
        other fit parameters go to ``estimator`` as it requests them."""
        mapping = MethodMapping().add(caller="fit", callee="fit")
        for method in _DELEGATED:
            mapping.add(caller=method, callee=method)
        return MetadataRouter(owner=self).add_self_request(self).add(
            estimator=self._resolve_estimator(), method_mapping=mapping
        )


def _sample_weight_key(estimator):
    """Where ``sample_weight`` goes in ``estimator.fit``: a sklearn Pipeline
    (without metadata routing) takes it as ``<last step>__sample_weight``."""
    if isinstance(estimator, Pipeline) and not _routing_enabled():
        return f"{estimator.steps[-1][0]}__sample_weight"
    return "sample_weight"


def _is_per_row(value, n_samples):
    return hasattr(value, "__len__") and not isinstance(value, (str, dict)) and len(value) == n_samples


def _accepts(method, name):
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _as_in_pipeline(method):
    """The availability check of ``Pipeline.<method>`` (the final step has it)."""
    return Pipeline.__dict__[method].check


class DAPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` that hands ``sample_domain`` to its steps.

    It is a plain sklearn ``Pipeline`` (same parameters, same behaviour for
    ``fit(X, y)``), with one addition: every method accepts
    ``sample_domain=`` and passes it to each step that takes it, whether or not
    sklearn's metadata routing is on. Without ``sample_domain``, the domains
    are derived from the masked labels once, here, with the label convention
    of the final estimator (``NaN`` masks for a regressor), and passed down, so
    that every step sees the same domains. Build it with
    :func:`make_da_pipeline`.

    ``score(X, y)`` treats the labelled rows as source rows (that is what they
    are in stacked data), so that they go through the steps as they did in
    ``fit``.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As for :class:`~sklearn.pipeline.Pipeline`.
    memory : str or object with the joblib.Memory interface, default=None
        As for :class:`~sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        As for :class:`~sklearn.pipeline.Pipeline`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import CORAL, make_da_pipeline
    >>> pipe = make_da_pipeline(CORAL(), LogisticRegression())
    >>> X = [[0.0, 1.0], [1.0, 0.0], [0.5, 2.0], [2.0, 0.5]]
    >>> pipe.fit(X, [0, 1, -1, -1], sample_domain=[1, 1, -1, -1]).predict([[0.0, 1.0]])
    array([0])
    """

    def _task(self):
        final = self.steps[-1][1]
        if final is None or final == "passthrough":
            return "auto"
        return _task(final)  # LabeledOnly reports the type of the estimator it wraps

    def _step_params(self, method_names, sample_domain, params):
        """Fit parameters with ``sample_domain`` added where it belongs."""
        params = dict(params)
        if _routing_enabled():
            if get_routing_for_object(self).consumes(method_names[0], ["sample_domain"]):
                params["sample_domain"] = sample_domain
            return params
        for name, step in self.steps:
            if step is None or step == "passthrough":
                continue
            if any(_accepts(getattr(step, m, None), "sample_domain") for m in method_names):
                params[f"{name}__sample_domain"] = sample_domain
        return params

    def _fit_sample_domain(self, X, y, sample_domain):
        n_samples = num_rows(X)
        return derive_sample_domain(y, sample_domain, n_samples=n_samples, task=self._task())

    def fit(self, X, y=None, sample_domain=None, **params):
        """Fit every step; ``sample_domain`` (or the masked labels) says which rows are which.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Labels, masked (``-1``/``NaN``) on unlabelled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.
        **params : dict
            As for :meth:`sklearn.pipeline.Pipeline.fit`.

        Returns
        -------
        self : DAPipeline
        """
        sample_domain = self._fit_sample_domain(X, y, sample_domain)
        return super().fit(X, y, **self._step_params(("fit", "fit_transform"), sample_domain, params))

    @available_if(_as_in_pipeline("fit_transform"))
    def fit_transform(self, X, y=None, sample_domain=None, **params):
        """Fit every step, then transform ``X`` with the domains of the fit."""
        sample_domain = self._fit_sample_domain(X, y, sample_domain)
        return super().fit_transform(
            X, y, **self._step_params(("fit", "fit_transform"), sample_domain, params)
        )

    @available_if(_as_in_pipeline("fit_predict"))
    def fit_predict(self, X, y=None, sample_domain=None, **params):
        """Fit every step, then predict ``X`` with the final estimator."""
        sample_domain = self._fit_sample_domain(X, y, sample_domain)
        return super().fit_predict(
            X, y, **self._step_params(("fit", "fit_transform"), sample_domain, params)
        )

    def _transform_steps(self, X, sample_domain):
        """Apply every step but the last, passing ``sample_domain`` where taken."""
        for _, step in self.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if _accepts(step.transform, "sample_domain"):
                X = step.transform(X, sample_domain=sample_domain)
            else:
                X = step.transform(X)
        return X

    def _routed_domain(self, method, sample_domain):
        """``{"sample_domain": ...}`` if a step takes it in ``method`` under
        metadata routing, else nothing: sklearn refuses metadata no step consumes,
        and rows no step maps by domain need no domain."""
        if get_routing_for_object(self).consumes(method, ["sample_domain"]):
            return {"sample_domain": sample_domain}
        return {}

    def _call_final(self, method, X, sample_domain, params, **extra):
        if sample_domain is None:
            return getattr(super(), method)(X, **extra, **params)
        if _routing_enabled():
            return getattr(super(), method)(X, **extra, **self._routed_domain(method, sample_domain), **params)
        Xt = self._transform_steps(X, sample_domain)
        return getattr(self.steps[-1][1], method)(Xt, **extra, **params)

    @available_if(_as_in_pipeline("predict"))
    def predict(self, X, sample_domain=None, **params):
        """Predict; rows are target rows unless ``sample_domain`` says otherwise."""
        return self._call_final("predict", X, sample_domain, params)

    @available_if(_as_in_pipeline("predict_proba"))
    def predict_proba(self, X, sample_domain=None, **params):
        """Class probabilities; rows are target rows unless ``sample_domain`` says otherwise."""
        return self._call_final("predict_proba", X, sample_domain, params)

    @available_if(_as_in_pipeline("predict_log_proba"))
    def predict_log_proba(self, X, sample_domain=None, **params):
        """Log class probabilities; rows are target rows unless ``sample_domain`` says otherwise."""
        return self._call_final("predict_log_proba", X, sample_domain, params)

    @available_if(_as_in_pipeline("decision_function"))
    def decision_function(self, X, sample_domain=None, **params):
        """Decision function; rows are target rows unless ``sample_domain`` says otherwise."""
        return self._call_final("decision_function", X, sample_domain, params)

    @available_if(_as_in_pipeline("transform"))
    def transform(self, X, sample_domain=None, **params):
        """Transform; rows are target rows unless ``sample_domain`` says otherwise."""
        if sample_domain is None:
            return super().transform(X, **params)
        if _routing_enabled():
            return super().transform(X, **self._routed_domain("transform", sample_domain), **params)
        Xt = self._transform_steps(X, sample_domain)
        final = self.steps[-1][1]
        if final is None or final == "passthrough":
            return Xt
        if _accepts(final.transform, "sample_domain"):
            return final.transform(Xt, sample_domain=sample_domain)
        return final.transform(Xt)

    @available_if(_as_in_pipeline("score"))
    def score(self, X, y=None, sample_weight=None, sample_domain=None, **params):
        """Score of the final estimator on the labelled rows.

        Without ``sample_domain``, labelled rows are source rows (as in ``fit``)
        and go through the adapters as such.
        """
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        sample_domain = self._fit_sample_domain(X, y, sample_domain)
        if _routing_enabled():
            return super().score(X, y, **self._routed_domain("score", sample_domain), **params)
        Xt = self._transform_steps(X, sample_domain)
        return self.steps[-1][1].score(Xt, y, **params)


def _is_weighting(step):
    return hasattr(step, "fit_weights")


def make_da_pipeline(*steps, memory=None, verbose=False):
    """Build a :class:`DAPipeline` from estimators, naming the steps automatically.

    The steps are given as to :func:`sklearn.pipeline.make_pipeline`. Two
    things are done for domain adaptation:

    - the final estimator, unless it reads the domains itself (an sktransfer
      estimator), is wrapped in :class:`LabeledOnly` so that it is fitted on
      the labelled rows only; its step keeps the estimator's own name, and its
      parameters are reached as ``<name>__estimator__<param>``;
    - a weighting step (one with a ``fit_weights`` method) placed just before
      the final estimator becomes that wrapper's ``weighting``, so that its
      importance weights reach the final fit as ``sample_weight``.

    Parameters
    ----------
    *steps : list of estimators
        Adapters, sklearn transformers, and a final estimator.
    memory : str or object with the joblib.Memory interface, default=None
        As for :func:`sklearn.pipeline.make_pipeline`.
    verbose : bool, default=False
        As for :func:`sklearn.pipeline.make_pipeline`.

    Returns
    -------
    pipeline : DAPipeline

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer import CORAL, make_da_pipeline
    >>> pipe = make_da_pipeline(StandardScaler(), CORAL(), LogisticRegression())
    >>> [name for name, _ in pipe.steps]
    ['standardscaler', 'coral', 'logisticregression']
    >>> pipe.set_params(logisticregression__estimator__C=0.1)["logisticregression"].estimator.C
    0.1
    """
    if not steps:
        raise ValueError("make_da_pipeline needs at least one step.")
    named = list(make_pipeline(*steps).steps)
    weighting = None
    if len(named) >= 2 and _is_weighting(named[-2][1]):
        weighting = named.pop(-2)[1]
    for name, step in named[:-1]:
        if _is_weighting(step):
            raise ValueError(
                f"The weighting step {name!r} must come just before the final estimator, "
                "whose fit receives its weights."
            )
    name, final = named[-1]
    needs_wrapper = (
        final is not None
        and final != "passthrough"
        and not getattr(final, "_sktransfer_domain_aware", False)
        and not isinstance(final, LabeledOnly)
    )
    if needs_wrapper:
        named[-1] = (name, LabeledOnly(final, weighting=weighting))
    elif weighting is not None:
        raise ValueError(
            f"The weighting step cannot be applied: the final step {name!r} is not an "
            "estimator fitted on labelled rows."
        )
    return DAPipeline(named, memory=memory, verbose=verbose)
