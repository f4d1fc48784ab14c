"""Meta-estimators that fit any estimator with importance weights."""

from sklearn.linear_model import LogisticRegression, Ridge

from ..pipeline import LabeledOnly
from ._domain_classifier import DomainClassifierWeighting


class _ImportanceWeighted(LabeledOnly):
    """Shared body: :class:`~sktransfer.LabeledOnly` with a weighting by default."""

    _sktransfer_domain_aware = True  # make_da_pipeline keeps it as the final step

    def __init__(self, estimator=None, *, weighting=None, use_target_labels=False):
        super().__init__(estimator, weighting=weighting, use_target_labels=use_target_labels)

    def _resolve_weighting(self):
        return DomainClassifierWeighting() if self.weighting is None else self.weighting


class ImportanceWeightedClassifier(_ImportanceWeighted):
    """Fit a classifier on the labelled source rows, weighted toward the target.

    The weighting (by default a domain classifier's density ratio) is fitted
    on all rows; the classifier is fitted on the labelled rows with the
    weights as ``sample_weight``, so that it minimises an estimate of the
    target risk under covariate shift. Any classifier that accepts
    ``sample_weight`` works (LogisticRegression, HistGradientBoostingClassifier,
    LightGBM or XGBoost's sklearn classes).

    Parameters
    ----------
    estimator : classifier, default=None
        None: ``LogisticRegression(max_iter=1000)``.
    weighting : reweighter, default=None
        An object with ``fit_weights(X, y, sample_domain)``, e.g.
        :class:`DomainClassifierWeighting` (the default), :class:`KLIEP`,
        :class:`NearestNeighborsWeighting`, :class:`KernelMeanMatching`.
    use_target_labels : bool, default=False
        As in :class:`~sktransfer.LabeledOnly`.

    Attributes
    ----------
    estimator_ : classifier
        The fitted classifier.
    weighting_ : reweighter
        The fitted weighting.
    weights_ : ndarray of shape (n_labeled,)
        Weights of the labelled rows.
    effective_sample_size_ : float
        ``sum(w)^2 / sum(w^2)``; a :class:`~sktransfer.DegenerateWeightsWarning`
        is raised when it falls below a tenth of the labelled rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.reweighting import ImportanceWeightedClassifier
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 2)); Xt = rng.normal(1.0, 1.0, size=(100, 2))
    >>> X, y, _ = stack_domains(Xs, (Xs[:, 0] > 0).astype(int), Xt)
    >>> clf = ImportanceWeightedClassifier().fit(X, y)
    >>> clf.predict(Xt[:3]).shape, round(float(clf.weights_.mean()), 6)
    ((3,), 1.0)
    """

    def _resolve_estimator(self):
        return LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator


class ImportanceWeightedRegressor(_ImportanceWeighted):
    """Fit a regressor on the labelled source rows, weighted toward the target.

    As :class:`ImportanceWeightedClassifier`, for regression: unlabelled target
    rows carry ``y = NaN``.

    Parameters
    ----------
    estimator : regressor, default=None
        None: ``Ridge()``.
    weighting : reweighter, default=None
        None: :class:`DomainClassifierWeighting`.
    use_target_labels : bool, default=False
        As in :class:`~sktransfer.LabeledOnly`.

    Attributes
    ----------
    estimator_, weighting_, weights_, effective_sample_size_
        As in :class:`ImportanceWeightedClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.reweighting import ImportanceWeightedRegressor
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(200, 1)); Xt = rng.normal(1.5, 0.5, size=(100, 1))
    >>> X, y, _ = stack_domains(Xs, Xs[:, 0] ** 2, Xt)
    >>> ImportanceWeightedRegressor().fit(X, y).predict(Xt[:2]).shape
    (2,)
    """

    def _resolve_estimator(self):
        return Ridge() if self.estimator is None else self.estimator
