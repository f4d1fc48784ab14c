"""Estimate the class prior of the target rows without their labels.

Under label shift the class-conditional distributions ``p(x | y)`` are the
same in both domains and only the class prior ``pi(y)`` moves. Three
estimators of the target prior from a source classifier:

- **EM** (Saerens, Latinne and Decaestecker 2002): maximum likelihood of the
  target prior, alternating ``p_t(y | x) ∝ p_s(y | x) pi_t(y) / pi_s(y)`` and
  ``pi_t = mean_x p_t(y | x)``. Consistent when the probabilities are
  calibrated (hence BCTS first, see :mod:`._calibration`).
- **BBSE** (black-box shift estimation, Lipton, Wang and Smola 2018): with
  ``C[i, j] = P_s(yhat = i, y = j)`` on held-out labelled source rows and
  ``mu[i] = P_t(yhat = i)`` on the target rows, the class weights
  ``w = pi_t / pi_s`` solve ``C w = mu``. It needs no calibration, only an
  invertible confusion matrix; on a small target sample the solution can
  have negative weights, which are clipped to 0 (with a warning).
- **classify and count**: the share of target rows predicted in each class,
  the naive baseline (biased toward the source prior whenever the classifier
  errs).
"""

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.stats import kstwobign

from ._calibration import TemperatureScaling, _check_proba

__all__ = ["LabelShiftWarning", "PriorEstimate", "estimate_target_prior", "adjust_proba"]

METHODS = ("em", "bbse", "cc", "pcc")
MIN_PRIOR = 1e-6  # an estimated prior of exactly 0 would forbid the class forever


class LabelShiftWarning(UserWarning):
    """A target-prior estimate the data cannot fully support.

    Raised when BBSE's solution had negative class weights (clipped to 0),
    when its confusion matrix is singular, or when EM did not converge.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sktransfer.label_shift import LabelShiftWarning, estimate_target_prior
    >>> proba_s = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = estimate_target_prior(np.array([[0.1, 0.9]] * 5), method="bbse",
    ...                               proba_source=proba_s, y_source=[0, 1, 1, 0])
    >>> [w.category.__name__ for w in caught]
    ['LabelShiftWarning']
    """


@dataclass
class PriorEstimate:
    """The result of :func:`estimate_target_prior`.

    Attributes
    ----------
    prior : ndarray of shape (n_classes,)
        The estimated target class prior (sums to 1).
    source_prior : ndarray of shape (n_classes,)
        The source prior it is relative to: the mean (calibrated) held-out
        source probability of each class for EM, the class frequencies of the
        held-out source rows for BBSE, None for classify and count without
        source rows.
    method : str
        ``"em"``, ``"bbse"``, ``"cc"`` or ``"pcc"``.
    n_iter : int
        EM iterations (0 for the others).
    converged : bool
        Whether EM met its tolerance (True for the others).
    clipped : bool
        Whether BBSE's raw solution had negative class weights, set to 0.
    raw_weights : ndarray or None
        BBSE's unclipped solution ``w = pi_t / pi_s``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.label_shift import estimate_target_prior
    >>> est = estimate_target_prior(np.array([[0.8, 0.2], [0.4, 0.6]]), method="cc")
    >>> est.method, est.prior.round(2)
    ('cc', array([0.5, 0.5]))
    """

    prior: np.ndarray
    source_prior: np.ndarray = None
    method: str = "em"
    n_iter: int = 0
    converged: bool = True
    clipped: bool = False
    raw_weights: np.ndarray = None


def _normalise(prior):
    prior = np.maximum(np.asarray(prior, dtype=np.float64), MIN_PRIOR)
    return prior / prior.sum()


def em_prior(proba, reference_prior, *, labelled_counts=None, tol=1e-8, max_iter=1000):
    """EM estimate of the target prior (Saerens et al. 2002).

    ``proba`` are calibrated source-model probabilities of unlabelled target
    rows, ``reference_prior`` the prior those probabilities were trained
    under. ``labelled_counts`` (per class) are labelled target rows: their
    posterior is their label, so they enter every M-step as counts (the
    maximum-likelihood estimate from labelled and unlabelled target rows).

    Returns ``(prior, n_iter, converged)``.
    """
    reference_prior = np.asarray(reference_prior, dtype=np.float64)
    counts = np.zeros(len(reference_prior)) if labelled_counts is None else np.asarray(labelled_counts, float)
    n_total = len(proba) + counts.sum()
    if len(proba) == 0:
        return _normalise(counts / max(n_total, 1)), 0, True
    prior = (proba.sum(axis=0) + counts) / n_total  # start from the mean probability
    ratio_base = proba / reference_prior
    for n_iter in range(1, max_iter + 1):
        posterior = ratio_base * prior
        posterior /= posterior.sum(axis=1, keepdims=True)
        new = (posterior.sum(axis=0) + counts) / n_total
        delta = np.abs(new - prior).max()
        prior = new
        if delta < tol:
            return _normalise(prior), n_iter, True
    return _normalise(prior), max_iter, False


