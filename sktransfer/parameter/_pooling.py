"""Pooling: source and target rows in one fit, the target rows up-weighted.

The simplest transfer: fit one model on the labelled rows of both domains.
With a few target rows among thousands of source rows, the target would not
count; each target row is therefore weighted so that, by default, the target
rows weigh as much in total as the source rows (``target_weight="balanced"``):
a rule, not a value tuned on target labels.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.validation import has_fit_parameter

from ._tabular import (
    _BaseFewShot,
    _FewShotClassifierMixin,
    _FewShotRegressorMixin,
    default_estimator,
    proba_columns,
    quiet_fit,
)

__all__ = ["PooledTransferClassifier", "PooledTransferRegressor"]


class _BasePooledTransfer(_BaseFewShot):
    _uses_source_model = False

    def __init__(self, estimator=None, *, target_weight="balanced", random_state=0):
        self.estimator = estimator
        self.target_weight = target_weight
        self.random_state = random_state

    def _estimator(self):
        return default_estimator(self._task, self.random_state) if self.estimator is None else self.estimator

    def _source_template(self):
        return self._estimator()

    def _check_params(self):
        who = type(self).__name__
        w = self.target_weight
        if isinstance(w, str):
            if w != "balanced":
                raise ValueError(f"{who}: target_weight must be 'balanced' or a number > 0, got {w!r}.")
        elif not isinstance(w, Real) or isinstance(w, bool) or not np.isfinite(w) or w <= 0:
            raise ValueError(f"{who}: target_weight must be 'balanced' or a finite number > 0, got {w!r}.")

    def _fit_rows(self, Xs, ys, Xt, yt, Ft, source_model):
        who = type(self).__name__
        estimator = self._estimator()
        if self.target_weight == "balanced":
            weight = max(len(ys), 1) / len(yt)
        else:
            weight = float(self.target_weight)
        self.target_weight_ = weight
        X = sp.vstack([Xs, Xt], format="csr") if sp.issparse(Xs) else np.vstack([Xs, Xt])
        kwargs = {}
        if weight != 1.0:
            if not has_fit_parameter(estimator, "sample_weight"):
                raise TypeError(
                    f"{who}: {type(estimator).__name__}.fit takes no sample_weight, which the "
                    "up-weighting of the target rows needs. Use target_weight=1.0 or an "
                    "estimator that takes sample_weight."
                )
            kwargs["sample_weight"] = np.r_[np.ones(len(ys)), np.full(len(yt), weight)]
        self.estimator_ = quiet_fit(clone(estimator), X, np.r_[ys, yt], **kwargs)
        return self


_DOC = """{title}

    ``estimator`` is fitted on the labelled source rows and the labelled
    target rows together, each target row weighted by ``target_weight``
    (source rows by 1). Rows to predict are target rows.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    unlabelled rows are not used. Without labelled target rows the model is
    ``estimator`` fitted on the source rows, with a
    :class:`~sktransfer.DomainWarning`.

    Parameters
    ----------
    estimator : estimator object, default=None
        Any sklearn {kind} whose ``fit`` takes ``sample_weight``; ``None``
        means sklearn's ``HistGradientBoosting{Kind}`` with its defaults.
    target_weight : "balanced" or float, default="balanced"
        Weight of each labelled target row. "balanced": the number of source
        rows over the number of target rows, so that the target rows weigh as
        much in total as the source rows (a rule: the only information it
        uses is the two counts). ``1.0`` is plain pooling.
    random_state : int, RandomState instance or None, default=0
        Seed of the default estimator.

    Attributes
    ----------{classes}
    estimator_ : estimator object
        ``estimator`` fitted on the pooled rows (absent when ``fallback_``).
    target_weight_ : float
        The weight of each target row used.
    source_estimator_ : estimator object or None
        ``estimator`` fitted on the source rows, when ``fallback_``.
    n_source_rows_, n_target_rows_ : int
        Labelled source and target rows.
    fallback_ : bool
        True when fit saw no labelled target row.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import {example_model}
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import PooledTransfer{Kind}
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 2)), rng.normal(size=(40, 2))
    >>> ys, yt = {example_labels}
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> model = PooledTransfer{Kind}({example_model}()).fit(X, y, sample_domain=sample_domain)
    >>> model.target_weight_  # 200 source rows / 40 target rows
    5.0
"""


class PooledTransferClassifier(_FewShotClassifierMixin, _BasePooledTransfer):
    __doc__ = _DOC.format(
        title="A classifier fitted on source and target rows pooled, the target rows up-weighted.",
        kind="classifier", Kind="Classifier", example_model="LogisticRegression",
        example_labels="(Xs[:, 0] > 0).astype(int), (Xt[:, 0] + Xt[:, 1] > 0).astype(int)",
        classes="\n    classes_ : ndarray of shape (n_classes,)\n        The class labels.")

    def _proba(self, X):
        return proba_columns(self.estimator_, X, len(self.classes_))


class PooledTransferRegressor(_FewShotRegressorMixin, _BasePooledTransfer):
    __doc__ = _DOC.format(
        title="A regressor fitted on source and target rows pooled, the target rows up-weighted.",
        kind="regressor", Kind="Regressor", example_model="Ridge",
        example_labels="Xs[:, 0], 2 * Xt[:, 0] + Xt[:, 1]", classes="")

    def _predict(self, X):
        return np.asarray(self.estimator_.predict(X), dtype=np.float64)
