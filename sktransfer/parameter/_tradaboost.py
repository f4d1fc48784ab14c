"""Boosting for transfer with a few target labels: TrAdaBoost and TrAdaBoost.R2.

Both boost a base estimator on the labelled source and target rows together,
and let the source rows that disagree with the target lose weight.

- :class:`TrAdaBoostClassifier` is the TrAdaBoost of Dai et al. (2007):
  AdaBoost's update on the target rows, a fixed decrease of misclassified
  source rows, a vote of the second half of the rounds.
- :class:`TrAdaBoostR2` is the *two-stage* TrAdaBoost.R2 of Pardoe & Stone
  (2010): AdaBoost.R2 with frozen source weights, run at a sequence of
  source-weight levels that moves from all rows to the target rows only, the
  level chosen by cross-validation on the target rows. Pardoe & Stone found
  it better than their plain TrAdaBoost.R2, and so did we: on our synthetic
  shifts the plain version lost to AdaBoost.R2 on the target rows alone.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.model_selection import KFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_magnitude
from ..base import DomainAwareMixin
from ._fewshot import check_finite_labels, few_shot_rows, warn_no_target
from ._regularized import check_sample_weight

__all__ = ["TrAdaBoostClassifier", "TrAdaBoostR2"]

_MIN_ERROR = 1e-10
_FALLBACK = (
    "Every labelled row is then boosted as a target row: the model is AdaBoost on "
    "the labelled rows."
)


def _seed_estimator(estimator, rng):
    """Give every ``random_state`` parameter of ``estimator`` a fresh integer seed."""
    seeds = {
        key: int(rng.randint(np.iinfo(np.int32).max))
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    }
    if seeds:
        estimator.set_params(**seeds)
    return estimator


class _BaseTrAdaBoost(DomainAwareMixin, BaseEstimator):
    """What the classifier and the regressor share: the rows and the fits.

    Subclasses set ``_task`` and implement ``_default_estimator()`` and
    ``_prepare_labels(y)`` (the labels the base estimator is fitted on).
    """

    _task = None

    def _labelled_rows(self, X, y, sample_domain, sample_weight):
        """The labelled rows, their labels, weights and source / target masks.

        Without labelled target rows, every labelled row is taken as a target
        row (with a DomainWarning): the boosting is then plain AdaBoost.
        """
        who = type(self).__name__
        if not isinstance(self.n_estimators, Integral) or isinstance(self.n_estimators, bool) \
                or self.n_estimators < 1:
            raise ValueError(f"n_estimators must be an integer >= 1, got {self.n_estimators!r}.")
        X = validate_data(self, X, dtype=np.float64)
        check_magnitude(X, who=type(self).__name__)
        y, source, target = few_shot_rows(
            y, sample_domain, n_samples=X.shape[0], task=self._task, estimator=who
        )
        weights = check_sample_weight(sample_weight, X.shape[0], who)
        if not source.any():
            raise ValueError(
                f"{who}: no labelled source rows (positive sample_domain): TrAdaBoost "
                "transfers from source rows. Fit a plain AdaBoost on the target rows instead."
            )
        if not target.any():
            warn_no_target(who, _FALLBACK)
            target, source = source, np.zeros_like(source)
        rows = source | target
        X, y, weights, source, target = X[rows], y[rows], weights[rows], source[rows], target[rows]
        if not (weights[target].sum() > 0):
            raise ValueError(
                f"{who}: the sample weights of the labelled target rows are all zero; "
                "TrAdaBoost measures its error on them."
            )
        self.n_target_rows_ = int(target.sum())
        return X, self._prepare_labels(y), weights, source, target

    def _base(self):
        return self._default_estimator() if self.estimator is None else self.estimator


def _fit_weighted(estimator, X, y, w, scale, rng):
    """Fit a freshly seeded clone on the rows of positive weight.

    The weights (of total 1) are multiplied by ``scale``, the total of the
    initial weights (the number of rows by default), so that estimators with
    a penalty (LogisticRegression, ...) see the data at its usual scale.
    """
    model = _seed_estimator(clone(estimator), rng)
    positive = w > 0
    return model.fit(X[positive], y[positive], sample_weight=w[positive] * scale)


class TrAdaBoostClassifier(ClassifierMixin, _BaseTrAdaBoost):
    """TrAdaBoost: boosting that fades out the source rows the target disagrees with.

    The base estimator is fitted, round after round, on the labelled source
    and target rows with weights ``w``. The weighted error ``eps`` of a round
    is measured on the target rows only, and its vote is
    ``alpha = learning_rate * (log((1 - eps) / eps) + log(K - 1))`` for ``K``
    classes. Then a misclassified target row's weight is multiplied by
    ``exp(alpha)`` (AdaBoost), and a misclassified source row's by
    ``beta ** learning_rate`` with
    ``beta = 1 / (1 + sqrt(2 ln n_source / n_estimators))``. The prediction
    is the ``alpha``-weighted vote of the rounds ``ceil(R/2)`` to ``R``.

    With two classes and ``learning_rate=1`` this is the algorithm of Dai
    et al. (2007); with more classes the error and the vote are those of
    SAMME (Zhu et al. 2009), which reduce to the paper's for two classes.
    ``learning_rate`` is a shrinkage of both updates, as in sklearn's
    ``AdaBoostClassifier``. The paper needs ``eps < (K - 1) / K``: boosting
    stops at the first round that is no better than chance on the target
    rows (that round is kept only if it is the first), so ``R`` may be less
    than ``n_estimators``.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    rows with a masked label (``-1``) are not used. Without labelled target
    rows (for instance without ``sample_domain``), every labelled row is
    boosted as a target row, which is AdaBoost (SAMME) on them, with a
    :class:`~sktransfer.DomainWarning`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The base classifier; its ``fit`` must accept ``sample_weight``.
        ``None`` means ``DecisionTreeClassifier(max_depth=3)``.
    n_estimators : int, default=50
        Largest number of boosting rounds ``N`` (it also sets ``beta``).
    learning_rate : float, default=1.0
        Shrinks the weight updates of both domains (``1`` is the paper).
        Boosting concentrates on the target rows it gets wrong, so that
        with noisy labels the last rounds fit noise; a smaller rate (for
        instance ``0.1`` with a linear base estimator) slows this down. See
        the Notes.
    voting : {"soft", "hard"}, default="soft"
        How the rounds ``ceil(R/2)..R`` vote. ``"hard"``: each votes for its
        predicted class with weight ``alpha`` (the paper's rule), and
        ``predict_proba`` is the share of the votes. ``"soft"``: each votes
        with its ``predict_proba`` (its predicted class when it has none),
        which ranks rows more finely (AUC). ``predict`` is always the class
        of highest ``predict_proba``.
    random_state : int, RandomState instance or None, default=None
        Seeds the ``random_state`` of the base estimator in each round.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted base estimators, one per round run.
    estimator_weights_ : ndarray of shape (n_rounds,)
        The vote ``alpha`` of each round (only the second half vote).
    estimator_errors_ : ndarray of shape (n_rounds,)
        The weighted error of each round on the target rows.
    beta_ : float
        The factor ``beta`` of misclassified source rows.
    weights_ : ndarray of shape (n_labelled,)
        The final weights of the labelled rows (source and target, in the
        order of ``X``), summing to 1.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_target_rows_ : int
        Number of labelled target rows (of labelled rows, in the fallback
        without target rows).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    TrAdaBoostR2 : the regression counterpart (two-stage).
    RegularizedTransferClassifier : transfer of a linear model's coefficients.

    Notes
    -----
    Two behaviours of the paper's algorithm to know. The target rows gain
    weight every round and the source rows lose it, so that the last rounds,
    which vote, are fitted mostly on the target rows, most on those they get
    wrong: with noisy labels they fit noise. And with a piecewise-constant
    base estimator (trees) and target rows that hold a small share of the
    weight, the second round often repeats the first, whose target error
    the AdaBoost update has just made exactly chance: boosting then stops.
    On our synthetic shifts (tests/test_tradaboost.py) the paper's settings
    with depth-3 trees did not beat AdaBoost on the target rows alone, while
    ``LogisticRegression`` with ``learning_rate=0.1`` beat the source-only,
    target-only and pooled logistic regressions.

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer
       Learning", ICML 2007.
    .. [2] J. Zhu, H. Zou, S. Rosset and T. Hastie, "Multi-class AdaBoost",
       Statistics and Its Interface 2, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import TrAdaBoostClassifier
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 2)), rng.normal(size=(30, 2)) + 0.5
    >>> ys, yt = (Xs[:, 0] > 0).astype(int), (Xt[:, 0] > 0.5).astype(int)
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> clf = TrAdaBoostClassifier(n_estimators=10, random_state=0)
    >>> clf.fit(X, y, sample_domain=sample_domain).predict_proba(Xt).shape
    (30, 2)
    """

    _task = "classification"

    def __init__(self, estimator=None, *, n_estimators=50, learning_rate=1.0, voting="soft",
                 random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.voting = voting
        self.random_state = random_state

    def _default_estimator(self):
        return DecisionTreeClassifier(max_depth=3)

    def _prepare_labels(self, y):
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__}: the labelled rows hold only one class "
                f"({self.classes_[0]!r}); at least 2 classes are needed."
            )
        return codes

    def fit(self, X, y, sample_domain=None, sample_weight=None):
        """Boost on the labelled source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabelled rows (not used).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.
            It is what marks the labelled target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Initial row weights (uniform by default).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        if self.voting not in ("soft", "hard"):
            raise ValueError(f"voting must be 'soft' or 'hard', got {self.voting!r}.")
        rate = self.learning_rate
        if not isinstance(rate, Real) or isinstance(rate, bool) or not (0 < rate < np.inf):
            raise ValueError(f"learning_rate must be a number > 0, got {rate!r}.")
        X, codes, weights, source, target = self._labelled_rows(X, y, sample_domain, sample_weight)
        estimator = self._base()
        rng = check_random_state(self.random_state)
        n_classes = len(self.classes_)
        chance = (n_classes - 1) / n_classes
        # Dai et al.: beta = 1 / (1 + sqrt(2 ln n / N)), n the number of source rows
        beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(max(int(source.sum()), 1)) / self.n_estimators))
        scale = weights.sum()
        w = weights / scale
        estimators, alphas, errors = [], [], []
        for _ in range(self.n_estimators):
            model = _fit_weighted(estimator, X, codes, w, scale, rng)
            wrong = (np.asarray(model.predict(X)) != codes).astype(np.float64)
            error = float(w[target] @ wrong[target] / w[target].sum())
            if error >= chance:
                if not estimators:  # keep the only round there is
                    estimators, alphas, errors = [model], [1.0], [error]
                break
            error_ = max(error, _MIN_ERROR)
            alpha = rate * float(np.log((1.0 - error_) / error_) + np.log(n_classes - 1))
            estimators.append(model)
            alphas.append(alpha)
            errors.append(error)
            # target rows: AdaBoost's update; source rows: a fixed decrease
            w = w * np.where(target, np.exp(alpha * wrong), beta ** (rate * wrong))
            w /= w.sum()
        self.estimators_ = estimators
        self.estimator_weights_ = np.asarray(alphas)
        self.estimator_errors_ = np.asarray(errors)
        self.beta_ = beta
        self.weights_ = w
        return self

    def predict_proba(self, X):
        """Class probabilities: the weighted vote of the second half of the rounds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        check_magnitude(X, who=type(self).__name__)
        n_rounds = len(self.estimators_)
        index = np.arange(int(np.ceil(n_rounds / 2)) - 1, n_rounds)  # rounds ceil(R/2)..R
        alphas = self.estimator_weights_[index]
        alphas = alphas / alphas.sum()
        proba = np.zeros((X.shape[0], len(self.classes_)))
        for i, alpha in zip(index, alphas):
            model = self.estimators_[i]
            columns = np.asarray(model.classes_, dtype=np.intp)
            if self.voting == "soft" and hasattr(model, "predict_proba"):
                proba[:, columns] += alpha * model.predict_proba(X)
            else:
                proba[np.arange(X.shape[0]), np.asarray(model.predict(X), dtype=np.intp)] += alpha
        return proba

    def predict(self, X):
        """The class of highest ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _scaled_loss(error, loss):
    """AdaBoost.R2's loss of each row, from its absolute error."""
    largest = error.max()
    if not largest > 0:
        return np.zeros_like(error)
    error = error / largest
    if loss == "square":
        return error ** 2
    if loss == "exponential":
        return 1.0 - np.exp(-error)
    return error


