"""Stacking: the source model's score as an extra feature of a target model.

A target model is fitted on the labelled target rows with one more feature
(one per class for several classes): the source model's raw score. It can
keep the source model where the target agrees (a split or a coefficient on
that column) and correct it where the target moved (the other columns).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from ._tabular import (
    _BaseFewShot,
    _FewShotClassifierMixin,
    _FewShotRegressorMixin,
    default_estimator,
    proba_columns,
    quiet_fit,
)

__all__ = ["SourceStackingClassifier", "SourceStackingRegressor"]


def with_score(X, score):
    """``X`` with the score column(s) appended (sparse in, sparse out)."""
    score = score.reshape(len(score), -1)
    if sp.issparse(X):
        return sp.hstack([X, sp.csr_matrix(score)], format="csr")
    return np.hstack([X, score])


class _BaseSourceStacking(_BaseFewShot):
    _uses_source_model = True

    def __init__(self, estimator=None, *, source_estimator=None, passthrough=True, random_state=0):
        self.estimator = estimator
        self.source_estimator = source_estimator
        self.passthrough = passthrough
        self.random_state = random_state

    def _estimator(self):
        return default_estimator(self._task, self.random_state) if self.estimator is None else self.estimator

    def _source_template(self):
        return self._estimator() if self.source_estimator is None else self.source_estimator

    def _check_params(self):
        if not isinstance(self.passthrough, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}: passthrough must be True or False, got {self.passthrough!r}."
            )

    def _features(self, X, score):
        return with_score(X, score) if self.passthrough else score.reshape(len(score), -1)

    def _fit_rows(self, Xs, ys, Xt, yt, Ft, source_model):
        self.estimator_ = quiet_fit(clone(self._estimator()), self._features(Xt, Ft), yt)
        return self

    def _stacked(self, X):
        return self._features(X, self._source_score(self.source_estimator_, X))


_DOC = """{title}

    ``estimator`` is fitted on the labelled target rows with the source
    model's raw score ({raw}) as an extra feature: ``[x, score(x)]``
    (``passthrough=True``) or ``score(x)`` alone. The source model is
    fitted once on the labelled source rows (or used as given if fitted);
    rows to predict are target rows.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    unlabelled rows are not used. Without labelled target rows the model is
    the source model, with a :class:`~sktransfer.DomainWarning`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The target model, any sklearn {kind}; ``None`` means sklearn's
        ``HistGradientBoosting{Kind}`` with its defaults.
    source_estimator : estimator object, default=None
        The source model, fitted or not (a fitted one is used as it is; wrap
        it in :class:`sklearn.frozen.FrozenEstimator` to keep it through
        ``clone``). ``None`` means ``estimator``. A LightGBM model is accepted
        (its ``predict(X, raw_score=True)`` is the score).
    passthrough : bool, default=True
        Whether the target model also sees the features, not only the score.
    random_state : int, RandomState instance or None, default=0
        Seed of the default estimator.

    Attributes
    ----------{classes}
    estimator_ : estimator object
        The target model (absent when ``fallback_``).
    source_estimator_ : estimator object
        The fitted source model.
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
    >>> from sktransfer.parameter import SourceStacking{Kind}
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 2)), rng.normal(size=(40, 2))
    >>> ys, yt = {example_labels}
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> model = SourceStacking{Kind}({example_model}()).fit(X, y, sample_domain=sample_domain)
    >>> model.estimator_.n_features_in_  # two features and the source score
    3
"""


class SourceStackingClassifier(_FewShotClassifierMixin, _BaseSourceStacking):
    __doc__ = _DOC.format(
        title="A target classifier with the source model's score as an extra feature.",
        raw="the log-odds for two classes, one log-score per class otherwise",
        kind="classifier", Kind="Classifier", example_model="LogisticRegression",
        example_labels="(Xs[:, 0] > 0).astype(int), (Xt[:, 0] + Xt[:, 1] > 0).astype(int)",
        classes="\n    classes_ : ndarray of shape (n_classes,)\n        The class labels.")

    def _proba(self, X):
        return proba_columns(self.estimator_, self._stacked(X), len(self.classes_))


class SourceStackingRegressor(_FewShotRegressorMixin, _BaseSourceStacking):
    __doc__ = _DOC.format(
        title="A target regressor with the source model's prediction as an extra feature.",
        raw="its prediction", kind="regressor", Kind="Regressor", example_model="Ridge",
        example_labels="Xs[:, 0], 2 * Xt[:, 0] + Xt[:, 1]", classes="")

    def _predict(self, X):
        return np.asarray(self.estimator_.predict(self._stacked(X)), dtype=np.float64)
