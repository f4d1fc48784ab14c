"""What the few-shot tabular methods share: the rows, the source model, its score.

Every estimator of ``_offset_boosting``, ``_augmentation``, ``_stacking``,
``_pooling`` and ``_selection`` learns from labelled source rows and a few
labelled target rows (see :func:`~sktransfer.parameter._fewshot.few_shot_rows`)
and predicts for target rows. :class:`_BaseFewShot` validates once, encodes the
class labels once, fits the source model once, and hands each method
validated arrays through one hook::

    _fit_rows(Xs, ys, Xt, yt, Ft, source_model)

(``Ft``: the source model's raw score on the target rows) and predicts through
``_proba(X)`` (classifiers, shape ``(n, n_classes)``) or ``_predict(X)``
(regressors). The selector calls the same hooks on its folds, so that each
method is written once and the source model is fitted once.
"""

import warnings

import numpy as np
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_magnitude
from ..base import DomainAwareMixin
from ._fewshot import (
    check_finite_labels,
    few_shot_rows,
    fit_source_model,
    warn_no_target,
)

_PROBA_FLOOR = 1e-15
FALLBACK = "The model is the source-only model (the source estimator fitted on the source rows)."


def default_estimator(task, random_state):
    """sklearn's HistGradientBoosting with its defaults, seeded by ``random_state``
    (its early-stopping split on more than 10 000 rows is random)."""
    seed = random_state if isinstance(random_state, (int, np.integer)) else None
    if seed is None and random_state is not None:
        seed = int(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max))
    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return cls(random_state=seed)


def _unwrap(model):
    """The estimator inside a FrozenEstimator (to recognise a LightGBM model)."""
    inner = getattr(model, "estimator", None)
    return inner if type(model).__name__ == "FrozenEstimator" and inner is not None else model


def _is_lightgbm(model):
    return type(_unwrap(model)).__module__.split(".")[0] == "lightgbm"


def source_raw_score(model, X, *, task, class_index=None, who="estimator"):
    """The source model's raw score on ``X``: what boosting continues from.

    Regression: ``predict``. Classification: the log-odds of the second class
    (two classes, shape ``(n,)``) or one log-score per class (shape
    ``(n, n_classes)``), in the order of the fit's ``classes_``:
    ``decision_function`` when the model has one (HistGradientBoosting,
    logistic regression: their raw scores), LightGBM's
    ``predict(X, raw_score=True)``, else the log of ``predict_proba``.
    ``class_index`` maps the source model's ``classes_`` to the fit's class
    codes.
    """
    if task == "regression":
        if _is_lightgbm(model):
            return np.asarray(_unwrap(model).predict(X, raw_score=True), dtype=np.float64)
        return np.asarray(model.predict(X), dtype=np.float64).reshape(-1)
    n_classes = len(class_index)
    if _is_lightgbm(model):
        raw = np.asarray(_unwrap(model).predict(X, raw_score=True), dtype=np.float64)
    elif hasattr(model, "decision_function"):
        raw = np.asarray(model.decision_function(X), dtype=np.float64)
    elif hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        logp = np.log(np.clip(proba, _PROBA_FLOOR, None))
        raw = logp[:, 1] - logp[:, 0] if proba.shape[1] == 2 else logp
    else:
        raise TypeError(f"{who}: the source model has neither decision_function nor predict_proba.")
    if n_classes == 2:
        if raw.ndim != 1:
            raw = raw[:, 1] - raw[:, 0] if raw.shape[1] == 2 else raw.reshape(-1)
        # the source model's second class may be the fit's first
        return raw if class_index[1] == 1 else -raw
    scores = np.empty((raw.shape[0], n_classes))
    scores[:, class_index] = raw
    return scores


def proba_from_raw(raw, task_classes):
    """Class probabilities from raw scores (``(n,)`` log-odds or ``(n, K)``)."""
    if raw.ndim == 1:
        positive = expit(raw)
        return np.column_stack([1.0 - positive, positive])
    return softmax(raw, axis=1)