def _weighted_median(estimators, alphas, X):
    predictions = np.column_stack(
        [np.asarray(model.predict(X), dtype=np.float64).ravel() for model in estimators]
    )
    order = np.argsort(predictions, axis=1)
    cumulative = np.cumsum(np.asarray(alphas)[order], axis=1)
    median = np.argmax(cumulative >= 0.5 * cumulative[:, -1:], axis=1)
    rows = np.arange(X.shape[0])
    return predictions[rows, order[rows, median]]


def _fit_resampled(estimator, X, y, w, rng):
    """Fit a freshly seeded clone on a bootstrap sample drawn with probabilities
    ``w`` (the resampling of Drucker's AdaBoost.R2, as in sklearn's
    ``AdaBoostRegressor``): a regression tree fitted on a weighted bootstrap
    varies from round to round, which the median of the rounds needs."""
    model = _seed_estimator(clone(estimator), rng)
    rows = rng.choice(X.shape[0], size=X.shape[0], replace=True, p=w / w.sum())
    return model.fit(X[rows], y[rows])


def _adaboost_r2_frozen(estimator, X, y, w, target, n_estimators, loss, rng):
    """AdaBoost.R2' of Pardoe & Stone: AdaBoost.R2 (Drucker 1997) in which only
    the target rows are reweighted, their total weight kept (the source
    weights are frozen). Without source rows it is AdaBoost.R2."""
    w = w / w.sum()
    target_total = w[target].sum()
    estimators, alphas = [], []
    for _ in range(n_estimators):
        model = _fit_resampled(estimator, X, y, w, rng)
        residual = np.asarray(model.predict(X), dtype=np.float64).ravel() - y
        row_loss = _scaled_loss(np.abs(residual), loss)
        error = float(w @ row_loss)
        if error >= 0.5:
            if not estimators:
                estimators, alphas = [model], [1.0]
            break
        if error <= 0:  # a perfect fit: it takes the vote, as in sklearn's AdaBoostRegressor
            estimators.append(model)
            alphas.append(1.0)
            break
        beta = error / (1.0 - error)
        estimators.append(model)
        alphas.append(float(np.log(1.0 / beta)))
        w = w.copy()
        w[target] *= beta ** (1.0 - row_loss[target])
        w[target] *= target_total / w[target].sum()
        w /= w.sum()
    return estimators, np.asarray(alphas)


