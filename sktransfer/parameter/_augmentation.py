"""Feature augmentation (Daumé III 2007, "Frustratingly easy domain adaptation").

Each row is written three times over: a shared copy, a source copy and a
target copy, the copy of the other domain being zeros::

    source row:  [x, x, 0]
    target row:  [x, 0, x]

so that one model fitted on the pooled labelled rows can learn what the two
domains share (the shared block) and what is particular to each (the
domain blocks). At prediction time rows are target rows.
"""

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from .._domain import derive_sample_domain, predict_domains
from ..base import DomainAwareMixin
from ._tabular import (
    _BaseFewShot,
    _FewShotClassifierMixin,
    _FewShotRegressorMixin,
    default_estimator,
    proba_columns,
    quiet_fit,
)

__all__ = ["FeatureAugmentationClassifier", "FeatureAugmentationRegressor", "FeatureAugmenter"]

BLOCKS = ("shared", "source", "target")


def augment(X, is_target):
    """``[x, x, 0]`` for source rows and ``[x, 0, x]`` for target rows
    (``is_target``: a boolean per row); sparse in, sparse (CSR) out."""
    is_target = np.asarray(is_target, dtype=bool)
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        source_part = sp.diags((~is_target).astype(X.dtype)) @ X
        target_part = sp.diags(is_target.astype(X.dtype)) @ X
        return sp.hstack([X, source_part, target_part], format="csr")
    X = np.asarray(X)
    keep = is_target[:, None]
    return np.hstack([X, np.where(keep, 0, X), np.where(keep, X, 0)])


