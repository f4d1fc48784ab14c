"""Prediction-powered intervals of a model's target performance from a few
labelled target rows and many unlabelled ones (Angelopoulos et al. 2023)."""

from typing import NamedTuple

import numpy as np

from ._confidence import (
    RankedScores,
    check_confidence,
    check_n_bootstrap,
    hard_auc,
    percentile_interval,
    soft_auc,
)
from ._performance import _classes, _positive_proba, _respond, _take

QUANTITIES = ("positive_rate", "default_rate", "accuracy", "roc_auc")


class PredictionPoweredInterval(NamedTuple):
    """Result of :func:`prediction_powered_interval`.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        The prediction-powered estimate and its interval at level ``confidence``.
    classical_estimate, classical_ci_low, classical_ci_high : float
        The same from the labelled target rows alone, for comparison.
    quantity : str
        What was estimated.
    confidence : float
        The level of both intervals.
    lam : float
        The power-tuning weight in [0, 1] of the predictions (0: the classical
        estimate; 1: plain prediction-powered inference).
    n_labelled, n_unlabelled : int
        Target rows with and without a label.

    Examples
    --------
    >>> from sktransfer.diagnostics import PredictionPoweredInterval
    >>> PredictionPoweredInterval._fields[:3]
    ('estimate', 'ci_low', 'ci_high')
    """

    estimate: float
    ci_low: float
    ci_high: float
    classical_estimate: float
    classical_ci_low: float
    classical_ci_high: float
    quantity: str
    confidence: float
    lam: float
    n_labelled: int
    n_unlabelled: int


def _mean_interval(labels, predicted, predicted_unlabelled, z):
    """PPI++ for a mean (Angelopoulos, Duchi & Zrnic 2023, power-tuned): the
    estimate ``lam * mean(f_unlabelled) + mean(Y - lam * f)`` with the ``lam`` in
    [0, 1] of least asymptotic variance, and its normal interval; then the
    classical (Wald) interval of ``mean(Y)``."""
    n, big_n = labels.size, predicted_unlabelled.size
    pooled = np.concatenate([predicted, predicted_unlabelled])
    var_f = pooled.var(ddof=1)
    lam = 0.0
    if var_f > 0:
        cov = np.cov(labels, predicted)[0, 1]
        lam = float(np.clip(cov / ((1 + n / big_n) * var_f), 0.0, 1.0))
    rectified = labels - lam * predicted
    estimate = lam * predicted_unlabelled.mean() + rectified.mean()
    se = np.sqrt(lam**2 * predicted_unlabelled.var(ddof=1) / big_n + rectified.var(ddof=1) / n)
    classical, classical_se = labels.mean(), labels.std(ddof=1) / np.sqrt(n)
    return (estimate, estimate - z * se, estimate + z * se,
            classical, classical - z * classical_se, classical + z * classical_se, lam)


def _auc_interval(labels, scores, scores_unlabelled, proba, proba_unlabelled, confidence, n_bootstrap,
                  random_state):
    """Bootstrap PPI++ for the AUC. The AUC of the labelled rows, rectified by
    the predictions: ``AUC(Y) + lam * (softAUC(unlabelled) - softAUC(labelled))``,
    where ``softAUC`` is the AUC expected when each row is a positive with the
    model's probability. Under any model the rectifier has mean zero (both
    soft AUCs estimate the same number), so every ``lam`` keeps the estimate
    consistent; ``lam`` is the one of least bootstrap variance, clipped to [0, 1].
    Labelled and unlabelled rows are resampled apart; the intervals are the
    bootstrap percentiles (the classical one of ``AUC(Y)`` on the same
    resamples)."""
    labelled, unlabelled = RankedScores(scores), RankedScores(scores_unlabelled)
    n, big_n = labels.size, scores_unlabelled.size
    reps = np.empty((n_bootstrap, 3))
    for b in range(n_bootstrap):
        counts = random_state.multinomial(n, np.full(n, 1.0 / n)).astype(float)
        counts_u = random_state.multinomial(big_n, np.full(big_n, 1.0 / big_n)).astype(float)
        reps[b] = (hard_auc(labelled, labels, counts), soft_auc(labelled, proba, counts),
                   soft_auc(unlabelled, proba_unlabelled, counts_u))
    keep = np.all(np.isfinite(reps), axis=1)
    gaps = reps[keep, 2] - reps[keep, 1]
    lam = 0.0
    if keep.sum() > 1 and gaps.var() > 0:
        lam = float(np.clip(-np.cov(reps[keep, 0], gaps)[0, 1] / np.var(gaps, ddof=1), 0.0, 1.0))
    classical = float(hard_auc(labelled, labels))
    estimate = classical + lam * float(soft_auc(unlabelled, proba_unlabelled) - soft_auc(labelled, proba))
    low, high = percentile_interval(reps[keep, 0] + lam * gaps, confidence)
    classical_low, classical_high = percentile_interval(reps[keep, 0], confidence)
    return estimate, low, high, classical, classical_low, classical_high, lam