def proba_columns(model, X, n_classes):
    """``model.predict_proba(X)`` with one column per class code ``0..n_classes-1``
    (a model fitted on a fold that lacks a class gets a zero column for it)."""
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    classes = np.asarray(model.classes_).astype(int)
    if proba.shape[1] == n_classes and np.array_equal(classes, np.arange(n_classes)):
        return proba
    out = np.zeros((proba.shape[0], n_classes))
    out[:, classes] = proba
    return out


def log_loss_of(proba, codes):
    """Mean log loss of class probabilities ``proba`` against class codes."""
    picked = proba[np.arange(len(codes)), codes]
    return float(-np.mean(np.log(np.clip(picked, _PROBA_FLOOR, None))))


def log_loss_of_raw(raw, codes):
    """Mean log loss of raw scores against class codes, computed stably."""
    if raw.ndim == 1:
        return float(-np.mean(log_expit(np.where(codes == 1, raw, -raw))))
    return float(np.mean(logsumexp(raw, axis=1) - raw[np.arange(len(codes)), codes]))


def squared_error_of(pred, y):
    return float(np.mean((np.asarray(pred, dtype=np.float64) - y) ** 2))


class _BaseFewShot(DomainAwareMixin, BaseEstimator):
    """Validation, label encoding, the source model and the no-target fallback.

    Subclasses set ``_task`` and ``_uses_source_model`` (whether the method
    needs the source model and its score on the target rows), and implement
    ``_check_params()``, ``_source_template()`` and ``_fit_rows``.
    """

    _task = None
    _uses_source_model = True

    def _check_params(self):
        """Raise a ValueError naming a bad parameter (before any fit)."""

    def _source_template(self):
        raise NotImplementedError

    def _validate_X(self, X, reset):
        X = validate_data(self, X, reset=reset, accept_sparse=("csr", "csc"), dtype=np.float64)
        check_magnitude(X, who=type(self).__name__)
        return X

    def fit(self, X, y, sample_domain=None):
        """Fit on the labelled source rows and the labelled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) mark
            unlabelled rows, which are not used.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target. It
            is what marks the labelled target rows; without it there are none,
            and the model is the source-only model (with a DomainWarning).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        who = type(self).__name__
        self._check_params()
        X = self._validate_X(X, reset=True)
        y, source, target = few_shot_rows(
            y, sample_domain, n_samples=X.shape[0], task=self._task, estimator=who
        )
        template = self._source_template()
        labelled = source | target
        codes = self._encode_labels(y, labelled, template, who)
        self.n_source_rows_ = int(source.sum())
        self.n_target_rows_ = int(target.sum())
        needs_source = self._uses_source_model or not target.any()
        model = fit_source_model(template, X, codes, source, who) if needs_source else None
        if model is not None and self._task == "classification":
            self._source_class_index = self._class_index(model, who)
        self.source_estimator_ = model
        if not target.any():
            warn_no_target(who, FALLBACK)
            self.fallback_ = True
            self._no_target()
            return self
        self.fallback_ = False
        Xt, yt = X[target], codes[target]
        Ft = self._source_score(model, Xt) if self._uses_source_model else None
        self._fit_rows(X[source], codes[source], Xt, yt, Ft, model)
        return self

    def _source_score(self, model, X):
        return source_raw_score(model, X, task=self._task, who=type(self).__name__,
                                class_index=getattr(self, "_source_class_index", None))

    # hooks -------------------------------------------------------------
    def _no_target(self):
        """Set what a fit without labelled target rows leaves (the fallback)."""

    def _fit_rows(self, Xs, ys, Xt, yt, Ft, source_model):
        raise NotImplementedError

    def _fit_from(self, parent, Xs, ys, Xt, yt, Ft, source_model):
        """Fit as a candidate of a selector: the parent's validation and classes."""
        self.n_features_in_ = parent.n_features_in_
        if hasattr(parent, "feature_names_in_"):
            self.feature_names_in_ = parent.feature_names_in_
        if self._task == "classification":
            self.classes_ = parent.classes_
            if source_model is not None:
                self._source_class_index = parent._source_class_index
        self.source_estimator_ = source_model
        self.n_source_rows_, self.n_target_rows_ = len(ys), len(yt)
        self.fallback_ = False
        self._fit_rows(Xs, ys, Xt, yt, Ft, source_model)
        return self

    def _inner_templates(self):
        """The estimators this one fits (for the sparse tag)."""
        templates = [self._source_template()]
        if hasattr(self, "_estimator"):
            templates.append(self._estimator())
        return templates

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # a masked label is a missing label by design
        # sparse X reaches the inner estimators as it is (the boosting trees
        # densify the target rows): sparse works when they all take it
        try:
            tags.input_tags.sparse = all(get_tags(t).input_tags.sparse for t in self._inner_templates())
        except (TypeError, AttributeError, ValueError):  # an inner object without tags
            tags.input_tags.sparse = False
        return tags