class FeatureAugmenter(DomainAwareMixin, TransformerMixin, BaseEstimator):
    """Daumé III's feature augmentation: ``[x, x, 0]`` on source rows, ``[x, 0, x]`` on target rows.

    A stateless map that triples the features: a shared block, a source block
    and a target block (zeros on the rows of the other domain). Any estimator
    fitted on the augmented labelled rows of both domains can then weigh what
    the domains share and what is particular to each (Daumé III, 2007). All
    source domains share the source block, all target domains the target
    block.

    ``fit_transform`` maps rows with their domains (masked labels, or
    ``sample_domain``); ``transform`` treats rows as target rows unless
    ``sample_domain`` says otherwise. Dense, sparse (CSR out) and DataFrame
    input; ``get_feature_names_out`` gives ``shared__c``, ``source__c``,
    ``target__c`` for each input column ``c`` (and ``set_output(transform="pandas")``
    a DataFrame with these columns).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    FeatureAugmentationClassifier : an estimator fitted on the augmented rows.

    References
    ----------
    H. Daumé III, "Frustratingly easy domain adaptation", ACL 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.parameter import FeatureAugmenter
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> FeatureAugmenter().fit_transform(X, sample_domain=[1, -1])
    array([[1., 2., 1., 2., 0., 0.],
           [3., 4., 0., 0., 3., 4.]])
    >>> FeatureAugmenter().fit(X).get_feature_names_out().tolist()[:3]
    ['shared__x0', 'shared__x1', 'source__x0']
    """

    __metadata_request__transform: ClassVar[dict] = {"sample_domain": True}

    def fit(self, X, y=None, sample_domain=None):
        """Record the number (and names) of the features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Not used beyond checking its length.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Checked if given.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, accept_sparse=("csr", "csc"), ensure_all_finite=False)
        derive_sample_domain(y, sample_domain, n_samples=X.shape[0])
        return self

    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, then augment the rows with their domains.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Labels; without ``sample_domain``, masked rows (-1 / NaN) are target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Positive for source rows, negative for target rows.

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, 3 * n_features)
        """
        X = validate_data(self, X, accept_sparse=("csr", "csc"), ensure_all_finite=False)
        domains = derive_sample_domain(y, sample_domain, n_samples=X.shape[0])
        return augment(X, domains < 0)

    def transform(self, X, sample_domain=None):
        """Augment rows; they are target rows unless ``sample_domain`` says otherwise.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        sample_domain : array-like of int of shape (n_samples,), default=None

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, 3 * n_features)
        """
        check_is_fitted(self, "n_features_in_")
        X = validate_data(self, X, reset=False, accept_sparse=("csr", "csc"),
                          ensure_all_finite=False)
        return augment(X, predict_domains(sample_domain, n_samples=X.shape[0]) < 0)

    def get_feature_names_out(self, input_features=None):
        """``shared__c``, then ``source__c``, then ``target__c`` for each input feature ``c``.

        Parameters
        ----------
        input_features : array-like of str, default=None

        Returns
        -------
        feature_names_out : ndarray of str
        """
        from sklearn.utils.validation import _check_feature_names_in

        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        return np.asarray([f"{block}__{name}" for block in BLOCKS for name in names], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags


class _BaseFeatureAugmentation(_BaseFewShot):
    _uses_source_model = False

    def __init__(self, estimator=None, *, random_state=0):
        self.estimator = estimator
        self.random_state = random_state

    def _estimator(self):
        return default_estimator(self._task, self.random_state) if self.estimator is None else self.estimator

    def _source_template(self):
        return self._estimator()

    def _fit_rows(self, Xs, ys, Xt, yt, Ft, source_model):
        if sp.issparse(Xs):
            X = sp.vstack([Xs, Xt], format="csr")
        else:
            X = np.vstack([Xs, Xt])
        is_target = np.r_[np.zeros(len(ys), bool), np.ones(len(yt), bool)]
        self.estimator_ = quiet_fit(clone(self._estimator()), augment(X, is_target), np.r_[ys, yt])
        return self

    def _augmented(self, X):
        return augment(X, np.ones(X.shape[0], dtype=bool))


_DOC = """{title}

    Each labelled source row enters as ``[x, x, 0]`` and each labelled
    target row as ``[x, 0, x]`` (a shared, a source and a target block; see
    :class:`FeatureAugmenter`), and ``estimator`` is fitted on all of them
    (Daumé III, 2007). Rows to predict are target rows: ``[x, 0, x]``. With
    trees, a split on a shared column serves both domains and a split on a
    target column only the target; with a penalised linear model, the
    penalty makes the shared block carry what the domains agree on.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    unlabelled rows are not used. Without labelled target rows the model is
    ``estimator`` fitted on the source rows, with a
    :class:`~sktransfer.DomainWarning`.

    Parameters
    ----------
    estimator : estimator object, default=None
        Any sklearn {kind}; ``None`` means sklearn's
        ``HistGradientBoosting{Kind}`` with its defaults (which takes no
        sparse input: pass an estimator that does for sparse ``X``).
    random_state : int, RandomState instance or None, default=0
        Seed of the default estimator (its early-stopping split).

    Attributes
    ----------{classes}
    estimator_ : estimator object
        ``estimator`` fitted on the augmented rows (absent when ``fallback_``).
    source_estimator_ : estimator object or None
        ``estimator`` fitted on the source rows, when ``fallback_``.
    n_source_rows_, n_target_rows_ : int
        Labelled source and target rows fitted on.
    fallback_ : bool
        True when fit saw no labelled target row.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    References
    ----------
    H. Daumé III, "Frustratingly easy domain adaptation", ACL 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import {example_model}
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import FeatureAugmentation{Kind}
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 2)), rng.normal(size=(40, 2))
    >>> ys, yt = {example_labels}
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> model = FeatureAugmentation{Kind}({example_model}()).fit(X, y, sample_domain=sample_domain)
    >>> model.estimator_.n_features_in_
    6
"""


class FeatureAugmentationClassifier(_FewShotClassifierMixin, _BaseFeatureAugmentation):
    __doc__ = _DOC.format(
        title="A classifier fitted on Daumé's augmented features of source and target rows.",
        kind="classifier", Kind="Classifier", example_model="LogisticRegression",
        example_labels="(Xs[:, 0] > 0).astype(int), (Xt[:, 1] > 0).astype(int)",
        classes="\n    classes_ : ndarray of shape (n_classes,)\n        The class labels.")

    def _proba(self, X):
        return proba_columns(self.estimator_, self._augmented(X), len(self.classes_))


class FeatureAugmentationRegressor(_FewShotRegressorMixin, _BaseFeatureAugmentation):
    __doc__ = _DOC.format(
        title="A regressor fitted on Daumé's augmented features of source and target rows.",
        kind="regressor", Kind="Regressor", example_model="Ridge",
        example_labels="Xs[:, 0], Xt[:, 0] + Xt[:, 1]", classes="")

    def _predict(self, X):
        return np.asarray(self.estimator_.predict(self._augmented(X)), dtype=np.float64)