def prediction_powered_interval(estimator, X, y, sample_domain=None, *, quantity="accuracy",
                                confidence=0.9, n_bootstrap=500, random_state=None):
    """A model's target performance from a few labelled target rows, made
    sharper by its predictions on the unlabelled ones.

    Prediction-powered inference (Angelopoulos et al., Science 2023; PPI++,
    Angelopoulos, Duchi & Zrnic 2023): the mean of a quantity over the
    labelled target rows is corrected by the model's prediction of it, whose
    mean is known far better from the many unlabelled target rows. The
    interval holds at its nominal level whatever the model (a poor model only
    brings it back to the classical interval), and it needs no assumption on
    the shift: only that the labelled target rows are a random sample of the
    target rows.

    - ``"accuracy"``: the mean of ``predict == y``, predicted by the
      probability of the predicted class.
    - ``"positive_rate"`` (or ``"default_rate"``, its credit name): the rate
      of the positive class (the last of ``classes_``), predicted by its
      probability. Binary classifiers.
    - ``"roc_auc"``: the AUC of the positive-class probability, rectified with
      the AUC expected under the model's probabilities (bootstrap PPI, see
      Notes). Binary classifiers.

    Parameters
    ----------
    estimator : fitted classifier with predict_proba
    X : array-like of shape (n_samples, n_features)
        Rows, stacked; only target rows are used (source rows are ignored).
    y : array-like of shape (n_samples,)
        Labels; masked (``-1``) on the unlabelled target rows.
    sample_domain : array-like of int of shape (n_samples,)
        Domain of each row, negative on target rows: it tells the labelled
        target rows from source rows. Without it, masked rows are target rows
        and labelled ones source rows, so there are no labelled target rows
        (an error).
    quantity : {"accuracy", "positive_rate", "default_rate", "roc_auc"}, default="accuracy"
    confidence : float in (0, 1), default=0.9
        Level of the intervals.
    n_bootstrap : int, default=500
        Bootstrap replicates of the AUC interval (unused for the means).
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap of the AUC.

    Returns
    -------
    result : PredictionPoweredInterval
        ``(estimate, ci_low, ci_high, classical_estimate, classical_ci_low,
        classical_ci_high, quantity, confidence, lam, n_labelled, n_unlabelled)``.

    Notes
    -----
    For the means (accuracy, positive rate), the interval is the normal one
    of PPI++ with its power-tuning ``lam``; the classical interval is Wald's.
    For the AUC, a U-statistic rather than a mean, the rectifier is the
    difference of the soft-label AUC on the unlabelled and on the labelled
    rows, which has mean zero whatever the model; its weight ``lam`` and the
    percentile interval come from a bootstrap that resamples labelled and
    unlabelled rows apart. Coverage and widths on the credit splits, at n =
    50, 100 and 300: ``benchmarks/results/estimates.md``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.diagnostics import prediction_powered_interval
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(int)
    >>> model = LogisticRegression().fit(X[:500], y[:500])
    >>> target = np.r_[y[500:600], [-1] * 1400]  # 100 labelled target rows
    >>> r = prediction_powered_interval(model, X[500:], target, -np.ones(1500, dtype=int),
    ...                                 quantity="positive_rate")
    >>> r.n_labelled, r.ci_high - r.ci_low < r.classical_ci_high - r.classical_ci_low
    (100, True)
    """
    from sklearn.utils import check_random_state

    from .._domain import derive_sample_domain, num_rows, unlabeled_mask

    who = "prediction_powered_interval"
    if quantity not in QUANTITIES:
        raise ValueError(f"{who}: quantity must be one of {QUANTITIES}, got {quantity!r}.")
    confidence = check_confidence(confidence, who)
    n_bootstrap = check_n_bootstrap(n_bootstrap, who, minimum=20)
    if y is None or np.ndim(y) == 0:
        raise ValueError(f"{who} needs y, one label per row (masked, -1, on unlabelled rows), got {y!r}.")
    shape = getattr(X, "shape", None) or np.shape(X)
    if len(shape) != 2:
        raise ValueError(f"{who}: X must be 2-D (rows x features), got shape {tuple(shape)}.")
    n_samples = num_rows(X)
    try:
        sample_domain = derive_sample_domain(y, sample_domain, n_samples=n_samples, task="classification")
    except ValueError as exc:
        raise ValueError(f"{who}: {exc}") from None
    y = np.asarray(y)
    masked = unlabeled_mask(y, "classification")
    target = sample_domain < 0
    labelled_rows, unlabelled_rows = np.flatnonzero(target & ~masked), np.flatnonzero(target & masked)
    if labelled_rows.size < 2:
        raise ValueError(
            f"{who} needs labelled target rows (a label and a negative sample_domain), got "
            f"{labelled_rows.size}; without sample_domain every labelled row is a source row."
        )
    if unlabelled_rows.size < 2:
        raise ValueError(f"{who} needs unlabelled target rows (masked labels, -1), got {unlabelled_rows.size}.")
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(f"{who}: the estimator needs predict_proba (its probabilities power the "
                         f"interval); {type(estimator).__name__} has none.")
    X_l, d_l, y_l = _take(X, labelled_rows), sample_domain[labelled_rows], y[labelled_rows]
    X_u, d_u = _take(X, unlabelled_rows), sample_domain[unlabelled_rows]
    classes = _classes(estimator, y_l)
    z = _normal_quantile(confidence)
    if quantity == "accuracy":
        proba_l = np.asarray(_respond(estimator, "predict_proba", X_l, d_l), dtype=float)
        proba_u = np.asarray(_respond(estimator, "predict_proba", X_u, d_u), dtype=float)
        predicted = np.asarray(_respond(estimator, "predict", X_l, d_l))
        labels = (predicted == y_l).astype(float)
        result = _mean_interval(labels, proba_l.max(axis=1), proba_u.max(axis=1), z)
    else:
        what = f"quantity={quantity!r}"
        p_l = _positive_proba(estimator, X_l, d_l, who, what)
        p_u = _positive_proba(estimator, X_u, d_u, who, what)
        labels = (y_l == classes[-1]).astype(float)
        if quantity == "roc_auc":
            if np.unique(labels).size < 2:
                raise ValueError(f"{who}: the AUC needs both classes among the {labels.size} labelled "
                                 "target rows; they hold one only.")
            result = _auc_interval(labels, p_l, p_u, p_l, p_u, confidence, n_bootstrap,
                                   check_random_state(random_state))
        else:
            result = _mean_interval(labels, p_l, p_u, z)
    estimate, low, high, classical, classical_low, classical_high, lam = (float(v) for v in result)
    return PredictionPoweredInterval(
        estimate=estimate, ci_low=low, ci_high=high, classical_estimate=classical,
        classical_ci_low=classical_low, classical_ci_high=classical_high, quantity=quantity,
        confidence=confidence, lam=lam, n_labelled=int(labelled_rows.size),
        n_unlabelled=int(unlabelled_rows.size),
    )


def _normal_quantile(confidence):
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))