def joint_confusion(proba, y_index, n_classes):
    """``C[i, j]``: share of rows predicted ``i`` (argmax) whose class is ``j``."""
    predicted = np.argmax(proba, axis=1)
    confusion = np.zeros((n_classes, n_classes))
    np.add.at(confusion, (predicted, y_index), 1.0)
    return confusion / len(y_index)


def bbse_prior(proba, confusion, *, labelled_counts=None):
    """BBSE estimate of the target prior (Lipton et al. 2018).

    Returns ``(prior, clipped, singular, raw_weights)``.
    """
    n_classes = confusion.shape[0]
    source_prior = confusion.sum(axis=0)
    counts = np.zeros(n_classes) if labelled_counts is None else np.asarray(labelled_counts, float)
    if len(proba) == 0:
        return _normalise(counts), False, False, None
    mu = np.bincount(np.argmax(proba, axis=1), minlength=n_classes) / len(proba)
    singular = np.linalg.matrix_rank(confusion) < n_classes
    # least squares: the exact solution when C is invertible, the minimum-norm one when not
    weights = np.linalg.lstsq(confusion, mu, rcond=None)[0]
    clipped = bool(np.any(weights < 0))
    prior = np.maximum(weights, 0.0) * source_prior
    if prior.sum() <= 0:  # nothing left: fall back to the source prior
        prior = source_prior.copy()
    prior = prior / prior.sum()
    if counts.sum() > 0:
        prior = (counts + len(proba) * prior) / (counts.sum() + len(proba))
    return _normalise(prior), clipped, bool(singular), weights


def cc_prior(proba, *, labelled_counts=None):
    """Classify and count: the share of rows predicted in each class."""
    n_classes = proba.shape[1]
    counts = np.zeros(n_classes) if labelled_counts is None else np.asarray(labelled_counts, float)
    predicted = np.bincount(np.argmax(proba, axis=1), minlength=n_classes) if len(proba) else np.zeros(n_classes)
    return _normalise((predicted + counts) / max(len(proba) + counts.sum(), 1))


def pcc_prior(proba, *, labelled_counts=None):
    """Probabilistic classify and count: the mean calibrated probability of each class.

    The right estimate when ``p(y | x)`` is the same in both domains
    (covariate shift), biased toward the source prior under label shift.
    """
    n_classes = proba.shape[1]
    counts = np.zeros(n_classes) if labelled_counts is None else np.asarray(labelled_counts, float)
    return _normalise((proba.sum(axis=0) + counts) / max(len(proba) + counts.sum(), 1))


def label_shift_test(proba_target, proba_holdout, y_index, target_prior):
    """p-value of the hypothesis that the target rows follow a label shift of the source.

    Under label shift the target's distribution of the calibrated scores is
    the mixture of the source's class-conditional score distributions with the
    target prior as weights. For each class column, the Kolmogorov-Smirnov
    distance between the target's empirical distribution of that score and the
    mixture of the held-out source rows' class-conditional ones is compared
    with its asymptotic null distribution (effective sample size of the two
    samples); the smallest p-value, times the number of columns tested
    (Bonferroni), is returned. The prior is estimated on the same rows, which
    makes the test conservative (it rejects less often than its level).
    """
    n_classes = proba_target.shape[1]
    n_t = len(proba_target)
    class_counts = np.bincount(y_index, minlength=n_classes)
    if n_t == 0 or np.any(class_counts == 0):
        return None
    # source rows weighted so that their classes follow the target prior
    row_weights = target_prior[y_index] / class_counts[y_index]
    n_source_eff = 1.0 / np.sum(target_prior ** 2 / class_counts)
    n_eff = n_t * n_source_eff / (n_t + n_source_eff)
    columns = range(1) if n_classes == 2 else range(n_classes)  # binary: one column says all
    p_min = 1.0
    for c in columns:
        t_scores = np.sort(proba_target[:, c])
        order = np.argsort(proba_holdout[:, c])
        s_scores = proba_holdout[order, c]
        s_cdf = np.cumsum(row_weights[order])
        grid = np.concatenate([t_scores, s_scores])
        f_t = np.searchsorted(t_scores, grid, side="right") / n_t
        idx = np.searchsorted(s_scores, grid, side="right")
        f_s = np.where(idx > 0, s_cdf[np.maximum(idx - 1, 0)], 0.0)
        stat = np.abs(f_t - f_s).max()
        p_min = min(p_min, float(kstwobign.sf(stat * np.sqrt(n_eff))))
    return min(1.0, p_min * len(columns))