class _FewShotClassifierMixin(ClassifierMixin):
    """Labels encoded as codes ``0..K-1`` for the inner models; predictions decoded."""

    _task = "classification"

    def _encode_labels(self, y, labelled, template, who):
        check_classification_targets(y[labelled])
        classes = np.unique(y[labelled])
        if is_fitted_classifier(template):
            known = np.asarray(template.classes_)
            unknown = ~np.isin(classes, known)
            if unknown.any():
                raise ValueError(
                    f"{who}: the labelled rows have classes the fitted source model does not "
                    f"know: {classes[unknown].tolist()}; its classes are {known.tolist()}."
                )
            classes = np.unique(np.concatenate([classes, known]))
        if len(classes) < 2:
            raise ValueError(
                f"{who}: the labelled rows hold {len(classes)} class; at least 2 are needed."
            )
        self.classes_ = classes
        codes = np.full(len(y), -1, dtype=np.intp)
        codes[labelled] = np.searchsorted(classes, y[labelled])
        return codes

    def _class_index(self, model, who):
        """The class codes of the source model's ``classes_``, which must be all of them."""
        known = np.asarray(model.classes_)
        if known.dtype.kind in "iu" and not is_fitted_classifier(self._source_template()):
            index = known.astype(np.intp)  # fitted here, on the codes
        else:
            index = np.searchsorted(self.classes_, known)
        if len(index) != len(self.classes_):
            raise ValueError(
                f"{who}: the source model knows {len(index)} of the {len(self.classes_)} "
                f"classes ({self.classes_.tolist()}); the few-shot methods start from the "
                "source model's score for every class, so every class needs labelled source rows."
            )
        return index

    def _source_proba(self, X):
        model = self.source_estimator_
        if not hasattr(model, "predict_proba"):
            return proba_from_raw(self._source_score(model, X), self.classes_)
        out = np.zeros((X.shape[0], len(self.classes_)))
        out[:, self._source_class_index] = model.predict_proba(X)
        return out

    def predict_proba(self, X):
        """Class probabilities for target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            In the order of ``classes_``.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        if self.fallback_:
            return self._source_proba(X)
        return self._proba(X)

    def predict_log_proba(self, X):
        """Log class probabilities for target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class of each target row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class _FewShotRegressorMixin(RegressorMixin):
    _task = "regression"

    def _encode_labels(self, y, labelled, template, who):
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{who}: y must be numeric for regression, got dtype {y.dtype}.") from None
        check_finite_labels(y[labelled], who)
        return y

    def predict(self, X):
        """Predict for target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        if self.fallback_:
            return self._source_score(self.source_estimator_, X)
        return self._predict(X)


def is_fitted_classifier(model):
    from ._fewshot import is_fitted

    return hasattr(model, "fit") and is_fitted(model) and hasattr(model, "classes_")


def quiet_fit(model, X, y, **kwargs):
    """``model.fit`` with the convergence warnings of small CV folds silenced."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kwargs)