def _shift_toward_target(w, row_loss, source, target, share):
    """Source weights times ``beta ** loss``, ``beta`` in [0, 1] found by
    bisection so that the target rows hold ``share`` of the total weight
    (Pardoe & Stone's stage 2). Source rows fitted exactly (loss 0) keep their
    weight under any ``beta``; if they alone hold more than the share allows,
    they are scaled down too."""
    w = w.copy()
    total_target = w[target].sum()
    if share >= 1.0:
        w[source] = 0.0
        return w / w.sum()
    wanted = total_target * (1.0 - share) / share
    ws, loss = w[source], row_loss[source]
    if ws.sum() <= wanted:
        return w / w.sum()
    floor = ws[loss == 0].sum()
    if floor >= wanted:
        new = np.where(loss == 0, ws, 0.0)
        new *= wanted / floor if floor > 0 else 0.0
    else:
        low, high = 0.0, 1.0
        for _ in range(60):
            beta = 0.5 * (low + high)
            if (ws * beta ** loss).sum() > wanted:
                high = beta
            else:
                low = beta
        new = ws * (0.5 * (low + high)) ** loss
    w[source] = new
    return w / w.sum()


class TrAdaBoostR2(RegressorMixin, _BaseTrAdaBoost):
    """Two-stage TrAdaBoost.R2: boosting for regression transfer (Pardoe & Stone 2010).

    This is the two-stage algorithm of the paper (its Algorithm 3), not the
    plain TrAdaBoost.R2, which the authors found worse and which lost to
    AdaBoost.R2 on the target rows alone in our measurements too.

    It runs ``n_steps`` steps. Step ``t`` (from 0):

    1. fits AdaBoost.R2' (AdaBoost.R2 in which only the target rows are
       reweighted; the source weights stay frozen) with ``n_estimators``
       rounds at the current weights, and scores it by ``n_folds``-fold
       cross-validation over the target rows (source rows are always in the
       training part): the weighted mean squared error on the held-out rows;
    2. fits the base estimator at the current weights, and multiplies each
       source row's weight by ``beta_t ** loss`` (its AdaBoost.R2 loss), with
       ``beta_t`` found by bisection so that the target rows then hold
       ``p0 + (t + 1) / (n_steps - 1) * (1 - p0)`` of the total weight
       (``p0``: their initial share).

    The source rows thus fade out, those the target disagrees with first,
    from the pooled rows (step 0) to the target rows alone (the last step).
    The model is the AdaBoost.R2' of the step with the lowest cross-validated
    error, refitted on all rows; it predicts the weighted median of its
    rounds. Cost: about ``n_steps * (n_folds + 1) * n_estimators`` fits of the
    base estimator.

    Labelled target rows are the rows with a label and a negative
    ``sample_domain``; labelled rows with a positive one are source rows;
    rows labelled ``NaN`` are not used. Without labelled target rows (for
    instance without ``sample_domain``), every labelled row is taken as a
    target row and the model is AdaBoost.R2 on them, with a
    :class:`~sktransfer.DomainWarning`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The base regressor. Each round fits it on a bootstrap sample drawn
        with the row weights (the resampling of Drucker's AdaBoost.R2, as in
        sklearn's ``AdaBoostRegressor``), so it needs no ``sample_weight``.
        ``None`` means ``DecisionTreeRegressor(max_depth=6)``: the source
        weights are frozen within a step, so boosting cannot reduce the bias
        of a very shallow tree on the source rows (depth 3 lost to the
        baselines in our measurements, depth 6 beat them).
    n_estimators : int, default=30
        Number of AdaBoost.R2' rounds of each step.
    n_steps : int, default=10
        Number of source-weight levels tried (``S`` in the paper).
    n_folds : int, default=5
        Number of folds over the labelled target rows (at most their
        number; at least 2 target rows are needed).
    loss : {"linear", "square", "exponential"}, default="linear"
        The loss of a row, from its absolute error ``e`` scaled by the
        largest one to ``[0, 1]``: ``e``, ``e ** 2`` or ``1 - exp(-e)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and the ``random_state`` of each base estimator.

    Attributes
    ----------
    estimators_ : list of estimators
        The base estimators of the chosen step's AdaBoost.R2'.
    estimator_weights_ : ndarray of shape (n_rounds,)
        Their weights ``log(1 / beta)`` in the median.
    cv_errors_ : ndarray of shape (n_steps,)
        The cross-validated mean squared error of each step (empty without
        labelled target rows).
    best_step_ : int
        The chosen step (0: source rows at their initial weight).
    weights_ : ndarray of shape (n_labelled,)
        The weights of the labelled rows at the chosen step (in the order of
        ``X``), summing to 1.
    n_target_rows_ : int
        Number of labelled target rows (of labelled rows, in the fallback
        without target rows).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    TrAdaBoostClassifier : the classification counterpart (Dai et al.).
    RegularizedTransferRegressor : transfer of a linear model's coefficients.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for Regression Transfer",
       ICML 2010.
    .. [2] H. Drucker, "Improving Regressors using Boosting Techniques",
       ICML 1997 (AdaBoost.R2).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import TrAdaBoostR2
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 2)), rng.normal(size=(30, 2))
    >>> ys, yt = Xs[:, 0], Xt[:, 0] + 0.5
    >>> X, y, sample_domain = stack_domains(Xs, ys, Xt, yt, mask_target=False)
    >>> reg = TrAdaBoostR2(n_estimators=5, n_steps=4, n_folds=3, random_state=0)
    >>> reg.fit(X, y, sample_domain=sample_domain).predict(Xt).shape
    (30,)
    """

    _task = "regression"

    def __init__(self, estimator=None, *, n_estimators=30, n_steps=10, n_folds=5, loss="linear",
                 random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_steps = n_steps
        self.n_folds = n_folds
        self.loss = loss
        self.random_state = random_state

    def _default_estimator(self):
        return DecisionTreeRegressor(max_depth=6)

    def _prepare_labels(self, y):
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{type(self).__name__}: y must be numeric for regression, got dtype {y.dtype}."
            ) from None
        check_finite_labels(y, type(self).__name__)
        return y

    def fit(self, X, y, sample_domain=None, sample_weight=None):
        """Run the two stages on the labelled source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Targets; ``NaN`` marks unlabelled rows (not used).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.
            It is what marks the labelled target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Initial row weights (uniform by default); they also weight the
            cross-validated error.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        who = type(self).__name__
        if self.loss not in ("linear", "square", "exponential"):
            raise ValueError(
                f"loss must be 'linear', 'square' or 'exponential', got {self.loss!r}."
            )
        for name, low in (("n_steps", 1), ("n_folds", 2)):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
        X, y, weights, source, target = self._labelled_rows(X, y, sample_domain, sample_weight)
        estimator = self._base()
        rng = check_random_state(self.random_state)
        w = weights / weights.sum()

        if not source.any():  # the fallback: AdaBoost.R2 on the labelled rows
            self.estimators_, self.estimator_weights_ = _adaboost_r2_frozen(
                estimator, X, y, w, target, self.n_estimators, self.loss, rng
            )
            self.cv_errors_, self.best_step_, self.weights_ = np.array([]), 0, w
            return self
        target_rows = np.flatnonzero(target)
        n_folds = min(self.n_folds, target_rows.size)
        if n_folds < 2:
            raise ValueError(
                f"{who}: cross-validation over the target rows needs at least 2 labelled "
                f"target rows; got {target_rows.size}."
            )
        folds = list(KFold(n_folds, shuffle=True, random_state=rng.randint(2**31 - 1)).split(target_rows))
        initial_share = w[target].sum()
        cv_errors, best = [], None
        for step in range(self.n_steps):
            squared, total = 0.0, 0.0
            for _, held_out in folds:
                keep = np.ones(X.shape[0], dtype=bool)
                keep[target_rows[held_out]] = False
                models, alphas = _adaboost_r2_frozen(
                    estimator, X[keep], y[keep], w[keep], target[keep],
                    self.n_estimators, self.loss, rng,
                )
                rows = target_rows[held_out]
                residual = y[rows] - _weighted_median(models, alphas, X[rows])
                squared += weights[rows] @ residual ** 2
                total += weights[rows].sum()
            cv_errors.append(squared / total if total > 0 else np.inf)
            if best is None or cv_errors[-1] < cv_errors[best[0]]:
                best = (step, w, _adaboost_r2_frozen(
                    estimator, X, y, w, target, self.n_estimators, self.loss, rng
                ))
            if step == self.n_steps - 1:
                break
            model = _fit_resampled(estimator, X, y, w, rng)
            residual = np.asarray(model.predict(X), dtype=np.float64).ravel() - y
            row_loss = _scaled_loss(np.abs(residual), self.loss)
            share = initial_share + (step + 1) / (self.n_steps - 1) * (1.0 - initial_share)
            w = _shift_toward_target(w, row_loss, source, target, share)
        self.best_step_, self.weights_, (self.estimators_, self.estimator_weights_) = best
        self.cv_errors_ = np.asarray(cv_errors)
        return self

    def predict(self, X):
        """The weighted median of the chosen step's rounds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        check_magnitude(X, who=type(self).__name__)
        return _weighted_median(self.estimators_, self.estimator_weights_, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
