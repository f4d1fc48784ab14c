"""Importance weights from a domain classifier's density ratio."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..base import BaseReweighter

_PROBA_FLOOR = 1e-6


class DomainClassifierWeighting(BaseReweighter):
    """Importance weights ``p(target | x) / p(source | x)`` from a domain classifier.

    A probabilistic classifier learns to tell target rows from source rows;
    by Bayes' rule its odds, times ``n_source / n_target``, estimate the
    density ratio ``p_target(x) / p_source(x)``. The probabilities of each
    source row come from a model that did not see that row (cross-fitting),
    so that an overfitting classifier does not push the weights of its
    training rows to the extremes.

    Parameters
    ----------
    estimator : classifier with predict_proba, default=None
        The domain classifier. None: a logistic regression on standardised
        features.
    calibration : {None, "sigmoid", "isotonic"}, default=None
        Wrap the classifier in :class:`~sklearn.calibration.CalibratedClassifierCV`
        with this method, for classifiers whose probabilities are not
        calibrated (boosted trees, SVMs).
    cv : int, default=5
        Number of cross-fitting folds (stratified by domain).
    max_weight : float, default=None
        Clip the weights (after normalising them to mean 1 over the source
        rows) at this value, then normalise again. None: no clipping.
    random_state : int, RandomState instance or None, default=None
        Shuffles the cross-fitting folds.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weight of each fitted row: the density ratio on source rows (mean 1),
        1 on target rows.
    n_features_in_ : int
        Number of features seen during ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.reweighting import DomainClassifierWeighting
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 1)), rng.normal(1.0, 1.0, size=(200, 1))
    >>> X, y, _ = stack_domains(Xs, np.zeros(200, dtype=int), Xt)
    >>> w = DomainClassifierWeighting(random_state=0).fit(X, y).weights_[:200]
    >>> bool(np.corrcoef(Xs[:, 0], w)[0, 1] > 0.8)  # rows near the target weigh more
    True
    """

    def __init__(self, estimator=None, *, calibration=None, cv=5, max_weight=None, random_state=None):
        self.estimator = estimator
        self.calibration = calibration
        self.cv = cv
        self.max_weight = max_weight
        self.random_state = random_state

    def _check_params(self):
        if self.calibration not in (None, "sigmoid", "isotonic"):
            raise ValueError(f"calibration must be None, 'sigmoid' or 'isotonic', got {self.calibration!r}.")
        check_cv_and_max_weight(self.cv, self.max_weight)

    def _fit_weights(self, X, source, target):
        self._check_params()
        if np.array_equal(source, target):  # no target rows: nothing to reweight toward
            return np.ones(int(source.sum()))
        rows = source | target
        is_target = target[rows].astype(int)
        classifier = (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
            if self.estimator is None else clone(self.estimator)
        )
        if self.calibration is not None:
            classifier = CalibratedClassifierCV(classifier, method=self.calibration, cv=3)
        n_folds = min(self.cv, int(is_target.sum()), int((1 - is_target).sum()))
        if n_folds < 2:
            raise ValueError(
                "DomainClassifierWeighting needs at least 2 source rows and 2 target rows."
            )
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=self.random_state)
        proba = cross_val_predict(classifier, X[rows], is_target, cv=folds, method="predict_proba")[:, 1]
        proba = np.clip(proba[is_target == 0], _PROBA_FLOOR, 1 - _PROBA_FLOOR)
        weights = proba / (1 - proba) * (is_target == 0).sum() / is_target.sum()
        return clip_weights(weights, self.max_weight)


def check_cv_and_max_weight(cv, max_weight):
    """The checks of the ``cv`` and ``max_weight`` parameters the density-ratio
    weightings share."""
    if not isinstance(cv, Integral) or cv < 2:
        raise ValueError(f"cv must be an integer of at least 2, got {cv!r}.")
    if max_weight is not None and (not isinstance(max_weight, Real) or not max_weight > 1):
        raise ValueError(f"max_weight must be a number above 1 or None, got {max_weight!r}.")


def clip_weights(weights, max_weight):
    """Normalise to mean 1, clip at ``max_weight`` and normalise again
    (``max_weight=None``: only normalise)."""
    weights = weights / weights.mean()
    if max_weight is not None:
        weights = np.minimum(weights, max_weight)
        weights = weights / weights.mean()
    return weights