def warn_bbse(clipped, singular, who):
    if singular:
        warnings.warn(
            f"{who}: the confusion matrix of the held-out source rows is singular (some class is "
            "never predicted, or two classes are predicted alike), so BBSE's class weights are not "
            "identified; the minimum-norm solution is used. Prefer method='em'.",
            LabelShiftWarning,
            stacklevel=3,
        )
    if clipped:
        warnings.warn(
            f"{who}: BBSE's solution had negative class weights (the target sample is small or the "
            "shift is not a pure label shift); they were clipped to 0 and the prior renormalised. "
            "The estimate is unreliable; prefer method='em'.",
            LabelShiftWarning,
            stacklevel=3,
        )


def warn_em(converged, max_iter, who):
    if not converged:
        warnings.warn(
            f"{who}: EM did not converge in {max_iter} iterations; the last estimate is used.",
            LabelShiftWarning,
            stacklevel=3,
        )


def _class_index(y, classes, who):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{who}: y_source must be one-dimensional, got shape {y.shape}.")
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        raise ValueError(
            f"{who}: y_source holds labels not in classes: {np.unique(y[unknown])[:5].tolist()}."
        )
    return index


def estimate_target_prior(proba_target, *, method="em", proba_source=None, y_source=None,
                          classes=None, calibration="bcts", tol=1e-8, max_iter=1000):
    """Estimate the class prior of target rows from a source classifier's probabilities.

    Parameters
    ----------
    proba_target : array-like of shape (n_target, n_classes)
        ``predict_proba`` of the source classifier on the unlabelled target rows.
    method : {"em", "bbse", "cc", "pcc"}, default="em"
        ``"em"``: maximum likelihood (Saerens et al. 2002) on calibrated
        probabilities. ``"bbse"``: black-box shift estimation (Lipton et al.
        2018) from the confusion matrix of the held-out source rows.
        ``"cc"``: classify and count (the naive baseline). ``"pcc"``: the
        mean calibrated probability (right under covariate shift, where
        ``p(y | x)`` does not move; biased toward the source prior under
        label shift).
    proba_source : array-like of shape (n_source, n_classes), default=None
        ``predict_proba`` of the same classifier on *held-out* labelled source
        rows (not those it was trained on: in-sample probabilities are
        over-confident). Required by ``"em"`` (the calibration and the
        source prior) and ``"bbse"`` (the confusion matrix).
    y_source : array-like of shape (n_source,), default=None
        Labels of those rows.
    classes : array-like of shape (n_classes,), default=None
        The class of each column (e.g. the classifier's ``classes_``);
        default: the sorted unique labels of ``y_source``, which must then be
        ``n_classes``.
    calibration : {"bcts", "ts"} or None, default="bcts"
        Calibration fitted on the held-out source rows and applied to both
        before estimating: bias-corrected temperature scaling, plain
        temperature scaling, or none.
    tol : float, default=1e-8
        EM stops when no class prior moves by more than ``tol``.
    max_iter : int, default=1000
        EM iterations at most.

    Returns
    -------
    estimate : PriorEstimate
        ``estimate.prior`` is the target prior, in the order of ``classes``.

    Warns
    -----
    LabelShiftWarning
        If BBSE's solution had negative weights (clipped) or its confusion
        matrix is singular, or if EM did not converge.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.label_shift import estimate_target_prior
    >>> rng = np.random.default_rng(0)
    >>> def sample(n, prior):
    ...     y = (rng.random(n) < prior).astype(int)
    ...     return rng.normal(y[:, None] * 1.5, 1.0, size=(n, 2)), y
    >>> Xs, ys = sample(2000, 0.5); Xv, yv = sample(2000, 0.5); Xt, yt = sample(3000, 0.1)
    >>> clf = LogisticRegression().fit(Xs, ys)
    >>> est = estimate_target_prior(clf.predict_proba(Xt), proba_source=clf.predict_proba(Xv),
    ...                             y_source=yv)
    >>> round(float(est.prior[1]), 2), round(float(yt.mean()), 2)
    (0.09, 0.1)
    """
    who = "estimate_target_prior"
    if method not in METHODS:
        raise ValueError(f"{who}: method must be one of {METHODS}, got {method!r}.")
    if calibration not in ("bcts", "ts", None):
        raise ValueError(f"{who}: calibration must be 'bcts', 'ts' or None, got {calibration!r}.")
    if not isinstance(max_iter, Integral) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"{who}: max_iter must be a positive integer, got {max_iter!r}.")
    if not isinstance(tol, Real) or isinstance(tol, bool) or not tol > 0:
        raise ValueError(f"{who}: tol must be a positive number, got {tol!r}.")
    proba_target = _check_proba(proba_target, who, "proba_target")
    k = proba_target.shape[1]
    if method == "cc" and proba_source is None:
        return PriorEstimate(prior=cc_prior(proba_target), method="cc")
    if proba_source is None or y_source is None:
        raise ValueError(
            f"{who}: method={method!r} needs proba_source and y_source: the probabilities and "
            "labels of held-out labelled source rows."
        )
    proba_source = _check_proba(proba_source, who, "proba_source", n_classes=k)
    classes = np.unique(y_source) if classes is None else np.asarray(classes)
    if len(classes) != k:
        raise ValueError(
            f"{who}: {len(classes)} classes for {k} probability columns; pass classes= (the "
            "classifier's classes_) when a class is missing from y_source."
        )
    y_index = _class_index(y_source, classes, who)
    if len(y_index) != len(proba_source):
        raise ValueError(f"{who}: y_source has {len(y_index)} labels for {len(proba_source)} rows of proba_source.")
    if calibration is not None:
        calibrator = TemperatureScaling(bias=calibration == "bcts").fit(proba_source, y_index)
        proba_source = calibrator.transform(proba_source)
        proba_target = calibrator.transform(proba_target)
    if method == "pcc":
        return PriorEstimate(prior=pcc_prior(proba_target), source_prior=proba_source.mean(axis=0),
                             method="pcc")
    if method == "em":
        reference = proba_source.mean(axis=0)
        prior, n_iter, converged = em_prior(proba_target, reference, tol=tol, max_iter=max_iter)
        warn_em(converged, max_iter, who)
        return PriorEstimate(prior=prior, source_prior=reference, method="em", n_iter=n_iter,
                             converged=converged)
    source_prior = np.bincount(y_index, minlength=k) / len(y_index)
    if method == "cc":
        return PriorEstimate(prior=cc_prior(proba_target), source_prior=source_prior, method="cc")
    confusion = joint_confusion(proba_source, y_index, k)
    prior, clipped, singular, raw = bbse_prior(proba_target, confusion)
    warn_bbse(clipped, singular, who)
    return PriorEstimate(prior=prior, source_prior=source_prior, method="bbse", clipped=clipped,
                         raw_weights=raw)


