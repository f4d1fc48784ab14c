"""Meta-estimators that fit any estimator with importance weights.

Importance weighting removes the bias of a model fitted on the source rows,
but costs variance: with few effective rows it can hurt more than the shift
did. Both meta-estimators therefore *flatten* the weights, ``w ** exponent``
(Shimodaira 2000), with the exponent chosen among 0, 1/4, ..., 1 by
importance-weighted cross-validation on the labelled rows (Sugiyama,
Krauledat and Mueller 2007): the validation loss of each fold is weighted by
the full importance weights, an estimate of the target loss that needs no
target label. Exponent 0 is plain source training, 1 the full weighting;
the flattest exponent within half a standard error of the best is kept, so
that the fit falls back to source training when the data cannot tell that
the weights help.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import type_of_target

from ..pipeline import LabeledOnly, _is_per_row, _take_rows
from ._domain_classifier import DomainClassifierWeighting

FLATTENING_EXPONENTS = (0.0, 0.25, 0.5, 0.75, 1.0)


class _ImportanceWeighted(LabeledOnly):
    """Shared body: :class:`~sktransfer.LabeledOnly` with a weighting by
    default, and the flattening of its weights."""

    _sktransfer_domain_aware = True  # make_da_pipeline keeps it as the final step

    def __init__(self, estimator=None, *, weighting=None, flattening="auto", cv=5,
                 random_state=None, use_target_labels=False):
        super().__init__(estimator, weighting=weighting, use_target_labels=use_target_labels)
        self.flattening = flattening
        self.cv = cv
        self.random_state = random_state

    def _resolve_weighting(self):
        if self.weighting is None:
            return DomainClassifierWeighting(random_state=self.random_state)
        return self.weighting

    def _adjust_weights(self, X, y, weights, fit_params, weight_key):
        who = type(self).__name__
        if not isinstance(self.cv, Integral) or isinstance(self.cv, bool) or self.cv < 2:
            raise ValueError(f"{who}: cv must be an integer of at least 2, got {self.cv!r}.")
        self.flattening_scores_ = None
        if isinstance(self.flattening, str) and self.flattening == "auto":
            # equal weights: every exponent gives the same fit
            fold_losses = (None if np.ptp(weights) == 0
                           else self._iwcv_losses(X, y, weights, fit_params, weight_key))
            if fold_losses is None:
                self.flattening_ = 1.0
            else:
                self.flattening_ = _flattest_within_half_se(fold_losses)
                self.flattening_scores_ = {a: float(np.mean(v)) for a, v in fold_losses.items()}
        elif (isinstance(self.flattening, Real) and not isinstance(self.flattening, bool)
              and 0 <= self.flattening <= 1):
            self.flattening_ = float(self.flattening)
        else:
            raise ValueError(
                f"{who}: flattening must be 'auto' or a number in [0, 1], got {self.flattening!r}."
            )
        flattened = weights ** self.flattening_
        return flattened / flattened.mean()

    def _iwcv_losses(self, X, y, weights, fit_params, weight_key):
        """Importance-weighted cross-validated loss of each flattening exponent."""
        estimator = self._resolve_estimator()
        n_rows = len(weights)
        y = np.asarray(y)
        user_weights = np.asarray(fit_params.get(weight_key, np.ones(n_rows)), dtype=float)
        stratify = is_classifier(estimator) and type_of_target(y) in ("binary", "multiclass")
        n_folds = self.cv
        if stratify:
            n_folds = min(n_folds, int(np.unique(y, return_counts=True)[1].min()))
        n_folds = min(n_folds, n_rows // 2)
        if n_folds < 2:  # too few rows to validate: use the weights as they are
            return None
        splitter = (StratifiedKFold if stratify else KFold)(
            n_folds, shuffle=True, random_state=self.random_state
        )
        losses = {exponent: [] for exponent in FLATTENING_EXPONENTS}
        for train, valid in splitter.split(X, y if stratify else None):
            params = {key: _take_rows(value, train) if _is_per_row(value, n_rows) else value
                      for key, value in fit_params.items()}
            validation_weights = weights[valid] * user_weights[valid]
            for exponent in FLATTENING_EXPONENTS:
                params[weight_key] = weights[train] ** exponent * user_weights[train]
                model = clone(estimator).fit(_take_rows(X, train), y[train], **params)
                losses[exponent].append(_validation_loss(model, _take_rows(X, valid), y[valid],
                                                         validation_weights))
        return {exponent: np.asarray(values) for exponent, values in losses.items()}


def _flattest_within_half_se(fold_losses):
    """The smallest exponent whose IWCV loss is within half a standard error of the best.

    The rule of ``RegularizedTransfer*(lam="auto")`` (the simplest model within
    a fraction of a standard error of the best, Hastie et al., ESL 7.10), with
    the standard error of the *paired* per-fold difference to the best
    exponent: the folds share their rows, so the difference is far less noisy
    than either loss. Weighting is kept only where the data tell that it
    lowers the estimated target loss; otherwise the exponent falls back toward
    0, plain source training.
    """
    means = {exponent: float(np.mean(losses)) for exponent, losses in fold_losses.items()}
    best = min(means, key=means.get)  # the first minimum: on a tie, the flatter weights
    for exponent in sorted(fold_losses):
        if exponent >= best:
            break
        difference = fold_losses[exponent] - fold_losses[best]
        se = float(np.std(difference, ddof=1) / np.sqrt(len(difference))) if len(difference) > 1 else 0.0
        if means[exponent] - means[best] <= 0.5 * se:
            return exponent
    return best


class ImportanceWeightedClassifier(_ImportanceWeighted):
    """Fit a classifier on the labelled source rows, weighted toward the target.

    The weighting (by default a domain classifier's density ratio) is fitted
    on all rows; the classifier is fitted on the labelled rows with the
    weights as ``sample_weight``, so that it minimises an estimate of the
    target risk under covariate shift. Any classifier that accepts
    ``sample_weight`` works (LogisticRegression, HistGradientBoostingClassifier,
    LightGBM or XGBoost's sklearn classes).

    Importance weights trade bias for variance: when the domains overlap
    little, a few source rows carry most of the weight and the weighted fit
    can be worse on the target than the plain one. By default the weights
    are therefore flattened, ``w ** flattening_``, with the exponent chosen by
    importance-weighted cross-validation: 0 (no weighting) when the weights
    do not pay for their variance, 1 when they do.

    Parameters
    ----------
    estimator : classifier, default=None
        None: ``make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))``
        (scaled, so that raw features such as amounts in currency converge).
    weighting : reweighter, default=None
        An object with ``fit_weights(X, y, sample_domain)``, e.g.
        :class:`DomainClassifierWeighting` (the default, seeded with
        ``random_state``), :class:`KLIEP`,
        :class:`NearestNeighborsWeighting`, :class:`KernelMeanMatching`.
    flattening : "auto" or float in [0, 1], default="auto"
        Exponent applied to the importance weights, ``w ** flattening``: 0
        ignores them (source training), 1 uses them as they are. "auto"
        chooses among 0, 0.25, 0.5, 0.75 and 1 by importance-weighted
        cross-validation on the labelled rows (validation log-loss weighted by
        the full weights; error rate for classifiers without
        ``predict_proba``), which needs no target label and keeps the weights
        from costing more variance than the bias they remove: the smallest
        exponent whose loss is within half a standard error (of the per-fold
        difference) of the lowest, so that the weights are kept only where
        the data tell that they help, and the model falls back to plain
        source training (``flattening_ == 0``) otherwise. It fits the
        estimator ``5 * cv`` more times.
    cv : int, default=5
        Folds of that cross-validation (stratified by class), fewer when the
        smallest class has fewer rows.
    random_state : int, RandomState instance or None, default=None
        Shuffles the cross-validation folds, and those of the default
        weighting: an int makes the fit reproducible.
    use_target_labels : bool, default=False
        As in :class:`~sktransfer.LabeledOnly`.

    Attributes
    ----------
    estimator_ : classifier
        The fitted classifier.
    weighting_ : reweighter
        The fitted weighting.
    weights_ : ndarray of shape (n_labeled,)
        Weights of the labelled rows, as used in the fit (flattened).
    flattening_ : float
        The exponent used.
    flattening_scores_ : dict or None
        Importance-weighted cross-validated loss of each exponent (lower is
        better), when ``flattening="auto"`` had weights to choose for.
    effective_sample_size_ : float
        ``sum(w)^2 / sum(w^2)``; a :class:`~sktransfer.DegenerateWeightsWarning`
        is raised when it falls below a tenth of the labelled rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    References
    ----------
    .. [1] H. Shimodaira, "Improving predictive inference under covariate shift
       by weighting the log-likelihood function", Journal of Statistical
       Planning and Inference 90(2), 2000.
    .. [2] M. Sugiyama, M. Krauledat and K.-R. Mueller, "Covariate shift
       adaptation by importance weighted cross validation", JMLR 8, 2007.

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
        if self.estimator is None:
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return self.estimator


class ImportanceWeightedRegressor(_ImportanceWeighted):
    """Fit a regressor on the labelled source rows, weighted toward the target.

    As :class:`ImportanceWeightedClassifier`, for regression: unlabelled target
    rows carry ``y = NaN``.

    Parameters
    ----------
    estimator : regressor, default=None
        None: ``make_pipeline(StandardScaler(), Ridge())``.
    weighting : reweighter, default=None
        None: :class:`DomainClassifierWeighting` seeded with ``random_state``.
    flattening : "auto" or float in [0, 1], default="auto"
        As in :class:`ImportanceWeightedClassifier`; "auto" validates with the
        squared error weighted by the full importance weights.
    cv : int, default=5
        Folds of that cross-validation.
    random_state : int, RandomState instance or None, default=None
        Shuffles the cross-validation folds, and those of the default
        weighting: an int makes the fit reproducible.
    use_target_labels : bool, default=False
        As in :class:`~sktransfer.LabeledOnly`.

    Attributes
    ----------
    estimator_, weighting_, weights_, effective_sample_size_, flattening_, flattening_scores_
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
        if self.estimator is None:
            return make_pipeline(StandardScaler(), Ridge())
        return self.estimator


def _validation_loss(model, X, y, weights):
    """Weighted log-loss of a classifier with predict_proba, else weighted
    error rate; weighted squared error of a regressor."""
    if not is_classifier(model):
        return float(np.average((np.asarray(model.predict(X), dtype=float) - y) ** 2, weights=weights))
    if hasattr(model, "predict_proba"):
        return float(log_loss(y, model.predict_proba(X), sample_weight=weights, labels=model.classes_))
    return float(np.average(model.predict(X) != y, weights=weights))