def adjust_proba(proba, source_prior, target_prior):
    """Move class probabilities from the source prior to the target prior.

    ``p_t(y | x) ∝ p_s(y | x) * target_prior[y] / source_prior[y]``, the
    Bayes correction under label shift (Saerens et al. 2002).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Calibrated probabilities under the source prior.
    source_prior, target_prior : array-like of shape (n_classes,)

    Returns
    -------
    adjusted : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> from sktransfer.label_shift import adjust_proba
    >>> adjust_proba([[0.5, 0.5]], [0.5, 0.5], [0.9, 0.1]).round(2)
    array([[0.9, 0.1]])
    """
    proba = _check_proba(proba, "adjust_proba")
    source_prior = np.asarray(source_prior, dtype=np.float64)
    target_prior = np.asarray(target_prior, dtype=np.float64)
    for name, prior in (("source_prior", source_prior), ("target_prior", target_prior)):
        if prior.shape != (proba.shape[1],) or np.any(prior < 0) or not np.all(np.isfinite(prior)):
            raise ValueError(
                f"adjust_proba: {name} must hold {proba.shape[1]} non-negative finite class priors."
            )
    if np.any(source_prior <= 0):
        raise ValueError("adjust_proba: source_prior must be positive for every class.")
    return _reweight(proba, target_prior / source_prior)


def _reweight(proba, class_weights):
    adjusted = proba * class_weights
    total = adjusted.sum(axis=1, keepdims=True)
    # a row whose every class got weight 0 keeps its probabilities
    return np.where(total > 0, adjusted / np.where(total > 0, total, 1.0), proba)
